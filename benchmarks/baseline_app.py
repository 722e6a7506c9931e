"""The HTTP baseline of the benchmarks: a bare Flask + waitress endpoint doing the least a
bridge endpoint must — check the same HMAC signature, parse the JSON, insert one row into
SQLite (WAL) and commit — against which `serve` is measured in the same run.

    python benchmarks/baseline_app.py --port 8100 --db /tmp/baseline.db [--threads 8]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import threading
import time
from pathlib import Path

from flask import Flask, jsonify, request

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.channels.bridge import verify  # noqa: E402  (the same signature check)


def create(db: str, secret: str) -> Flask:
    app = Flask("baseline")
    local = threading.local()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS inbound (id INTEGER PRIMARY KEY, "
                     "msg_id TEXT UNIQUE, group_id TEXT, sender_id TEXT, text TEXT, "
                     "received REAL)")

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "conn"):
            local.conn = sqlite3.connect(db, timeout=30, isolation_level=None)
            local.conn.execute("PRAGMA synchronous=NORMAL")
        return local.conn

    @app.post("/bridge/messages")
    def messages():
        body = request.get_data(cache=False)
        problem = verify(secret, request.headers, body, time.time())
        if problem:
            return jsonify({"ok": False, "error": problem}), 401
        data = json.loads(body.decode("utf-8"))
        conn = connection()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT OR IGNORE INTO inbound (msg_id, group_id, sender_id, text, "
                     "received) VALUES (?, ?, ?, ?, ?)",
                     (data["msg_id"], data["group_id"], data["sender_id"], data["text"],
                      time.time()))
        conn.execute("COMMIT")
        return jsonify({"ok": True, "replies": []})

    @app.get("/healthz")
    def health():
        return jsonify({"ok": True})

    return app


def main() -> None:
    import waitress

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--secret", default="bench-secret")
    p.add_argument("--threads", type=int, default=8)
    args = p.parse_args()
    waitress.serve(create(args.db, args.secret), host="127.0.0.1", port=args.port,
                   threads=args.threads, ident="baseline")


if __name__ == "__main__":
    main()
