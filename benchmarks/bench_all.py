"""`make bench`: every speed figure of the fast path in one table, with the targets.

- CPU per message in-process (the mix of benchmarks/mix.py), SQLite and PostgreSQL;
- HTTP, one `serve` process, against a bare Flask + waitress baseline in the same run;
- gunicorn with 1, 2, 4 workers on PostgreSQL (and the delivery check of bench_workers);
- a tick: per due timer (fired, posted, delivered) and idle at two table sizes;
- memory per worker and the start-up time of `serve`.

The machine is shared: the load average is printed before and after, and ratios measured
in the same run mean more than absolute figures.

    python benchmarks/bench_all.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_bridge  # noqa: E402
import bench_inprocess  # noqa: E402
import bench_tick  # noqa: E402
import bench_workers  # noqa: E402

from storage.scratch import postgres_answers  # noqa: E402


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _row(rows: list[tuple[str, str, str]], what: str, value: str, target: str = "") -> None:
    rows.append((what, value, target))
    print(f"  … {what}: {value}", file=sys.stderr, flush=True)


def _ok(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller runs (a first look)")
    args = p.parse_args()
    n_mix, n_http, n_workers = (150, 200, 200) if args.quick else (400, 800, 600)
    tick_sizes = (2000, 20000) if args.quick else (5000, 50000)
    backends = ["sqlite"] + (["postgresql"] if postgres_answers() else [])
    load_before = _load()
    rows: list[tuple[str, str, str]] = []

    for backend, target in (("sqlite", 2.0), ("postgresql", 3.0)):
        if backend not in backends:
            continue
        median, kinds = bench_inprocess.bench(backend, n_mix)
        detail = ", ".join(f"{k} {ms:.1f}" for k, (ms, _st) in sorted(kinds.items()))
        _row(rows, f"CPU per message, {backend} (median of the mix)",
             f"{median:.2f} ms ({detail})", f"<= {target} ms: {_ok(median <= target)}")

    serve_start = serve_rss = None
    for backend in backends:
        baseline, served, server = bench_bridge.compare(backend, n_http, 4)
        ratio = served.rate / baseline.rate
        _row(rows, f"HTTP 1 process, {backend}, 4 clients",
             f"{served.rate:.0f} msg/s, p50 {served.p50:.1f} ms, p99 {served.p99:.1f} ms",
             f">= 50% of baseline: {ratio:.0%} {_ok(ratio >= 0.5)}")
        _row(rows, "  baseline: Flask + waitress + HMAC + 1 SQLite insert",
             f"{baseline.rate:.0f} msg/s, p50 {baseline.p50:.1f} ms, "
             f"p99 {baseline.p99:.1f} ms")
        if backend == "sqlite":
            serve_start, serve_rss = server.started_in, server.rss

    if "postgresql" in backends:
        first = None
        for workers in (1, 2, 4):
            r = bench_workers.run(workers, n_workers, 8, 12)
            first = first or r.load.rate
            _row(rows, f"gunicorn {workers} worker(s), PostgreSQL, 8 clients",
                 f"{r.load.rate:.0f} msg/s ({r.load.rate / first:.2f}x), p50 {r.load.p50:.0f} "
                 f"ms, p99 {r.load.p99:.0f} ms",
                 "; ".join(r.problems) or f"{r.posts} posts by {workers} ticks: none lost, "
                                          "none twice, order kept")
            if workers == 4:
                _row(rows, "memory per gunicorn worker (--preload)",
                     f"{r.rss_mb:.0f} MB resident, {r.private_mb:.0f} MB its own")
                _row(rows, "start-up of gunicorn -w 4 --preload (to /healthz)",
                     f"{r.started_in:.1f} s")

    for backend, target in (("sqlite", 1.0), ("postgresql", 2.0)):
        if backend not in backends:
            continue
        small, big = (bench_tick.measure(backend, size, size // 10, 1000)
                      for size in tick_sizes)
        per = big["per_item_ms"]
        _row(rows, f"tick per due timer (fired, posted, delivered), {backend}",
             f"{per:.2f} ms wall, {big['per_item_cpu_ms']:.2f} ms CPU (1000 due)",
             f"<= {target} ms: {_ok(per <= target)}")
        _row(rows, f"idle tick, {backend}, {tick_sizes[0]} -> {tick_sizes[1]} cases",
             f"{small['idle_ms']:.1f} ms -> {big['idle_ms']:.1f} ms", "flat")

    if serve_start is not None:
        _row(rows, "memory of one serve process (SQLite, after the run)", f"{serve_rss:.0f} MB")
        _row(rows, "start-up of serve (migrations, roster, classifier; to /healthz)",
             f"{serve_start:.1f} s")

    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(f"Linli fast path — {os.cpu_count()} cores, load average {load_before} before, "
          f"{_load()} after")
    print(f"{'':{width}}  {'measured':{vwidth}}  target")
    for what, value, target in rows:
        print(f"{what:{width}}  {value:{vwidth}}  {target}")


if __name__ == "__main__":
    main()
