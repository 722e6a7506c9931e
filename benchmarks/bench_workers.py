"""Several worker processes behind one port on PostgreSQL: gunicorn with N = 1, 2, 4
workers (`--preload`: the classifier is loaded once, before the fork), the benchmark's mix
over G groups from C clients; then N `python -m bot tick` processes at once deliver what
the messages planned, to a fake bridge on loopback. Checked, and the run fails if not so:

- no lost message: every request answered 200, every message journalled and handled once;
- no double post: every delivered post reached the bridge once (msg_id), none was left;
- per-group order: each group's posts arrived in the order of their outbox ids.

    python benchmarks/bench_workers.py [-n 600] [-c 8] [--groups 12] [--workers 1 2 4]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_bridge import (  # noqa: E402
    LoadResult,
    Server,
    free_port,
    load,
    rss_mb,
    wait_until_up,
    write_config,
)

from storage.scratch import postgres_answers, scratch_database  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")


class Bridge:
    """The fake bridge: records every post the outbox delivers."""

    def __init__(self):
        self.posts: list[dict] = []
        self.lock = threading.Lock()
        me = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with me.lock:
                    me.posts.append(body)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/outbound"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_gunicorn(cfg: Path, db_url: str, workers: int, threads: int = 0) -> Server:
    threads = threads or int(os.environ.get("BENCH_THREADS", "4"))
    port = free_port()
    env = {**os.environ, "BOT_CONFIG": str(cfg), "BOT_DATABASE_URL": db_url}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers),
                             "-k", "gthread", "--threads", str(threads), "--preload",
                             "-b", f"127.0.0.1:{port}", "bot.wsgi:app"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    return Server(proc, base, wait_until_up(proc, base))


def worker_pids(master: int) -> list[int]:
    path = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def unique_rss_mb(pid: int) -> float:
    """Memory a worker has to itself (private pages; what a forked worker adds)."""
    total = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            total += int(line.split()[1])
    return total / 1024


@dataclass
class WorkersResult:
    workers: int
    load: LoadResult
    started_in: float
    rss_mb: float  # per worker, resident
    private_mb: float  # per worker, its own pages
    posts: int
    problems: list[str]


def tomorrow_morning() -> datetime:
    """10:00 in Shanghai tomorrow: the messages' timers are due, outside quiet hours."""
    day = datetime.now(TZ).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=TZ)


def deliver_with_ticks(cfg: Path, db_url: str, processes: int, at: datetime) -> None:
    """`processes` tick processes at once, again until no post is pending."""
    env = {**os.environ, "BOT_DATABASE_URL": db_url}
    cmd = [sys.executable, "-m", "bot", "tick", "--config", str(cfg), "--at", at.isoformat()]
    engine = create_engine(db_url)
    try:
        for _ in range(12):
            procs = [subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True)
                     for _ in range(processes)]
            for proc in procs:
                _out, err = proc.communicate(timeout=600)
                if proc.returncode != 0:
                    raise SystemExit(f"tick failed: {err[-2000:]}")
            with engine.connect() as conn:
                pending = conn.execute(text(
                    "SELECT count(*) FROM outbound_messages WHERE state = 'pending'")).scalar()
            if not pending:
                return
    finally:
        engine.dispose()


def check(db_url: str, bridge: Bridge, expected_messages: int) -> tuple[int, list[str]]:
    """(posts delivered, what is wrong)."""
    problems = []
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            statuses = dict(conn.execute(text(
                "SELECT status, count(*) FROM inbound_messages GROUP BY status")).all())
            sent = conn.execute(text(
                "SELECT id, revision, group_id FROM outbound_messages WHERE state = 'sent' "
                "ORDER BY id")).all()
            left = conn.execute(text(
                "SELECT count(*) FROM outbound_messages WHERE state = 'pending'")).scalar()
    finally:
        engine.dispose()
    if statuses != {"handled": expected_messages}:
        problems.append(f"messages: {statuses}, expected {expected_messages} handled")
    received = [p["msg_id"] for p in bridge.posts]
    twice = [m for m, k in Counter(received).items() if k > 1]
    if twice:
        problems.append(f"{len(twice)} posts delivered twice, e.g. {twice[:3]}")
    wanted = {f"out-{i}" if not rev else f"out-{i}.{rev}" for i, rev, _g in sent}
    if wanted - set(received):
        problems.append(f"{len(wanted - set(received))} sent posts never reached the bridge")
    if left:
        problems.append(f"{left} posts still pending")
    by_group: dict[str, list[int]] = defaultdict(list)
    for post in bridge.posts:
        by_group[post["group_id"]].append(int(post["msg_id"][4:].split(".")[0]))
    inversions = sum(1 for ids in by_group.values()
                     for a, b in zip(ids, ids[1:], strict=False) if b < a)
    if inversions:
        problems.append(f"{inversions} order inversions within groups")
    return len(received), problems


def run(workers: int, n: int, concurrency: int, groups: int) -> WorkersResult:
    bridge = Bridge()
    try:
        with tempfile.TemporaryDirectory() as tmp, \
                scratch_database("postgresql", tmp, "bench") as url:
            cfg = write_config(url, Path(tmp), outbound_url=bridge.url)
            server = start_gunicorn(cfg, url, workers)
            try:
                result = load(server.base, n, concurrency, groups=groups)
                pids = worker_pids(server.proc.pid)
                rss = sum(rss_mb(p) for p in pids) / max(len(pids), 1)
                private = sum(unique_rss_mb(p) for p in pids) / max(len(pids), 1)
            finally:
                server.stop()
            deliver_with_ticks(cfg, url, workers, tomorrow_morning())
            posts, problems = check(url, bridge, n + 10 * concurrency)
    finally:
        bridge.close()
    return WorkersResult(workers, result, server.started_in, rss, private, posts, problems)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=600)
    p.add_argument("-c", type=int, default=8)
    p.add_argument("--groups", type=int, default=12)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = p.parse_args()
    if not postgres_answers():
        print("postgresql: not answering at 127.0.0.1:5432, skipped")
        return
    first = None
    for w in args.workers:
        r = run(w, args.n, args.c, args.groups)
        first = first or r.load.rate
        print(f"{w} workers: {r.load.rate:7.1f} msg/s ({r.load.rate / first:.2f}x), "
              f"p50 {r.load.p50:.1f} ms, p99 {r.load.p99:.1f} ms; started in "
              f"{r.started_in:.1f} s; {r.rss_mb:.0f} MB resident, {r.private_mb:.0f} MB own "
              f"per worker; {r.posts} posts delivered by {w} tick processes: "
              f"{'; '.join(r.problems) or 'none lost, none twice, order kept'}")
        if r.problems:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
