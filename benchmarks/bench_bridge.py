"""Throughput and latency of the bridge endpoint, through real HTTP on loopback.

Starts a bare Flask + waitress baseline (benchmarks/baseline_app.py: the same HMAC check,
the JSON parsed, one row into SQLite WAL and a commit) and then `python -m bot serve` on
a fresh database (SQLite, and PostgreSQL where it answers), sends N signed messages of
the benchmark's mix (benchmarks/mix.py) from C client threads, and prints messages/s and
p50/p99 latency of each, with serve's share of the baseline.

    python benchmarks/bench_bridge.py [-n 1000] [-c 4] [--backend sqlite|postgresql|all]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from mix import Mix  # noqa: E402

from bot.channels.bridge import signed_headers  # noqa: E402
from storage.scratch import postgres_answers, scratch_database  # noqa: E402

SECRET = "bench-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(proc: subprocess.Popen, base: str, timeout: float = 120) -> float:
    """Seconds until GET /healthz answers."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return time.perf_counter() - t0
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("server did not start")


def write_config(db_url: str, workdir: Path, outbound_url: str = "",
                 scheduler: bool = False) -> Path:
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    raw["database"] = {"url": db_url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": SECRET,
                                 "outbound_url": outbound_url}
    raw["scheduler"] = {"enabled": scheduler}
    cfg = workdir / f"bench-{uuid.uuid4().hex[:6]}.yaml"
    cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return cfg


@dataclass
class Server:
    proc: subprocess.Popen
    base: str
    started_in: float  # seconds until /healthz answered

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_serve(db_url: str, workdir: Path, threads: int = 8) -> Server:
    cfg = write_config(db_url, workdir)
    port = free_port()
    env = {**os.environ, "BOT_DATABASE_URL": db_url}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--config", str(cfg),
                             "--host", "127.0.0.1", "--port", str(port),
                             "--threads", str(threads)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    return Server(proc, base, wait_until_up(proc, base))


def start_baseline(workdir: Path, threads: int = 8) -> Server:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(REPO / "benchmarks" / "baseline_app.py"),
                             "--port", str(port), "--db", str(workdir / "baseline.db"),
                             "--secret", SECRET, "--threads", str(threads)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    return Server(proc, base, wait_until_up(proc, base))


@dataclass
class LoadResult:
    sent: int
    elapsed: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))] * 1000


def load(base: str, n: int, concurrency: int, groups: int = 1, seed: int = 7,
         warmup: int | None = None) -> LoadResult:
    """Send n messages of the mix (spread over `groups` groups, each group's messages in
    order from one client at a time) and time them; every answer must be a 200. First
    `warmup` messages (10 per client by default) from all clients at once, untimed: every
    worker process compiles its statements and fills its pools before the clock runs."""
    mixes = [Mix(seed + g) for g in range(groups)]
    locks = [threading.Lock() for _ in range(groups)]
    run = uuid.uuid4().hex[:6]
    errors: list[str] = []

    def send(session: requests.Session, i: int) -> float:
        g = i % groups
        with locks[g]:  # a group's messages go one after another, as in a real chat
            kind, sender, name, text = mixes[g].message(abs(i) // groups)
            body = json.dumps({"msg_id": f"b-{run}-{i}", "group_id": f"g-bench-{g}",
                               "group_name": f"楼栋群{g}", "sender_id": sender,
                               "sender_name": name, "text": text},
                              ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json",
                       **signed_headers(SECRET, body, time.time())}
            t0 = time.perf_counter()
            resp = session.post(base + "/bridge/messages", data=body, headers=headers,
                                timeout=60)
            elapsed = time.perf_counter() - t0
            if resp.status_code != 200:
                errors.append(f"HTTP {resp.status_code}: {resp.text[:200]}")
            elif kind == "complaint":
                for reply in resp.json().get("replies", []):
                    mixes[g].saw_case(reply.get("case_id"))
        return elapsed

    def phase(indices: range) -> tuple[float, list[float]]:
        lock = threading.Lock()
        counter = iter(indices)
        latencies: list[float] = []

        def worker() -> None:
            session = requests.Session()
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                elapsed = send(session, i)
                with lock:
                    latencies.append(elapsed)

        t0 = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - t0, latencies

    warmup = 10 * concurrency if warmup is None else warmup
    phase(range(-warmup, 0))
    elapsed, latencies = phase(range(n))
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, first: {errors[0]}")
    return LoadResult(len(latencies), elapsed, latencies)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def line(name: str, r: LoadResult) -> str:
    return f"{name:24s} {r.rate:7.1f} msg/s, p50 {r.p50:6.1f} ms, p99 {r.p99:6.1f} ms"


def compare(backend: str, n: int, concurrency: int) -> tuple[LoadResult, LoadResult, Server]:
    """The baseline and `serve` on one backend, one after the other in this run."""
    with tempfile.TemporaryDirectory() as tmp:
        base_server = start_baseline(Path(tmp))
        try:
            baseline = load(base_server.base, n, concurrency, groups=8)
        finally:
            base_server.stop()
        with scratch_database(backend, tmp, "bench") as url:
            server = start_serve(url, Path(tmp))
            try:
                served = load(server.base, n, concurrency, groups=8)
                server.rss = rss_mb(server.proc.pid)
            finally:
                server.stop()
    return baseline, served, server


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=1000)
    p.add_argument("-c", type=int, default=4)
    p.add_argument("--backend", default="all", choices=["sqlite", "postgresql", "all"])
    args = p.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "all" else [args.backend]
    for backend in backends:
        if backend == "postgresql" and not postgres_answers():
            print("postgresql: not answering at 127.0.0.1:5432, skipped")
            continue
        baseline, served, server = compare(backend, args.n, args.c)
        print(line("baseline (Flask+SQLite)", baseline))
        print(line(f"serve ({backend})", served)
              + f"  = {served.rate / baseline.rate:.0%} of the baseline; "
                f"started in {server.started_in:.1f} s, {server.rss:.0f} MB")


if __name__ == "__main__":
    main()
