"""Fake WeCom on loopback for the tests: the qyapi HTTP API (webhook send, gettoken,
message/send, externalcontact/groupchat/get), the AI bot's long-connection server
(WebSocket), and helpers that build real encrypted callbacks with wechatpy, as WeCom
does, plus the WeCom test config."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import xmltodict
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from bot.channels.wecom_crypto import signature
from bot.config import Config
from bot.config_file import config_from_dict
from tests.conftest import SECRET, demo_config_dict

TOKEN = "linli-token"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")  # 43 characters
CORP_ID = "ww-test-corp"
APP_SECRET = "app-secret"
AGENT_ID = 1000002
GOOD_KEY = "KEY-GOOD-0123456789"
BAD_KEY = "KEY-REMOVED-9876543210"
WECOM_GROUP = "wrchat-1"
WECOM_GROUP_NAME = "阳光小区企业微信群"


def wecom_config(db_url: str, *, api_base: str = "http://127.0.0.1:9", ws_url: str = "",
                 mode: str = "http", app: bool = False, aibot: bool = True,
                 webhook_key: str = GOOD_KEY, outbound_url: str = "") -> Config:
    raw = demo_config_dict()
    raw["database"] = {"url": db_url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": SECRET,
                                 "outbound_url": outbound_url}
    raw["channels"]["wecom_aibot"] = {
        "enabled": aibot, "mode": mode, "token": TOKEN, "encoding_aes_key": AES_KEY,
        "bot_id": "bot-1", "secret": "bot-secret", "ws_url": ws_url or "ws://127.0.0.1:9"}
    raw["channels"]["wecom_webhook"] = {"api_base": api_base, "timeout_seconds": 5}
    if app:
        raw["channels"]["wecom_app"] = {
            "enabled": True, "corp_id": CORP_ID, "agent_id": AGENT_ID, "secret": APP_SECRET,
            "token": TOKEN, "encoding_aes_key": AES_KEY, "api_base": api_base,
            "timeout_seconds": 5}
    raw["communities"][0]["groups"].append(
        {"id": WECOM_GROUP, "name": WECOM_GROUP_NAME, "channel": "wecom",
         "webhook_key": webhook_key})
    return config_from_dict(raw, environ={})


def wait_for(predicate, timeout: float = 5.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


# --- what WeCom sends: encrypted AI-bot and app callbacks -------------------------------------

class AibotPeer:
    """Builds AI-bot callbacks the way WeCom does (JSON, receive id "") and reads replies."""

    def __init__(self, client, token: str = TOKEN, aes_key: str = AES_KEY, path="/wecom/aibot"):
        self.client, self.token, self.path = client, token, path
        self.key = WeChatCrypto(token, aes_key, "").key
        self._n = 0

    def message(self, userid: str, text: str, *, chatid: str | None = WECOM_GROUP,
                msgid: str | None = None, quote: str | None = None, bot_name="邻里助手") -> dict:
        self._n += 1
        body = {"msgid": msgid or f"msg-{self._n}-{uuid.uuid4().hex[:8]}", "aibotid": "bot-1",
                "chattype": "group" if chatid else "single", "from": {"userid": userid},
                "response_url": "https://example.invalid/once", "msgtype": "text",
                "text": {"content": f"@{bot_name} {text}" if chatid else text}}
        if chatid:
            body["chatid"] = chatid
        if quote is not None:
            body["quote"] = {"msgtype": "text", "text": {"content": quote}}
        return body

    def encrypt(self, payload: dict, *, ts: str | None = None, nonce: str = "n0nce"
                ) -> tuple[bytes, dict]:
        plain = json.dumps(payload, ensure_ascii=False)
        try:
            plain.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: only as a \u escape
            plain = json.dumps(payload)
        enc = PrpCrypto(self.key).encrypt(plain, "")
        enc = enc.decode() if isinstance(enc, bytes) else enc
        ts = ts or str(int(time.time()))
        query = {"msg_signature": signature(self.token, ts, nonce, enc), "timestamp": ts,
                 "nonce": nonce}
        return json.dumps({"encrypt": enc}).encode(), query

    def post(self, payload: dict, **kwargs):
        body, query = self.encrypt(payload, **kwargs)
        return self.client.post(self.path, data=body, query_string=query,
                                content_type="application/json")

    def read(self, resp) -> dict | None:
        """Verify and decrypt the passive reply; None for an empty answer."""
        assert resp.status_code == 200, resp.get_data(as_text=True)
        if not resp.get_data():
            return None
        env = resp.get_json()
        assert set(env) == {"encrypt", "msgsignature", "timestamp", "nonce"}
        assert env["msgsignature"] == signature(self.token, env["timestamp"], env["nonce"],
                                                env["encrypt"])
        return json.loads(PrpCrypto(self.key).decrypt(env["encrypt"], ""))

    def say(self, userid: str, text: str, **kwargs) -> str:
        """Send a group message; the text of the stream reply ("" when none)."""
        reply = self.read(self.post(self.message(userid, text, **kwargs)))
        if reply is None:
            return ""
        assert reply["msgtype"] == "stream" and reply["stream"]["finish"] is True
        return reply["stream"]["content"]

    def echo_query(self, echo_plain: str, *, token: str | None = None) -> dict:
        enc = PrpCrypto(self.key).encrypt(echo_plain, "")
        enc = enc.decode() if isinstance(enc, bytes) else enc
        ts, nonce = str(int(time.time())), "echo"
        return {"msg_signature": signature(token or self.token, ts, nonce, enc),
                "timestamp": ts, "nonce": nonce, "echostr": enc}


class AppPeer:
    """Builds self-built app XML callbacks (receive id = CorpID) with wechatpy."""

    def __init__(self, client, corp_id: str = CORP_ID, path="/wecom/app"):
        self.client, self.path, self.corp_id = client, path, corp_id
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, corp_id)
        self._n = 0

    def text_xml(self, userid: str, text: str, msg_id: str | None = None) -> str:
        self._n += 1
        msg_id = msg_id or str(7000000000000000000 + self._n + int(time.time()))
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<FromUserName><![CDATA[{userid}]]></FromUserName>"
                f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId>"
                f"<AgentID>{AGENT_ID}</AgentID></xml>")

    def external_chat_xml(self, chat_id: str, detail: str) -> str:
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<FromUserName><![CDATA[sys]]></FromUserName>"
                f"<CreateTime>{int(time.time())}</CreateTime>"
                f"<MsgType><![CDATA[event]]></MsgType>"
                f"<Event><![CDATA[change_external_chat]]></Event>"
                f"<ChatId><![CDATA[{chat_id}]]></ChatId>"
                f"<ChangeType><![CDATA[update]]></ChangeType>"
                f"<UpdateDetail><![CDATA[{detail}]]></UpdateDetail>"
                f"<JoinScene>3</JoinScene><MemChangeCnt>1</MemChangeCnt></xml>")

    def post(self, xml: str, *, bad_signature: bool = False):
        ts, nonce = str(int(time.time())), "appnonce"
        envelope = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, ts))["xml"]
        sig = envelope["MsgSignature"]
        if bad_signature:
            sig = "0" * 40
        body = (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<AgentID>{AGENT_ID}</AgentID>"
                f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
        return self.client.post(self.path, data=body.encode(), content_type="text/xml",
                                query_string={"msg_signature": sig, "timestamp": ts,
                                              "nonce": nonce})


# --- the qyapi HTTP API -----------------------------------------------------------------------

class FakeQyapi:
    """`/cgi-bin/webhook/send`, `/cgi-bin/gettoken`, `/cgi-bin/message/send`,
    `/cgi-bin/externalcontact/groupchat/get`, `/cgi-bin/auth/getuserinfo` (OAuth) on
    127.0.0.1."""

    def __init__(self):
        self.webhook_posts: list[dict] = []  # {"key", "body"}
        self.valid_keys = {GOOD_KEY}
        self.fail_45009 = 0  # answer this many webhook posts with 45009
        self.fail_45009_after = 0  # ... but only after this many successful ones
        self.webhook_down = 0  # answer this many webhook posts with HTTP 502
        self.oversize: list[dict] = []
        self.token_fetches = 0
        self.token = "tok-1"
        self.app_messages: list[dict] = []
        self.app_delay = 0.0
        self.app_fail_45009 = 0  # answer this many message/send calls with 45009
        self.app_fail_after = 0  # ... but only after this many successful ones
        self.group_chats: dict[str, dict] = {}
        self.oauth_codes: dict[str, str] = {}  # 企业微信网页授权: code -> userid (one use)
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, payload: dict, status: int = 200):
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlparse(self.path)
                query = parse_qs(url.query)
                if url.path == "/cgi-bin/gettoken":
                    with fake.lock:
                        fake.token_fetches += 1
                    if query.get("corpid") != [CORP_ID] or query.get("corpsecret") != [APP_SECRET]:
                        return self._answer({"errcode": 40013, "errmsg": "invalid corpid"})
                    return self._answer({"errcode": 0, "errmsg": "ok",
                                         "access_token": fake.token, "expires_in": 7200})
                if url.path == "/cgi-bin/auth/getuserinfo":
                    if query.get("access_token") != [fake.token]:
                        return self._answer({"errcode": 40014, "errmsg": "invalid access_token"})
                    with fake.lock:
                        userid = fake.oauth_codes.pop(query.get("code", [""])[0], None)
                    if userid is None:
                        return self._answer({"errcode": 40029, "errmsg": "invalid code"})
                    return self._answer({"errcode": 0, "errmsg": "ok", "userid": userid})
                self._answer({"errcode": 404, "errmsg": "no such api"}, 404)

            def do_POST(self):
                url = urlparse(self.path)
                query = parse_qs(url.query)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.loads(raw.decode("utf-8"))
                if url.path == "/cgi-bin/webhook/send":
                    answer = fake.webhook(query.get("key", [""])[0], body)
                    if answer is None:
                        return self._answer({"error": "bad gateway"}, 502)
                    return self._answer(answer)
                if query.get("access_token") != [fake.token]:
                    return self._answer({"errcode": 40014, "errmsg": "invalid access_token"})
                if url.path == "/cgi-bin/message/send":
                    time.sleep(fake.app_delay)
                    with fake.lock:
                        if fake.app_fail_45009 and fake.app_fail_after <= 0:
                            fake.app_fail_45009 -= 1
                            return self._answer({"errcode": 45009,
                                                 "errmsg": "api freq out of limit"})
                        fake.app_fail_after -= 1
                        fake.app_messages.append(body)
                    return self._answer({"errcode": 0, "errmsg": "ok", "invaliduser": ""})
                if url.path == "/cgi-bin/externalcontact/groupchat/get":
                    chat = fake.group_chats.get(body.get("chat_id"))
                    if chat is None or body.get("need_name") != 1:
                        return self._answer({"errcode": 40050, "errmsg": "bad chat"})
                    return self._answer({"errcode": 0, "errmsg": "ok", "group_chat": chat})
                self._answer({"errcode": 404, "errmsg": "no such api"}, 404)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def webhook(self, key: str, body: dict) -> dict | None:
        with self.lock:
            if self.webhook_down:
                self.webhook_down -= 1
                return None
            if key not in self.valid_keys:
                return {"errcode": 93000, "errmsg": "invalid webhook url"}
            kind = body.get("msgtype")
            content = (body.get(kind) or {}).get("content", "")
            limit = 2048 if kind == "text" else 4096
            if len(content.encode("utf-8")) > limit:
                self.oversize.append(body)
                return {"errcode": 40058, "errmsg": f"content exceed max length {limit}"}
            if self.fail_45009 and self.fail_45009_after <= 0:
                self.fail_45009 -= 1
                return {"errcode": 45009, "errmsg": "api freq out of limit"}
            self.fail_45009_after -= 1
            self.webhook_posts.append({"key": key, "body": body})
            return {"errcode": 0, "errmsg": "ok"}

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# --- the AI bot's long-connection server ------------------------------------------------------

class FakeWecomWS:
    """A loopback WebSocket server speaking the AI bot's long-connection frames."""

    def __init__(self):
        from websockets.sync.server import serve

        self.frames: list[dict] = []
        self.subscribes: list[dict] = []
        self.pushes: list[dict] = []
        self.responses: list[dict] = []
        self.pings = 0
        self.subscribe_errors: list[int] = []  # errcodes for the next subscriptions
        self.connection_times: list[float] = []
        self.answer_pings = True
        self.conns: list = []
        self.lock = threading.Lock()
        self.server = serve(self._handler, "127.0.0.1", 0, ping_interval=None)
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def connections(self) -> int:
        return len(self.connection_times)

    def _handler(self, conn) -> None:
        with self.lock:
            self.conns.append(conn)
            self.connection_times.append(time.monotonic())
        try:
            for message in conn:
                frame = json.loads(message)
                with self.lock:
                    self.frames.append(frame)
                cmd = frame.get("cmd")
                req_id = (frame.get("headers") or {}).get("req_id", "")
                ack = {"headers": {"req_id": req_id}, "errcode": 0, "errmsg": "ok"}
                if cmd == "aibot_subscribe":
                    with self.lock:
                        errcode = self.subscribe_errors.pop(0) if self.subscribe_errors else 0
                    if errcode:
                        conn.send(json.dumps({**ack, "errcode": errcode, "errmsg": "refused"}))
                        conn.close()
                        return
                    with self.lock:
                        self.subscribes.append(frame["body"])
                    conn.send(json.dumps(ack))
                elif cmd == "ping":
                    with self.lock:
                        self.pings += 1
                    if self.answer_pings:
                        conn.send(json.dumps(ack))
                elif cmd == "aibot_send_msg":
                    with self.lock:
                        self.pushes.append(frame["body"])
                    conn.send(json.dumps(ack))
                elif cmd == "aibot_respond_msg":
                    with self.lock:
                        self.responses.append(frame)
                    conn.send(json.dumps(ack))
        except Exception:  # noqa: BLE001 - the client went away
            pass

    def inject(self, body: dict, req_id: str | None = None) -> str:
        """Deliver a message callback to the current connection; returns its req_id."""
        req_id = req_id or f"cb-{uuid.uuid4().hex[:8]}"
        self.conns[-1].send(json.dumps({"cmd": "aibot_msg_callback",
                                        "headers": {"req_id": req_id}, "body": body},
                                       ensure_ascii=False))
        return req_id

    def send_raw(self, text: str) -> None:
        """Send any text frame to the current connection (garbled or hostile frames)."""
        self.conns[-1].send(text)

    def responses_to(self, req_id: str) -> list[dict]:
        with self.lock:
            return [f for f in self.responses if f["headers"]["req_id"] == req_id]

    def drop(self) -> None:
        """Close the current connection from the server side."""
        self.conns[-1].close()

    def close(self) -> None:
        self.server.shutdown()


# Timings that make the long-connection client quick in tests.
FAST = {"heartbeat": 0.3, "ack_timeout": 2.0, "backoff_base": 0.05, "backoff_max": 0.4,
        "poll": 0.05}
