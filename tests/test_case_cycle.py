"""The case cycle end to end through the bridge: every case command and the plain-words
paths, with refusals by role, bad arguments and unknown case numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import texts


def _open(chat, sender="u-zhang", text="3号楼2单元楼道灯坏了三天了") -> int:
    replies = chat.say(sender, text)
    assert replies and replies[0].startswith(("已受理", "【紧急】已受理")), replies
    return chat.last["replies"][0]["case_id"]


def _case(bot, case_id):
    with bot.store.transaction() as repos:
        case = repos.cases.get(case_id)
        events = [e.kind for e in repos.cases.events(case_id)]
        return case, events


# --- staff: claim, progress, resolve -----------------------------------------------------

def test_claim_progress_resolve_and_rate_by_commands(chat, bot, clock):
    n = _open(chat)
    clock.advance(minutes=20)
    reply = chat.say("u-wang", f"/接单 #{n}")[0]
    assert reply == texts.case_acknowledged(n, "王师傅") + "\n@张阿姨"
    assert chat.last["replies"][0]["mentions"] == ["u-zhang"]
    case, _ = _case(bot, n)
    assert case.state == "acknowledged" and case.acknowledged_at == clock()
    assert case.assignee_id is not None

    reply = chat.say("u-wang", f"/进展 #{n} 灯管已买，下午换")[0]
    assert "进展（王师傅）：灯管已买，下午换" in reply
    assert _case(bot, n)[0].state == "in_progress"

    clock.advance(hours=3)
    chat.say("u-wang", f"/办结 #{n} 换了新灯管")
    out = chat.last["replies"][0]
    assert out["kind"] == "rating_request" and out["mentions"] == ["u-zhang"]
    assert "已办结" in out["text"] and "满意" in out["text"]
    assert _case(bot, n)[0].state == "resolved"

    assert chat.say("u-zhang", f"/评价 #{n} 满意 师傅很及时")[0] == texts.case_rated(n, "满意")
    case, events = _case(bot, n)
    assert case.state == "closed" and case.rating == "satisfied"
    assert events == ["opened", "acknowledged", "progress", "resolved", "rated"]
    detail = chat.say("u-zhang", f"/工单 #{n}")[0]
    assert "已关闭（满意）" in detail and "负责人：王师傅" in detail
    assert "签收" in detail and "灯管已买" in detail


def test_claim_twice_and_resolve_closed_are_refused(chat):
    n = _open(chat)
    chat.say("u-wang", f"/claim #{n}")
    reply = chat.say("u-wang", f"/接单 #{n}")[0]
    assert reply == texts.case_wrong_state(n, "已签收", "签收")
    chat.say("u-wang", f"/resolve #{n}")
    chat.say("u-zhang", "满意")
    assert "不能办结" in chat.say("u-wang", f"/办结 #{n}")[0]


def test_staff_of_another_trade_is_refused(chat):
    n = _open(chat)                                    # facility -> repair
    reply = chat.say("u-zhou", f"/接单 #{n}")[0]       # cleaning
    assert reply == texts.not_responsible(n)
    assert chat.say("u-zhao", f"/接单 #{n}")[0].startswith(f"#{n} 已由 赵网格 签收")


def test_residents_may_not_use_staff_commands(chat):
    n = _open(chat)
    reply = chat.say("u-gao", f"/接单 #{n}")[0]
    assert reply.startswith("抱歉，/接单 只有") and "物业维修" in reply
    assert texts.STAFF_ONLY_HINT in reply                      # and what to do instead


def test_staff_commands_bad_arguments_and_unknown_cases(chat):
    assert "用法：/接单 #编号" in chat.say("u-wang", "/接单")[0]
    assert "不是工单编号" in chat.say("u-wang", "/接单 十二")[0]
    assert chat.say("u-wang", "/接单 #404")[0] == texts.CASE_NOT_FOUND.format(case_id=404)
    n = _open(chat)
    assert "请写上进展内容" in chat.say("u-wang", f"/进展 #{n}")[0]
    assert "用法：/延期 #编号 时长 原因" in chat.say("u-wang", f"/延期 #{n} 2d")[0]
    assert "不是时长" in chat.say("u-wang", f"/延期 #{n} 明天 等配件")[0]


def test_extend_moves_resolution_deadline(chat, bot):
    n = _open(chat)
    before = _case(bot, n)[0].resolve_by
    reply = chat.say("u-wang", f"/延期 #{n} 2d 等厂家配件")[0]
    assert "办结期限延至" in reply and "等厂家配件" in reply
    assert _case(bot, n)[0].resolve_by == before + timedelta(days=2)
    assert "只有" in chat.say("u-zhang", f"/延期 #{n} 1d 我想等等")[0]


# --- plain words ---------------------------------------------------------------------------

def test_staff_plain_words_with_case_number(chat, bot):
    n = _open(chat)
    replies = chat.say("u-wang", f"#{n} 收到，马上到")
    assert replies[0].startswith(f"#{n} 已由 王师傅 签收")
    assert chat.say("u-wang", "马上到") == []          # already claimed: just chat
    replies = chat.say("u-wang", "处理好了，大家晚上可以放心走了")
    assert chat.last["replies"][0]["kind"] == "rating_request"
    assert _case(bot, n)[0].state == "resolved"


def test_staff_plain_words_quoting_the_bot(chat, bot):
    n = _open(chat)
    bot_text = chat.last["replies"][0]["text"]
    chat.say("u-wang", "好的马上过去", quote={"msg_id": "out-1", "text": bot_text})
    assert _case(bot, n)[0].state == "acknowledged"


def test_staff_quoting_the_residents_complaint_names_its_case(chat, bot):
    """Staff reply to the resident's own message (not the bot's): that message's case."""
    chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了", msg_id="w-light")
    light = chat.last["replies"][0]["case_id"]
    chat.say("u-laoliu", "4号楼1单元电梯又不动了，爬楼太累", msg_id="w-lift")
    lift = chat.last["replies"][0]["case_id"]
    quoted = {"msg_id": "w-lift", "text": "4号楼1单元电梯又不动了，爬楼太累"}
    assert chat.say("u-wang", "我这就过去", quote=quoted)[0].startswith(f"#{lift} 已由 王师傅 签收")
    assert _case(bot, lift)[0].state == "acknowledged"
    assert _case(bot, light)[0].state == "open"
    chat.say("u-wang", "4号楼1单元电梯好了 门机皮带松了 调好了 大家可以用了")
    assert _case(bot, lift)[0].state == "resolved"


@pytest.mark.parametrize("fix", [
    "8号楼下水通开了 里面掏出来一团抹布 大家别往下水道扔东西啊",
    "各位，8号楼2单元下水道已经疏通好了",
    "8号楼的下水管子换了，没事了",
])
def test_a_fix_said_to_everyone_is_still_a_fix(chat, bot, fix):
    n = _open(chat, text="8号楼2单元下水道堵了，一楼返水")
    chat.say("u-wang", f"#{n} 收到")
    chat.say("u-wang", fix)
    assert _case(bot, n)[0].state == "resolved", fix


def test_half_done_is_not_a_fix(chat, bot):
    n = _open(chat)
    chat.say("u-wang", f"#{n} 收到")
    chat.say("u-wang", "3号楼灯换了一半，还差五楼的")
    assert _case(bot, n)[0].state != "resolved"


def test_plain_words_need_a_case(chat):
    assert chat.say("u-wang", "收到") == []           # a 收到 to some notice
    a = _open(chat)
    b = _open(chat, "u-gao", "8号楼电梯坏了，按钮没反应")
    chat.say("u-wang", f"/接单 #{a}")
    chat.say("u-wang", f"/接单 #{b}")
    reply = chat.say("u-wang", "已修好")[0]
    assert reply.startswith("请问是哪一件？") and f"#{a} 3号楼2单元楼道灯" in reply
    assert f"#{b} 8号楼电梯坏了" in reply and "回复编号即可" in reply


def test_not_fixed_is_not_resolved(chat, bot):
    n = _open(chat)
    chat.say("u-wang", f"/接单 #{n}")
    reply = chat.say("u-wang", f"#{n} 还没修好，明天配件到")
    assert reply and not any("办结" in r for r in reply)  # answered, never as a resolution
    assert reply[0] == texts.case_progress(n, "王师傅", "还没修好，明天配件到") + "\n@张阿姨"
    case, events = _case(bot, n)
    assert case.state == "in_progress" and events[-1] == "progress"   # progress, as said


def _state(bot, case_id):
    case, events = _case(bot, case_id)
    return case.state, events


def test_staff_plans_and_fixes_in_plain_words_are_recorded(chat, bot, clock):
    """The issue's words: a plan or progress goes into the case and to its complainants;
    a fix resolves it; with several candidate cases the bot asks which."""
    a = _open(chat)                                             # routed to 王师傅 (repair)
    b = _open(chat, "u-gao", "8号楼电梯坏了，按钮没反应")
    c = _open(chat, "u-laoliu", "5号楼水管漏水了")
    clock.advance(minutes=5)
    reply = chat.say("u-wang", "收到，我明天一早过去看看")
    assert reply == [texts.which_case([(a, "3号楼2单元楼道灯坏了三天了"),
                                       (b, "8号楼电梯坏了，按钮没反应"),
                                       (c, "5号楼水管漏水了")]) + "\n@王师傅"]
    assert all(_state(bot, n)[0] == "open" for n in (a, b, c))       # nothing done yet
    reply = chat.say("u-wang", str(b))                         # the answer: “2”
    assert reply == [texts.case_acknowledged_with_progress(b, "王师傅", "收到，我明天一早过去看看")
                     + "\n@高先生"]
    assert _state(bot, b) == ("in_progress", ["opened", "acknowledged", "progress"])
    assert chat.say("u-wang", str(b)) == []                    # asked once, answered once

    # a plan naming its case: recorded and told to the complainant
    reply = chat.say("u-wang", f"#{a} 好的明天上午换灯泡")
    assert reply == [texts.case_acknowledged_with_progress(a, "王师傅", "好的明天上午换灯泡")
                     + "\n@张阿姨"]
    chat.say("u-wang", f"#{a} 灯泡买好了，下午换")
    state, events = _state(bot, a)
    assert state == "in_progress" and events.count("progress") == 2
    assert "好的明天上午换灯泡" in chat.say("u-zhang", f"/工单 #{a}")[0]

    # 周阿姨 has one case: her plain words act on it, and say which
    d = _open(chat, "u-zhang", "2号楼门口垃圾堆了好几天了，臭死了")   # cleaning
    assert chat.say("u-zhou", "好的 我明早去收") == [
        texts.case_acknowledged_with_progress(d, "周阿姨", "好的 我明早去收") + "\n@张阿姨"]
    chat.say("u-zhou", "垃圾已经清理干净了")
    assert chat.last["replies"][0]["kind"] == "rating_request"
    assert _state(bot, d)[0] == "resolved"

    # a false alarm checked and closed by 陈经理: a fix
    e = _open(chat, "u-xiaosun", "楼下好像有煤气味")               # property_service, grid
    chat.say("u-chen", "查过了，是隔壁在炒菜，已经关好通风了，没事了")
    out = chat.last["replies"][0]
    assert out["kind"] == "rating_request" and out["case_id"] == e
    assert _state(bot, e)[0] == "resolved"


def test_which_case_answers_wait_only_a_while(chat, bot, clock):
    a = _open(chat)
    b = _open(chat, "u-gao", "8号楼电梯坏了，按钮没反应")
    assert chat.say("u-wang", "已修好")[0].startswith("请问是哪一件？")
    clock.advance(minutes=11)                                  # cases.ask_answer_window: 10m
    assert chat.say("u-wang", f"#{a}")[0].startswith(f"#{a} ")    # just the case's progress
    assert _state(bot, a)[0] == "open"
    assert chat.say("u-wang", str(b)) == []
    assert chat.say("u-gao", "已修好") == []                    # residents' words: not staff's


def test_an_acknowledgement_answers_the_latest_ping(chat, bot, clock):
    old = _open(chat)
    clock.advance(hours=2)
    new = _open(chat, "u-gao", "8号楼电梯坏了，按钮没反应")
    assert chat.say("u-wang", "收到")[0] == texts.case_acknowledged(new, "王师傅") + "\n@高先生"
    assert _state(bot, new)[0] == "acknowledged" and _state(bot, old)[0] == "open"
    # now the one left waiting is the only candidate
    assert chat.say("u-wang", "收到")[0].startswith(f"#{old} 已由 王师傅 签收")
    assert chat.say("u-wang", "收到") == []                     # nothing left to acknowledge


def test_staff_notices_and_other_trades_cases_are_left_alone(chat, bot):
    n = _open(chat)                                             # repair's
    assert chat.say("u-wang", "明天上午9点到12点停水检修，请大家提前储水") == []
    assert chat.say("u-wang", "各位早，今天安排：上午换楼道灯，下午修门禁") == []
    assert chat.say("u-zhou", "好的 我明早去收") == []           # cleaning has no case here
    assert chat.say("u-chen", "已经处理好了") == []              # nor property_service
    assert _state(bot, n) == ("open", ["opened"])


def test_a_manager_relays_a_colleagues_work(chat, bot, clock):
    """陈经理 says what 王师傅 is doing: the case is signed for on 王师傅's behalf and the
    words go into its timeline; 王师傅 then resolves it himself."""
    n = _open(chat)                                             # repair's: 王师傅
    reply = chat.say("u-chen", "收到！王师傅马上到")[0]
    assert reply.startswith(f"#{n} 已由 陈经理 安排 王师傅 处理。进展：收到！王师傅马上到")
    assert chat.last["replies"][0]["mentions"] == ["u-wang", "u-zhang"]  # he learns it
    state, kinds = _state(bot, n)
    assert state == "in_progress" and kinds[-2:] == ["acknowledged", "progress"]
    assert chat.say("u-chen", "王师傅已经在路上了")[0].startswith(f"#{n} 进展（陈经理）")
    assert chat.say("u-wang", "3号楼的灯换好了")[0].startswith(f"#{n} 已办结（王师傅）")
    # words that only address a colleague relay nothing
    m = _open(chat, "u-gao", "8号楼电梯坏了，按钮没反应")
    assert chat.say("u-chen", "@王师傅 收到") == []
    clock.advance(minutes=1)
    reply = chat.say("u-chen", "@王师傅 8号楼电梯你先去看一下")[0]
    assert reply.startswith(f"#{m} 已由 陈经理 安排 王师傅 处理")


def test_what_an_unnamed_reply_says_picks_its_case(chat, bot, clock):
    """The residents it @-mentions, the place and the things it names tell which case."""
    a = _open(chat)                                                  # 3号楼 light, 张阿姨
    b = _open(chat, "u-gao", "8号楼电梯坏了，按钮没反应")            # 高先生
    c = _open(chat, "u-laoliu", "6号楼门禁坏了，刷卡没反应")          # 刘大爷
    clock.advance(hours=2)                                           # no ping is recent
    assert chat.say("u-wang", "@高先生 收到，下午过去看看")[0].startswith(
        texts.case_acknowledged_with_progress(b, "王师傅", "@高先生 收到，下午过去看看"))
    assert chat.say("u-wang", "3号楼的灯换好了")[0].startswith(f"#{a} 已办结（王师傅）")
    assert chat.say("u-wang", "@周阿姨 收到") == []                 # a colleague: none of his
    assert chat.say("u-wang", "@孙女士 收到，马上去") == []          # she raised nothing
    assert _state(bot, c)[0] == "open"
    # things it names: 门禁 is the third case's
    assert chat.say("u-wang", "门禁的读卡器订了，明天到")[0].startswith(f"#{c} 已由 王师傅 签收")


def test_a_fix_goes_to_the_case_taken_a_plan_to_the_latest_ping(chat, bot, clock):
    taken = _open(chat)
    chat.say("u-wang", f"/接单 #{taken}")
    clock.advance(hours=2)
    new = _open(chat, "u-gao", "8号楼电梯坏了，按钮没反应")
    other = _open(chat, "u-laoliu", "5号楼水管漏水了")
    clock.advance(minutes=20)
    again = _open(chat, "u-xiaosun", "6号楼门禁坏了，刷卡没反应")
    # a fix: the case the sender has taken, not the ones just reported
    assert chat.say("u-wang", "已经修好了")[0].startswith(f"#{taken} 已办结（王师傅）")
    # a plan: the case the bot @-mentioned him about just now
    assert chat.say("u-wang", "好的，下午过去")[0].startswith(f"#{again} 已由 王师傅 签收。进展")
    assert _state(bot, new)[0] == _state(bot, other)[0] == "open"


def test_many_candidates_a_bare_acknowledgement_is_chat_a_plan_asks(chat, bot, clock):
    texts_ = ["3号楼楼道灯坏了", "8号楼电梯坏了，按钮没反应", "5号楼水管漏水了",
              "6号楼门禁坏了，刷卡没反应", "2号楼单元门关不上了", "7号楼楼道灯也不亮了"]
    ids = [_open(chat, f"u-r{i}", t) for i, t in enumerate(texts_)]
    clock.advance(hours=2)
    assert chat.say("u-wang", "收到") == []                          # tells nothing
    reply = chat.say("u-wang", "好的，我下午挨个去看")[0]
    assert reply == texts.which_case_of_many(len(ids), ids[-1]) + "\n@王师傅"
    assert chat.say("u-wang", "好的，我下午挨个去看") == []           # asked once an hour
    assert chat.say("u-wang", f"{ids[3]}") == [texts.case_acknowledged_with_progress(
        ids[3], "王师傅", "好的，我下午挨个去看") + "\n@u-r3"]


def test_staff_plain_words_on_someone_elses_case_refused(chat):
    n = _open(chat)
    assert chat.say("u-zhou", f"#{n} 收到")[0] == texts.not_responsible(n)


# --- ratings -----------------------------------------------------------------------------------

@pytest.mark.parametrize("words,rating", [("满意", "satisfied"), ("还行吧", "basic"),
                                          ("基本满意", "basic")])
def test_plain_rating_words(chat, bot, words, rating):
    n = _open(chat)
    chat.say("u-wang", f"/办结 #{n}")
    chat.say("u-zhang", words)
    case, _ = _case(bot, n)
    assert case.state == "closed" and case.rating == rating


def test_unsatisfied_reopens_and_calls_grid_worker_and_moderator(chat, bot):
    n = _open(chat)
    chat.say("u-wang", f"/接单 #{n}")
    chat.say("u-wang", f"/办结 #{n}")
    reply = chat.say("u-zhang", "没修好，晚上还是不亮")[0]
    out = chat.last["replies"][0]
    assert reply.startswith(f"#{n} 诉求人不满意") and out["kind"] == "escalation"
    assert out["mentions"] == ["u-wang", "u-zhao", "u-li"]
    case, events = _case(bot, n)
    assert case.state == "reopened" and events[-2:] == ["rated", "reopened"]
    # the case can be worked and resolved again
    chat.say("u-wang", f"/办结 #{n} 换了整条线路")
    chat.say("u-zhang", f"/评价 #{n} 满意")
    assert _case(bot, n)[0].rating == "satisfied"


def test_rating_refusals(chat):
    n = _open(chat)
    assert chat.say("u-zhang", f"/评价 #{n} 满意")[0] == texts.case_wrong_state(n, "已受理", "评价")
    chat.say("u-wang", f"/办结 #{n}")
    assert chat.say("u-gao", f"/评价 #{n} 满意")[0] == texts.not_complainant(n, "评价")
    assert texts.RATE_USAGE_HINT in chat.say("u-zhang", f"/评价 #{n} 很好")[0]
    assert chat.say("u-gao", "满意") == []              # not waiting for this neighbour


def test_withdraw(chat, bot):
    n = _open(chat)
    assert chat.say("u-gao", f"/撤回 #{n}")[0] == texts.not_complainant(n, "撤回")
    assert chat.say("u-zhang", f"/撤回 #{n}")[0] == texts.case_withdrawn(n)
    assert _case(bot, n)[0].state == "withdrawn"
    assert "已撤回" in chat.say("u-zhang", f"/撤回 #{n}")[0]


# --- coordination --------------------------------------------------------------------------------

def test_assign_by_mention(chat, bot):
    n = _open(chat, text="物业前台电话一直没人接，打了一上午")
    reply = chat.say("u-zhao", f"/指派 #{n} @王师傅", mentions=["u-wang"])[0]
    assert reply.startswith(texts.case_assigned(n, "王师傅"))
    assert chat.last["replies"][0]["mentions"] == ["u-wang"]
    case, _ = _case(bot, n)
    assert case.state == "assigned"
    # the assignee may now work on it although the category is not routed to him
    assert chat.say("u-wang", f"/接单 #{n}")[0].startswith(f"#{n} 已由 王师傅 签收")
    assert f"#{n}" in chat.say("u-wang", "/工单 我的")[0]        # his cases include it


def test_assign_by_name_and_refusals(chat):
    n = _open(chat)
    assert "已指派给 陈经理" in chat.say("u-li", f"/assign #{n} @陈经理")[0]
    assert chat.say("u-li", f"/指派 #{n} @不存在的人")[0] == texts.MEMBER_NOT_FOUND.format(
        who="不存在的人")
    assert "请 @ 要指派的人" in chat.say("u-li", f"/指派 #{n}")[0]
    assert "只有网格员" in chat.say("u-wang", f"/指派 #{n} @陈经理")[0]


def test_the_person_named_in_the_text_wins_over_the_mention_order(chat, bot):
    """Hardening #13: `/指派 #2 @周阿姨` with the mentions listed the other way round."""
    n = _open(chat)
    chat.say("u-zhao", f"/指派 #{n} @周阿姨", mentions=["u-wang", "u-zhou"])
    assert chat.last["replies"][0]["text"].startswith(texts.case_assigned(n, "周阿姨"))
    assert chat.last["replies"][0]["mentions"] == ["u-zhou"]
    with bot.store.transaction() as repos:
        assert repos.members.get(repos.cases.get(n).assignee_id).external_id == "u-zhou"
    # two people named: the first in the text, whatever the list says
    chat.say("u-zhao", f"/指派 #{n} @陈经理 @王师傅", mentions=["u-wang", "u-chen"])
    assert chat.last["replies"][0]["mentions"] == ["u-chen"]
    # a group nickname that starts with the roster name
    chat.say("u-zhao", f"/指派 #{n} @周阿姨(保洁)", mentions=["u-wang", "u-zhou"])
    assert chat.last["replies"][0]["mentions"] == ["u-zhou"]
    # a nickname the roster does not know: the mentioned person
    chat.say("u-zhao", f"/指派 #{n} @小王", mentions=["u-wang"])
    assert chat.last["replies"][0]["mentions"] == ["u-wang"]
    # a name in the text that was not picked from the list still wins
    chat.say("u-zhao", f"/指派 #{n} @陈经理", mentions=["u-wang"])
    assert chat.last["replies"][0]["mentions"] == ["u-chen"]


def test_role_names_the_person_in_the_text(chat, bot):
    reply = chat.say("u-li", "/角色 @高先生 保洁", mentions=["u-zhang", "u-gao"])[0]
    assert "高先生" in reply and "张阿姨" not in reply
    with bot.store.transaction() as repos:
        assert repos.members.by_external("sunshine", "u-gao").role_codes == {"cleaning"}
        assert repos.members.by_external("sunshine", "u-zhang").role_codes == {"resident"}


def test_escalate_climbs_tiers_to_the_top(chat, bot):
    n = _open(chat)
    chat.say("u-zhao", f"/升级 #{n} 三天没人管")
    out = chat.last["replies"][0]
    assert out["kind"] == "escalation" and "居民区" in out["text"] and "三天没人管" in out["text"]
    assert out["mentions"] == ["u-zhao", "u-li"]
    chat.say("u-li", f"/escalate #{n}")
    assert chat.last["replies"][0]["mentions"] == ["u-liu"]
    assert _case(bot, n)[0].tier == 3
    assert chat.say("u-li", f"/升级 #{n}")[0] == texts.case_at_top_tier(n)
    assert "当前层级：街道" in chat.say("u-zhang", f"/工单 #{n}")[0]


def test_transfer_and_followup(chat, bot):
    n = _open(chat, text="整栋楼停电了，5号楼一点电都没有")
    reply = chat.say("u-zhao", f"/转办 #{n} 供电公司 外线故障")[0]
    assert reply.startswith(texts.case_transferred(n, "供电公司", "外线故障"))
    case, _ = _case(bot, n)
    assert case.state == "transferred" and case.transferred_to == "供电公司"
    assert "已转办：供电公司" in chat.say("u-zhang", f"/工单 #{n}")[0]
    assert f"#{n}" in chat.say("u-zhang", "/工单")[0]    # still followed up as open
    assert "请写上承办单位" in chat.say("u-zhao", f"/转办 #{n}")[0]


def test_merge(chat, bot):
    a = _open(chat, "u-zhang", "3号楼楼道灯坏了")
    b = _open(chat, "u-gao", "小区东门门禁坏了刷不开")
    reply = chat.say("u-zhao", f"/合并 #{a} #{b}")[0]
    assert reply.startswith(texts.case_merged(a, b, 2))
    source, _ = _case(bot, a)
    target, _ = _case(bot, b)
    assert source.state == "merged" and source.merged_into == b
    assert len(target.complainants) == 2
    # each timeline says which way it went: #a went into #b, #b took in #a
    folded = chat.say("u-laoliu", f"/工单 #{a}")[0].splitlines()
    assert folded[-1].endswith(f"赵网格 合并：并入 #{b}"), folded
    kept = chat.say("u-laoliu", f"/工单 #{b}")[0].splitlines()
    assert kept[-2].endswith(f"张阿姨 追加诉求人：由 #{a} 并入"), kept
    assert kept[-1].endswith(f"赵网格 合并：由 #{a} 并入"), kept
    assert not any(f"并入 #{a}" in line for line in kept)
    assert chat.say("u-laoliu", f"#{a} 怎么样了")[0].endswith(
        f"目前状态：已并入 #{b}，进展请看 #{b}。")
    assert chat.say("u-zhao", f"/合并 #{b} #{b}")[0] == texts.MERGE_SAME
    assert "请写两个工单编号" in chat.say("u-zhao", f"/合并 #{a}")[0]
    assert chat.say("u-zhao", f"/合并 #{a} #999")[0] == texts.CASE_NOT_FOUND.format(case_id=999)


def test_status_wording_never_contradicts_itself(chat):
    """Waiting for a 签收 only while nobody has the case: a transferred or a closed case
    does not say it is waiting."""
    n = _open(chat, "u-zhang", "5号楼门口的路灯不亮了")
    assert chat.say("u-gao", f"#{n} 怎么样了")[0] == \
        f"#{n} 公共设施损坏 5号楼，目前状态：已受理，正在等待工作人员签收。"
    chat.say("u-zhao", f"/转办 #{n} 供电公司 外线故障")
    status = chat.say("u-gao", f"#{n} 怎么样了")[0]
    assert status == f"#{n} 公共设施损坏 5号楼，目前状态：已转办给供电公司，社区会继续跟进。"
    mine = chat.say("u-zhang", f"#{n} 怎么样了")[0]
    assert "目前状态：已转办给供电公司，社区会继续跟进。" in mine and "等待" not in mine
    detail = chat.say("u-gao", f"/工单 #{n}")[0]
    assert "负责人：无" in detail and "待签收" not in detail and "已转办：供电公司" in detail
    m = _open(chat, "u-gao", "2号楼门禁坏了刷不开")
    assert "负责人：待签收" in chat.say("u-laoliu", f"/工单 #{m}")[0]
    chat.say("u-li", f"/关闭 #{m} 已与物业当面沟通")
    closed = chat.say("u-laoliu", f"#{m} 怎么样了")[0]
    assert closed.endswith("目前状态：已关闭（未评价）。") and "等待" not in closed
    o = _open(chat, "u-laoliu", "3号楼楼道灯坏了")
    chat.say("u-wang", f"/接单 #{o}")
    assert chat.say("u-gao", f"#{o} 怎么样了")[0].endswith("目前状态：已签收，负责人：王师傅。")


def test_close_by_moderator_only(chat, bot):
    n = _open(chat)
    assert "只有社区/主持人" in chat.say("u-zhao", f"/关闭 #{n} 重复")[0]
    assert "请写上关闭原因" in chat.say("u-li", f"/关闭 #{n}")[0]
    assert chat.say("u-li", f"/关闭 #{n} 已线下解决")[0].startswith(
        texts.case_closed(n, "已线下解决"))
    case, _ = _case(bot, n)
    assert case.state == "closed" and case.rating is None
    assert "已关闭（未评价）" in chat.say("u-zhang", f"/工单 #{n}")[0]


def test_role_command(chat, bot):
    assert chat.say("u-li", "/角色 @刘大爷 网格员", mentions=["u-laoliu"])[0] == texts.role_set(
        "刘大爷", "网格员")
    assert chat.say("u-li", "/角色 @刘大爷 网格员")[0] == texts.role_unchanged("刘大爷", "网格员")
    assert "不认识这个角色" in chat.say("u-li", "/角色 @刘大爷 队长")[0]
    assert "只有社区/主持人" in chat.say("u-zhao", "/角色 @刘大爷 居民")[0]
    n = _open(chat)
    assert chat.say("u-laoliu", f"/升级 #{n}")[0].startswith(f"#{n} 已升级")


# --- duplicates and group complaints ---------------------------------------------------------

def test_duplicates_join_and_become_group_complaint(chat, bot, clock):
    n = _open(chat, "u-zhang", "3号楼电梯又坏了，按了没反应")
    clock.advance(minutes=10)
    reply = chat.say("u-gao", "3号楼的电梯坏了，今天还没修")[0]
    assert f"#{n}" in reply and "共 2 位邻居反映" in reply
    clock.advance(minutes=10)
    reply = chat.say("u-laoliu", "3号楼电梯不动了，老人上不去")[0]
    assert "【群体诉求】" in reply and "共 3 位" in reply
    case, events = _case(bot, n)
    assert case.group_complaint and case.priority >= 1
    assert [c.member.name for c in case.complainants] == ["张阿姨", "高先生", "刘大爷"]
    assert events.count("joined") == 2
    assert "【群体诉求】" in chat.say("u-zhang", "/工单")[0]
    assert "【群体诉求】" in chat.say("u-zhang", f"/工单 #{n}")[0]


def test_same_complainant_repeating_gets_progress(chat):
    n = _open(chat, "u-zhang", "3号楼电梯又坏了，按了没反应")
    chat.say("u-wang", f"/进展 #{n} 等电梯公司来人")
    reply = chat.say("u-zhang", "3号楼电梯还是坏的，按了没反应")[0]
    assert reply.startswith(f"您反映的问题已在 #{n} 登记") and "等电梯公司来人" in reply


def test_different_place_opens_new_case(chat):
    a = _open(chat, "u-zhang", "3号楼电梯又坏了，按了没反应")
    b = _open(chat, "u-gao", "7号楼电梯坏了，按了没反应")
    assert a != b


def test_window_expired_opens_new_case(chat, clock):
    a = _open(chat, "u-zhang", "3号楼电梯又坏了，按了没反应")
    clock.advance(hours=73)
    assert _open(chat, "u-gao", "3号楼电梯又坏了，按了没反应") != a


# --- urgency ----------------------------------------------------------------------------------

def test_urgent_gas_gets_safety_advice(chat):
    reply = chat.say("u-zhang", "2单元楼道里一股很浓的煤气味，好像漏气了")[0]
    assert reply.startswith("【紧急】") and texts.SAFETY_ADVICE["gas"] in reply


def test_urgent_fire_advice(chat):
    reply = chat.say("u-zhang", "5号楼地下室着火了，一直在冒烟")[0]
    assert "119" in reply


# --- stats ---------------------------------------------------------------------------------------

def test_stats_rates(chat, clock):
    a = _open(chat, "u-zhang", "3号楼楼道灯坏了")
    b = _open(chat, "u-gao", "小区东门门禁坏了刷不开")
    _open(chat, "u-laoliu", "9号楼下水道堵了，污水往外冒")
    clock.advance(hours=1)
    chat.say("u-wang", f"/接单 #{a}")
    chat.say("u-wang", f"/办结 #{a}")
    chat.say("u-zhang", "满意")
    clock.advance(hours=5)                      # b and c are now past their response deadline
    chat.say("u-wang", f"/办结 #{b}")
    chat.say("u-gao", "不满意")
    text = chat.say("u-li", "/统计")[0]
    assert text.startswith("本月工单统计：新受理 3 件")
    assert "响应率 33%（1/3）" in text
    assert "解决率 33%（1/3）" in text
    assert "满意率 50%（1/2）" in text
    assert "重新处理 1 件" in text
    assert "签收用时：平均 3小时30分，90% 在 6小时 内" in text   # b: acknowledged by /办结
    assert "办结用时：平均 1小时" in text                      # a only: b was reopened
    assert chat.say("u-li", "/统计 本周")[0].startswith("本周工单统计")
    assert "请写 本周 或 本月" in chat.say("u-li", "/统计 去年")[0]


# --- a resident's next message: a chaser of their case, or a new problem ---------------------

def test_a_chaser_follows_the_residents_own_case(chat, bot):
    n = _open(chat, "u-gao", "5号楼402装修砸墙，中午都不停")
    reply = chat.say("u-gao", "还是吵得不行 怎么还没人来")
    assert f"#{n}" in reply[0] and len(_cases_of(bot)) == 1


def test_danger_at_another_place_is_never_folded_into_the_residents_old_case(chat, bot):
    """小雨妈妈 reported a missing manhole cover (no building); days later her fire report
    in 6号楼 opens its own urgent case instead of chasing the manhole case."""
    manhole = _open(chat, "u-xiaosun", "快来人啊 10号楼和6号楼中间那个井盖不见了 小孩差点掉下去")
    reply = chat.say("u-xiaosun", "救命 6号楼地下室往外冒烟 好大一股焦味 是不是着火了")
    fire = chat.last["replies"][0]["case_id"]
    assert reply[0].startswith("【紧急】已受理") and fire != manhole
    glass = chat.say("u-xiaosun", "6号楼2单元楼道窗户玻璃碎了一块 冷风往里灌")
    assert glass[0].startswith("已受理") and chat.last["replies"][0]["case_id"] not in (
        manhole, fire)


def test_another_problem_at_the_same_place_is_a_new_case(chat, bot):
    heating = _open(chat, "u-zhang", "7号楼1单元暖气片冰凉冰凉的 昨晚冻得睡不着")
    chat.say("u-zhang", "都三点半了7号楼1单元还没来水 不是说三点吗")
    water = chat.last["replies"][0]["case_id"]
    assert water != heating


def _cases_of(bot):
    with bot.store.transaction() as repos:
        return repos.cases.open_in_group("g-1")


def test_staff_news_naming_the_place_of_their_one_case_is_progress(chat, bot):
    n = _open(chat, "u-gao", "9号楼3单元晚上十点多还在装修砸墙，孩子睡不着")
    reply = chat.say("u-chen", "9号楼装修的我让保安上去敲门了")
    assert reply and reply[0].startswith(f"#{n}")
    assert "progress" in _case(bot, n)[1]


def test_a_relay_about_several_cases_asks_which(chat, bot, clock):
    """陈经理 relays 王师傅's plan with two of 王师傅's cases waiting: the bot asks which,
    and the number answers for the colleague."""
    a = _open(chat)
    b = _open(chat, "u-gao", "8号楼电梯坏了，按钮没反应")
    clock.advance(hours=2)                                      # no ping is recent
    assert chat.say("u-chen", "王师傅下午过去")[0].startswith("请问是哪一件？")
    assert chat.say("u-chen", f"#{b}")[0].startswith(f"#{b} 已由 陈经理 安排 王师傅 处理")
    assert _state(bot, b)[0] == "in_progress" and _state(bot, a)[0] == "open"
