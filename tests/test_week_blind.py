"""A blind-written week in 阳光小区 (390 lines: 13 people and a few newcomers, 50 problems,
8 emergencies, an evening burst, plain-word staff replies, several complainants rating, a
discussion and a vote), played through the bridge with the scheduler ticking every
10 minutes.  Written without seeing the code; its first-pass score (before any change made
with it in view, scripts/play_week.py on main d00fb36): heard 74/77 (+2 asked), 6 folded
first reports, repeats 12/24, emergency lines 14/16, staff words ack 5/24 plan 0/30
progress 3/24 fix 6/43 (95 staff lines met with silence), ratings 6/44, addressed 60/60,
7 false cases, 12 morning messages for one person.  The floors below are what the bot
does now, a little under; the 三率 of the week must match a count made here from the rows."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEEK = ROOT / "tests" / "data" / "week_blind1.jsonl"
RANK = {"unsatisfied": 0, "basic": 1, "satisfied": 2}


def _player():
    spec = importlib.util.spec_from_file_location("play_week", ROOT / "scripts" / "play_week.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _hand_count(cases: list[dict], now) -> tuple[tuple[int, int], ...]:
    """The 三率 by the README's rule, counted here from the case rows and their events."""
    due = in_time = resolved = base = rated = satisfied = 0
    for c in cases:
        if c["state"] in ("merged", "withdrawn"):
            continue
        base += 1
        if c["acknowledged_at"] is not None or now > c["respond_by"]:
            due += 1
            in_time += c["acknowledged_at"] is not None and c["acknowledged_at"] <= c["respond_by"]
        resolved += c["resolved_at"] is not None and c["state"] in ("resolved", "closed")
        rounds, last_rated = {}, None
        for kind, actor, rating in c["ratings"]:
            if kind == "resolved":
                rounds = {}
            elif actor is not None and rating in RANK:
                rounds[actor] = rating
                last_rated = rounds
        if last_rated:
            rated += 1
            satisfied += min(last_rated.values(), key=RANK.get) in ("satisfied", "basic")
    return (in_time, due), (resolved, base), (satisfied, rated)


def test_a_blind_week_in_the_group(app, bot, chat, receiver, clock):
    player, week, c, rows = _played(WEEK, app, bot, chat, receiver, clock)
    assert c["heard"] + c["asked"] >= 0.95 * c["complaints"], rows.get("missed")
    assert c["merged_first_reports"] <= 2, rows.get("different problems in one case")
    assert c["category_right"] >= 0.85 * c["categorised"], rows.get("category")
    assert c["repeats_same"] >= 0.85 * c["repeats"], rows.get("repeats in another case")
    assert c["urgent_answered"] >= 0.95 * c["urgent_lines"], \
        rows.get("emergencies not answered 【紧急】")
    assert c["addressed_answered"] == c["addressed"], rows.get("addressed, met with silence")
    assert c["staff_fix_done"] >= 0.75 * c["staff_fix"], rows.get("staff fix not taken")
    assert c["staff_ack_done"] + c["staff_plan_done"] + c["staff_progress_done"] >= 0.65 * (
        c["staff_ack"] + c["staff_plan"] + c["staff_progress"])
    assert c["ratings_recorded"] >= 0.5 * c["ratings"], rows.get("ratings not recorded")
    assert c["insult_cases"] == 0 and c["insults_named_in_group"] == 0
    assert c["false_cases"] <= 0.03 * c["non_complaints"], rows.get("false cases")
    assert c["staff_silence"] <= 15, rows.get("staff met with silence")
    # every morning: kinds due together (reminders, escalations, nudges) for the same
    # people are one message
    assert c["morning_max_per_recipient"] == 1, rows.get("several morning messages for one person")

    # the morning after the Thursday evening burst (16 complaints 21:00-22:30): one
    # message per person at 07:00, not one per case
    friday = player.START + timedelta(days=4, hours=7)
    morning = Counter(who for when, post in week.scheduled
                      if friday <= when <= friday + timedelta(minutes=10)
                      for who in post.get("mentions") or [])
    assert morning and max(morning.values()) == 1, morning
    # quiet hours: at night only posts about urgent cases
    night = [p["text"][:40] for when, p in week.scheduled if when.hour >= 22 or when.hour < 7
             if not all(week.cases.get(int(n), {}).get("urgent")
                        for n in re.findall(r"#(\d+)", p["text"]) or [0])]
    assert not night, night

    # the 三率 of the week, as /统计 上周 says them on the Monday after, match a hand count
    clock.set(player.START + timedelta(days=7, hours=9))
    reply = chat.say("u-li", "/统计 上周")[0]
    response, resolution, satisfaction = _hand_count(list(week.cases.values()), clock())
    from bot.texts import percent
    for name, (num, den) in (("响应率", response), ("解决率", resolution),
                             ("满意率", satisfaction)):
        assert f"{name} {percent(num, den)}" in reply, (name, num, den, reply)
    assert f"新受理 {len(week.cases)} 件" in reply, reply


def _played(path: Path, app, bot, chat, receiver, clock):
    """The week at `path` played through the bridge; the player, the week and its score."""
    player = _player()
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    week = player.run(lines, app, bot, receiver.posts, clock.set,
                      post_json=lambda body: _post(chat, body))
    c, rows = player.score(week)
    assert c["errors"] == 0
    return player, week, c, rows


def _post(chat, body):
    resp = chat.post(body)
    return resp.status_code, resp.get_json() or {}


WEEK2 = ROOT / "tests" / "data" / "week_blind2.jsonl"


def test_a_second_blind_week(app, bot, chat, receiver, clock):
    """A second week (279 lines, 71 complaints, 20 emergency lines, 94 plain-word staff
    replies, 21 ratings), written blind by another writer.  First pass, on main 871a370
    before anything was changed with it in view (scripts/play_week.py): heard 69/71
    (+1 asked), 5 lines in folded cases, repeats 6/11, emergencies 19/20, staff ack 15/22
    plan 10/23 progress 3/12 fix 15/37 (24 met with silence), ratings 7/21, addressed
    68/68, 7 false cases, 3 morning messages for one person.  Floors: what the bot does
    now, a little under."""
    _, _, c, rows = _played(WEEK2, app, bot, chat, receiver, clock)
    assert c["heard"] + c["asked"] >= 0.95 * c["complaints"], rows.get("missed")
    assert c["merged_first_reports"] <= 1, rows.get("different problems in one case")
    assert c["urgent_answered"] == c["urgent_lines"], rows.get("emergencies not answered 【紧急】")
    assert c["addressed_answered"] == c["addressed"], rows.get("addressed, met with silence")
    assert c["repeats_same"] >= 0.5 * c["repeats"], rows.get("repeats in another case")
    assert c["staff_fix_done"] >= 0.75 * c["staff_fix"], rows.get("staff fix not taken")
    assert c["staff_ack_done"] + c["staff_plan_done"] + c["staff_progress_done"] >= 0.6 * (
        c["staff_ack"] + c["staff_plan"] + c["staff_progress"])
    assert c["ratings_recorded"] >= 0.55 * c["ratings"], rows.get("ratings not recorded")
    assert c["insult_cases"] == 0 and c["insults_named_in_group"] == 0
    assert c["false_cases"] <= 0.04 * c["non_complaints"], rows.get("false cases")
    assert c["staff_silence"] <= 6, rows.get("staff met with silence")
    assert c["morning_max_per_recipient"] <= 2, rows.get("several morning messages for one person")


WEEK3 = ROOT / "tests" / "data" / "week_blind3.jsonl"


def test_a_third_blind_week(app, bot, chat, receiver, clock):
    """A third week (350 lines, 67 complaints, 21 emergency lines, 123 plain-word staff
    acts, 47 ratings by several complainants, a discussion and a vote), written blind by a
    third writer.  First pass, on main 8af119b before anything was changed with it in view
    (scripts/play_week.py): heard 65/67 (+1 asked), 2 folded first reports, repeats 10/11,
    emergencies 21/21, staff ack 11/27 plan 21/26 progress 19/25 fix 29/45 (20 met with
    silence), ratings 23/47, addressed 40/40, 4 false cases, 1 morning message per
    person.  Floors: what the bot does now, a little under."""
    _, _, c, rows = _played(WEEK3, app, bot, chat, receiver, clock)
    assert c["heard"] + c["asked"] >= 0.95 * c["complaints"], rows.get("missed")
    assert c["merged_first_reports"] <= 1, rows.get("different problems in one case")
    assert c["urgent_answered"] == c["urgent_lines"], rows.get("emergencies not answered 【紧急】")
    assert c["addressed_answered"] == c["addressed"], rows.get("addressed, met with silence")
    assert c["repeats_same"] >= 0.85 * c["repeats"], rows.get("repeats in another case")
    assert c["staff_fix_done"] >= 0.8 * c["staff_fix"], rows.get("staff fix not taken")
    assert c["staff_ack_done"] + c["staff_plan_done"] + c["staff_progress_done"] >= 0.75 * (
        c["staff_ack"] + c["staff_plan"] + c["staff_progress"])
    assert c["ratings_recorded"] >= 0.8 * c["ratings"], rows.get("ratings not recorded")
    assert c["insult_cases"] == 0 and c["insults_named_in_group"] == 0
    assert c["false_cases"] <= 0.02 * c["non_complaints"], rows.get("false cases")
    assert c["staff_silence"] <= 10, rows.get("staff met with silence")
    assert c["morning_max_per_recipient"] <= 1, rows.get("several morning messages for one person")
