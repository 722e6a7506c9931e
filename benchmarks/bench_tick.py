"""How long a tick takes on a big database: 100 000 cases (10 000 open) with their
timers, journal and outbox rows, on SQLite and (where it answers) PostgreSQL.

Prints the tick time when nothing is due and when 1 000 timers are due (each posting a
reminder), so one can see the cost follow the due work, not the table size.

    python benchmarks/bench_tick.py [--cases 100000] [--open 10000] [--due 1000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import insert, update

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot import build_application  # noqa: E402
from bot.config_file import config_from_dict  # noqa: E402
from scheduler.tick import run_tick  # noqa: E402
from storage.models import (  # noqa: E402
    Case,
    CaseComplainant,
    Group,
    Member,
    OutboundMessage,
    ScheduledJob,
)
from storage.scratch import postgres_answers, scratch_database  # noqa: E402

NOW = datetime.fromisoformat("2026-11-24T10:17:00+08:00")  # a Tuesday, no calendar posts
GROUPS = 50
CHUNK = 5000


def _app(url: str):
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    raw["database"] = {"url": url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": "", "outbound_url": ""}
    return build_application(config_from_dict(raw, environ={}), clock=lambda: NOW)


def _chunks(rows):
    for i in range(0, len(rows), CHUNK):
        yield rows[i:i + CHUNK]


def seed(app, cases: int, open_cases: int, due: int) -> None:
    """Bulk-load the tables directly (the ORM path would take far longer to fill)."""
    start = NOW - timedelta(days=365)
    with app.store.transaction() as repos:
        s = repos.session
        s.execute(insert(Group), [{"id": f"bench-g{g}", "community_id": "sunshine",
                                   "name": f"楼栋群{g}", "channel": "bridge", "webhook_key": "",
                                   "registered_at": start} for g in range(GROUPS)])
        s.execute(insert(Member), [{"id": 100_000 + m, "community_id": "sunshine",
                                    "external_id": f"bench-u{m}", "name": f"居民{m}",
                                    "first_seen_at": start} for m in range(1000)])
    case_rows, complainant_rows, job_rows, out_rows = [], [], [], []
    for i in range(1, cases + 1):
        is_open = i > cases - open_cases
        opened = NOW - timedelta(hours=2) if is_open else start + timedelta(minutes=5 * i)
        case_rows.append({
            "id": i, "community_id": "sunshine", "group_id": f"bench-g{i % GROUPS}",
            "category": "facility", "urgent": False, "priority": 0, "group_complaint": False,
            "state": "open" if is_open else "closed", "tier": 1, "location": {},
            "text": "楼道灯坏了", "keywords": [], "complainant_id": 100_000 + i % 1000,
            "opened_at": opened, "respond_by": opened + timedelta(hours=4),
            "resolve_by": opened + timedelta(hours=72), "updated_at": opened,
            "rating": None if is_open else "satisfied",
            "resolved_at": None if is_open else opened + timedelta(hours=5),
            "closed_at": None if is_open else opened + timedelta(hours=6)})
        complainant_rows.append({"case_id": i, "member_id": 100_000 + i % 1000,
                                 "joined_at": opened})
        for name, hours in (("remind50", 2), ("remind80", 3.2), ("respond", 4),
                            ("resolve", 72)):
            job_rows.append({"key": f"case:{i}:{name}", "kind": {
                "remind50": "remind", "remind80": "remind", "respond": "respond_deadline",
                "resolve": "resolve_deadline"}[name], "case_id": i,
                "due_at": opened + timedelta(hours=hours), "data": {},
                "state": "pending" if is_open else "done",
                "done_at": None if is_open else opened + timedelta(hours=hours)})
        out_rows.append({"idempotency_key": f"seed:{i}", "group_id": f"bench-g{i % GROUPS}",
                         "channel": "bridge", "kind": "reply", "text": f"已受理 #{i}",
                         "mentions": [], "case_id": i, "state": "inline", "attempts": 0,
                         "next_attempt_at": opened, "created_at": opened,
                         "delivered_at": opened})
    for model, rows in ((Case, case_rows), (CaseComplainant, complainant_rows),
                        (ScheduledJob, job_rows), (OutboundMessage, out_rows)):
        for chunk in _chunks(rows):
            with app.store.transaction() as repos:
                repos.session.execute(insert(model), chunk)
    # the open cases were opened two hours ago: their 50 % reminders fall due at NOW;
    # keep `due` of them due and push the rest an hour out
    first_open = cases - open_cases + 1
    with app.store.transaction() as repos:
        repos.session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.kind == "remind", ScheduledJob.case_id >= first_open + due,
                   ScheduledJob.state == "pending", ScheduledJob.key.like("%remind50"))
            .values(due_at=NOW + timedelta(hours=1)))
    if app.engine.dialect.name == "postgresql":
        with app.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


def timed_tick(app, at: datetime) -> tuple[float, str]:
    t0 = time.perf_counter()
    summary = run_tick(app, at)
    return time.perf_counter() - t0, summary.line(app.config.tz)


def measure(backend: str, cases: int, open_cases: int, due: int) -> dict:
    """Idle tick (median ms) and the busy one (ms per due item, wall and CPU)."""
    with tempfile.TemporaryDirectory() as tmp, scratch_database(backend, tmp, "bench") as url:
        app = _app(url)
        try:
            seed(app, cases, open_cases, due)
            timed_tick(app, NOW - timedelta(minutes=1))  # after the bulk load (checkpoint)
            idle = [timed_tick(app, NOW - timedelta(minutes=1))[0] for _ in range(5)]
            c0 = time.process_time()
            busy, line = timed_tick(app, NOW)
            cpu = time.process_time() - c0
        finally:
            app.engine.dispose()
    return {"idle_ms": statistics.median(idle) * 1000, "per_item_ms": busy / due * 1000,
            "per_item_cpu_ms": cpu / due * 1000, "line": line}


def bench(backend: str, cases: int, open_cases: int, due: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, scratch_database(backend, tmp, "bench") as url:
        app = _app(url)
        try:
            t0 = time.perf_counter()
            seed(app, cases, open_cases, due)
            seeded = time.perf_counter() - t0
            idle = [timed_tick(app, NOW - timedelta(minutes=1))[0] for _ in range(5)]
            busy, line = timed_tick(app, NOW)
            after = [timed_tick(app, NOW)[0] for _ in range(3)]
            print(f"{backend:10s} {cases} cases ({open_cases} open), seeded in {seeded:.1f} s")
            print(f"{'':10s} nothing due: median {statistics.median(idle) * 1000:7.1f} ms")
            print(f"{'':10s} {due} due:    {busy * 1000:7.1f} ms "
                  f"({busy / max(due, 1) * 1000:.2f} ms per item)  [{line}]")
            print(f"{'':10s} same instant again: median "
                  f"{statistics.median(after) * 1000:7.1f} ms (nothing new)")
        finally:
            app.engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=100_000)
    p.add_argument("--open", type=int, default=10_000)
    p.add_argument("--due", type=int, default=1000)
    p.add_argument("--backend", default="all", choices=["sqlite", "postgresql", "all"])
    args = p.parse_args()
    for backend in (["sqlite", "postgresql"] if args.backend == "all" else [args.backend]):
        if backend == "postgresql" and not postgres_answers():
            print("postgresql: not answering at 127.0.0.1:5432, skipped")
            continue
        bench(backend, args.cases, args.open, args.due)


if __name__ == "__main__":
    main()
