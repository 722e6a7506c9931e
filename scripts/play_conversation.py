"""Play a labelled group conversation through the bridge and score what the bot did.

Usage: python scripts/play_conversation.py CONV.jsonl [--show]

Each line: {"day": 1, "time": "08:15", "sender": "r-03", "name": "孙女士", "text": "…",
"expect": {"complaint": bool, "urgent": bool, "same_as": line index or null}}.
The messages go, in order and with their times, through POST /bridge/messages of a fresh
app (SQLite in a temporary folder, the roster of config.yaml).  Scored: complaints heard
(a case opened or joined, or the sender asked 需要帮您登记报修吗？), emergencies answered
with 【紧急】, repeats that landed in the same case as the line they repeat, and false
alarms (a case for a line that is no complaint).  `--show` prints the whole conversation
as the group saw it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

START = datetime(2026, 12, 7, tzinfo=timezone(timedelta(hours=8)))  # a Monday


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args(argv)
    lines = [json.loads(x) for x in Path(args.file).read_text(encoding="utf-8").splitlines()
             if x.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BOT_DATABASE_URL"] = f"sqlite:///{tmp}/play.db"
        os.environ["BRIDGE_SECRET"] = ""
        from bot import create_app
        from bot.config_file import load_config

        now = [START]
        client = create_app(load_config(str(ROOT / "config.yaml")),
                            clock=lambda: now[0]).test_client()

        def post(body):
            resp = client.post("/bridge/messages", json=body)
            return resp.status_code, resp.get_json() or {}

        def set_clock(when):
            now[0] = when

        results = send_lines(post, lines, set_clock)
        if args.show:
            for line, replies, _ in results:
                print(f"[{line['day']} {line['time']}] {line['name']}: {line['text']}")
                for r in replies:
                    print("    bot> " + r["text"].replace("\n", "\n         "))
    print(report(*score(results)))
    return 0


def send_lines(post, lines: list[dict], set_clock=None, start: datetime = START
               ) -> list[tuple[dict, list[dict], int]]:
    """Post each line through `post(body) -> (status, json)`, the app's clock set to the
    line's time by `set_clock`; returns (line, replies, status) per line."""
    results = []
    for n, line in enumerate(lines):
        hh, mm = (int(x) for x in line["time"].split(":"))
        sent_at = start + timedelta(days=line["day"] - 1, hours=hh, minutes=mm)
        if set_clock is not None:
            set_clock(sent_at)
        body = {"msg_id": f"c-{n}", "group_id": "g-1", "sender_id": line["sender"],
                "sender_name": line["name"], "text": line["text"],
                "sent_at": sent_at.isoformat()}
        status, answer = post(body)
        results.append((line, answer.get("replies", []) if status == 200 else [], status))
    return results


def score(results) -> tuple[dict, dict]:
    """(counts, the lines behind each kind of miss)."""
    case_of: dict[int, int | None] = {}
    c = dict(complaints=0, heard=0, asked=0, urgent=0, urgent_heard=0, repeats=0,
             repeats_same=0, non=0, false_cases=0, false_questions=0, errors=0)
    missed, missed_urgent, false_alarms, split = [], [], [], []
    for n, (line, replies, status) in enumerate(results):
        exp = line["expect"]
        c["errors"] += status != 200
        case_ids = [r["case_id"] for r in replies if r.get("case_id")]
        case_of[n] = case_ids[0] if case_ids else None
        asked = any("需要帮您登记报修吗" in r["text"] for r in replies)
        urgent = any(r["text"].startswith("【紧急】") for r in replies)
        opened = any("已受理" in r["text"] for r in replies)
        if exp["complaint"]:
            c["complaints"] += 1
            heard = bool(case_ids)
            c["heard"] += heard
            c["asked"] += asked and not heard
            if not heard and not asked:
                missed.append(line["text"])
            if exp.get("urgent"):
                c["urgent"] += 1
                c["urgent_heard"] += urgent
                if not urgent:
                    missed_urgent.append(line["text"])
            if exp.get("same_as") is not None and heard:
                c["repeats"] += 1
                same = case_of.get(exp["same_as"]) == case_of[n]
                c["repeats_same"] += same
                if not same:
                    split.append(line["text"])
        else:
            c["non"] += 1
            c["false_cases"] += opened
            c["false_questions"] += asked
            if opened:
                false_alarms.append(line["text"])
    return c, {"missed": missed, "missed emergencies": missed_urgent,
               "false alarms": false_alarms, "repeats in another case": split}


def report(c: dict, rows_by_kind: dict) -> str:
    out = [f"complaints heard: {c['heard']}/{c['complaints']} (+{c['asked']} asked 需要帮您登记)",
           f"emergencies answered 【紧急】: {c['urgent_heard']}/{c['urgent']}",
           f"repeats in the case they repeat: {c['repeats_same']}/{c['repeats']}",
           f"non-complaints: {c['non']}, cases opened for them: {c['false_cases']}, "
           f"questions asked: {c['false_questions']}",
           f"HTTP errors: {c['errors']}"]
    for title, rows in rows_by_kind.items():
        out += [f"-- {title}:"] + [f"   {t}" for t in rows]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
