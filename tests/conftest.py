"""Shared fixtures: a database per test (SQLite, and PostgreSQL where it answers), a
frozen clock, the real Flask app, a `chat` that speaks the bridge protocol, and a fake
bridge receiver on loopback.

PostgreSQL: tests that take `db_url` run on both backends. Where PostgreSQL does not
answer they skip with a reason, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.channels.bridge import signed_headers
from bot.config import Config
from bot.config_file import config_from_dict
from storage.scratch import postgres_answers, scratch_database

REPO = Path(__file__).resolve().parents[1]
TZ = ZoneInfo("Asia/Shanghai")
SECRET = "test-secret"


# --- network guard: nothing but loopback -------------------------------------------------

_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6):
        if not (host.startswith("127.") or host in ("localhost", "::1")):
            raise RuntimeError(f"test tried to reach {host}: only loopback is allowed")
    return _real_connect(self, address)


socket.socket.connect = _loopback_only


# --- databases ---------------------------------------------------------------------------

def require_postgres() -> None:
    if postgres_answers():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("PostgreSQL does not answer at 127.0.0.1:5432 and CI=true: "
                    "the PostgreSQL paths must be tested in CI")
    pytest.skip("PostgreSQL does not answer at 127.0.0.1:5432 (outside CI)")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database on each backend."""
    if request.param == "postgresql":
        require_postgres()
    with scratch_database(request.param, tmp_path, "linli") as url:
        yield url
        _dispose_engines()  # before the schema is dropped


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'linli.db'}"


_ENGINES: list = []


def _dispose_engines() -> None:
    while _ENGINES:
        _ENGINES.pop().dispose()


# --- config and clock ----------------------------------------------------------------------

def demo_config_dict() -> dict:
    return yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))


def make_config(db_url: str, *, outbound_url: str = "", secret: str = SECRET,
                **overrides) -> Config:
    raw = demo_config_dict()
    raw["database"] = {"url": db_url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": secret, "outbound_url": outbound_url}
    raw.update(overrides)
    return config_from_dict(raw, environ={})


class FrozenClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when

    def advance(self, **delta) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def clock():
    return FrozenClock(datetime(2026, 11, 24, 10, 0, tzinfo=TZ))  # a Tuesday: no calendar posts


# --- fake bridge receiver ------------------------------------------------------------------

class Receiver:
    """A loopback HTTP server standing in for a bridge's outbound endpoint."""

    def __init__(self):
        self.posts: list[dict] = []
        self.headers: list[dict] = []
        self.fail_next = 0  # answer this many requests with `fail_status`
        self.fail_status = 503
        self.retry_after: str | None = None
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    if receiver.fail_next > 0:
                        receiver.fail_next -= 1
                        self.send_response(receiver.fail_status)
                        if receiver.retry_after:
                            self.send_header("Retry-After", receiver.retry_after)
                        self.end_headers()
                        return
                    receiver.posts.append(json.loads(body))
                    receiver.headers.append({**self.headers, "_raw": body})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/outbound"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


# --- the app and the chat ------------------------------------------------------------------

@pytest.fixture
def config(db_url, receiver):
    return make_config(db_url, outbound_url=receiver.url)


def running_app(config: Config, clock, **options):
    """The real Flask app for a fixture to yield; its engine is disposed afterwards."""
    from bot import create_app

    flask_app = create_app(config, clock=clock, **options)
    _ENGINES.append(flask_app.extensions["linli"].engine)
    yield flask_app
    flask_app.extensions["linli"].engine.dispose()


@pytest.fixture
def app(config, clock):
    yield from running_app(config, clock)


@pytest.fixture
def bot(app):
    return app.extensions["linli"]


class Chat:
    """A fake group that speaks the bridge protocol to the real app.

    `say(sender, text)` posts a signed message and returns the bot's reply texts;
    `.last` keeps the whole JSON answer.
    """

    def __init__(self, client, clock, group_id="g-1", secret=SECRET):
        self.client, self.clock, self.group_id, self.secret = client, clock, group_id, secret
        self.last: dict = {}
        self._n = 0

    def post(self, payload: dict | bytes, *, secret: str | None = None, ts: float | None = None,
             headers: dict | None = None):
        body = payload if isinstance(payload, bytes) else json.dumps(
            payload, ensure_ascii=False).encode()
        hdrs = {"Content-Type": "application/json"}
        key = self.secret if secret is None else secret
        if key:
            hdrs.update(signed_headers(key, body, ts if ts is not None else time.time()))
        hdrs.update(headers or {})
        return self.client.post("/bridge/messages", data=body, headers=hdrs)

    def payload(self, sender: str, text: str, **extra) -> dict:
        self._n += 1
        data = {"msg_id": extra.pop("msg_id", f"m-{self._n}-{uuid.uuid4().hex[:6]}"),
                "group_id": extra.pop("group_id", self.group_id), "sender_id": sender,
                "text": text, "sent_at": self.clock().isoformat()}
        data.update(extra)
        return data

    def say(self, sender: str, text: str, **extra) -> list[str]:
        resp = self.post(self.payload(sender, text, **extra))
        assert resp.status_code == 200, resp.get_data(as_text=True)
        self.last = resp.get_json()
        return [r["text"] for r in self.last["replies"]]


@pytest.fixture
def chat(app, clock):
    return Chat(app.test_client(), clock)


# --- fake WeCom servers on loopback --------------------------------------------------------

@pytest.fixture
def qyapi():
    """A fake qyapi.weixin.qq.com (webhook, gettoken, message/send, groupchat/get)."""
    from tests.fake_wecom import FakeQyapi

    fake = FakeQyapi()
    yield fake
    fake.close()


@pytest.fixture
def wecom_options() -> dict:
    """What the `wecom` app turns on besides the self-built app (a test module overrides
    this fixture, e.g. {"aibot": False})."""
    return {}


@pytest.fixture
def wecom(db_url, clock, qyapi, receiver, wecom_options):
    """The real app with the WeCom self-built app against the fake qyapi; its private
    sender is idle before the app closes."""
    from bot.channels.wecom_app import worker_of
    from tests.fake_wecom import wecom_config

    config = wecom_config(db_url, api_base=qyapi.url, app=True, outbound_url=receiver.url,
                          **wecom_options)
    running = running_app(config, clock)
    flask_app = next(running)
    yield flask_app
    worker_of(flask_app).wait_idle()
    yield from running


@pytest.fixture
def wbot(wecom):
    return wecom.extensions["linli"]


@pytest.fixture
def peer(wecom):
    """The self-built app's side of WeCom: encrypted callbacks to `/wecom/app`."""
    from tests.fake_wecom import AppPeer

    return AppPeer(wecom.test_client())


@pytest.fixture
def ws():
    """A fake AI-bot long-connection server."""
    from tests.fake_wecom import FakeWecomWS

    fake = FakeWecomWS()
    yield fake
    fake.close()


@pytest.fixture
def images():
    """A loopback server for photo URLs (tests/fake_media.py)."""
    from tests.fake_media import ImageServer

    server = ImageServer()
    yield server
    server.close()
