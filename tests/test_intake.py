"""The first capability end to end through the bridge: a complaint opens a case and pings
the routed staff; /报修, /工单, /帮助; the dispatcher's answers to unknown commands,
refusals and handler failures."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot import texts
from bot.dispatcher import Dispatcher, UsageError
from tests.contexts import make_context


def _case_id(chat) -> int:
    return chat.last["replies"][0]["case_id"]


def test_complaint_opens_case_and_pings_routed_role(chat, bot, clock):
    replies = chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了", sender_name="张阿姨")
    text = replies[0]
    assert text.startswith("已受理 #") and "公共设施损坏" in text and "3号楼2单元" in text
    assert "@王师傅" in replies[1]                     # facility -> repair
    case_id = _case_id(chat)
    with bot.store.transaction() as repos:
        case = repos.cases.get(case_id)
        assert case.state == "open" and case.category == "facility"
        assert case.location == {"building": "3", "unit": "2"}
        assert case.opened_at == clock()
        assert case.respond_by == clock() + timedelta(hours=4)
        assert case.resolve_by == clock() + timedelta(hours=72)
        assert [c.member.name for c in case.complainants] == ["张阿姨"]
        events = repos.cases.events(case_id)
        assert [e.kind for e in events] == ["opened"]
        assert events[0].data["pinged"] == ["u-wang"]


def test_new_case_thanks_the_resident_and_the_deadline_goes_to_staff(chat):
    """The resident reads thanks and what happens next, in two short lines, with no
    deadline and no @; the staff ping carries the problem in short and the deadline."""
    chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
    answer, ping = chat.last["replies"]
    n = answer["case_id"]
    assert answer["text"] == (f"已受理 #{n} 公共设施损坏 3号楼2单元，谢谢您告诉我们！\n"
                              "已通知负责的工作人员，有进展会在群里告诉您。")
    assert answer["mentions"] == [] and answer["kind"] == "reply"
    assert "签收" not in answer["text"] and "14:00" not in answer["text"]
    assert ping["kind"] == "ping" and ping["case_id"] == n and ping["mentions"] == ["u-wang"]
    assert ping["text"] == (f"新工单 #{n} 公共设施损坏 3号楼2单元：“3号楼2单元楼道灯坏了三天了”\n"
                            f"请在 11-24 14:00 前签收：回复“#{n} 收到”或发送 /接单 #{n}。\n"
                            "@王师傅")


def test_urgent_case_answer_has_safety_advice_and_no_deadline(chat):
    answer, ping = chat.say("u-zhang", "楼道里好大一股煤气味，是不是漏气了")
    assert answer.startswith("【紧急】已受理 #") and "谢谢您告诉我们" in answer
    assert "已通知工作人员马上处理，请先注意安全。" in answer and "燃气" in answer
    assert "签收" not in answer and "10:30" not in answer
    assert ping.startswith("【紧急】新工单 #") and "请在 11-24 10:30 前签收" in ping


def test_case_nobody_routed_asks_the_community(chat):
    """王师傅 reports a facility fault himself: nobody else holds the routed role, so the
    answer says the community was asked, and the ping goes to the community."""
    answer, ping = chat.say("u-wang", "/报修 3号楼楼道灯坏了")
    assert answer.endswith("已请社区安排人手处理，有进展会在群里告诉您。")
    assert "请社区在群里指派" in ping and "@赵网格" in ping and "@李书记" in ping
    assert chat.last["replies"][0]["mentions"] == []


def test_a_long_complaint_is_echoed_only_as_an_excerpt(chat):
    rant = ("5号楼2单元的电梯从上周五开始就时好时坏，昨天晚上又停在半路，"
            "我家老伴腿脚不好，只能一层一层爬上十二楼，物业电话打了三次都没人接，"
            "到底还有没有人管？")
    answer, ping = chat.say("u-zhang", rant)
    n = chat.last["replies"][0]["case_id"]
    assert rant[:10] not in answer                       # the resident is not read back
    assert f"“{texts.excerpt(rant, texts.QUOTE_CHARS)}”" in ping
    assert rant[texts.QUOTE_CHARS:] not in ping and len(ping) < len(rant) + 60
    detail = chat.say("u-gao", f"/工单 #{n}")[0]
    assert f"内容：{texts.excerpt(rant, texts.QUOTE_CHARS)}" in detail
    assert rant[texts.QUOTE_CHARS:] not in detail
    # a long follow-up by the same resident: its timeline line is an excerpt too
    more = "电梯还是不行，" + "物业到现在一个电话都没有回，大家都等着呢，" * 3
    chat.say("u-zhang", more)
    detail = chat.say("u-gao", f"/工单 #{n}")[0]
    assert f"：{texts.excerpt(more, texts.QUOTE_CHARS)}" in detail and more not in detail
    # words echoed in a refusal are cut short as well
    long_word = "不知道是哪一栋楼的哪一个单元的那个一直坏着的东西" * 2
    reply = chat.say("u-zhang", f"/工单 {long_word}")[0]
    assert long_word not in reply and texts.excerpt(long_word, texts.QUOTE_CHARS) in reply


def test_water_leak_pings_repair_and_default_pings_property_service(chat):
    chat.say("u-zhang", "楼上漏水，我家卫生间天花板一直在滴水")
    assert chat.last["replies"][1]["mentions"] == ["u-wang"]
    chat.say("u-gao", "物业费凭什么又涨价，服务一点没变好")
    assert chat.last["replies"][1]["mentions"] == ["u-chen"]


def test_urgent_complaint_gets_urgent_deadline(chat, bot, clock):
    replies = chat.say("u-zhang", "楼道里好大一股煤气味，是不是漏气了")
    assert replies[0].startswith("【紧急】已受理")
    with bot.store.transaction() as repos:
        case = repos.cases.get(_case_id(chat))
        assert case.urgent and case.respond_by == clock() + timedelta(minutes=30)


def test_staff_talk_does_not_open_cases(chat, bot):
    assert chat.say("u-wang", "3号楼楼道灯坏了，我下午去换") == []
    assert chat.say("u-li", "明天上午9点到12点停水检修，请大家提前储水") == []
    with bot.store.transaction() as repos:
        assert repos.cases.open_in_community("sunshine") == []


def test_report_command_skips_complaint_test(chat, bot):
    replies = chat.say("u-wang", "/报修 8号楼门口那块地砖有点松")
    assert replies[0].startswith("已受理 #")
    with bot.store.transaction() as repos:
        event = repos.cases.events(_case_id(chat))[0]
        assert event.data["via"] == "command"


def test_report_alias_and_glued_arguments(chat):
    assert chat.say("u-zhang", "/report 车库入口的道闸抬不起来")[0].startswith("已受理")
    assert chat.say("u-zhang", "/报修车棚的灯不亮")[0].startswith("已受理")


def test_report_without_text_gives_usage(chat):
    reply = chat.say("u-zhang", "/报修")[0]
    assert "用法：/报修 内容" in reply and "请在 /报修 后面写上问题" in reply


def test_cases_list_mine_overdue_and_detail(chat, clock):
    chat.say("u-zhang", "6号楼电梯坏了，困在半路下不去")
    first = _case_id(chat)
    chat.say("u-gao", "小区东门的门禁坏了刷不开")
    second = _case_id(chat)

    listing = chat.say("u-laoliu", "/工单")[0]
    assert f"#{first}" in listing and f"#{second}" in listing and "进行中的工单（2件）" in listing

    mine = chat.say("u-gao", "/工单 我的")[0]
    assert f"#{second}" in mine and f"#{first}" not in mine
    assert chat.say("u-laoliu", "/cases 我的")[0] == texts.NO_MY_CASES

    assert chat.say("u-zhang", "/工单 超时")[0] == texts.NO_OVERDUE_CASES
    clock.advance(hours=5)
    overdue = chat.say("u-zhang", "/工单 超时")[0]
    assert f"#{second}" in overdue and "超时" in overdue

    detail = chat.say("u-laoliu", f"/工单 #{second}")[0]
    assert f"工单 #{second}" in detail and "已受理" in detail and "诉求人：高先生" in detail
    assert "签收期限" in detail and "进展记录" in detail and "受理" in detail
    assert chat.say("u-laoliu", f"/工单#{second}")[0] == detail


def test_cases_unknown_number_and_bad_argument(chat):
    assert chat.say("u-zhang", "/工单 #999")[0] == texts.CASE_NOT_FOUND.format(case_id=999)
    reply = chat.say("u-zhang", "/工单 昨天那个")[0]
    assert "不是工单编号" in reply and "用法：/工单" in reply


def test_empty_list(chat):
    assert chat.say("u-zhang", "/工单")[0] == texts.NO_OPEN_CASES


def test_help_lists_commands(chat):
    reply = chat.say("u-zhang", "/帮助")[0]
    assert "/报修 内容" in reply and "/工单" in reply and "居民" in reply
    assert chat.say("u-zhang", "/help")[0] == reply
    assert "物业维修" in chat.say("u-wang", "@邻里助手 /帮助")[0]


def test_unknown_command_did_you_mean(chat):
    reply = chat.say("u-zhang", "/cass")[0]
    assert "是不是想用" in reply and "/工单" in reply
    reply = chat.say("u-zhang", "/halp")[0]
    assert "是不是想用" in reply and "/帮助" in reply
    reply = chat.say("u-zhang", "/完全不存在的命令")[0]
    assert reply == texts.UNKNOWN_COMMAND.format(name="完全不存在的命令")


def test_phone_numbers_masked_in_posts(chat, bot):
    text = "/报修 下水道堵 13812345678 110101199001011234"
    ping = chat.say("u-zhang", text)[1]            # the staff ping quotes the words
    assert "138****5678" in ping and "13812345678" not in ping
    assert "1101011990" not in ping                # the ID cut by the excerpt: still masked
    with bot.store.transaction() as repos:
        case = repos.cases.get(_case_id(chat))
        assert "13812345678" in case.text          # stored as typed
    ping = chat.say("u-gao", "/报修 5号楼门禁坏了 110101199001011234")[1]
    assert "110101********1234" in ping and "110101199001011234" not in ping


def test_handler_error_apologises_and_logs_msg_id(chat, bot, caplog):
    def boom(ctx, args):
        raise RuntimeError("database on fire")

    cmd = bot.dispatcher.find("工单")[0]
    object.__setattr__(cmd, "callback", boom)
    with caplog.at_level(logging.ERROR):
        replies = chat.say("u-zhang", "/工单", msg_id="boom-1")
    assert replies == [texts.INTERNAL_ERROR]
    assert "Traceback" not in replies[0] and "fire" not in replies[0]
    assert "boom-1" in caplog.text
    with bot.store.transaction() as repos:
        row = repos.inbound.recent_in_group("g-1", 1)[0]
        assert row.status == "failed" and "database on fire" in row.error


def test_handler_failure_rolls_back_its_changes(chat, bot):
    def half_done(ctx, args):
        ctx.repos.members.ensure("sunshine", "ghost", "幽灵", ctx.now)
        raise ValueError("later step failed")

    object.__setattr__(bot.dispatcher.find("帮助")[0], "callback", half_done)
    assert chat.say("u-zhang", "/帮助") == [texts.INTERNAL_ERROR]
    with bot.store.transaction() as repos:
        assert repos.members.by_external("sunshine", "ghost") is None


# --- the dispatcher on its own ---------------------------------------------------------------

@pytest.fixture
def dispatcher():
    d = Dispatcher()

    @d.command("关闭", "close", ability="moderate",
               refusal_hint="请联系社区书记。")
    def close(ctx, args):
        if not args:
            raise UsageError("请写明原因。")
        ctx.reply(f"closed {args}")

    d.add_listener("echo", lambda ctx: ctx.reply("heard") or True)
    return d


def test_role_refusal_says_who_may(dispatcher):
    ctx = make_context("/关闭 #3 重复", ["resident"])
    dispatcher.dispatch(ctx)
    expected = texts.not_allowed("关闭", ["社区/主持人", "街道"], "请联系社区书记。")
    assert ctx.replies[0].text == expected


def test_allowed_role_runs_command_and_usage_on_bad_args(dispatcher):
    ctx = make_context("/close #3 重复", ["moderator"])
    dispatcher.dispatch(ctx)
    assert ctx.replies[0].text == "closed #3 重复"
    ctx = make_context("／关闭", ["moderator"])
    dispatcher.dispatch(ctx)
    assert ctx.replies[0].text == "请写明原因。\n用法：/关闭 #编号 原因"


def test_commands_before_listeners(dispatcher):
    ctx = make_context("随便聊聊", ["resident"])
    dispatcher.dispatch(ctx)
    assert ctx.replies[0].text == "heard"


def test_duplicate_registration_rejected(dispatcher):
    with pytest.raises(ValueError):
        dispatcher.add_command(dispatcher.find("关闭")[0])


def test_listener_groups_run_in_order_and_stop_explicitly():
    from bot.dispatcher import Listener, ListenerGroup

    d = Dispatcher()
    heard = []

    def listener(name, handled):
        return Listener(name, lambda ctx: heard.append(name) or handled)

    d.add_listener_group(ListenerGroup("watch", stop=False, listeners=(
        listener("count", True), listener("never", True))))
    d.add_listener_group(ListenerGroup("answer", stop=True, listeners=(
        listener("pass", False), listener("take", True), listener("late", True))))
    d.add_listener_group(ListenerGroup("after", stop=True, listeners=(
        listener("unreached", True),)))
    d.dispatch(make_context("随便聊聊"))
    assert heard == ["count", "pass", "take"]
    with pytest.raises(ValueError):
        d.add_listener_group(ListenerGroup("watch", stop=True))


def test_a_group_not_in_the_config_joins_the_first_community_logged(chat, bot, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.domain.groups"):
        chat.say("u-new", "大家好", group_id="g-unlisted", group_name="未登记的群")
    assert "g-unlisted is not in the config" in caplog.text
    with bot.store.transaction() as repos:
        group = repos.groups.get("g-unlisted")
        assert group.community_id == bot.config.communities[0].id
        assert group.name == "未登记的群" and group.channel == "bridge"
