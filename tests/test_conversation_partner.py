"""Issue 11's remaining gaps, each as a conversation through the bridge: a repairman's plain
words read by general rules (a result needs 了 or 已; a part done, for now, or under way is
progress; a dispatch acknowledges; never a fix when negated or asked), urgent cases open to
any staff member, repeats kept apart by place and by words, an urgent chaser joining the
person's own case, a problem back before the rating reopening its case, and scheduled
posts due together (or within `scheduler.gather_window`) for overlapping people going out
as one message.  The wordings are new, not the blind week's."""

from __future__ import annotations

from datetime import datetime, timedelta

from scheduler.tick import run_tick
from tests.conftest import TZ


def t(day: int, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 11, day, hours, minutes, tzinfo=TZ)


def _open(chat, sender="u-zhang", text="3号楼2单元楼道灯坏了三天了") -> int:
    replies = chat.say(sender, text)
    assert replies and replies[0].startswith(("已受理", "【紧急】已受理")), replies
    return chat.last["replies"][0]["case_id"]


def _state(bot, case_id) -> tuple[str, list[str]]:
    with bot.store.transaction() as repos:
        case = repos.cases.get(case_id)
        return case.state, [e.kind for e in repos.cases.events(case_id)]


def _case_ids(chat) -> list[int]:
    return [r["case_id"] for r in chat.last["replies"] if r.get("case_id")]


# --- staff in plain words -----------------------------------------------------------------------

def test_a_result_still_to_come_is_progress_a_result_with_le_is_a_fix(chat, bot, clock):
    n = _open(chat, "u-gao", "6号楼门禁坏了，刷卡没反应")
    clock.advance(minutes=5)
    assert chat.say("u-wang", "门禁中午前弄好")[0].startswith(f"#{n} 已由 王师傅 签收")
    assert _state(bot, n) == ("in_progress", ["opened", "acknowledged", "progress"])
    clock.advance(hours=2)
    assert chat.say("u-wang", "门禁弄好了")[0].startswith(f"#{n} 已办结（王师傅）")


def test_a_part_done_for_now_or_under_way_is_progress(chat, bot, clock):
    n = _open(chat, "u-gao", "5号楼2单元水管漏水了，地上都是水")
    clock.advance(minutes=5)
    chat.say("u-wang", f"/接单 #{n}")
    assert chat.say("u-wang", "临时接好了 明天换新管子")[0].startswith(f"#{n} 进展（王师傅）")
    assert chat.say("u-wang", "人到了 正在查漏点")[0].startswith(f"#{n} 进展（王师傅）")
    state, events = _state(bot, n)
    assert state == "in_progress" and events.count("progress") == 2


def test_not_done_or_a_question_is_never_a_fix(chat, bot, clock):
    n = _open(chat, "u-gao", "6号楼门禁坏了，刷卡没反应")
    chat.say("u-wang", f"/接单 #{n}")
    clock.advance(minutes=30)
    assert chat.say("u-wang", "还没好 等零件")[0].startswith(f"#{n} 进展（王师傅）")
    chat.say("u-wang", "修好了吗？")
    assert _state(bot, n)[0] == "in_progress"


def test_sending_someone_acknowledges(chat, bot, clock):
    n = _open(chat, "u-gao", "3号楼门口垃圾好几天没人清了，臭死了")       # cleaning: 周阿姨
    clock.advance(minutes=3)
    assert chat.say("u-zhou", "马上叫保洁小刘过去")[0].startswith(f"#{n} 已由 周阿姨 签收")


def test_news_in_an_acknowledgement_of_a_taken_case_is_progress(chat, bot, clock):
    n = _open(chat, "u-gao", "6号楼门禁坏了，刷卡没反应")
    chat.say("u-wang", f"/接单 #{n}")
    clock.advance(hours=2)
    assert chat.say("u-wang", "我现在过去了")[0].startswith(f"#{n} 进展（王师傅）")
    assert chat.say("u-wang", "收到") == []                         # a bare 收到: nothing new
    assert _state(bot, n)[1].count("progress") == 1


def test_a_fix_named_by_the_flat_upstairs_finds_the_case_of_that_building(chat, bot, clock):
    n = _open(chat, "u-laoliu", "3号楼2单元501卫生间天花板渗水 楼上漏下来的")
    _open(chat, "u-gao", "8号楼电梯坏了，按钮没反应")
    clock.advance(hours=3)
    assert chat.say("u-wang", "3号楼601上去看了 接头换好了")[0].startswith(
        f"#{n} 已办结（王师傅）")


def test_any_staff_member_may_act_on_an_urgent_case(chat, bot, clock):
    n = _open(chat, "u-xiaosun", "5号楼3单元楼道里一股煤气味")     # routed to 陈经理, 赵网格
    clock.advance(minutes=2)
    assert chat.say("u-wang", "我这就过去")[0].startswith(f"#{n} 已由 王师傅 签收")
    clock.advance(minutes=30)
    assert chat.say("u-chen", "燃气公司的人也在路上了")[0].startswith(f"#{n} 进展（陈经理）")
    assert chat.say("u-wang", "5号楼查过了 阀门关好了 没事了")[0].startswith(
        f"#{n} 已办结（王师傅）")


def test_several_candidates_are_named_in_the_question(chat, bot, clock):
    a = _open(chat)
    b = _open(chat, "u-gao", "8号楼电梯坏了，按钮没反应")
    clock.advance(hours=2)                                         # no ping is recent
    question = chat.say("u-wang", "下午挨个过去看看")[0]
    assert question.startswith("请问是哪一件？") and f"#{a} " in question and f"#{b} " in question


# --- repeats ------------------------------------------------------------------------------------

def test_placeless_complaints_about_different_things_are_two_cases(chat, clock):
    a = _open(chat, "u-gao", "物业费凭什么又涨了 谁同意的")
    clock.advance(minutes=30)
    b = _open(chat, "u-laoliu", "我交了物业费 收据到现在都没给我")
    assert a != b
    clock.advance(minutes=5)
    chat.say("u-zhang", "我也是，物业费的收据也没给我")              # “me too”: the newest
    assert _case_ids(chat)[0] == b


def test_me_too_without_a_place_joins_the_case_just_reported(chat, clock):
    a = _open(chat, "u-gao", "8号楼2单元下水道堵了，污水都冒上来了")
    clock.advance(minutes=10)
    reply = chat.say("u-laoliu", "我家也一样 厨房下水也不通")[0]
    assert f"#{a}" in reply and "共 2 位邻居反映" in reply


def test_an_outage_without_a_place_is_the_estates(chat, clock):
    a = _open(chat, "u-gao", "停电了 什么情况")
    clock.advance(minutes=3)
    chat.say("u-laoliu", "怎么突然没电了 冰箱都停了")
    assert _case_ids(chat)[0] == a


# --- an emergency chaser by the same person -----------------------------------------------------

def test_urgent_words_soon_after_ones_own_case_chase_it(chat, bot, clock):
    n = _open(chat, "u-gao", "8号楼2单元楼上水管爆了 水顺着楼梯往下流")
    clock.advance(minutes=2)
    replies = chat.say("u-gao", "电表箱那边冒火花了")
    assert _case_ids(chat) == [n] * len(replies)                    # no second case
    assert replies[0].startswith(f"【紧急】#{n} ") and "⚠️" in replies[0]
    assert chat.last["replies"][0]["mentions"]                      # its people pinged again
    assert "followed_up" in _state(bot, n)[1]


def test_a_chaser_that_is_no_complaint_follows_the_case_up(chat, bot, clock):
    n = _open(chat, "u-gao", "5号楼电梯困人了 我妈在里面")
    clock.advance(minutes=4)
    replies = chat.say("u-gao", "人呢 快点啊")
    assert replies and _case_ids(chat)[0] == n
    assert "followed_up" in _state(bot, n)[1]
    clock.advance(hours=2)
    assert chat.say("u-gao", "人呢 快点啊") == []                     # long after: just chat


def test_the_problem_back_before_the_rating_reopens_its_case(chat, bot, clock):
    n = _open(chat, "u-gao", "3号楼门口垃圾好几天没人清了，臭死了")
    clock.advance(hours=1)
    chat.say("u-zhou", f"/办结 #{n} 清走了")
    clock.advance(hours=20)
    reply = chat.say("u-gao", "垃圾又没人收了 臭死了")[0]
    assert reply.startswith(f"#{n} ") and _case_ids(chat)[0] == n
    assert _state(bot, n)[0] == "reopened"


# --- what falls due together --------------------------------------------------------------------

def _tick(bot, receiver, when) -> list[dict]:
    before = len(receiver.posts)
    run_tick(bot, when)
    return [p for p in receiver.posts[before:] if p["kind"] != "digest"]


def test_a_nudge_and_a_reminder_for_the_same_person_are_one_message(chat, bot, receiver,
                                                                     clock):
    clock.set(t(24, "10:00"))
    old = _open(chat, "u-gao", "6号楼门禁坏了，刷卡没反应")
    clock.set(t(24, "10:10"))
    chat.say("u-wang", f"/接单 #{old}")                              # nudge due 25th 10:10
    clock.set(t(25, "08:10"))
    new = _open(chat, "u-laoliu", "8号楼电梯坏了，按钮没反应")         # 50 % at 10:10
    posts = _tick(bot, receiver, t(25, "10:10"))
    mine = [p for p in posts if "u-wang" in p["mentions"]]
    assert len(mine) == 1, posts
    text = mine[0]["text"]
    assert f"#{old} " in text and f"#{new} " in text and "共 2 件。" in text


def test_reminders_a_minute_apart_wait_for_each_other(chat, bot, receiver, clock):
    cases = []
    for i in range(3):                                             # 10:00, 10:01, 10:02
        clock.set(t(24, "10:00") + timedelta(minutes=i))
        cases.append(_open(chat, f"r-{i}", f"{i + 1}号楼楼道灯坏了"))
    sent = []
    when = t(24, "11:58")
    while when <= t(24, "12:10"):                                  # the scheduler's minutes
        sent += [(when, p) for p in _tick(bot, receiver, when)]
        when += timedelta(minutes=1)
    reminders = [(w, p) for w, p in sent if p["kind"] == "reminder"]
    assert len(reminders) == 1, reminders
    at, post = reminders[0]
    assert at == t(24, "12:02")                                     # the last one's minute
    assert all(f"#{n} " in post["text"] for n in cases)
    assert f"#{cases[0]} 公共设施损坏 1号楼：还有 1小时58分" in post["text"]  # worded when sent


# --- issue 11 bullets that had no test of their own ---------------------------------------------

def test_a_gate_street_lamp_is_not_a_corridor_light_elsewhere(chat, clock):
    light = _open(chat, "u-zhang", "3号楼2单元楼道灯坏了")
    clock.advance(minutes=20)
    lamp = _open(chat, "u-gao", "东门口的路灯不亮了")
    assert lamp != light


def test_the_complainants_when_will_it_be_fixed_gets_the_progress(chat, clock):
    n = _open(chat, "u-zhang", "3号楼2单元楼道灯坏了")
    chat.say("u-wang", f"#{n} 好的明天上午换灯泡")
    clock.advance(hours=3)
    reply = chat.say("u-zhang", "楼道灯什么时候能修好啊")
    assert reply and reply[0].startswith(f"您反映的问题已在 #{n} 登记"), reply
    assert "明天上午换灯泡" in reply[0]
