"""Reliability of the outbox and the tick: rate limits merge a backlog instead of
dropping it; two tick processes at once post everything once; a server killed in the
middle of a delivery loses nothing after it restarts."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

from bot import create_app
from bot.events import Outgoing
from bot.outbox import deliver_due, queue_posts
from tests.conftest import REPO, TZ, Chat, demo_config_dict, make_config


def _queue(bot, now, *texts_, group="g-1", urgent=False):
    with bot.store.transaction() as repos:
        grp = repos.groups.get(group)
        queue_posts(repos, [Outgoing(text=t, kind="notice", key=f"k:{t}", urgent=urgent)
                            for t in texts_],
                    group=grp, now=now, config=bot.config)


def _rate_limited(db_url, receiver, clock, per_minute: int):
    """The bot posting to `receiver` with a rate limit per group."""
    app = create_app(make_config(db_url, outbound_url=receiver.url,
                                 channels={"bridge": {"outbound_url": receiver.url,
                                                      "rate_limit_per_minute": per_minute}}),
                     clock=clock)
    return app.extensions["linli"]


def test_rate_limit_merges_backlog_and_waits(db_url, receiver, clock):
    bot = _rate_limited(db_url, receiver, clock, 2)
    try:
        now = clock()
        _queue(bot, now, "一")
        deliver_due(bot, now)
        _queue(bot, now, "二")
        deliver_due(bot, now)
        _queue(bot, now, "三", "四", "五")
        report = deliver_due(bot, now + timedelta(seconds=1))
        assert report.sent == 0 and [p["text"] for p in receiver.posts] == ["一", "二"]
        assert deliver_due(bot, now + timedelta(seconds=59)).sent == 0
        report = deliver_due(bot, now + timedelta(seconds=61))
        assert report.sent == 1
        assert [p["text"] for p in receiver.posts] == ["一", "二", "三\n\n四\n\n五"]
        with bot.store.transaction() as repos:
            states = repos.outbox.count_by_state()
        assert states == {"sent": 3, "merged": 2}
    finally:
        bot.engine.dispose()


def _seed_due_work(db_url: str, receiver_url: str, cases: int, tmp_path) -> str:
    """Open `cases` cases at 10:00 through the bridge; their reminders fall due at 12:00.
    Returns the path of a config file for the tick processes."""
    raw = demo_config_dict()
    raw["database"] = {"url": db_url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": "", "outbound_url": receiver_url}
    cfg_path = tmp_path / "tick.yaml"
    clock_value = [datetime(2026, 11, 24, 10, 0, tzinfo=TZ)]
    app = create_app(make_config(db_url, outbound_url=receiver_url, secret=""),
                     clock=lambda: clock_value[0])
    try:
        chat = Chat(app.test_client(), lambda: clock_value[0], secret="")
        for i in range(cases):
            chat.say(f"u-res-{i}", f"{i + 1}号楼楼道灯坏了")
    finally:
        app.extensions["linli"].engine.dispose()
    cfg_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return str(cfg_path)


def test_two_tick_processes_at_once_post_everything_once(db_url, tmp_path, receiver):
    cfg = _seed_due_work(db_url, receiver.url, cases=12, tmp_path=tmp_path)
    env = {**os.environ, "BOT_DATABASE_URL": db_url}
    cmd = [sys.executable, "-m", "bot", "tick", "--config", cfg,
           "--at", "2026-11-24T12:00:00+08:00"]
    procs = [subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    ids = [p["msg_id"] for p in receiver.posts]
    reminders = [p for p in receiver.posts if p["kind"] == "reminder"]
    # due together for the same people: one message listing the cases (one per ticking
    # process at most; it was one post per case); every case is reminded exactly once
    listed = [n for p in reminders for n in re.findall(r"#(\d+) ", p["text"])]
    assert len(listed) == 12 and len(set(listed)) == 12, outs
    assert 1 <= len(reminders) <= 2
    assert len(ids) == len(set(ids))
    again = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "nothing due" in again.stdout
    assert len(receiver.posts) == len(ids)


# --- a real server killed in the middle of a delivery ------------------------------------

class SlowOnceReceiver:
    """Hangs on the first request (long enough for the test to kill the sender), then
    answers at once; records every request."""

    def __init__(self):
        self.posts: list[dict] = []
        self.first_seen = threading.Event()
        self.lock = threading.Lock()
        me = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with me.lock:
                    me.posts.append(body)
                    first = len(me.posts) == 1
                if first:
                    me.first_seen.set()
                    time.sleep(8)
                try:
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(cfg: str, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--config", cfg,
                             "--host", "127.0.0.1", "--port", str(port)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not start")


def test_server_killed_mid_delivery_loses_nothing(db_url, tmp_path):
    receiver = SlowOnceReceiver()
    raw = demo_config_dict()
    raw["database"] = {"url": db_url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": "", "outbound_url": receiver.url,
                                 "timeout_seconds": 30}
    raw["scheduler"] = {"enabled": True, "tick_seconds": 1, "delivery_seconds": 0.3,
                        "delivery_lease": "3s"}
    cfg = tmp_path / "crash.yaml"
    cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    port = _free_port()
    server = _start(str(cfg), port)
    try:
        base = f"http://127.0.0.1:{port}"
        # the bot's later posts: queued through a real process's outbox
        app = create_app(make_config(db_url, outbound_url=receiver.url, secret=""))
        bot = app.extensions["linli"]
        # urgent: the real clock may be in quiet hours, which would hold a notice till 07:00
        _queue(bot, datetime.now(TZ) - timedelta(seconds=1), "第一条", "第二条", "第三条",
               urgent=True)
        bot.engine.dispose()
        assert receiver.first_seen.wait(30), "the server never started delivering"
        os.kill(server.pid, signal.SIGKILL)          # dies while the receiver holds post 1
        server.wait(timeout=10)
        server = _start(str(cfg), port)
        # a message arriving after the restart is answered normally
        req = urllib.request.Request(base + "/bridge/messages", method="POST", data=json.dumps(
            {"msg_id": "after-crash", "group_id": "g-1", "sender_id": "u-zhang",
             "text": "早上好"}).encode(), headers={"Content-Type": "application/json"})
        assert json.loads(urllib.request.urlopen(req, timeout=10).read())["ok"] is True
        deadline = time.time() + 40
        while time.time() < deadline:
            texts_seen = [p["text"] for p in receiver.posts]
            if {"第一条", "第二条", "第三条"} <= set(texts_seen):
                break
            time.sleep(0.3)
        texts_seen = [p["text"] for p in receiver.posts]
        # nothing lost; the post in flight was sent again (same msg_id), and order held
        assert [t for t in dict.fromkeys(texts_seen)] == ["第一条", "第二条", "第三条"]
        first_ids = {p["msg_id"] for p in receiver.posts if p["text"] == "第一条"}
        assert len(first_ids) == 1
    finally:
        server.kill()
        server.wait(timeout=10)
        receiver.close()


def test_a_merged_post_gets_a_new_msg_id(db_url, receiver, clock):
    bot = _rate_limited(db_url, receiver, clock, 1)
    try:
        now = clock()
        _queue(bot, now, "一")
        deliver_due(bot, now)
        _queue(bot, now, "二", "三")
        deliver_due(bot, now + timedelta(seconds=1))       # rate limited: 二 absorbs 三
        deliver_due(bot, now + timedelta(seconds=61))
        ids = [p["msg_id"] for p in receiver.posts]
        assert [p["text"] for p in receiver.posts] == ["一", "二\n\n三"]
        assert len(set(ids)) == 2 and ids[1].endswith(".1"), ids  # not the id "二" had
    finally:
        bot.engine.dispose()


class _SlowRefusal:
    """A receiver that answers 429 with Retry-After 8 s after taking 3 s to answer."""

    def __init__(self, clock):
        self.clock = clock

    def rate_limit(self, group):
        return None

    def send(self, post, group):
        from bot.events import DeliveryResult

        self.clock.advance(seconds=3)
        return DeliveryResult(ok=False, error="HTTP 429", retry_after=8.0)


def test_retry_after_counts_from_the_answer(db_url, clock):
    slow = _SlowRefusal(clock)
    app = create_app(make_config(db_url), clock=clock,
                     senders={"bridge": slow, "wecom": slow})
    bot = app.extensions["linli"]
    try:
        start = clock()
        _queue(bot, start, "一")
        deliver_due(bot)
        with bot.store.transaction() as repos:
            (post,) = repos.outbox.recent_in_group("g-1", 1)
            assert post.next_attempt_at == start + timedelta(seconds=3 + 8)
    finally:
        bot.engine.dispose()


def test_a_groups_posts_take_their_order_in_commit_order(db_url, clock):
    """Two writers queue posts for one group at once: the second waits for the first to
    commit, so delivery order (ids) is commit order and no later post overtakes."""
    app = create_app(make_config(db_url), clock=clock)
    bot = app.extensions["linli"]
    order: list[str] = []
    first_inserted = threading.Event()

    def writer(name: str, hold: float, wait_for: threading.Event | None):
        if wait_for is not None:
            wait_for.wait(5)
        with bot.store.transaction() as repos:
            grp = repos.groups.get("g-1")
            (row,) = queue_posts(repos, [Outgoing(text=name, kind="notice", key=f"k:{name}")],
                                 group=grp, now=clock(), config=bot.config)
            if wait_for is None:
                first_inserted.set()
                time.sleep(hold)
            order.append(f"{name}:{row.id}")

    try:
        a = threading.Thread(target=writer, args=("A", 0.5, None))
        b = threading.Thread(target=writer, args=("B", 0.0, first_inserted))
        a.start()
        b.start()
        a.join(10)
        b.join(10)
        (a_name, a_id), (b_name, b_id) = (x.split(":") for x in order)
        assert (a_name, b_name) == ("A", "B")  # B committed after A …
        assert int(a_id) < int(b_id)           # … and its post comes after A's
    finally:
        bot.engine.dispose()


def test_a_timer_reads_a_case_only_after_another_change_commits(db_url, clock):
    """Two ticks' timers about one case: the second waits for the first's change and reads
    it (PostgreSQL row lock; SQLite lets one writer in) — no lost update of the tier."""
    app = create_app(make_config(db_url, secret=""), clock=clock)
    bot = app.extensions["linli"]
    chat = Chat(app.test_client(), clock, secret="")
    chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
    case_id = chat.last["replies"][0]["case_id"]
    locked = threading.Event()
    seen: list[int] = []

    def first():
        with bot.store.transaction() as repos:
            repos.cases.preload([case_id], lock=True)
            case = repos.cases.get(case_id)
            locked.set()
            time.sleep(0.5)
            case.tier += 1

    def second():
        locked.wait(5)
        with bot.store.transaction() as repos:
            repos.cases.preload([case_id], lock=True)
            case = repos.cases.get(case_id)
            seen.append(case.tier)
            case.tier += 1

    try:
        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert seen == [2]  # the second saw the first's change …
        with bot.store.transaction() as repos:
            assert repos.cases.get(case_id).tier == 3  # … and neither was lost
    finally:
        bot.engine.dispose()


def test_quiet_hours_hold_every_planned_post_but_not_answers(db_url, clock):
    app = create_app(make_config(db_url), clock=clock)
    bot = app.extensions["linli"]
    try:
        night = datetime(2026, 11, 24, 23, 0, tzinfo=TZ)
        with bot.store.transaction() as repos:
            grp = repos.groups.get("g-1")
            (notice,) = queue_posts(repos, [Outgoing(text="通知", kind="notice", key="k:n")],
                                    group=grp, now=night, config=bot.config)
            (urgent,) = queue_posts(repos, [Outgoing(text="紧急", kind="ping", key="k:u",
                                                     urgent=True)],
                                    group=grp, now=night, config=bot.config)
            assert notice.next_attempt_at == datetime(2026, 11, 25, 7, 0, tzinfo=TZ)
            assert urgent.next_attempt_at == night
    finally:
        bot.engine.dispose()
