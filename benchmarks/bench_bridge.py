"""Throughput and latency of the bridge endpoint, through real HTTP on loopback.

Starts `python -m bot serve` on a fresh database (SQLite, and PostgreSQL where it
answers at 127.0.0.1:5432), sends N signed messages (a mix of complaints and chatter)
from C client threads, and prints messages/s and p50/p99 latency per backend.

    python benchmarks/bench_bridge.py [-n 1000] [-c 4] [--backend sqlite|postgresql|all]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import requests
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.channels.bridge import signed_headers  # noqa: E402
from storage.scratch import postgres_answers, scratch_database  # noqa: E402

SECRET = "bench-secret"
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COMPLAINTS = [
    "{b}号楼{u}单元楼道灯坏了好几天了",
    "{b}号楼电梯又坏了，老人上不去",
    "楼上漏水，{b}号楼{r}天花板在滴水",
    "{b}号楼下水道堵了，污水都冒出来了",
    "小区东门门禁坏了刷不开",
    "{b}号楼楼下有人装修太吵了，晚上十点还在砸墙",
    "垃圾桶满了好几天没人清，臭死了",
    "消防通道又被车堵了",
]
CHATTER = ["大家早上好", "今天天气不错", "谢谢王师傅，修好了", "请问物业电话多少", "收到",
           "明天社区有义诊活动吗", "哈哈哈", "好的好的"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _message(i: int) -> dict:
    rnd = random.Random(i)
    if rnd.random() < 0.4:
        text = rnd.choice(COMPLAINTS).format(b=rnd.randint(1, 30), u=rnd.randint(1, 6),
                                             r=f"{rnd.randint(1, 18)}0{rnd.randint(1, 4)}")
    else:
        text = rnd.choice(CHATTER)
    return {"msg_id": f"bench-{i}-{uuid.uuid4().hex[:6]}", "group_id": "g-1",
            "sender_id": f"u-res-{rnd.randint(1, 200)}", "sender_name": "居民", "text": text}


def _start_server(db_url: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    raw["database"] = {"url": db_url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": SECRET, "outbound_url": ""}
    raw["scheduler"] = {"enabled": False}
    cfg = workdir / "bench.yaml"
    cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "BOT_DATABASE_URL": db_url}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--config", str(cfg),
                             "--host", "127.0.0.1", "--port", str(port), "--threads", "8"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


def _run(base: str, n: int, concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(n))

    def worker() -> None:
        session = requests.Session()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            body = json.dumps(_message(i), ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json",
                       **signed_headers(SECRET, body, time.time())}
            t0 = time.perf_counter()
            resp = session.post(base + "/bridge/messages", data=body, headers=headers,
                                timeout=30)
            elapsed = time.perf_counter() - t0
            if resp.status_code != 200:
                raise SystemExit(f"HTTP {resp.status_code}: {resp.text[:200]}")
            with lock:
                latencies.append(elapsed)

    # warm up (jieba's dictionary, connection pools)
    _run_one_warmup(base)
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, latencies


def _run_one_warmup(base: str) -> None:
    for i in range(5):
        body = json.dumps(_message(10_000_000 + i), ensure_ascii=False).encode()
        requests.post(base + "/bridge/messages", data=body, timeout=60, headers={
            "Content-Type": "application/json", **signed_headers(SECRET, body, time.time())})


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def bench(backend: str, n: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, scratch_database(backend, tmp, "bench") as url:
        proc, base = _start_server(url, Path(tmp))
        try:
            elapsed, lat = _run(base, n, concurrency)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    p50, p99 = statistics.median(lat) * 1000, _percentile(lat, 0.99) * 1000
    print(f"{backend:10s} {n} messages, {concurrency} clients: {n / elapsed:7.1f} msg/s, "
          f"p50 {p50:6.1f} ms, p99 {p99:6.1f} ms")


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
        bench(backend, args.n, args.c)


if __name__ == "__main__":
    main()
