"""Play a labelled week of group chat through the bridge, with the scheduler ticking, and
score what every person saw.

Usage: python scripts/play_week.py WEEK.jsonl [--show] [--tick-minutes N]

Each line: {"day": 1..7, "time": "07:05", "sender": "r-01", "name": "黄伯", "text": "…",
"quote": line index or null, "quote_bot": bool, "mentions": [ids, "bot" for the bot],
"expect": {"complaint", "urgent", "category", "same_as", "staff_act", "about", "rating",
"addressed", "vote", "insult"}}.  A `#{L}` in a text names the case opened by line L; it is
replaced by that case's real number.  The week starts on Monday 2026-12-07 in a fresh app
(SQLite in a temporary folder, the roster of config.yaml, a loopback receiver standing in for
the bridge's outbound URL); the scheduler ticks every N minutes (default 10) between lines and
for a day after the last one.

Scored, each against the labels:
  * complaints heard (a case opened or joined, or the sender asked 需要帮您登记报修吗？);
  * cases: each first report in its own case, each repeat in the case it repeats, the
    category of each case;
  * emergencies: the line answered 【紧急】 with someone @-mentioned, the case urgent;
  * staff words: an acknowledgement acknowledges the case, a fix resolves it, a plan or
    progress is in its timeline; none is met with silence;
  * ratings: each complainant's rating recorded on their case; a bystander's thanks is none;
  * addressed lines (@bot, quoting the bot, naming a case, a command) get an answer;
  * insults open no case and are not answered in the group by name;
  * the morning after the evening burst: at most one message per recipient at 07:00;
  * false cases for non-complaints.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TZ = timezone(timedelta(hours=8))
START = datetime(2026, 12, 7, tzinfo=TZ)  # a Monday
BOT_NAME = "邻里议事"
CASE_REF = re.compile(r"#\{(\d+)\}")


def line_time(line: dict, start: datetime = START) -> datetime:
    hh, mm = (int(x) for x in line["time"].split(":"))
    return start + timedelta(days=line["day"] - 1, hours=hh, minutes=mm)


@dataclass
class Played:
    """What happened to one line."""

    line: dict
    sent: dict
    status: int
    replies: list[dict]
    case: int | None  # the case this line opened or joined (from the replies)
    new_case: bool = False  # … and it was a case no earlier line had
    before: dict | None = None  # the `about` case before the line (snapshot)
    after: dict | None = None  # … and after it


@dataclass
class Week:
    played: list[Played] = field(default_factory=list)
    scheduled: list[tuple[datetime, dict]] = field(default_factory=list)  # (tick, post)
    cases: dict[int, dict] = field(default_factory=dict)  # final snapshots


def play(lines: list[dict], post, tick, snapshot, set_clock, tick_minutes: int = 10) -> Week:
    """Play `lines`.  `post(body) -> (status, json)` posts to the bridge; `tick(when)` runs the
    scheduler and returns the posts it delivered; `snapshot(case_id) -> dict` reads a case
    (state, urgent, category, acknowledged, resolved, ratings, events [(kind, actor)]);
    `set_clock(when)` sets the app's clock."""
    week = Week()
    case_of: dict[int, int | None] = {}
    bot_said: list[dict] = []  # the bot's messages in order: {"msg_id", "text", "case_id"}
    seen: set[int] = set()  # case numbers met so far
    step = timedelta(minutes=tick_minutes)
    next_tick = line_time(lines[0]).replace(hour=0, minute=0) + step

    def run_ticks(until: datetime) -> None:
        nonlocal next_tick
        while next_tick <= until:
            set_clock(next_tick)
            for p in tick(next_tick):
                week.scheduled.append((next_tick, p))
                bot_said.append(p)
            next_tick += step

    for n, line in enumerate(lines):
        when = line_time(line)
        run_ticks(when)
        set_clock(when)
        text = CASE_REF.sub(lambda m: f"#{case_of.get(int(m.group(1))) or '?'}", line["text"])
        mentions = [m for m in line.get("mentions") or [] if m != "bot"]
        if "bot" in (line.get("mentions") or []) and f"@{BOT_NAME}" not in text:
            text = f"@{BOT_NAME} {text}"
        body = {"msg_id": f"w-{n}", "group_id": "g-1", "sender_id": line["sender"],
                "sender_name": line["name"], "text": text, "sent_at": when.isoformat()}
        if mentions:
            body["mentions"] = mentions
        if line.get("quote") is not None and line.get("quote_bot") and case_of.get(line["quote"]):
            # the bot's last answer about the case of the quoted line
            about = case_of[line["quote"]]
            target = next(m for m in reversed(bot_said) if m.get("case_id") == about)
            body["quote"] = {"msg_id": target["msg_id"], "text": target["text"]}
        elif line.get("quote") is not None:
            q = line["quote"]
            body["quote"] = {"msg_id": f"w-{q}", "text": week.played[q].sent["text"]}
        elif line.get("quote_bot") and bot_said:
            about = case_of.get(line["expect"].get("about"))
            target = next((m for m in reversed(bot_said) if about and m.get("case_id") == about),
                          bot_said[-1])
            body["quote"] = {"msg_id": target["msg_id"], "text": target["text"]}
        about_case = case_of.get(line["expect"].get("about"))
        before = snapshot(about_case) if about_case else None
        status, answer = post(body)
        replies = answer.get("replies", []) if status == 200 else []
        bot_said.extend(replies)
        ids = [r["case_id"] for r in replies if r.get("case_id")]
        case_of[n] = ids[0] if ids else None
        new = bool(ids) and ids[0] not in seen
        seen.update(ids)
        after = snapshot(about_case) if about_case else None
        week.played.append(Played(line, body, status, replies, case_of[n], new, before, after))
    run_ticks(line_time(lines[-1]) + timedelta(days=1))
    for case_id in {p.case for p in week.played if p.case}:
        week.cases[case_id] = snapshot(case_id)
    return week


def _rated(snap: dict | None, sender: str) -> bool:
    return bool(snap) and sender in snap.get("raters", ())


def score(week: Week) -> tuple[Counter, dict[str, list[str]]]:
    """(counts, the lines behind each kind of miss)."""
    c: Counter = Counter()
    rows: dict[str, list[str]] = defaultdict(list)
    played = week.played
    first_case: dict[int, int] = {}  # first line -> its case
    for n, p in enumerate(played):
        exp, line = p.line["expect"], p.line
        tag = f"[{n}] {line['name']}: {line['text'][:40]}"
        c["errors"] += p.status != 200
        asked = any("需要帮您登记报修吗" in r["text"] for r in p.replies)
        if exp["complaint"]:
            c["complaints"] += 1
            if p.case:
                c["heard"] += 1
            elif asked:
                c["asked"] += 1
            else:
                rows["missed"].append(tag)
            if exp.get("same_as") is None:
                c["first_reports"] += 1
                if p.case:
                    first_case[n] = p.case
                    want = exp.get("category")
                    got = week.cases.get(p.case, {}).get("category")
                    c["categorised"] += 1
                    if got == want:
                        c["category_right"] += 1
                    else:
                        rows["category"].append(f"{tag} → {got}, expected {want}")
            elif p.case:
                c["repeats"] += 1
                if first_case.get(exp["same_as"]) == p.case:
                    c["repeats_same"] += 1
                else:
                    rows["repeats in another case"].append(tag)
            if exp.get("urgent"):
                c["urgent_lines"] += 1
                answered = any(r["text"].startswith("【紧急】") and r.get("mentions")
                               for r in p.replies)
                if answered or (p.case and exp.get("same_as") is not None
                                and week.cases.get(p.case, {}).get("urgent")):
                    c["urgent_answered"] += 1
                else:
                    rows["emergencies not answered 【紧急】"].append(tag)
        elif p.new_case:
            c["false_cases"] += 1
            rows["false cases"].append(tag)
        if not exp["complaint"]:
            c["non_complaints"] += 1
        act = exp.get("staff_act")
        if act:
            c[f"staff_{act}"] += 1
            b, a = p.before or {}, p.after or {}
            done = {
                "ack": bool(a.get("acknowledged")),
                "fix": a.get("state") in ("resolved", "closed"),
                "plan": len(a.get("events", ())) > len(b.get("events", ())),
                "progress": len(a.get("events", ())) > len(b.get("events", ())),
            }[act]
            if done:
                c[f"staff_{act}_done"] += 1
            else:
                rows[f"staff {act} not taken"].append(tag)
            if not p.replies:
                c["staff_silence"] += 1
                rows["staff met with silence"].append(tag)
        if exp.get("rating"):
            c["ratings"] += 1
            if _rated(p.after, line["sender"]):
                c["ratings_recorded"] += 1
            else:
                rows["ratings not recorded"].append(tag)
        if exp.get("addressed"):
            c["addressed"] += 1
            if p.replies:
                c["addressed_answered"] += 1
            else:
                rows["addressed, met with silence"].append(tag)
        if exp.get("insult"):
            c["insults"] += 1
            c["insult_cases"] += p.new_case
            if any(line["name"] in r["text"] for r in p.replies):
                c["insults_named_in_group"] += 1
                rows["insult named in the group"].append(tag)
    # distinct first reports must be distinct cases
    by_case = Counter(first_case.values())
    c["merged_first_reports"] = sum(k - 1 for k in by_case.values() if k > 1)
    for n, case in first_case.items():
        if by_case[case] > 1:
            rows["different problems in one case"].append(
                f"[{n}] {played[n].line['text'][:40]} → #{case}")
    # the morning after the evening burst: messages per recipient at 07:00–07:10
    mornings: dict[datetime, Counter] = defaultdict(Counter)
    for when, post in week.scheduled:
        if when.hour == 7 and when.minute <= 10:
            for who in post.get("mentions") or ["(group)"]:
                mornings[when.replace(minute=0)][who] += 1
    c["morning_max_per_recipient"] = max(
        (n for counter in mornings.values() for n in counter.values()), default=0)
    for day, counter in sorted(mornings.items()):
        many = {k: v for k, v in counter.items() if v > 1}
        if many:
            rows["several morning messages for one person"].append(f"{day:%m-%d}: {many}")
    c["scheduled_posts"] = len(week.scheduled)
    return c, dict(rows)


def report(c: Counter, rows: dict[str, list[str]]) -> str:
    def frac(a, b):
        return f"{c[a]}/{c[b]}"

    out = [
        f"complaints heard: {frac('heard', 'complaints')} (+{c['asked']} asked)",
        f"first reports: {c['first_reports']}, different problems folded together: "
        f"{c['merged_first_reports']}, category right: {frac('category_right', 'categorised')}",
        f"repeats in the case they repeat: {frac('repeats_same', 'repeats')}",
        f"emergency lines answered 【紧急】 with a ping: {frac('urgent_answered', 'urgent_lines')}",
        "staff words taken: " + ", ".join(
            f"{a} {c[f'staff_{a}_done']}/{c[f'staff_{a}']}"
            for a in ("ack", "plan", "progress", "fix")),
        f"staff lines met with silence: {c['staff_silence']}",
        f"ratings recorded: {frac('ratings_recorded', 'ratings')}",
        f"addressed lines answered: {frac('addressed_answered', 'addressed')}",
        f"insults: {c['insults']}, cases for them: {c['insult_cases']}, "
        f"named in the group: {c['insults_named_in_group']}",
        f"non-complaints: {c['non_complaints']}, false cases: {c['false_cases']}",
        f"scheduled posts: {c['scheduled_posts']}, most 07:00 messages for one person: "
        f"{c['morning_max_per_recipient']}",
        f"HTTP errors: {c['errors']}",
    ]
    for title, lines in rows.items():
        out += [f"-- {title} ({len(lines)}):"] + [f"   {t}" for t in lines]
    return "\n".join(out)


def case_snapshot(repos, case_id: int) -> dict:
    """What the scorer needs of one case (used by this script and the test)."""
    case = repos.cases.get(case_id)
    if case is None:
        return {}
    events = [(e.kind, e.actor.external_id if e.actor else None) for e in case.events]
    raters = {actor for kind, actor in events if kind == "rated" and actor}
    return {"state": case.state, "urgent": case.urgent, "category": case.category,
            "acknowledged": case.acknowledged_at is not None,
            "resolved": case.resolved_at is not None, "events": events, "raters": raters,
            "complainants": [c.member.external_id for c in case.complainants],
            "opened_at": case.opened_at, "respond_by": case.respond_by,
            "acknowledged_at": case.acknowledged_at, "resolved_at": case.resolved_at,
            "ratings": [(e.kind, e.actor_id, e.data.get("rating")) for e in case.events
                        if e.kind in ("resolved", "rated")]}


def run(lines: list[dict], app, bot, receiver_posts: list, set_clock,
        tick_minutes: int = 10, post_json=None) -> Week:
    """Play `lines` on a built app (`bot` is its Application, `receiver_posts` the list a
    loopback receiver appends to)."""
    from scheduler.tick import run_tick

    client = app.test_client()

    def post(body):
        if post_json is not None:
            return post_json(body)
        resp = client.post("/bridge/messages", json=body)
        return resp.status_code, resp.get_json() or {}

    def tick(when):
        before = len(receiver_posts)
        run_tick(bot, when)
        return receiver_posts[before:]

    def snapshot(case_id):
        with bot.store.transaction() as repos:
            return case_snapshot(repos, case_id)

    return play(lines, post, tick, snapshot, set_clock, tick_minutes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--tick-minutes", type=int, default=10)
    args = parser.parse_args(argv)
    lines = [json.loads(x) for x in Path(args.file).read_text(encoding="utf-8").splitlines()
             if x.strip()]
    sys.path.insert(0, str(ROOT / "tests"))
    from tests.conftest import Receiver  # a loopback stand-in for the bridge's outbound URL

    receiver = Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BOT_DATABASE_URL"] = f"sqlite:///{tmp}/week.db"
        os.environ["BRIDGE_SECRET"] = ""
        os.environ["BRIDGE_OUTBOUND_URL"] = receiver.url
        from bot import create_app
        from bot.config_file import load_config

        now = [START]
        app = create_app(load_config(str(ROOT / "config.yaml")), clock=lambda: now[0])
        bot = app.extensions["linli"]

        def set_clock(when):
            now[0] = when

        week = run(lines, app, bot, receiver.posts, set_clock, args.tick_minutes)
        app.extensions["linli"].engine.dispose()
    receiver.close()
    if args.show:
        scheduled = sorted(week.scheduled, key=lambda x: x[0])
        k = 0
        for p in week.played:
            when = line_time(p.line)
            while k < len(scheduled) and scheduled[k][0] <= when:
                t, post = scheduled[k]
                print(f"  [{t:%a %H:%M}] bot({post.get('kind')})> "
                      + post["text"].replace("\n", "\n      "))
                k += 1
            print(f"[{when:%a %H:%M}] {p.line['name']}: {p.sent['text']}")
            for r in p.replies:
                print("    bot> " + r["text"].replace("\n", "\n         "))
    print(report(*score(week)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
