"""Scheduled work with a frozen clock: reminders, escalations, nudges, rating reminders
and auto-close, digests, 议题征集, summaries, the monthly report, quiet hours, month ends,
working days, and ticks that post nothing twice."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot import texts
from bot.config import CalendarConfig
from bot.domain.quiet_hours import quiet_until
from bot.domain.workdays import add_working_time
from scheduler.tick import run_tick
from tests.conftest import TZ


def t(day: int, hhmm: str, month: int = 11, year: int = 2026) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(year, month, day, hours, minutes, tzinfo=TZ)


def tick(bot, receiver, when):
    """Run a tick and return the texts it delivered."""
    before = len(receiver.posts)
    run_tick(bot, when)
    return receiver.posts[before:]


def _open(chat, clock, when, sender="u-zhang", text="3号楼2单元楼道灯坏了三天了") -> int:
    clock.set(when)
    assert chat.say(sender, text)[0].startswith(("已受理", "【紧急】"))
    return chat.last["replies"][0]["case_id"]


# --- response reminders and escalation ------------------------------------------------------

def test_reminders_at_half_and_80_percent_then_escalation(chat, bot, receiver, clock):
    n = _open(chat, clock, t(24, "10:00"))              # respond by 14:00 (4 h)
    assert tick(bot, receiver, t(24, "11:59")) == []
    half = tick(bot, receiver, t(24, "12:00"))
    assert len(half) == 1 and half[0]["kind"] == "reminder" and half[0]["case_id"] == n
    assert "距签收期限还有 2小时" in half[0]["text"] and half[0]["mentions"] == ["u-wang"]
    assert tick(bot, receiver, t(24, "12:00")) == []    # same instant: nothing new
    eighty = tick(bot, receiver, t(24, "13:12"))
    assert len(eighty) == 1 and "48分钟" in eighty[0]["text"]
    late = tick(bot, receiver, t(24, "14:05"))
    assert len(late) == 1 and late[0]["kind"] == "escalation"
    assert "超过签收期限 5分钟" in late[0]["text"] and "居民区" in late[0]["text"]
    assert late[0]["mentions"] == ["u-zhao", "u-li"]
    assert tick(bot, receiver, t(24, "15:00")) == []
    with bot.store.transaction() as repos:
        case = repos.cases.get(n)
        assert case.tier == 2
        assert [e.kind for e in repos.cases.events(n)] == ["opened", "escalated"]


def test_acknowledged_case_gets_no_reminder(chat, bot, receiver, clock):
    n = _open(chat, clock, t(24, "10:00"))
    clock.set(t(24, "10:30"))
    chat.say("u-wang", f"/接单 #{n}")
    assert tick(bot, receiver, t(24, "14:30")) == []


def test_missed_resolution_escalates_again(chat, bot, receiver, clock):
    n = _open(chat, clock, t(24, "10:00"))              # resolve by 27th 10:00
    clock.set(t(24, "10:30"))
    chat.say("u-wang", f"/接单 #{n}")
    clock.set(t(24, "11:00"))
    chat.say("u-wang", f"/进展 #{n} 在等灯具")
    posts = tick(bot, receiver, t(27, "10:01"))
    escalation = [p for p in posts if p["kind"] == "escalation"]
    assert len(escalation) == 1 and "已超过办结期限 1分钟" in escalation[0]["text"]
    assert escalation[0]["mentions"][0] == "u-wang"           # the assignee first
    assert "u-zhao" in escalation[0]["mentions"]
    with bot.store.transaction() as repos:
        assert repos.cases.get(n).tier == 2


def test_extension_moves_the_resolution_timer(chat, bot, receiver, clock):
    n = _open(chat, clock, t(24, "10:00"))
    clock.set(t(24, "10:30"))
    chat.say("u-wang", f"/接单 #{n}")
    chat.say("u-wang", f"/延期 #{n} 2d 等配件")
    posts = tick(bot, receiver, t(27, "10:05"))
    assert not [p for p in posts if p["kind"] == "escalation"]
    posts = tick(bot, receiver, t(29, "10:05"))
    assert [p for p in posts if p["kind"] == "escalation"]


def test_urgent_case_escalates_fast_and_at_night(chat, bot, receiver, clock):
    n = _open(chat, clock, t(24, "23:00"), text="楼道里一股很浓的煤气味，好像漏气了")
    posts = tick(bot, receiver, t(24, "23:20"))          # quiet hours, but urgent
    assert [p["kind"] for p in posts] == ["reminder"] and posts[0]["case_id"] == n
    posts = tick(bot, receiver, t(24, "23:31"))
    assert [p["kind"] for p in posts] == ["escalation"] and posts[0]["case_id"] == n


def test_top_tier_keeps_reporting_without_climbing(chat, bot, receiver, clock):
    n = _open(chat, clock, t(24, "10:00"))
    clock.set(t(24, "10:10"))
    chat.say("u-li", f"/升级 #{n}")
    chat.say("u-li", f"/升级 #{n}")                      # tier 3 (街道)
    posts = tick(bot, receiver, t(24, "14:01"))
    late = [p for p in posts if p["kind"] == "escalation"]
    assert len(late) == 1 and "已在最高层级" in late[0]["text"]


# --- nudges and ratings ------------------------------------------------------------------------

def test_nudge_after_24h_of_silence_and_again(chat, bot, receiver, clock):
    n = _open(chat, clock, t(24, "10:00"))
    clock.set(t(24, "10:30"))
    chat.say("u-wang", f"/接单 #{n}")
    assert [p for p in tick(bot, receiver, t(25, "10:29")) if p["kind"] == "nudge"] == []
    nudges = [p for p in tick(bot, receiver, t(25, "10:31")) if p["kind"] == "nudge"]
    assert len(nudges) == 1 and "没有新进展" in nudges[0]["text"]
    assert nudges[0]["mentions"] == ["u-wang"]
    assert [p for p in tick(bot, receiver, t(25, "12:00")) if p["kind"] == "nudge"] == []
    again = [p for p in tick(bot, receiver, t(26, "10:31")) if p["kind"] == "nudge"]
    assert len(again) == 1
    clock.set(t(26, "11:00"))
    chat.say("u-wang", f"/进展 #{n} 明天换")
    assert [p for p in tick(bot, receiver, t(27, "10:35")) if p["kind"] == "nudge"] == []


def test_transferred_case_is_followed_up(chat, bot, receiver, clock):
    n = _open(chat, clock, t(24, "10:00"), text="小区东门外的路灯坏了一排，晚上很黑")
    clock.set(t(24, "10:20"))
    chat.say("u-zhao", f"/转办 #{n} 城管 市政路灯")
    nudges = [p for p in tick(bot, receiver, t(25, "10:21")) if p["kind"] == "nudge"]
    assert len(nudges) == 1 and "已转办 城管" in nudges[0]["text"]
    assert "u-zhao" in nudges[0]["mentions"]


def test_rating_reminder_then_auto_close(chat, bot, receiver, clock):
    n = _open(chat, clock, t(24, "10:00"))
    clock.set(t(24, "11:00"))
    chat.say("u-wang", f"/办结 #{n}")
    reminders = [p for p in tick(bot, receiver, t(25, "11:00")) if p["kind"] == "reminder"]
    assert len(reminders) == 1 and reminders[0]["mentions"] == ["u-zhang"]
    assert "还没收到您的评价" in reminders[0]["text"]
    closed = tick(bot, receiver, t(27, "11:00"))
    assert [p["text"] for p in closed if p["case_id"] == n] == [
        texts.rating_timed_out(n) + "\n@张阿姨"]
    with bot.store.transaction() as repos:
        case = repos.cases.get(n)
        assert case.state == "closed" and case.rating is None
    assert "已关闭（未评价）" in chat.say("u-zhang", f"/工单 #{n}")[0]


def test_rating_before_timeout_stops_the_timers(chat, bot, receiver, clock):
    n = _open(chat, clock, t(24, "10:00"))
    clock.set(t(24, "11:00"))
    chat.say("u-wang", f"/办结 #{n}")
    chat.say("u-zhang", "满意")
    assert [p for p in tick(bot, receiver, t(28, "11:00")) if p["case_id"] == n] == []


# --- quiet hours ----------------------------------------------------------------------------------

def test_quiet_until():
    quiet = (datetime.strptime("22:00", "%H:%M").time(), datetime.strptime("07:00", "%H:%M").time())
    assert quiet_until(t(24, "23:30"), quiet, TZ) == t(25, "07:00")
    assert quiet_until(t(25, "06:59"), quiet, TZ) == t(25, "07:00")
    assert quiet_until(t(25, "07:00"), quiet, TZ) is None
    assert quiet_until(t(25, "21:59"), quiet, TZ) is None


def test_non_urgent_posts_wait_for_the_morning(chat, bot, receiver, clock):
    n = _open(chat, clock, t(24, "18:30"))              # reminders 20:30 and 21:42
    evening = tick(bot, receiver, t(24, "20:30"))
    assert [p["kind"] for p in evening if p["kind"] != "digest"] == ["reminder"]
    clock.set(t(24, "21:50"))
    m = _open(chat, clock, t(24, "21:50"), "u-gao", "小区东门门禁坏了刷不开")
    assert [p["case_id"] for p in tick(bot, receiver, t(24, "22:30"))] == []   # held
    assert tick(bot, receiver, t(25, "06:59")) == []
    morning = tick(bot, receiver, t(25, "07:00"))
    # the response clocks stopped at 22:00 (n had 30 minutes left, m 3 h 50): they run
    # again at 07:00, with one reminder listing both cases for the same people
    # (this replaced two escalations at 07:00 when the clocks ran through the night)
    assert [(p["case_id"], p["kind"]) for p in morning] == [(None, "reminder")]
    text = morning[0]["text"]
    assert f"#{n} " in text and "还有 30分钟（11-25 07:30 前签收）" in text
    assert f"#{m} " in text and "还有 3小时50分（11-25 10:50 前签收）" in text
    late = tick(bot, receiver, t(25, "07:31"))
    assert [(p["case_id"], p["kind"]) for p in late] == [(n, "escalation")]
    assert "超过签收期限 1分钟" in late[0]["text"]


# --- calendar posts ------------------------------------------------------------------------------

def test_daily_digest_once_per_group_per_day(chat, bot, receiver, clock):
    a = _open(chat, clock, t(24, "09:00"))
    b = _open(chat, clock, t(24, "09:30"), "u-gao", "小区东门门禁坏了刷不开")
    clock.set(t(24, "10:00"))
    chat.say("u-wang", f"/办结 #{b}")
    assert [p for p in tick(bot, receiver, t(24, "17:59")) if p["kind"] == "digest"] == []
    digest = [p for p in tick(bot, receiver, t(24, "18:00")) if p["kind"] == "digest"]
    assert len(digest) == 1
    text = digest[0]["text"]
    assert "11月24日 工单日报" in text and "今日新受理 2 件，办结 1 件，仍在处理 1 件" in text
    assert f"#{a}" in text and f"#{b}" in text
    assert [p for p in tick(bot, receiver, t(24, "18:01")) if p["kind"] == "digest"] == []


def test_missed_digest_is_caught_up_within_the_window(chat, bot, receiver, clock):
    _open(chat, clock, t(24, "09:00"))
    posts = tick(bot, receiver, t(24, "21:30"))         # server was down at 18:00
    # the digest heads the escalation falling due in the same tick (one message)
    assert ["工单日报" in p["text"] for p in posts].count(True) == 1
    _open(chat, clock, t(25, "09:00"), "u-gao", "小区东门门禁坏了刷不开")
    assert [p for p in tick(bot, receiver, t(26, "00:30")) if "工单日报" in p["text"]] == []


def test_quiet_group_gets_no_digest(bot, receiver):
    assert [p for p in tick(bot, receiver, t(24, "18:00")) if p["kind"] == "digest"] == []


def test_topic_call_on_mondays_only(bot, receiver):
    assert tick(bot, receiver, t(24, "09:00")) == []                 # Tuesday
    monday = tick(bot, receiver, t(30, "09:00"))
    assert len(monday) == 1 and "议题征集" in monday[0]["text"]
    assert tick(bot, receiver, t(30, "09:30")) == []


def test_half_monthly_summary_and_monthly_report_on_the_first(chat, bot, receiver, clock):
    a = _open(chat, clock, t(24, "10:00"))
    _open(chat, clock, t(25, "10:00"), "u-gao", "9号楼下水道堵了，污水往外冒")
    clock.set(t(24, "11:00"))
    chat.say("u-wang", f"/办结 #{a}")
    chat.say("u-zhang", "满意")
    posts = tick(bot, receiver, datetime(2026, 12, 1, 9, 30, tzinfo=TZ))
    kinds = [p["kind"] for p in posts]
    assert kinds.count("report") == 1 and "digest" in kinds          # summary at 09:00
    report = next(p for p in posts if p["kind"] == "report")["text"]
    assert report.startswith("📊 2026-11 社情民意月报")
    assert "受理 2 件" in report and "满意率 100%（1/1）" in report
    assert "公共设施损坏 1" in report and "管道堵塞 1" in report
    assert "张阿姨" not in report and "高先生" not in report          # counts, not names
    summary = next(p for p in posts if p["kind"] == "digest")["text"]
    assert summary.startswith("🗂 半月汇总（12月1日）：在办工单 1 件")
    sixteenth = tick(bot, receiver, datetime(2026, 12, 16, 9, 0, tzinfo=TZ))
    assert [p["kind"] for p in sixteenth if p["kind"] in ("digest", "report")] == ["digest"]


def test_month_end_report_for_december_on_january_first(chat, bot, receiver, clock):
    _open(chat, clock, datetime(2026, 12, 31, 23, 50, tzinfo=TZ))
    posts = tick(bot, receiver, datetime(2027, 1, 1, 9, 30, tzinfo=TZ))
    report = [p["text"] for p in posts if p["kind"] == "report"]
    assert report and report[0].startswith("📊 2026-12 社情民意月报") and "受理 1 件" in report[0]


# --- working days ---------------------------------------------------------------------------------

CAL = CalendarConfig(working_days=True)


@pytest.mark.parametrize("start,span,expected", [
    (t(27, "16:00"), timedelta(hours=4), t(27, "20:00")),       # Friday, same day
    (t(27, "22:00"), timedelta(hours=4), t(30, "02:00")),       # Friday night -> Monday
    (t(28, "10:00"), timedelta(hours=4), t(30, "04:00")),       # Saturday: clock stopped
    (datetime(2026, 9, 30, 20, 0, tzinfo=TZ), timedelta(hours=72),
     datetime(2026, 10, 10, 20, 0, tzinfo=TZ)),                  # 10-1..7 off; 10-10 调休
])
def test_working_time(start, span, expected):
    assert add_working_time(start, span, CAL, TZ) == expected


def test_extra_holidays_and_workdays_from_config():
    cal = CalendarConfig(working_days=True, holidays=[date(2026, 11, 25)],
                         workdays=[date(2026, 11, 28)])
    assert add_working_time(t(24, "12:00"), timedelta(hours=24), cal, TZ) == t(26, "12:00")
    assert add_working_time(t(27, "12:00"), timedelta(hours=24), cal, TZ) == t(28, "12:00")


def test_unknown_year_falls_back_to_weekends():
    start = datetime(2031, 1, 3, 12, 0, tzinfo=TZ)           # a Friday
    assert add_working_time(start, timedelta(hours=24), CAL, TZ) == datetime(
        2031, 1, 6, 12, 0, tzinfo=TZ)


def test_working_day_deadlines_on_cases(db_url, clock, receiver):
    from bot import create_app
    from tests.conftest import Chat, make_config

    cfg = make_config(db_url, outbound_url=receiver.url,
                      calendar={"working_days": True})
    app = create_app(cfg, clock=clock)
    try:
        chat = Chat(app.test_client(), clock)
        clock.set(t(27, "22:00"))                           # Friday night
        chat.say("u-zhang", "3号楼楼道灯坏了")
        normal = chat.last["replies"][0]["case_id"]
        chat.say("u-gao", "5号楼电梯困人了，有人被关在里面")
        urgent = chat.last["replies"][0]["case_id"]
        with app.extensions["linli"].store.transaction() as repos:
            # the weekend, then Monday's quiet hours until 07:00: 4 h from 07:00
            # (02:00 before response clocks paused in quiet hours)
            assert repos.cases.get(normal).respond_by == t(30, "11:00")
            assert repos.cases.get(urgent).respond_by == t(27, "22:30")
    finally:
        app.extensions["linli"].engine.dispose()
