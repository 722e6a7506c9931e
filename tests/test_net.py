"""The net under the classifier, end to end through the bridge: /立案 by quoting a missed
message, the question asked when unsure, a false alarm and a changed category becoming
labelled data (`python -m bot corrections`), and danger heard first — inside a discussion
and when it matches an open case."""

from __future__ import annotations

import json

import pytest

from bot.cli import main as cli_main


def _case_id(chat) -> int:
    return next(r["case_id"] for r in chat.last["replies"] if r.get("case_id"))


def _export(bot) -> list[dict]:
    from bot.domain.corrections import export

    with bot.store.transaction() as repos:
        return export(repos)


def test_file_opens_a_case_for_the_quoted_sender(chat, bot, clock):
    missed = chat.payload("u-gao", "楼下那几辆车停得", sender_name="高先生")
    said_at = clock()
    assert chat.post(missed).get_json()["replies"] == []  # the classifier missed it
    clock.advance(minutes=20)
    replies = chat.say("u-zhao", "/立案 停车", sender_name="赵网格",
                       quote={"msg_id": missed["msg_id"], "text": missed["text"]})
    assert any("补登记" in r and "高先生" in r for r in replies), replies
    case_id = _case_id(chat)
    with bot.store.transaction() as repos:
        case = repos.cases.get(case_id)
        assert case.category == "parking" and case.text == "楼下那几辆车停得"
        assert [c.member.name for c in case.complainants] == ["高先生"]
        assert case.opened_at == said_at  # the quoted message's time
    # quoting the same message again names the case
    again = chat.say("u-zhao", "/立案", quote={"msg_id": missed["msg_id"]})
    assert f"#{case_id}" in again[0] and "已登记" in again[0]
    rows = [r for r in _export(bot) if r["correction"] == "missed"]
    assert rows and rows[0]["text"] == "楼下那几辆车停得" and rows[0]["is_complaint"]
    assert rows[0]["category"] == "parking"


def test_file_needs_a_quote_and_a_staff_sender(chat):
    assert "引用" in chat.say("u-zhao", "/立案")[0]
    refused = chat.say("u-zhang", "/立案", quote={"msg_id": "m-x"})[0]
    assert "立案" in refused and ("只有" in refused or "可以" in refused)
    assert "没有找到" in chat.say("u-zhao", "/立案", quote={"msg_id": "nope"})[0]


UNSURE = "垃圾桶那边有点味道"


def _cases_config(bot, **changes) -> None:
    """This test's app gets a copy of the (frozen) config with `cases` changed."""
    object.__setattr__(bot.config, "cases", bot.config.cases.model_copy(update=changes))


@pytest.fixture
def unsure(bot):
    """A band around the model's probability for UNSURE, which is no complaint: the test
    does not depend on where the retrained model puts this one message."""
    result = bot.classifier("sunshine").classify(UNSURE)
    assert not result.is_complaint and not result.ruled
    _cases_config(bot, ask_band=(max(0.0, result.confidence - 0.05),
                                 min(1.0, result.confidence + 0.05)))
    return UNSURE


def test_unsure_message_gets_a_question_and_yes_opens_the_case(chat, bot, unsure):
    replies = chat.say("u-xiaosun", unsure, sender_name="孙女士")
    assert any("需要帮您登记报修吗" in r for r in replies), replies
    replies = chat.say("u-xiaosun", "是的")
    assert any(r.startswith("已受理 #") for r in replies), replies
    case_id = _case_id(chat)
    with bot.store.transaction() as repos:
        assert repos.cases.get(case_id).text == unsure
    # at most one question per sender per hour; a plain 是 later is just chat
    assert chat.say("u-xiaosun", unsure) == []
    assert chat.say("u-xiaosun", "是") == []


def test_unsure_question_declined_and_switched_off(chat, bot, unsure):
    assert any("需要帮您登记报修吗" in r for r in chat.say("u-gao", unsure))
    assert chat.say("u-gao", "不用") == ["好的，有需要随时说。"]
    assert chat.say("u-zhang", "今天天气真好") == []  # outside the band: no question
    _cases_config(bot, ask_when_unsure=False)
    assert chat.say("u-laoliu", unsure) == []


def test_false_alarm_and_recategorize_become_corrections(chat, bot, tmp_path, monkeypatch):
    chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了", sender_name="张阿姨")
    lamp = _case_id(chat)
    replies = chat.say("u-zhao", f"/改类 #{lamp} 电梯", sender_name="赵网格")
    assert "已由“公共设施损坏”改为“电梯”" in replies[0] and "@王师傅" in replies[0]
    chat.say("u-laoliu", "5号楼门口的垃圾好几天没人收了 臭死了", sender_name="刘大爷")
    rubbish = _case_id(chat)
    assert "已关闭" in chat.say("u-li", f"/关闭 #{rubbish} 不是诉求", sender_name="李书记")[0]
    with bot.store.transaction() as repos:
        assert repos.cases.get(lamp).category == "elevator"
        kinds = [e.kind for e in repos.cases.events(lamp)]
        assert "recategorized" in kinds
    rows = {r["correction"]: r for r in _export(bot)}
    assert rows["recategorized"]["category"] == "elevator"
    assert rows["false_alarm"]["is_complaint"] is False
    assert rows["false_alarm"]["category"] is None
    # the CLI writes the same lines in the corpus format
    out = tmp_path / "corr.jsonl"
    monkeypatch.setattr("bot.cli._load", lambda _path: bot.config)
    assert cli_main(["corrections", "--out", str(out)]) == 0
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert {x["correction"] for x in lines} == {"recategorized", "false_alarm"}
    assert all({"id", "sender_role", "text", "is_complaint", "category", "urgent",
                "intent"} <= set(x) for x in lines)


def test_unknown_category_is_refused_with_the_choices(chat):
    chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
    case_id = _case_id(chat)
    answer = chat.say("u-zhao", f"/改类 #{case_id} 外星人")[0]
    assert "没有“外星人”这个类别" in answer and "电梯" in answer


def test_emergency_inside_an_open_discussion_opens_an_urgent_case(chat):
    chat.say("u-li", "/议题 加装电梯")
    chat.say("u-li", "/开始 T1")
    assert chat.say("u-zhang", "我觉得加装电梯挺好的") == []
    replies = chat.say("u-laoliu", "救命啊 2号楼电梯里关着人了", sender_name="刘大爷")
    assert replies and replies[0].startswith("【紧急】已受理 #"), replies
    assert "@王师傅" in replies[1]                      # the ping to staff


def test_danger_joining_an_open_case_raises_it_and_pings_again(chat, bot):
    chat.say("u-zhang", "3号楼的电梯坏了 一直停在一楼")
    case_id = _case_id(chat)
    replies = chat.say("u-gao", "3号楼电梯里困人了 快来人啊！！", sender_name="高先生")
    urgent = [r for r in replies if r.startswith("【紧急】")]
    assert urgent and f"#{case_id}" in urgent[0] and "@王师傅" in urgent[0], replies
    with bot.store.transaction() as repos:
        case = repos.cases.get(case_id)
        assert case.urgent
        assert "urgent" in [e.kind for e in repos.cases.events(case_id)]


def test_an_emergency_elsewhere_is_never_folded_into_a_case_without_a_place(chat, bot):
    chat.say("u-zhang", "电梯又坏了 物业能不能管管")
    vague = _case_id(chat)
    replies = chat.say("u-gao", "我们6号楼的电梯也不动了，困了一个老人在里面！！",
                       sender_name="高先生")
    assert replies[0].startswith("【紧急】已受理 #") and "6号楼" in replies[0], replies
    assert "电梯困人" in replies[0] and "@王师傅" in replies[1]
    assert _case_id(chat) != vague
    # the same words again without a place still join the vague case
    joined = chat.say("u-laoliu", "电梯又坏了 物业能不能管管 我也是")
    assert f"#{vague}" in joined[0]


def test_different_buildings_are_different_cases(chat):
    ids = set()
    for n in (2, 5, 9):
        chat.say(f"u-r{n}", f"{n}号楼1单元电梯坏了")
        ids.add(_case_id(chat))
    assert len(ids) == 3
