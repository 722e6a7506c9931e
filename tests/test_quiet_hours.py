"""Time that makes sense at night: normal cases' response clocks stop in quiet hours
(urgent ones never do), a normal case's reminders and escalations wait for the morning
and are worded then, and what falls due together for the same people goes out as one
message listing the cases (number, category, place, how overdue) — through the bridge
and the tick, with a frozen clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from bot import create_app
from bot.config import CalendarConfig
from bot.domain.workdays import add_running_time, first_resume, running_time_between
from bot.events import Mention, Outgoing
from bot.outbox import BATCH_MAX_CHARS, batch_posts
from scheduler.tick import run_tick
from tests.conftest import TZ, Chat, make_config

LIGHTS = "{b}号楼楼道灯坏了"                       # 公共设施损坏 -> 王师傅 (repair)
RUBBISH = "{b}号楼门口垃圾好几天没人清了，臭死了"     # 环境卫生 -> 周阿姨 (cleaning)
GAS = "9号楼楼道里一股很浓的煤气味，好像漏气了"


def t(day: int, hhmm: str, month: int = 11) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, month, day, hours, minutes, tzinfo=TZ)


def tick(bot, receiver, when) -> list[dict]:
    """Run a tick; the posts it delivered, but the daily digest (18:00, or caught up in
    the evening)."""
    before = len(receiver.posts)
    run_tick(bot, when)
    return [p for p in receiver.posts[before:] if p["kind"] != "digest"]


def ticks(bot, receiver, start, end, every=timedelta(minutes=10)) -> list[tuple[datetime, dict]]:
    """Tick from start to end (inclusive); (when, post) for everything delivered."""
    out, when = [], start
    while when <= end:
        out += [(when, p) for p in tick(bot, receiver, when)]
        when += every
    return out


def complain(chat, clock, when, sender, text) -> int:
    clock.set(when)
    reply = chat.say(sender, text)[0]
    assert reply.startswith(("已受理", "【紧急】")), reply
    return chat.last["replies"][0]["case_id"]


@pytest.fixture
def app_with(db_url, receiver, clock):
    """An app with config overrides: app_with(sla={...}) -> (chat, bot)."""
    made = []

    def make(**overrides):
        app = create_app(make_config(db_url, outbound_url=receiver.url, **overrides),
                         clock=clock)
        made.append(app)
        return Chat(app.test_client(), clock), app.extensions["linli"]

    yield make
    for app in made:
        app.extensions["linli"].engine.dispose()


# --- the response clock ---------------------------------------------------------------------

def test_a_complaint_late_in_the_evening_is_due_the_next_morning(chat, bot, clock):
    n = complain(chat, clock, t(24, "21:52"), "u-zhang", "3号楼楼道灯坏了")
    # 8 minutes before 22:00, the rest of the 4 hours from 07:00
    assert "请在 11-25 10:52 前签收" in chat.last["replies"][1]["text"]
    night = complain(chat, clock, t(24, "23:10"), "u-gao", "5号楼门口垃圾好几天没人清了，臭死了")
    assert "请在 11-25 11:00 前签收" in chat.last["replies"][1]["text"]
    with bot.store.transaction() as repos:
        # the resolution clock keeps running (three days stay three days) …
        assert repos.cases.get(n).resolve_by == t(27, "21:52")
        # … but a deadline that would fall in quiet hours moves to their end
        assert repos.cases.get(night).resolve_by == t(28, "07:00")


def test_urgent_clocks_never_pause(chat, clock):
    complain(chat, clock, t(24, "23:00"), "u-zhang", GAS)
    assert "请在 11-24 23:30 前签收" in chat.last["replies"][1]["text"]


def test_pausing_is_configurable(app_with, clock):
    chat, _ = app_with(sla={"pause_in_quiet_hours": False})
    complain(chat, clock, t(24, "21:52"), "u-zhang", "3号楼楼道灯坏了")
    assert "请在 11-25 01:52 前签收" in chat.last["replies"][1]["text"]


def test_working_days_and_quiet_hours_together(app_with, clock):
    chat, _ = app_with(calendar={"working_days": True})
    complain(chat, clock, t(27, "21:52"), "u-zhang", "3号楼楼道灯坏了")   # a Friday
    # 8 minutes on Friday, then the weekend and Monday's quiet hours
    assert "请在 11-30 10:52 前签收" in chat.last["replies"][1]["text"]


QUIET = (time(22, 0), time(7, 0))
CAL = CalendarConfig(working_days=True)


@pytest.mark.parametrize("start,span,calendar,quiet,expected", [
    (t(24, "21:52"), timedelta(hours=4), None, QUIET, t(25, "10:52")),
    (t(24, "23:30"), timedelta(hours=4), None, QUIET, t(25, "11:00")),
    (t(24, "03:00"), timedelta(0), None, QUIET, t(24, "07:00")),      # the next running instant
    (t(24, "18:00"), timedelta(hours=4), None, QUIET, t(24, "22:00")),   # ends as the pause starts
    (t(24, "11:00"), timedelta(hours=2), None, (time(12, 0), time(14, 0)), t(24, "15:00")),
    (t(27, "21:00"), timedelta(hours=2), CAL, QUIET, t(30, "08:00")),    # Friday -> Monday
    (t(28, "10:00"), timedelta(hours=1), CAL, QUIET, t(30, "08:00")),    # Saturday: stopped
])
def test_running_time(start, span, calendar, quiet, expected):
    assert add_running_time(start, span, calendar, quiet, TZ) == expected


def test_running_time_between_and_resume():
    assert running_time_between(t(24, "21:52"), t(25, "10:52"), None, QUIET, TZ) == \
        timedelta(hours=4)
    assert running_time_between(t(25, "10:52"), t(24, "21:52"), None, QUIET, TZ) == timedelta(0)
    assert first_resume(t(24, "21:52"), t(25, "10:52"), None, QUIET, TZ) == t(25, "07:00")
    assert first_resume(t(24, "23:30"), t(25, "11:00"), None, QUIET, TZ) == t(25, "07:00")
    assert first_resume(t(24, "10:00"), t(24, "14:00"), None, QUIET, TZ) is None
    assert first_resume(t(24, "18:00"), t(24, "22:00"), None, QUIET, TZ) is None
    # working days alone: the clock runs across midnight on working days
    assert first_resume(t(24, "10:00"), t(26, "10:00"), CAL, None, TZ) is None
    assert first_resume(t(27, "10:00"), t(30, "10:00"), CAL, None, TZ) == t(30, "00:00")
    cal = CalendarConfig(working_days=True, holidays=[date(2026, 11, 25)])
    assert running_time_between(t(24, "12:00"), t(26, "12:00"), cal, None, TZ) == \
        timedelta(hours=24)


# --- an evening burst ---------------------------------------------------------------------------

def test_an_evening_burst_is_quiet_at_night_and_one_message_per_people_at_seven(
        chat, bot, receiver, clock):
    lights, rubbish = {}, {}
    for i in range(30):                      # one complaint a minute, 21:30-21:59
        when = t(24, "21:30") + timedelta(minutes=i)
        b = i // 2 + 1
        text = (LIGHTS if i % 2 == 0 else RUBBISH).format(b=b)
        n = complain(chat, clock, when, f"r-{i}", text)
        (lights if i % 2 == 0 else rubbish)[n] = (b, when)
        # the deadline shown: the minutes left before 22:00, the rest from 07:00
        due = t(25, "07:00") + timedelta(hours=4) - (t(24, "22:00") - when)
        assert f"请在 {due:%m-%d %H:%M} 前签收" in chat.last["replies"][1]["text"]
        assert tick(bot, receiver, when) == []
    gas = complain(chat, clock, t(24, "23:00"), "u-laoliu", GAS)

    night = ticks(bot, receiver, t(24, "22:01"), t(25, "06:59"), timedelta(minutes=5))
    # in quiet hours only the urgent case speaks, on its own 30-minute clock
    assert {p["case_id"] for _, p in night} == {gas}
    assert [(w, p["kind"]) for w, p in night] == [
        (t(24, "23:16"), "reminder"), (t(24, "23:26"), "reminder"),
        (t(24, "23:31"), "escalation")]
    assert night[-1][1]["text"].startswith(
        f"⚠️ #{gas} 消防与安全隐患 9号楼 超过签收期限 1分钟 仍无人签收，已升级到居民区")

    morning = tick(bot, receiver, t(25, "07:00"))
    # the 30 clocks run again: one reminder for 王师傅's 15 cases, one for 周阿姨's 15
    assert sorted((p["kind"], tuple(p["mentions"])) for p in morning) == [
        ("reminder", ("u-wang",)), ("reminder", ("u-zhou",))]
    for post in morning:
        cases = lights if post["mentions"] == ["u-wang"] else rubbish
        label = "公共设施损坏" if cases is lights else "环境卫生"
        assert post["case_id"] is None and "\n共 15 件。" in post["text"]
        for n, (b, when) in cases.items():
            left = timedelta(hours=4) - (t(24, "22:00") - when)
            due = t(25, "07:00") + left
            row = (f"#{n} {label} {b}号楼：还有 {left.seconds // 3600}小时"
                   f"{left.seconds % 3600 // 60}分（{due:%m-%d %H:%M} 前签收）")
            assert row in post["text"], (row, post["text"])
    assert tick(bot, receiver, t(25, "07:00")) == []         # the same instant: nothing new

    # each case keeps its own timeline
    with bot.store.transaction() as repos:
        for n in list(lights) + list(rubbish):
            assert [e.kind for e in repos.cases.events(n)] == ["opened"]
        assert [e.kind for e in repos.cases.events(gas)] == ["opened", "escalated"]


def test_no_second_reminder_minutes_after_the_morning_one(chat, bot, receiver, clock):
    n = complain(chat, clock, t(24, "20:05"), "r-1", LIGHTS.format(b=1))   # due 09:05
    assert ticks(bot, receiver, t(24, "20:05"), t(25, "06:55")) == []
    (morning,) = tick(bot, receiver, t(25, "07:00"))
    assert morning["case_id"] == n and "距签收期限还有 2小时5分" in morning["text"]
    # 50 % of the window fell at 07:05: the morning reminder has just said it
    assert tick(bot, receiver, t(25, "07:05")) == []
    assert tick(bot, receiver, t(25, "08:16")) == []
    (eighty,) = tick(bot, receiver, t(25, "08:17"))     # 80 %: 3 h 12 of running time
    assert eighty["kind"] == "reminder" and "距签收期限还有 48分钟" in eighty["text"]


def test_saying_received_to_a_list_asks_which_case(chat, bot, receiver, clock):
    a = complain(chat, clock, t(24, "21:40"), "r-1", LIGHTS.format(b=1))
    b = complain(chat, clock, t(24, "21:45"), "r-2", LIGHTS.format(b=2))
    (post,) = tick(bot, receiver, t(25, "07:00"))
    clock.set(t(25, "07:05"))
    quote = {"msg_id": post["msg_id"], "text": post["text"]}
    answer = chat.say("u-wang", "收到", quote=quote)[0]
    assert "2 个工单" in answer and f"#{a}" in answer and f"#{b}" in answer
    assert chat.say("u-wang", f"#{b} 收到", quote=quote)[0].startswith(f"#{b} 已由 王师傅")
    with bot.store.transaction() as repos:
        assert repos.cases.get(a).acknowledged_at is None


# --- the morning: clocks that run through the night -------------------------------------

def test_overdue_figures_are_worded_when_sent_and_batched(app_with, receiver, clock):
    chat, bot = app_with(sla={"pause_in_quiet_hours": False})
    cases = {}
    for i in range(6):                                  # 21:50-21:52, two a minute
        when = t(24, "21:50") + timedelta(minutes=i // 2)
        text = (LIGHTS if i % 2 == 0 else RUBBISH).format(b=i + 1)
        cases[complain(chat, clock, when, f"r-{i}", text)] = (i + 1, when)
    assert "请在 11-25 01:52 前签收" in chat.last["replies"][1]["text"]
    # nothing at night: the reminders and escalations are planned for 07:00; the
    # scheduler was down until 07:05
    assert ticks(bot, receiver, t(24, "22:00"), t(25, "06:50")) == []
    posts = tick(bot, receiver, t(25, "07:05"))
    # the reminders would come after the deadlines: only the escalation, one message for
    # the tier above (the same people for the lights and the rubbish)
    assert [(p["kind"], p["mentions"]) for p in posts] == [("escalation", ["u-zhao", "u-li"])]
    text = posts[0]["text"]
    assert text.startswith("⚠️ 以下工单超过签收期限仍无人签收，已升级到居民区，请协调处理：\n")
    assert "\n共 6 件。" in text
    for n, (b, when) in cases.items():
        label = "公共设施损坏" if b % 2 else "环境卫生"
        late = t(25, "07:05") - (when + timedelta(hours=4))       # as of sending
        row = f"#{n} {label} {b}号楼：超过 {late.seconds // 3600}小时{late.seconds % 3600 // 60}分"
        assert row in text, (row, text)
    with bot.store.transaction() as repos:
        for n in cases:
            assert [(e.kind, e.at) for e in repos.cases.events(n)][-1] == \
                ("escalated", t(25, "07:05"))
        stamps = {(o.created_at, o.delivered_at) for o in repos.outbox.recent_in_group("g-1", 50)
                  if o.kind == "escalation"}
        assert stamps == {(t(25, "07:05"), t(25, "07:05"))}


# --- batching in the day ------------------------------------------------------------------------

def test_due_together_for_the_same_people_is_one_message(chat, bot, receiver, clock):
    a = complain(chat, clock, t(24, "10:00"), "r-1", LIGHTS.format(b=1))
    b = complain(chat, clock, t(24, "10:00"), "r-2", LIGHTS.format(b=2))
    c = complain(chat, clock, t(24, "10:00"), "r-3", RUBBISH.format(b=3))
    half = tick(bot, receiver, t(24, "12:00"))
    assert sorted((p["mentions"][0], p["case_id"]) for p in half) == [
        ("u-wang", None), ("u-zhou", c)]                     # one reminder each
    single = next(p for p in half if p["case_id"] == c)["text"]
    assert single.startswith(f"⏰ 提醒：#{c} 环境卫生 3号楼 还没人签收，距签收期限还有 2小时")
    late = tick(bot, receiver, t(24, "14:01"))
    assert [p["kind"] for p in late] == ["escalation"]
    for n, what in ((a, "公共设施损坏 1号楼"), (b, "公共设施损坏 2号楼"), (c, "环境卫生 3号楼")):
        assert f"#{n} {what}：超过 1分钟" in late[0]["text"]
    # acknowledged the same minute, silent for a day: one nudge for 王师傅's two
    clock.set(t(24, "14:10"))
    for n in (a, b):
        chat.say("u-wang", f"/接单 #{n}")
    nudges = [p for p in tick(bot, receiver, t(25, "14:10")) if p["kind"] == "nudge"]
    assert len(nudges) == 1 and "\n共 2 件。" in nudges[0]["text"]
    assert f"#{a} 公共设施损坏 1号楼：1天没有新进展" in nudges[0]["text"]


def test_an_urgent_case_is_not_batched_with_normal_ones(chat, bot, receiver, clock):
    normal = complain(chat, clock, t(24, "10:00"), "r-1", LIGHTS.format(b=1))
    gas = complain(chat, clock, t(24, "13:30"), "r-2", GAS)
    posts = tick(bot, receiver, t(24, "14:01"))
    escalations = [p for p in posts if p["kind"] == "escalation"]
    assert sorted(p["case_id"] for p in escalations) == [normal, gas]
    assert all(p["mentions"] == ["u-zhao", "u-li"] for p in escalations)


def test_a_long_list_goes_out_in_parts_each_case_once():
    who = [Mention("u-zhao", "赵网格"), Mention("u-li", "李书记")]
    posts = [Outgoing(text=f"#{n} 单条", kind="escalation", mentions=who, case_id=n,
                      key=f"case:{n}:respond@x", batch_header="⚠️ 以下工单超过签收期限",
                      batch_row=f"#{n} 公共设施损坏 {n}号楼3单元楼道：超过 5小时13分")
             for n in range(1, 134)]
    posts.append(posts[0])                                  # the same case twice: once
    posts.insert(1, Outgoing(text="日报", kind="digest"))   # not batchable: passes through
    out = batch_posts(posts)
    assert out[-1].text == "日报"                        # the batch stands where #1 stood
    parts = out[:-1]
    assert len(parts) > 1 and len({p.key for p in parts}) == len(parts)
    assert all(len(p.text) <= BATCH_MAX_CHARS + 40 for p in parts)
    rows = [line for p in parts for line in p.text.splitlines() if line.startswith("#")]
    assert rows == [f"#{n} 公共设施损坏 {n}号楼3单元楼道：超过 5小时13分" for n in range(1, 134)]
    assert parts[0].text.startswith(f"⚠️ 以下工单超过签收期限（1/{len(parts)}）：")
    assert parts[-1].text.endswith("，共 133 件。")
    assert all(p.mentions == who and p.case_id is None for p in parts)
    # one post alone keeps its own wording
    assert batch_posts(posts[:1]) == posts[:1]


def test_a_digest_due_with_the_morning_reminders_is_one_message(app_with, receiver, clock):
    chat, bot = app_with(schedules={"daily_digest": "07:00"})
    a = complain(chat, clock, t(24, "21:52"), "r-1", LIGHTS.format(b=1))
    b = complain(chat, clock, t(24, "21:55"), "r-2", LIGHTS.format(b=2))
    assert ticks(bot, receiver, t(24, "22:00"), t(25, "06:50")) == []
    before = len(receiver.posts)
    run_tick(bot, t(25, "07:00"))
    posts = receiver.posts[before:]
    assert len(posts) == 1, posts                       # not a digest and a reminder
    text = posts[0]["text"]
    assert text.startswith("📋 ") and "工单日报" in text
    assert f"#{a} " in text and f"#{b} " in text and posts[0]["mentions"] == ["u-wang"]
    run_tick(bot, t(25, "07:10"))                        # the digest is made once
    assert not [p for p in receiver.posts[before + 1:] if "工单日报" in p["text"]]
