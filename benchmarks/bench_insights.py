"""How long the analytics take on a big database: 100 000 cases over a year (about 8 000
a month) in 17 categories and 40 buildings, on SQLite and (where it answers) PostgreSQL.

Prints the time of the desk's 三率 page computation (`trends` over 3 months, every
dimension), of the hot spots (`find_hotspots`, 30 days) and of the month's Excel
workbook (`monthly_reports` + `to_xlsx`).

    python benchmarks/bench_insights.py [--cases 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import insert

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot import build_application, exports  # noqa: E402
from bot.config_file import config_from_dict  # noqa: E402
from bot.domain.categories import CATEGORY_CODES  # noqa: E402
from bot.domain.hotspots import find_hotspots  # noqa: E402
from bot.domain.trends import trends  # noqa: E402
from storage.models import Case, CaseComplainant, Member  # noqa: E402
from storage.scratch import postgres_answers, scratch_database  # noqa: E402

NOW = datetime.fromisoformat("2026-12-01T10:00:00+08:00")
CHUNK = 5000


def _app(url: str):
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    raw["database"] = {"url": url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": "", "outbound_url": ""}
    return build_application(config_from_dict(raw, environ={}), clock=lambda: NOW)


def seed(app, cases: int) -> None:
    rnd = random.Random(7)
    start = NOW - timedelta(days=365)
    with app.store.transaction() as repos:
        repos.session.execute(insert(Member), [
            {"id": 100_000 + m, "community_id": "sunshine", "external_id": f"bench-u{m}",
             "name": f"居民{m}", "first_seen_at": start} for m in range(1000)])
    rows, complainants = [], []
    step = timedelta(days=365) / cases
    for i in range(1, cases + 1):
        opened = start + step * i
        acked = opened + timedelta(minutes=rnd.randint(5, 600)) if rnd.random() < 0.9 else None
        resolved = acked + timedelta(hours=rnd.randint(1, 96)) if acked and \
            rnd.random() < 0.8 else None
        state = "closed" if resolved and resolved < NOW else "acknowledged" if acked else "open"
        rows.append({
            "id": i, "community_id": "sunshine", "group_id": "g-1",
            "category": rnd.choice(CATEGORY_CODES), "urgent": False, "priority": 0,
            "group_complaint": False, "state": state, "tier": rnd.choice((1, 1, 1, 2, 3)),
            "location": {"building": str(rnd.randint(1, 40))}, "text": "问题",
            "keywords": [], "complainant_id": 100_000 + i % 1000, "opened_at": opened,
            "respond_by": opened + timedelta(hours=4), "resolve_by": opened + timedelta(hours=72),
            "acknowledged_at": acked, "resolved_at": resolved if state == "closed" else None,
            "closed_at": resolved if state == "closed" else None, "updated_at": opened,
            "assignee_id": 100_000 + rnd.randint(0, 5) if acked else None})
        complainants.append({"case_id": i, "member_id": 100_000 + i % 1000,
                             "joined_at": opened})
    with app.store.transaction() as repos:
        for i in range(0, len(rows), CHUNK):
            repos.session.execute(insert(Case), rows[i:i + CHUNK])
            repos.session.execute(insert(CaseComplainant), complainants[i:i + CHUNK])


def _timed(fn, rounds: int) -> str:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return f"median {statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f})"


def run(backend: str, cases: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, scratch_database(backend, Path(tmp),
                                                                "bench") as url:
        app = _app(url)
        seed(app, cases)
        tz = app.config.tz

        def page():
            with app.store.transaction() as repos:
                trends(repos, ["sunshine"], NOW - timedelta(days=92), NOW, tz, NOW)

        def spots():
            with app.store.transaction() as repos:
                find_hotspots(repos, app.config, "sunshine", NOW)

        def workbook():
            with app.store.transaction() as repos:
                reports = exports.monthly_reports(repos, app.config, 2026, 11, NOW)
            exports.to_xlsx(reports, tz)

        print(f"{backend}, {cases} cases: 三率 page (3 months, all dimensions) "
              f"{_timed(page, rounds)}; hot spots (30 days) {_timed(spots, rounds)}; "
              f"November XLSX {_timed(workbook, rounds)}")
        app.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    run("sqlite", args.cases, args.rounds)
    if postgres_answers():
        run("postgresql", args.cases, args.rounds)


if __name__ == "__main__":
    main()
