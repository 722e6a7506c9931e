"""CPU per message in-process: the benchmark's mix (benchmarks/mix.py) handed to
`bot.ingest.receive` one at a time, on SQLite and (where it answers) PostgreSQL.

Prints, per kind of message and for the whole mix, the median CPU time of the calling
thread (time.thread_time: the database server's own CPU on PostgreSQL is not in it) and
the median number of SQL statements.

    python benchmarks/bench_inprocess.py [-n 400] [--backend sqlite|postgresql|all]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from mix import Mix, StatementCounter  # noqa: E402

from bot import build_application  # noqa: E402
from bot.config_file import config_from_dict  # noqa: E402
from bot.events import IncomingMessage  # noqa: E402
from bot.ingest import receive  # noqa: E402
from storage.scratch import postgres_answers, scratch_database  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 24, 10, 0, tzinfo=TZ)  # a Tuesday morning, outside quiet hours


class StepClock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def make_app(url: str, clock):
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    raw["database"] = {"url": url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": "", "outbound_url": ""}
    raw["scheduler"] = {"enabled": False}
    return build_application(config_from_dict(raw, environ={}), clock=clock)


def run_mix(app, clock: StepClock, n: int, warmup: int = 60) -> dict[str, list[tuple]]:
    """(cpu seconds, statements) per message, by kind (after `warmup` messages)."""
    counter = StatementCounter(app.engine)
    mix = Mix()
    run = uuid.uuid4().hex[:8]
    out: dict[str, list[tuple]] = defaultdict(list)
    try:
        for i in range(warmup + n):
            kind, sender, name, text = mix.message(i)
            clock.now += timedelta(seconds=20)
            msg = IncomingMessage(channel="bridge", msg_id=f"in-{run}-{i}", group_id="g-1",
                                  sender_id=sender, sender_name=name, text=text,
                                  sent_at=clock.now)
            with counter.counting() as seen:
                t0 = time.thread_time()
                result = receive(app, msg)
                cpu = time.thread_time() - t0
            for reply in result.replies:
                if kind == "complaint":
                    mix.saw_case(reply.get("case_id"))
            if i >= warmup:
                out[kind].append((cpu, len(seen)))
    finally:
        counter.close()
    return out


def summary(results: dict[str, list[tuple]]) -> tuple[float, dict[str, tuple[float, float]]]:
    """(median CPU ms of the whole mix, {kind: (median ms, median statements)})."""
    kinds = {kind: (statistics.median(c for c, _ in rows) * 1000,
                    statistics.median(s for _, s in rows)) for kind, rows in results.items()}
    every = [c for rows in results.values() for c, _ in rows]
    return statistics.median(every) * 1000, kinds


def bench(backend: str, n: int) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp, scratch_database(backend, tmp, "bench") as url:
        clock = StepClock(START)
        app = make_app(url, clock)
        try:
            return summary(run_mix(app, clock, n))
        finally:
            app.engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=400)
    p.add_argument("--backend", default="all", choices=["sqlite", "postgresql", "all"])
    args = p.parse_args()
    for backend in (["sqlite", "postgresql"] if args.backend == "all" else [args.backend]):
        if backend == "postgresql" and not postgres_answers():
            print("postgresql: not answering at 127.0.0.1:5432, skipped")
            continue
        median, kinds = bench(backend, args.n)
        parts = ", ".join(f"{k} {ms:.2f} ms/{st:.0f} stmts"
                          for k, (ms, st) in sorted(kinds.items()))
        print(f"{backend:10s} mix median {median:.2f} ms CPU per message  ({parts})")


if __name__ == "__main__":
    main()
