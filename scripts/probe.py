"""Probe a running Linli end to end and print the figures of one summary table.

Starts the real server (`python -m bot serve`) on a free loopback port with a fresh
database — a SQLite file in a temporary folder, or with ``--postgres`` a scratch schema on
the local PostgreSQL (127.0.0.1:5432, database ``test``, dropped afterwards, as the test
fixtures make it; ``TEST_POSTGRES_URL`` overrides) — next to a fake bridge receiver and a
fake qyapi (WeCom API) on loopback that record every post. Nothing leaves the machine.
Then it sends a few thousand requests, all seeded (``--seed``):

1. fuzz: random and hostile payloads, in the manner of hypothesis, to every endpoint —
   the bridge (signed and forged, fields of every type, random bytes, deep nesting, too
   large, wrong content type, replays), the AI-bot callback (encrypted messages of every
   shape, forged signatures, deeply nested bodies, URL checks), the self-built app
   callback (encrypted XML with nested, repeated and odd fields, forged ones) and
   ``/healthz``, ``/healthz/ready`` and unknown paths and methods;
2. chat-command abuse through the bridge: huge arguments, unknown commands, bad case
   numbers, absurd durations and times, odd mentions, by residents, staff and moderators;
   and the same message delivered three times at once;
3. private numbers: complaints carrying phone, landline, ID and bank-card numbers in many
   written forms; none may appear raw (nor its digits, whatever the separators) in any
   post: inline answers, posts to the bridge, messages of the app;
4. a burst of ordered ``/报修`` messages in several groups at once: each opens a case
   whose response deadline (``--respond``, 15 s) passes during the run, so each must come
   back exactly once in an escalation post to the bridge receiver (cases due together for
   the same people are listed in one post), which answers every fifth
   post with 503 to make the outbox retry. Counted: posts received vs expected, duplicate
   msg_ids, and order inversions per group (against the order of the messages, and of
   the outbox's ids).

Exit status 1 when a figure is off: a 5xx, no answer, a traceback in the server's log, an
apology for a failed handler, a raw private number, a missing, duplicate or out-of-order
post.

Run it from the repository root (it is not part of the pytest suite)::

    .venv/bin/python scripts/probe.py                  # SQLite in a temporary folder
    .venv/bin/python scripts/probe.py --postgres       # a scratch PostgreSQL schema
    .venv/bin/python scripts/probe.py --seed 7 --fuzz 3000 --groups 6 --burst 40
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from contextlib import ExitStack
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import requests
import xmltodict
import yaml
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot import texts  # noqa: E402
from bot.channels.bridge import sign, signed_headers  # noqa: E402
from bot.channels.wecom_crypto import signature  # noqa: E402
from storage.scratch import postgres_answers, scratch_database  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
SECRET = "probe-secret"
TOKEN = "probe-token"
AES_KEY = base64.b64encode(bytes(range(7, 39))).decode().rstrip("=")  # 43 characters
CORP_ID = "ww-probe"
APP_SECRET = "probe-app-secret"
AGENT_ID = 1000002
HOOK_KEY = "PROBE-HOOK-KEY"
AIBOT_KEY = WeChatCrypto(TOKEN, AES_KEY, "").key
MEMBERS = ["u-zhang", "u-gao", "u-laoliu", "u-xiaosun", "u-wang", "u-chen", "u-zhou",
           "u-zhao", "u-li", "u-liu"]
RACES = 20  # messages delivered three times at once


# --- the fakes on loopback: the bridge's receiver and qyapi -----------------------------------

class Fakes:
    """One loopback HTTP server: ``/outbound`` (the bridge receiver, every fifth post
    answered 503 with Retry-After: 1) and ``/cgi-bin/…`` (gettoken, message/send,
    webhook/send)."""

    def __init__(self, fail_every: int = 5):
        self.posts: list[dict] = []           # accepted bridge posts, in arrival order
        self.refused = 0                      # bridge posts answered 503 on purpose
        self.bad_signatures = 0
        self.app_messages: list[dict] = []
        self.webhook_posts: list[dict] = []
        self.fail_every = fail_every
        self._seen = 0
        self.lock = threading.Lock()
        fakes = self

        class Handler(BaseHTTPRequestHandler):
            def _json(self, payload: dict, status: int = 200, headers: dict | None = None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if urlparse(self.path).path == "/cgi-bin/gettoken":
                    return self._json({"errcode": 0, "errmsg": "ok", "access_token": "tok",
                                       "expires_in": 7200})
                return self._json({"errcode": 404}, 404)

            def do_POST(self):
                url = urlparse(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if url.path == "/outbound":
                    return self._outbound(raw)
                body = json.loads(raw or b"{}")
                with fakes.lock:
                    if url.path == "/cgi-bin/message/send":
                        fakes.app_messages.append(body)
                    elif url.path == "/cgi-bin/webhook/send":
                        fakes.webhook_posts.append(body)
                return self._json({"errcode": 0, "errmsg": "ok", "invaliduser": ""})

            def _outbound(self, raw: bytes):
                ts = self.headers.get("X-Bot-Timestamp", "")
                good = sign(SECRET, ts, raw) == self.headers.get("X-Bot-Signature", "")
                with fakes.lock:
                    fakes._seen += 1
                    if not good:
                        fakes.bad_signatures += 1
                    if fakes.fail_every and fakes._seen % fakes.fail_every == 0:
                        fakes.refused += 1
                        return self._json({"ok": False}, 503, {"Retry-After": "1"})
                    fakes.posts.append(json.loads(raw))
                return self._json({"ok": True})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def all_texts(self) -> list[str]:
        with self.lock:
            found = [p.get("text", "") for p in self.posts]
            found += [(m.get("text") or {}).get("content", "") for m in self.app_messages]
            found += [json.dumps(p, ensure_ascii=False) for p in self.webhook_posts]
        return found


# --- the server -------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hhmm(at: datetime) -> str:
    return at.strftime("%H:%M")


def write_config(folder: Path, db_url: str, fakes: Fakes, args, burst_groups: list[str]
                 ) -> Path:
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    now = datetime.now(TZ)
    far = now + timedelta(hours=3)  # calendar posts and quiet hours stay out of the run
    raw["database"] = {"url": db_url}
    raw["channels"] = {
        "bridge": {"enabled": True, "secret": SECRET, "outbound_url": fakes.base + "/outbound",
                   "timeout_seconds": 5},
        "wecom_aibot": {"enabled": True, "mode": "http", "token": TOKEN,
                        "encoding_aes_key": AES_KEY},
        "wecom_webhook": {"api_base": fakes.base, "timeout_seconds": 5},
        "wecom_app": {"enabled": True, "corp_id": CORP_ID, "agent_id": AGENT_ID,
                      "secret": APP_SECRET, "token": TOKEN, "encoding_aes_key": AES_KEY,
                      "api_base": fakes.base, "timeout_seconds": 5},
    }
    groups = raw["communities"][0]["groups"]
    groups.append({"id": "wr-probe", "name": "探针企业微信群", "channel": "wecom",
                   "webhook_key": HOOK_KEY})
    groups += [{"id": g, "name": f"探针群{g}", "channel": "bridge"} for g in burst_groups]
    raw["sla"] = {"urgent": {"respond": "30m", "resolve": "24h"},
                  "normal": {"respond": f"{args.respond}s", "resolve": "2h"}}
    raw["reminders"] = {"response_fractions": [], "nudge_after": "24h",
                        "rating_reminder_after": "24h"}
    raw["cases"] = {**raw.get("cases", {}), "ask_when_unsure": False}
    raw["schedules"] = {"daily_digest": _hhmm(far), "topic_call": _hhmm(far),
                        "half_monthly_summary": _hhmm(far), "monthly_report": _hhmm(far),
                        "quiet_hours": [_hhmm(far + timedelta(hours=1)),
                                        _hhmm(far + timedelta(hours=2))],
                        "catch_up": "1m"}
    raw["scheduler"] = {"enabled": True, "tick_seconds": 1, "delivery_seconds": 0.5,
                        "delivery_lease": "2m"}
    raw["health"] = {"ready_token": "probe-ready"}
    path = folder / "probe.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def start_server(cfg: Path, db_url: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "BOT_DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"}
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--config", str(cfg),
                             "--host", "127.0.0.1", "--port", str(port), "--threads", "8"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}); see {log_path}")
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


# --- counting requests ------------------------------------------------------------------------

class Tally:
    def __init__(self):
        self.by_endpoint: dict[str, Counter] = defaultdict(Counter)
        self.no_answer: Counter = Counter()
        self.replies: list[str] = []          # every inline answer text
        self.apologies = 0
        self.failures: list[str] = []         # requests that got no answer, and why
        self.lock = threading.Lock()

    def record(self, endpoint: str, resp: requests.Response | None) -> None:
        with self.lock:
            if resp is None:
                self.no_answer[endpoint] += 1
                return
            self.by_endpoint[endpoint][resp.status_code] += 1
        if endpoint == "bridge" and resp.status_code == 200:
            try:
                replies = resp.json().get("replies") or []
            except ValueError:
                return
            with self.lock:
                for reply in replies:
                    text = reply.get("text", "")
                    self.replies.append(text)
                    if text == texts.INTERNAL_ERROR:
                        self.apologies += 1

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.by_endpoint.values()) + \
            sum(self.no_answer.values())

    def fives(self) -> int:
        return sum(n for c in self.by_endpoint.values() for s, n in c.items() if s >= 500)


class Client:
    def __init__(self, base: str, tally: Tally):
        self.base, self.tally = base, tally
        self.local = threading.local()

    @property
    def http(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def send(self, endpoint: str, method: str, path: str, **kwargs) -> requests.Response | None:
        # what an HTTP client can put in a URL and headers at all
        if kwargs.get("params"):
            kwargs["params"] = {k: str(v).encode("utf-8", "replace").decode()
                                for k, v in kwargs["params"].items()}
        if kwargs.get("headers"):
            kwargs["headers"] = {k: re.sub(r"[\x00-\x1f\x7f]", "", str(v)).strip().encode(
                "latin-1", "replace").decode("latin-1") for k, v in kwargs["headers"].items()}
        path = path.encode("utf-8", "replace").decode()
        try:
            resp = self.http.request(method, self.base + path, timeout=60, **kwargs)
        except requests.RequestException as exc:
            resp = None
            with self.tally.lock:
                self.tally.failures.append(f"{method} {path[:40]}: {type(exc).__name__}")
        self.tally.record(endpoint, resp)
        return resp

    # the bridge
    def bridge_raw(self, body: bytes, *, content_type="application/json", headers=None,
                   sign_it=True) -> requests.Response | None:
        hdrs = {"Content-Type": content_type}
        if sign_it:
            hdrs.update(signed_headers(SECRET, body, time.time()))
        hdrs.update(headers or {})
        return self.send("bridge", "POST", "/bridge/messages", data=body, headers=hdrs)

    def say(self, group: str, sender: str, text: str, **extra) -> list[dict]:
        payload = {"msg_id": f"p-{uuid.uuid4().hex}", "group_id": group, "sender_id": sender,
                   "text": text, **extra}
        resp = self.bridge_raw(json.dumps(payload, ensure_ascii=False).encode())
        if resp is None or resp.status_code != 200:
            return []
        try:
            return resp.json().get("replies") or []
        except ValueError:
            return []


# --- hypothesis-style random values -----------------------------------------------------------

HOSTILE = ["", " ", "\x00", "a\x00b", "\u202e反转文字", "\u200b\u200b", "😀" * 40,
           "@所有人 紧急通知", "'; DROP TABLE cases; --", "{0}{1}%s%n%x",
           "<script>alert(1)</script>", "]]>",
           "<![CDATA[x]]>", "../../etc/passwd", "\\", '"', "/工单 #1", "#99999999999",
           "3号楼2单元漏水", "\n" * 30, "\t\r", "null", "NaN", "ｆｕｌｌ", "一" * 3000,
           "\ud800", "x\udfffy", "\ufeff", "\U0010ffff", "0" * 400, "-1", "1e999",
           "2026-11-24T10:00:00+08:00", "9999-12-31T23:59:59+14:00", "out-1", "wr" + "x" * 300]


class Rand(random.Random):
    def text(self, max_len: int = 40) -> str:
        if self.random() < 0.35:
            return self.choice(HOSTILE)
        ranges = [(0x20, 0x7e), (0x4e00, 0x9fff), (0x0, 0x1f), (0x1f600, 0x1f64f),
                  (0x3000, 0x303f), (0xff00, 0xffef), (0x80, 0x2ff)]
        out = []
        for _ in range(self.randint(0, max_len)):
            low, high = self.choice(ranges)
            out.append(chr(self.randint(low, high)))
        return "".join(out)

    def number(self):
        return self.choice([0, -1, 1, 2 ** 31, 2 ** 63, 10 ** 30, -(10 ** 20), 1.5, -0.0,
                            1e308, self.randint(-10 ** 6, 10 ** 6), self.random()])

    def value(self, depth: int = 3):
        kind = self.randint(0, 9 if depth > 0 else 5)
        if kind == 0:
            return None
        if kind == 1:
            return self.random() < 0.5
        if kind == 2:
            return self.number()
        if kind <= 5:
            return self.text()
        if kind <= 7:
            return [self.value(depth - 1) for _ in range(self.randint(0, 4))]
        return {self.text(8): self.value(depth - 1) for _ in range(self.randint(0, 4))}

    def deep(self, levels: int) -> bytes:
        open_, close = self.choice([(b"[", b"]"), (b'{"a":', b"}")])
        return open_ * levels + b"1" + close * levels


def dumps(value) -> bytes:
    """JSON with lone surrogates escaped (as a hostile client would send them)."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


# --- 1. fuzz every endpoint -------------------------------------------------------------------

BRIDGE_FIELDS = ["msg_id", "group_id", "sender_id", "text", "sent_at", "sender_name",
                 "group_name", "mentions", "quote", "images", "voice_text"]


def fuzz_bridge(c: Client, r: Rand, sent: list[bytes]) -> None:
    mode = r.random()
    base = {"msg_id": f"f-{r.getrandbits(48):x}", "group_id": r.choice(["g-1", "g-fuzz"]),
            "sender_id": r.choice(MEMBERS + ["u-fuzz"]), "text": "3号楼电梯坏了"}
    if mode < 0.40:
        for key in r.sample(BRIDGE_FIELDS, r.randint(1, 4)):
            base[key] = r.value()
        if r.random() < 0.2:
            base[r.text(10)] = r.value()
        body = dumps(base)
        sent.append(body)
        c.bridge_raw(body)
    elif mode < 0.50:
        c.bridge_raw(dumps(r.value(4)))
    elif mode < 0.58:
        c.bridge_raw(r.randbytes(r.randint(0, 600)))
    elif mode < 0.66:
        base["text"] = r.choice([r.text(200), "漏水" * r.randint(1, 40000),
                                 "/" + r.text(30), "@邻里议事 " + r.text(), r.choice(HOSTILE)])
        base["sender_name"] = r.choice(["张\x00阿姨", "王五\n【紧急通知】@所有人", r.text(300)])
        c.bridge_raw(dumps(base))
    elif mode < 0.74:
        body = dumps(base)
        forged = r.choice([
            {"X-Bot-Timestamp": str(int(time.time())), "X-Bot-Signature": "0" * 64},
            {"X-Bot-Timestamp": "9" * r.randint(13, 400), "X-Bot-Signature": "00"},
            {"X-Bot-Timestamp": str(int(time.time()) - 3600),
             "X-Bot-Signature": sign(SECRET, str(int(time.time()) - 3600), body)},
            {"X-Bot-Timestamp": "abc", "X-Bot-Signature": "\u00e9" * 3},
            {}])
        c.bridge_raw(body + (b"" if forged else r.deep(20000)), headers=forged,
                     sign_it=False)
    elif mode < 0.80:
        c.bridge_raw(r.deep(r.choice([500, 5000, 60000])))
    elif mode < 0.85:
        c.bridge_raw(b'{"text": "' + b"a" * (300 * 1024) + b'"}')
    elif mode < 0.90:
        c.bridge_raw(dumps(base), content_type=r.choice(["text/plain", "application/xml",
                                                         "multipart/form-data", ""]))
    elif sent:
        c.bridge_raw(r.choice(sent))                      # a replay: a duplicate
    else:
        c.bridge_raw(dumps(base))


def aibot_query(enc: str, *, nonce: str = "n0nce", ts: str | None = None) -> dict:
    ts = ts or str(int(time.time()))
    return {"msg_signature": signature(TOKEN, ts, nonce, enc), "timestamp": ts,
            "nonce": nonce}


def aibot_encrypt(plain: str) -> str:
    enc = PrpCrypto(AIBOT_KEY).encrypt(plain, "")
    return enc.decode() if isinstance(enc, bytes) else enc


AIBOT_FIELDS = ["msgid", "msgtype", "from", "chatid", "chattype", "text", "mixed", "voice",
                "quote", "event", "aibotid"]


def aibot_message(r: Rand) -> dict:
    body = {"msgid": f"a-{r.getrandbits(48):x}", "aibotid": "bot-1", "chattype": "group",
            "chatid": r.choice(["wr-probe", "wr-fuzz"]),
            "from": {"userid": r.choice(MEMBERS)}, "msgtype": "text",
            "text": {"content": "@邻里助手 " + r.choice(["3号楼楼道灯坏了", "/帮助", "#1 怎么样了",
                                                      r.text()])}}
    if r.random() < 0.3:
        body["msgtype"] = "mixed"
        body["mixed"] = {"msg_item": [{"msgtype": "text", "text": {"content": r.text()}},
                                      {"msgtype": "image", "image": {"url": "x"}}]}
    return body


def fuzz_aibot(c: Client, r: Rand) -> None:
    mode = r.random()
    if mode < 0.45:
        body = aibot_message(r)
        for key in r.sample(AIBOT_FIELDS, r.randint(1, 3)):
            body[key] = r.value()
        enc = aibot_encrypt(dumps(body).decode())
        c.send("aibot", "POST", "/wecom/aibot", data=json.dumps({"encrypt": enc}),
               params=aibot_query(enc), headers={"Content-Type": "application/json"})
    elif mode < 0.55:
        plain = r.choice([dumps(r.value(4)).decode(), r.text(100), "", "[" * 3000 + "]" * 3000])
        try:
            enc = aibot_encrypt(plain)
        except UnicodeEncodeError:
            enc = aibot_encrypt("x")
        c.send("aibot", "POST", "/wecom/aibot", data=json.dumps({"encrypt": enc}),
               params=aibot_query(enc), headers={"Content-Type": "application/json"})
    elif mode < 0.70:
        enc = aibot_encrypt(json.dumps(aibot_message(r)))
        data = r.choice([b'{"encrypt": "' + enc.encode() + b'", "x": ' + r.deep(100000) + b"}",
                         r.deep(100000), json.dumps({"encrypt": enc}).encode()])
        params = r.choice([{**aibot_query(enc), "msg_signature": "f" * 40}, {},
                           aibot_query(enc, ts=str(int(time.time()) - 7200)),
                           {**aibot_query(enc), "timestamp": "9" * 300}])
        c.send("aibot", "POST", "/wecom/aibot", data=data, params=params,
               headers={"Content-Type": "application/json"})
    elif mode < 0.80:
        plain = r.choice(["echo-ok", r.text(50).replace("\ud800", "")])
        try:
            enc = aibot_encrypt(plain)
        except UnicodeEncodeError:
            enc = aibot_encrypt("echo")
        params = {**aibot_query(enc, nonce="e"), "echostr": enc}
        if r.random() < 0.5:
            params[r.choice(list(params))] = r.text(30)
        c.send("aibot", "GET", "/wecom/aibot", params=params)
    else:
        data = r.choice([r.randbytes(r.randint(0, 500)), dumps(r.value()),
                         b'{"encrypt": ' + dumps(r.value()) + b"}"])
        c.send("aibot", "POST", "/wecom/aibot", data=data,
               params={"msg_signature": r.text(40), "timestamp": r.text(12),
                       "nonce": r.text(10)}, headers={"Content-Type": "application/json"})


def _xml_text(r: Rand) -> str:
    text = r.text(60).replace("\ud800", "").replace("\udfff", "")
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20) \
        .replace("]]>", "]]]]><![CDATA[>")


def _xml_field(r: Rand, name: str, value: str) -> str:
    shape = r.random()
    if shape < 0.6:
        return f"<{name}><![CDATA[{value}]]></{name}>"
    if shape < 0.75:
        return f"<{name}><x>{_xml_text(r).replace('<', '')}</x></{name}>"     # nested
    if shape < 0.88:
        return f"<{name}>{value}</{name}>" * 2                                 # repeated
    if shape < 0.94:
        return f"<{name} a=\"1\">{value}</{name}>"                            # attribute
    return ""                                                                   # missing


def app_post(c: Client, inner: str, *, forge: bool = False) -> None:
    ts, nonce = str(int(time.time())), "appnonce"
    envelope = xmltodict.parse(WeChatCrypto(TOKEN, AES_KEY, CORP_ID).encrypt_message(
        inner, nonce, ts))["xml"]
    sig = "0" * 40 if forge else envelope["MsgSignature"]
    body = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID>{AGENT_ID}"
            f"</AgentID><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
    c.send("app", "POST", "/wecom/app", data=body.encode(), headers={
        "Content-Type": "text/xml"}, params={"msg_signature": sig, "timestamp": ts,
                                             "nonce": nonce})


def fuzz_app(c: Client, r: Rand) -> None:
    mode = r.random()
    if mode < 0.5:
        user = r.choice(MEMBERS) if r.random() < 0.7 else _xml_text(r)[:200]
        kind = r.choice(["text"] * 4 + ["event", "image", _xml_text(r)[:10]])
        content = r.choice(["/帮助", "/工单", "/档案 @张阿姨", "#1 怎么样了", _xml_text(r)])
        fields = [_xml_field(r, "ToUserName", CORP_ID), _xml_field(r, "FromUserName", user),
                  f"<CreateTime>{int(time.time())}</CreateTime>",
                  _xml_field(r, "MsgType", kind), _xml_field(r, "Content", content),
                  _xml_field(r, "MsgId", str(r.getrandbits(60))),
                  f"<AgentID>{AGENT_ID}</AgentID>"]
        if kind == "event":
            fields += [_xml_field(r, "Event", r.choice(["change_external_chat", "click", "x"])),
                       _xml_field(r, "ChatId", r.choice(["wrExt-1", _xml_text(r)[:20]])),
                       _xml_field(r, "ChangeType", r.choice(["update", "create"])),
                       _xml_field(r, "UpdateDetail", r.choice(["add_member", "del_member"]))]
        r.shuffle(fields)
        app_post(c, "<xml>" + "".join(fields) + "</xml>")
    elif mode < 0.62:
        app_post(c, r.choice([_xml_text(r), "<xml>", "<xml><a>" * 500 + "</a>" * 500 + "</xml>",
                              '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                              "<xml><Content>&b;</Content></xml>"]))
    elif mode < 0.75:
        app_post(c, "<xml><FromUserName>u-li</FromUserName><MsgType>text</MsgType>"
                    "<Content>/帮助</Content><MsgId>1</MsgId></xml>", forge=True)
    elif mode < 0.85:
        deep = "<a>" * 50000 + "</a>" * 50000
        body = r.choice([f"<xml><Encrypt>QUJD</Encrypt>{deep}</xml>", deep,
                         "<xml><Encrypt>" + r.text(30) + "</Encrypt></xml>"])
        c.send("app", "POST", "/wecom/app", data=body.encode("utf-8", "ignore"),
               headers={"Content-Type": "text/xml"},
               params={"msg_signature": "0" * 40, "timestamp": str(int(time.time())),
                       "nonce": "n"})
    elif mode < 0.92:
        c.send("app", "GET", "/wecom/app", params={"msg_signature": r.text(40),
                                                   "timestamp": r.text(10),
                                                   "nonce": r.text(5), "echostr": r.text(30)})
    else:
        c.send("app", "POST", "/wecom/app", data=r.randbytes(r.randint(0, 400)),
               headers={"Content-Type": "text/xml"})


def fuzz_health(c: Client, r: Rand) -> None:
    mode = r.random()
    if mode < 0.3:
        c.send("healthz", "GET", "/healthz")
    elif mode < 0.6:
        token = r.choice(["probe-ready", "", r.text(20), "x" * 5000])
        if r.random() < 0.5:
            c.send("healthz", "GET", "/healthz/ready", params={"token": token})
        else:
            c.send("healthz", "GET", "/healthz/ready",
                   headers={"Authorization": "Bearer " + token.encode(
                       "latin-1", "ignore").decode("latin-1")})
    elif mode < 0.8:
        method = r.choice(["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
        c.send("healthz", method, r.choice(["/healthz", "/healthz/ready", "/bridge/messages",
                                            "/wecom/aibot", "/wecom/app", "/"]),
               data=r.randbytes(r.randint(0, 200)))
    else:
        path = r.choice(["/%00", "/../../etc/passwd", "/" + "a" * 3000, "/desk/",
                         "/open311/v2/services.json", "/bridge/messages/x", "/%ff%fe",
                         "/healthz?" + "a=1&" * 500])
        c.send("healthz", r.choice(["GET", "POST"]), path, data=r.randbytes(50))


# --- 2. chat-command abuse --------------------------------------------------------------------

def abuse_commands(case_ids: list[int]) -> list[tuple[str, str]]:
    n = case_ids[0] if case_ids else 1
    m = case_ids[1] if len(case_ids) > 1 else 2
    big = "很长的内容" * 20000
    lines = [
        "/", "/ ", "//", "/abc", "/工单工单工单", "/" + "x" * 5000, "／工单", "/工 单",
        "/HELP", "/帮助 " + big, "/报修 " + big, "/报修", "/报修 " + "\x00" * 10,
        "/工单 #0", "/工单 #-1", "/工单 #99999999999999999999", "/工单 #１２", "/工单 #abc",
        "/工单 #1.5", "/工单 #1e9", "/工单 # 12", "/工单 #12#13", "/工单 " + "#1 " * 500,
        "/工单 更多 99999999999999", "/工单 更多 -3", "/工单 " + "5号楼" * 300,
        "/接单 #999999999", "/接单", f"/接单 #{n} #{m}", f"/进展 #{n}", f"/进展 #{n} " + big,
        f"/办结 #{n} " + "好" * 3000, f"/评价 #{n} 满意", f"/评价 #{n} 超级满意",
        f"/评价 #{n}", f"/撤回 #{m}", f"/合并 #{n} #{n}", f"/合并 #{n}", f"/合并 #{n} #{m} #3",
        f"/合并 #{n} #999999", f"/延期 #{n} 99999999天 原因", f"/延期 #{n} -5d 原因",
        f"/延期 #{n} 0s 原因", f"/延期 #{n} 1e9h 原因", f"/延期 #{n} 三百年 原因",
        f"/延期 #{n} １天 原因", f"/延期 #{n} NaN 原因", f"/延期 #{n} 2d", f"/延期 #{n}",
        f"/延期 #{n} 9999999999999999999999h 原因", f"/延期 #{n} 100000周 原因",
        f"/指派 #{n} @", f"/指派 #{n} @@@@", f"/指派 #{n} @不存在的人", f"/指派 #{n}",
        f"/指派 #{n} @所有人", f"/指派 #{n} " + "@王师傅 " * 300,
        "/角色 @李书记 moderator", "/角色 @所有人 repair", "/角色 @张阿姨 上帝", "/角色",
        f"/升级 #{n} " + "原因" * 600, f"/转办 #{n}", f"/转办 #{n} " + "单位" * 600,
        f"/关闭 #{m}", f"/关闭 #{m} 不是诉求", f"/改类 #{n} 不存在的类别", f"/改类 #{n}",
        "/立案", "/立案 电梯", "/统计 9999年", "/统计 上上上周", "/统计 " + big,
        "/议题 " + "题" * 2000, "/议题", "/议题 决策 修车棚", "/议题列表 T999999999",
        "/议题列表 T-1", "/告知 T1 2026-02-30 25:61 线上", "/告知 T1 13月45日99:99 线上",
        "/告知 T1 周八19:00 线上", "/告知 T1", "/开始 T1 99999999h", "/开始 T1 -1h",
        "/开始 T1 0s", "/表决 T1 同意 反对 9999999天", "/表决 T1 " + " ".join(
            f"选项{i}" for i in range(300)), "/表决 T1 同意 反对 0人", "/表决 T1 同意 反对 -5人",
        "/投票 T999999 同意", "/投票 T1 " + "同意" * 500, "/评分 T1 99999999999999999999",
        "/评分 T1 -1", "/决议 T1 " + big, "/完成 T999", "/举手", "/下一位", "/会办 #999999",
        f"/会办 #{n}", "/后台", "/档案 @张阿姨", f"#{n} 怎么样了", "#99999999999999 怎么样了",
        "#0 呢", "@邻里议事", "@邻里议事 " + big, "收到 #99999", "修好了 #１",
    ]
    out = []
    for line in lines:
        for sender in ("u-zhang", "u-wang", "u-li"):
            out.append((sender, line))
    return out


# --- 3. private numbers -----------------------------------------------------------------------

def _digits(rnd: random.Random, n: int) -> str:
    return "".join(str(rnd.randint(0, 9)) for _ in range(n))


def private_formats(rnd: random.Random) -> list[tuple[str, str, str]]:
    """(name, as written, the digits that must never appear together)."""
    out = []

    def mobile() -> str:
        return "1" + rnd.choice("3456789") + _digits(rnd, 9)

    def add(name: str, written: str, core: str) -> None:
        out.append((name, written, core))

    fw = str.maketrans("0123456789", "０１２３４５６７８９")
    cn = str.maketrans("0123456789", "零一二三四五六七八九")
    m = mobile()
    add("mobile", m, m)
    m = mobile()
    add("mobile dashes", f"{m[:3]}-{m[3:7]}-{m[7:]}", m)
    m = mobile()
    add("mobile spaces", f"{m[:3]} {m[3:7]} {m[7:]}", m)
    m = mobile()
    add("mobile dots", f"{m[:3]}.{m[3:7]}.{m[7:]}", m)
    m = mobile()
    add("+86 mobile", f"+86 {m[:3]} {m[3:7]} {m[7:]}", m)
    m = mobile()
    add("+86mobile", f"+86{m}", m)
    m = mobile()
    add("0086 mobile", f"0086-{m}", m)
    m = mobile()
    add("full-width mobile", m.translate(fw), m)
    m = mobile()
    add("full-width dashes", f"{m[:3]}－{m[3:7]}－{m[7:]}".translate(fw), m)
    m = mobile()
    add("Chinese numerals", m.translate(cn), m)
    m = mobile()
    add("Chinese numerals spaced", " ".join(m.translate(cn)), m)
    m = mobile()
    add("digits spaced", " ".join(m), m)
    m = mobile()
    add("en dashes", f"{m[:3]}–{m[3:7]}–{m[7:]}", m)
    m = mobile()
    add("no-break spaces", f"{m[:3]}\u00a0{m[3:7]}\u00a0{m[7:]}", m)
    m = mobile()
    add("slashes", f"{m[:3]}/{m[3:7]}/{m[7:]}", m)
    m = mobile()
    add("Chinese commas", f"{m[:3]}，{m[3:7]}，{m[7:]}", m)
    m = mobile()
    add("mixed widths", m[:5] + m[5:].translate(fw), m)
    m = mobile()
    add("zero-width spaces", "\u200b".join((m[:3], m[3:7], m[7:])), m)
    m = mobile()
    add("spaced dashes", f"{m[:3]} - {m[3:7]} - {m[7:]}", m)
    m = mobile()
    add("enumeration commas", f"{m[:3]}、{m[3:7]}、{m[7:]}", m)
    m = mobile()
    add("numerals mixed", m[:2].translate(cn) + m[2:6] + m[6:].translate(cn), m)
    m = mobile()
    add("next to a room number", f"302，{m[:3]} {m[3:7]} {m[7:]}", m)
    land = "010" + _digits(rnd, 8)
    add("landline", f"{land[:3]}-{land[3:]}", land)
    land = "0755" + _digits(rnd, 8)
    add("landline brackets", f"({land[:4]}){land[4:]}", land)
    land = "0571" + _digits(rnd, 8)
    add("landline full-width brackets", f"（{land[:4]}）{land[4:8]}-{land[8:]}", land)
    id18 = "110101" + "1990" + "0307" + _digits(rnd, 3) + "X"
    add("ID card X", id18, id18[:-1])
    id18 = "310104" + "1985" + "1224" + _digits(rnd, 4)
    add("ID card", id18, id18)
    id18 = "440305" + "2001" + "0101" + _digits(rnd, 3) + "x"
    add("ID card spaced", f"{id18[:6]} {id18[6:14]} {id18[14:]}", id18[:-1])
    id15 = "110101" + "850307" + _digits(rnd, 3)
    add("old ID card", id15, id15)
    card = "6222" + _digits(rnd, 15)
    add("bank card", " ".join(card[i:i + 4] for i in range(0, len(card), 4)), card)
    return out


def _normalised_digits(text: str) -> str:
    table = {0xFF10 + d: str(d) for d in range(10)}
    table.update({ord(c): d for c, d in zip("零〇幺一二两三四五六七八九",
                                            "0011223456789", strict=True)})
    return re.sub(r"[^0-9]", "", text.translate(table))


# --- 4. the ordered burst ---------------------------------------------------------------------

def burst(c: Client, groups: list[str], per_group: int) -> dict[str, list[int]]:
    """Per group, the case numbers its messages opened, in message order."""
    opened: dict[str, list[int]] = {}

    def one_group(gi: int, group: str) -> None:
        ids = []
        for i in range(per_group):
            replies = c.say(group, f"u-burst-{gi}-{i}",
                            f"/报修 {i + 1}号楼{gi + 1}单元楼道灯坏了（探针第{i + 1}条）",
                            sender_name=f"居民{gi}-{i}")
            case = next((r.get("case_id") for r in replies if r.get("case_id")), None)
            ids.append(case if case is not None else -1)
        opened[group] = ids

    threads = [threading.Thread(target=one_group, args=(gi, g)) for gi, g in enumerate(groups)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return opened


def _cases_in(post: dict) -> list[int]:
    """The cases a post is about: its case_id, or the #N rows of a post listing several."""
    if post.get("case_id"):
        return [post["case_id"]]
    return [int(n) for n in re.findall(r"#(\d+)", post.get("text", ""))]


def _out_number(msg_id: str) -> float:
    head = msg_id.removeprefix("out-")
    try:
        return float(head)
    except ValueError:
        return -1.0


def _outbox_check(resp: requests.Response) -> str:
    try:
        return str(resp.json()["checks"]["outbox"]["detail"])
    except (ValueError, KeyError, TypeError):
        return resp.text[:100]


def inversions(seq: list[float]) -> int:
    return sum(1 for a, b in zip(seq, seq[1:], strict=False) if b < a)


# --- the run ----------------------------------------------------------------------------------

def run(args, db_url: str, folder: Path) -> int:
    rnd = Rand(args.seed)
    fakes = Fakes()
    burst_groups = [f"g-burst-{i}" for i in range(args.groups)]
    cfg = write_config(folder, db_url, fakes, args, burst_groups)
    log_path = folder / "server.log"
    proc, base = start_server(cfg, db_url, log_path)
    tally = Tally()
    c = Client(base, tally)
    started = time.monotonic()
    try:
        # 1. fuzz, from four client threads
        sent: list[bytes] = []
        plan = [fuzz_bridge] * 5 + [fuzz_aibot] * 3 + [fuzz_app] * 2 + [fuzz_health]
        seeds = [rnd.getrandbits(64) for _ in range(4)]

        def fuzzer(seed: int, count: int) -> None:
            r = Rand(seed)
            for _ in range(count):
                target = r.choice(plan)
                if target is fuzz_bridge:
                    fuzz_bridge(c, r, sent)
                else:
                    target(c, r)

        threads = [threading.Thread(target=fuzzer, args=(s, args.fuzz // 4)) for s in seeds]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        # 2. chat-command abuse (a few real cases first, for the commands to act on)
        case_ids = []
        for text in ("5号楼2单元楼道灯坏了三天了", "7号楼电梯又坏了，老人上不去楼"):
            replies = c.say("g-1", "u-zhang", "/报修 " + text)
            case_ids += [r["case_id"] for r in replies if r.get("case_id")]
        for sender, line in abuse_commands(case_ids):
            mentions = rnd.choice([[], ["u-wang"], ["u-zhou", "u-wang"], ["x" * 200], ["", ""]])
            c.say("g-1", sender, line, mentions=mentions)

        # the same message delivered three times at once (a bridge retrying eagerly)
        handled = Counter()

        def racer(body: bytes, key: int) -> None:
            resp = c.bridge_raw(body)
            if resp is not None and resp.status_code == 200 and \
                    not resp.json().get("duplicate"):
                with tally.lock:
                    handled[key] += 1

        for i in range(RACES):
            body = json.dumps({"msg_id": f"twice-{i}", "group_id": "g-1",
                               "sender_id": "u-gao", "text": f"{i + 1}号楼门禁坏了刷不开"},
                              ensure_ascii=False).encode()
            racers = [threading.Thread(target=racer, args=(body, i)) for _ in range(3)]
            for t in racers:
                t.start()
            for t in racers:
                t.join()

        # 3. private numbers, each in its own complaint, then looked up
        formats = private_formats(rnd)
        privacy_cases = {}
        for i, (name, written, _core) in enumerate(formats):
            replies = c.say("g-privacy", f"u-priv-{i}", f"/报修 {i + 1}号楼楼道漏水很严重，"
                            f"我的电话{written}，联系我", sender_name=f"住户{written}")
            privacy_cases[name] = next((r["case_id"] for r in replies if r.get("case_id")),
                                       None)
        for case_id in privacy_cases.values():
            if case_id:
                c.say("g-privacy", "u-li", f"/工单 #{case_id}")
                c.say("g-privacy", "u-li", f"/指派 #{case_id} @王师傅", mentions=["u-wang"])

        # 4. the ordered burst
        opened = burst(c, burst_groups, args.burst)
        fuzz_done = time.monotonic()
        expected = {g: [n for n in ids if n > 0] for g, ids in opened.items()}
        want = sum(len(v) for v in expected.values())
        deadline = time.monotonic() + args.respond + args.wait

        def burst_posts() -> dict[str, list[dict]]:
            with fakes.lock:
                posts = list(fakes.posts)
            found = defaultdict(list)
            for p in posts:
                if p.get("group_id") in expected:
                    found[p["group_id"]].append(p)
            return found

        while time.monotonic() < deadline:
            got = burst_posts()
            have = sum(len({n for p in v if p.get("kind") == "escalation"
                            for n in _cases_in(p)}) for v in got.values())
            if have >= want:
                time.sleep(3)  # anything extra (a duplicate) would come now
                break
            time.sleep(0.5)
        ready = requests.get(base + "/healthz/ready", params={"token": "probe-ready"},
                             timeout=10)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        fakes.close()
    elapsed = time.monotonic() - started

    # --- figures
    got = burst_posts()
    escalations = {g: [p for p in v if p.get("kind") == "escalation"] for g, v in got.items()}
    # a post may list several cases that fell due together (one message per recipients)
    received = sum(len({n for p in v for n in _cases_in(p)}) for v in escalations.values())
    unexpected = sum(1 for g, v in got.items() for p in v
                     if p.get("kind") != "escalation"
                     or not _cases_in(p) or not set(_cases_in(p)) <= set(expected[g]))
    with fakes.lock:
        all_ids = [p.get("msg_id") for p in fakes.posts]
    duplicates = sum(n - 1 for n in Counter(all_ids).values() if n > 1)
    order_msgs = order_ids = 0
    for g, posts in escalations.items():
        position = {case: i for i, case in enumerate(opened[g])}
        order_msgs += inversions([position.get(n, -1) for p in posts for n in _cases_in(p)])
        order_ids += inversions([_out_number(p.get("msg_id", "")) for p in posts])
    group_order = 0
    per_group = defaultdict(list)
    with fakes.lock:
        for p in fakes.posts:
            per_group[p.get("group_id")].append(_out_number(p.get("msg_id", "")))
    for seq in per_group.values():
        group_order += inversions(seq)

    all_texts = tally.replies + fakes.all_texts()
    leaks = []
    for name, written, core in formats:
        digits_core = _normalised_digits(core)
        if any(written in t or digits_core in _normalised_digits(t) for t in all_texts):
            leaks.append(name)
    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    tracebacks = log_text.count("Traceback (most recent call last)")
    # the exception line that ends each traceback (the first line after it that does not
    # start with a space)
    raised = Counter()
    for block in log_text.split("Traceback (most recent call last)")[1:]:
        last = next((ln for ln in block.splitlines()[1:] if ln and not ln.startswith(" ")),
                    "?")
        raised[last[:90]] += 1
    fives = tally.fives()
    no_answer = sum(tally.no_answer.values())
    echoed = sum(1 for case_id in privacy_cases.values() if case_id)

    rows = [
        ("database", "PostgreSQL (scratch schema)" if args.postgres else "SQLite (temp dir)"),
        ("seed", str(args.seed)),
        ("requests tried", str(tally.total)),
    ]
    for endpoint in ("bridge", "aibot", "app", "healthz"):
        counts = tally.by_endpoint.get(endpoint, Counter())
        shown = ", ".join(f"{s}×{n}" for s, n in sorted(counts.items()))
        if tally.no_answer[endpoint]:
            shown += f", no answer×{tally.no_answer[endpoint]}"
        total = sum(counts.values()) + tally.no_answer[endpoint]
        rows.append((f"  {endpoint}", f"{total} ({shown})"))
    rows += [
        ("5xx answers", str(fives)),
        ("no answer (connection failed)", str(no_answer) + (
            f"  {'; '.join(sorted(set(tally.failures))[:3])}" if tally.failures else "")),
        ("tracebacks in the server log", str(tracebacks) + "".join(
            f"\n|     {n}× {line}" for line, n in raised.most_common(3))),
        ("apologies for a failed handler", str(tally.apologies)),
        ("private-number formats masked", f"{len(formats) - len(leaks)}/{len(formats)}"
                                          + (f"  raw: {', '.join(leaks)}" if leaks else "")),
        ("  formats in a case the bot echoed", f"{echoed}/{len(formats)}"),
        ("same message 3× at once: handled once",
         f"{sum(1 for i in range(RACES) if handled[i] == 1)}/{RACES}"),
        ("posts received by the bridge receiver", f"{len(all_ids)} (+{fakes.refused} "
                                                  "answered 503 and retried)"),
        ("burst: groups × messages", f"{args.groups} × {args.burst}"),
        ("burst: cases opened", f"{want}/{args.groups * args.burst}"),
        ("burst: cases escalated / expected", f"{received}/{args.groups * args.burst}"),
        ("burst: unexpected posts", str(unexpected)),
        ("duplicate msg_ids (all posts)", str(duplicates)),
        ("order inversions per group (burst, message order)", str(order_msgs)),
        ("order inversions per group (all posts, outbox order)", str(group_order)),
        ("posts with a bad signature", str(fakes.bad_signatures)),
        ("app messages / webhook posts", f"{len(fakes.app_messages)} / "
                                         f"{len(fakes.webhook_posts)}"),
        ("readiness at the end", f"{ready.status_code} {_outbox_check(ready)}"),
        ("time", f"{elapsed:.0f} s (fuzz, abuse, privacy and burst {fuzz_done - started:.0f} s)"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"\nLinli probe — {datetime.now(TZ):%Y-%m-%d %H:%M}")
    print(f"| {'figure'.ljust(width)} | value")
    print(f"|-{'-' * width}-|------")
    for key, value in rows:
        print(f"| {key.ljust(width)} | {value}")
    problems = (fives or no_answer or tracebacks or tally.apologies or leaks or duplicates
                or order_msgs or group_order or unexpected or fakes.bad_signatures
                or any(handled[i] != 1 for i in range(RACES))
                or received != args.groups * args.burst or want != args.groups * args.burst)
    if problems:
        print(f"\nproblems found; the server's log: {log_path}" if args.keep else
              "\nproblems found (rerun with --keep to read the server's log)")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true",
                        help="a scratch schema on PostgreSQL at 127.0.0.1:5432 (db test)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fuzz", type=int, default=2400, help="fuzz requests (4 threads)")
    parser.add_argument("--groups", type=int, default=6, help="groups in the burst")
    parser.add_argument("--burst", type=int, default=40, help="messages per burst group")
    parser.add_argument("--respond", type=int, default=15,
                        help="seconds to the response deadline of the burst's cases")
    parser.add_argument("--wait", type=int, default=120,
                        help="seconds to wait for the burst's posts after the deadline")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.postgres and not postgres_answers():
        print("PostgreSQL does not answer at 127.0.0.1:5432", file=sys.stderr)
        return 2
    with ExitStack() as stack:
        if args.keep:
            folder = Path(tempfile.mkdtemp(prefix="linli-probe-"))
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(
                prefix="linli-probe-")))
        url = stack.enter_context(scratch_database(
            "postgresql" if args.postgres else "sqlite", folder, "probe"))
        return run(args, url, folder)


if __name__ == "__main__":
    sys.exit(main())
