"""How long the desk's board takes with a big database: 100 000 cases (20 000 open, of
all categories, in 300 buildings and 50 groups), on SQLite and (where it answers)
PostgreSQL. Times a signed-in `GET /desk/` (queries and rendering: the first page, its
total and every filter's counts) with no filter, a category, a building, overdue, and a
text search.

    python benchmarks/bench_desk_board.py [--cases 100000] [--open 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_tick import CHUNK, GROUPS, NOW, _chunks  # noqa: E402

from bot.config_file import config_from_dict  # noqa: E402
from bot.domain.categories import CATEGORY_CODES  # noqa: E402
from bot.domain.desk import issue_link  # noqa: E402
from storage.models import Case, CaseComplainant, Group, Member  # noqa: E402
from storage.scratch import postgres_answers, scratch_database  # noqa: E402

QUERIES = {"no filter": "", "category": "?category=elevator", "building": "?building=17",
           "overdue": "?overdue=1", "text search": "?q=%E6%BC%8F%E6%B0%B4",
           "page 50": "?page=50"}


def _flask(url: str):
    import yaml

    from bot import create_app

    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    raw["database"] = {"url": url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": "", "outbound_url": ""}
    raw["desk"] = {"enabled": True, "secret": "bench-secret-0123456789"}
    raw["scheduler"] = {"enabled": False}
    return create_app(config_from_dict(raw, environ={}), clock=lambda: NOW)


def seed(app, cases: int, open_cases: int) -> None:
    start = NOW - timedelta(days=365)
    with app.store.transaction() as repos:
        s = repos.session
        s.execute(insert(Group), [{"id": f"bench-g{g}", "community_id": "sunshine",
                                   "name": f"楼栋群{g}", "channel": "bridge", "webhook_key": "",
                                   "registered_at": start} for g in range(GROUPS)])
        s.execute(insert(Member), [{"id": 100_000 + m, "community_id": "sunshine",
                                    "external_id": f"bench-u{m}", "name": f"居民{m}",
                                    "first_seen_at": start} for m in range(1000)])
    words = ("楼道灯坏了", "天花板漏水", "电梯停了", "垃圾没人收", "晚上装修太吵")
    case_rows, complainant_rows = [], []
    for i in range(1, cases + 1):
        is_open = i > cases - open_cases
        opened = NOW - timedelta(hours=i % 200) if is_open else start + timedelta(minutes=5 * i)
        case_rows.append({
            "id": i, "community_id": "sunshine", "group_id": f"bench-g{i % GROUPS}",
            "category": CATEGORY_CODES[i % len(CATEGORY_CODES)], "urgent": i % 37 == 0,
            "priority": 1 if i % 37 == 0 else 0, "group_complaint": i % 53 == 0,
            "state": ("open", "assigned", "acknowledged", "in_progress")[i % 4] if is_open
            else "closed", "tier": 1, "location": {"building": str(i % 300 + 1)},
            "text": f"{i % 300 + 1}号楼{words[i % len(words)]}", "keywords": [],
            "complainant_id": 100_000 + i % 1000, "assignee_id": None,
            "opened_at": opened, "respond_by": opened + timedelta(hours=4),
            "resolve_by": opened + timedelta(hours=72), "updated_at": opened,
            "acknowledged_at": opened + timedelta(hours=1) if i % 4 >= 2 else None,
            "rating": None if is_open else "satisfied",
            "resolved_at": None if is_open else opened + timedelta(hours=5),
            "closed_at": None if is_open else opened + timedelta(hours=6)})
        complainant_rows.append({"case_id": i, "member_id": 100_000 + i % 1000,
                                 "joined_at": opened})
    for model, rows in ((Case, case_rows), (CaseComplainant, complainant_rows)):
        for chunk in _chunks(rows):
            with app.store.transaction() as repos:
                repos.session.execute(insert(model), chunk)
    if app.engine.dialect.name == "postgresql":
        with app.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


def bench(backend: str, cases: int, open_cases: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, scratch_database(backend, tmp, "bench") as url:
        flask_app = _flask(url)
        app = flask_app.extensions["linli"]
        try:
            t0 = time.perf_counter()
            seed(app, cases, open_cases)
            seeded = time.perf_counter() - t0
            client = flask_app.test_client()
            with app.store.transaction() as repos:
                li = repos.members.by_external("sunshine", "u-li")
                token = issue_link(repos, li, app.wall_clock(), 10).token
            assert client.post("/desk/login", data={"t": token}).status_code == 302
            print(f"{backend:10s} {cases} cases ({open_cases} open), seeded in {seeded:.1f} s "
                  f"(chunks of {CHUNK})")
            for _name, query in QUERIES.items():
                times = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    resp = client.get("/desk/" + query)
                    times.append(time.perf_counter() - t0)
                    assert resp.status_code == 200
                ms = statistics.median(times) * 1000
                print(f"{'':10s} GET /desk/{query:24s} median {ms:7.1f}"
                      f" ms  (max {max(times) * 1000:.1f})")
        finally:
            app.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bench("sqlite", args.cases, args.open, args.runs)
    if postgres_answers():
        bench("postgresql", args.cases, args.open, args.runs)
    else:
        print("postgresql: does not answer at 127.0.0.1:5432, skipped")


if __name__ == "__main__":
    main()
