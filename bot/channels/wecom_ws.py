"""The WeCom AI bot's long connection (WebSocket), for deployments with no public URL.

Protocol (frames are JSON ``{cmd, headers: {req_id}, body}``; acks carry the request's
``req_id`` and ``errcode`` but no ``cmd``):
- connect to ``ws_url`` and subscribe: ``aibot_subscribe`` with ``bot_id`` / ``secret``;
- a ``ping`` every 30 s; two unanswered pings drop the connection;
- ``aibot_msg_callback`` / ``aibot_event_callback`` come in with the same body as the HTTP
  callback, unencrypted; messages go through `wecom_aibot.answer_callback` (journal,
  dedupe, dispatch) and the answer goes back as ``aibot_respond_msg`` with the inbound
  ``req_id`` (one finished stream message);
- proactive posts (`push_markdown`, `push_card`, used by `wecom_webhook.WecomSender`)
  are ``aibot_send_msg`` markdown or template cards to a ``chatid``, waiting for the ack;
- a tap on a card (``aibot_event_callback``, ``template_card_event``) runs like the
  HTTP callback's and the card update goes back as ``aibot_respond_update_msg``;
- reconnect with exponential backoff, 1 s → 30 s; an auth failure with errcode 45009
  (reconnecting too fast) or a ``disconnected_event`` (another connection took over)
  waits the full 30 s;
- a frame of the wrong shape (not a JSON object, ``headers`` or ``body`` not objects, a
  message with ``from``, ``text`` or ``mixed`` not objects) is logged and ignored, with
  nothing stored or answered; the connection stays up.

Exactly one connection per bot across processes: a process connects only while it holds
the lease ``wecom-aibot-ws:{bot_id}`` (`LeaseRepo`), renewed with every heartbeat; a
process that loses it disconnects. `stop()` closes the connection and releases the lease.

The transport is a tiny interface (`Transport`; `websocket_connect` builds the real one
on `websockets.sync.client`), so tests can point the client at a loopback fake server.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.channels.payloads import PayloadError
from bot.channels.wecom_aibot import answer_callback
from bot.channels.wecom_webhook import PushUnavailable
from bot.clock import Clock
from bot.outbox import deliver_due

if TYPE_CHECKING:
    from bot.application import Application

log = logging.getLogger(__name__)


# --- transport -------------------------------------------------------------------------------

class TransportClosed(Exception):
    """The connection is gone."""


class Transport(Protocol):
    def send(self, text: str) -> None: ...

    def recv(self, timeout: float) -> str | None:
        """The next text frame; None when nothing came within `timeout` seconds."""
        ...

    def close(self) -> None: ...


class _WebsocketTransport:
    def __init__(self, opener):
        self._opener = opener  # websockets' connect(..., legacy=False): a context manager
        self.conn = opener.__enter__()

    def send(self, text: str) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            self.conn.send(text)
        except ConnectionClosed as exc:
            raise TransportClosed(str(exc)) from None

    def recv(self, timeout: float) -> str | None:
        from websockets.exceptions import ConnectionClosed

        try:
            data = self.conn.recv(timeout=max(0.0, timeout))
        except TimeoutError:
            return None
        except ConnectionClosed as exc:
            raise TransportClosed(str(exc)) from None
        return data.decode("utf-8") if isinstance(data, bytes) else data

    def close(self) -> None:
        self._opener.__exit__(None, None, None)


def websocket_connect(url: str, timeout: float = 10.0) -> Transport:
    """The real transport: `websockets`' sync client (app-level pings, not protocol ones)."""
    from websockets.sync.client import connect

    return _WebsocketTransport(connect(url, open_timeout=timeout, ping_interval=None,
                                       close_timeout=2, max_size=8 * 1024 * 1024,
                                       legacy=False))


# --- reading frames ----------------------------------------------------------------------------

def req_id_of(frame: dict) -> str:
    """A frame's ``headers.req_id``; "" when absent or of the wrong type."""
    headers = frame.get("headers")
    req_id = headers.get("req_id") if isinstance(headers, dict) else None
    return req_id if isinstance(req_id, str) else ""


def errcode_of(frame: dict) -> int:
    """A frame's ``errcode`` (0 when absent); -1 when it is not a whole number."""
    value = frame.get("errcode", 0)
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        return -1
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return -1


# --- the client --------------------------------------------------------------------------------

class SubscribeFailed(Exception):
    def __init__(self, errcode: int | None, errmsg: str):
        super().__init__(f"subscribe failed: errcode {errcode} {errmsg}")
        self.errcode = errcode


class _Replaced(Exception):
    """WeCom said another connection took over (disconnected_event)."""


class _LeaseLost(Exception):
    pass


class _Waiter:
    def __init__(self):
        self.event = threading.Event()
        self.frame: dict | None = None


class LongConnection:
    """One bot's long connection, run in a background thread (`start` / `stop`)."""

    def __init__(self, app: Application, *,
                 connect: Callable[[str], Transport] = websocket_connect,
                 heartbeat: float = 30.0, ack_timeout: float = 10.0,
                 backoff_base: float = 1.0, backoff_max: float = 30.0,
                 lease_ttl: timedelta = timedelta(seconds=90), holder: str | None = None,
                 wall_clock: Clock | None = None, poll: float = 1.0):
        cfg = app.config.channels.wecom_aibot
        self.app = app
        self.url = cfg.ws_url
        self.bot_id, self.secret = cfg.bot_id, cfg.secret
        self.connect = connect
        self.heartbeat, self.ack_timeout, self.poll = heartbeat, ack_timeout, poll
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self.lease_name = f"wecom-aibot-ws:{cfg.bot_id}"[:128]
        self.lease_ttl = lease_ttl
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.wall_clock = wall_clock or app.wall_clock
        self.connections = 0  # successful subscriptions so far
        self.holds_lease = False
        self._ids = itertools.count(1)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._conn: Transport | None = None
        self._send_lock = threading.Lock()
        self._waiters: dict[str, _Waiter] = {}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wecom-ws-msg")
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._ready.is_set() and not self._stop.is_set()

    def start(self) -> LongConnection:
        self._thread = threading.Thread(target=self._run, name="wecom-ws", daemon=True)
        self._thread.start()
        return self

    def wait_connected(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._close()
        if self._thread is not None:
            self._thread.join(timeout)
        self._worker.shutdown(wait=True)

    # --- proactive push (called from the outbox) -----------------------------------------------
    def push_markdown(self, chatid: str, content: str) -> tuple[int, str]:
        if not self.connected:
            raise PushUnavailable("not connected")
        body = {"chatid": chatid, "msgtype": "markdown", "markdown": {"content": content}}
        frame = self.request("aibot_send_msg", body)
        return errcode_of(frame), str(frame.get("errmsg", ""))[:300]

    def push_card(self, chatid: str, card: dict) -> tuple[int, str]:
        if not self.connected:
            raise PushUnavailable("not connected")
        frame = self.request("aibot_send_msg", {"chatid": chatid, "msgtype": "template_card",
                                                "template_card": card})
        return errcode_of(frame), str(frame.get("errmsg", ""))[:300]

    def request(self, cmd: str, body: dict[str, Any]) -> dict:
        """Send a frame and wait for its ack (raises PushUnavailable)."""
        req_id = self._req_id(cmd)
        waiter = _Waiter()
        self._waiters[req_id] = waiter
        try:
            self._send({"cmd": cmd, "headers": {"req_id": req_id}, "body": body})
            if not waiter.event.wait(self.ack_timeout):
                raise PushUnavailable(f"no ack for {cmd} within {self.ack_timeout:g} s")
            if waiter.frame is None:
                raise PushUnavailable("connection closed before the ack")
            return waiter.frame
        except TransportClosed as exc:
            raise PushUnavailable(str(exc)) from None
        finally:
            self._waiters.pop(req_id, None)

    # --- the connection thread ---------------------------------------------------------------
    def _run(self) -> None:
        failures = 0
        try:
            while not self._stop.is_set():
                if not self._take_lease():
                    self._stop.wait(self.heartbeat)
                    continue
                delay = None
                try:
                    self._session()
                    failures = 0
                except SubscribeFailed as exc:
                    failures += 1
                    log.warning("wecom long connection: %s", exc)
                    if exc.errcode == 45009:
                        delay = self.backoff_max
                except _Replaced:
                    failures += 1
                    log.warning("wecom long connection replaced by another connection")
                    delay = self.backoff_max
                except _LeaseLost:
                    log.warning("wecom long connection: lease %s lost; disconnecting",
                                self.lease_name)
                except (TransportClosed, OSError, ValueError) as exc:
                    failures += 1
                    if not self._stop.is_set():
                        log.warning("wecom long connection dropped: %s: %s",
                                    type(exc).__name__, exc)
                except Exception:  # noqa: BLE001 - the thread must survive anything
                    failures += 1
                    log.exception("wecom long connection failed")
                finally:
                    self._close()
                if self._stop.is_set():
                    break
                if delay is None:
                    delay = min(self.backoff_base * 2 ** max(0, failures - 1), self.backoff_max)
                self._stop.wait(delay)
        finally:
            self._release_lease()

    def _session(self) -> None:
        self._conn = self.connect(self.url)
        req_id = self._req_id("aibot_subscribe")
        self._send({"cmd": "aibot_subscribe", "headers": {"req_id": req_id},
                    "body": {"bot_id": self.bot_id, "secret": self.secret}})
        deadline = time.monotonic() + self.ack_timeout
        while True:
            left = deadline - time.monotonic()
            frame = self._read(left) if left > 0 else None
            if frame is None:
                raise SubscribeFailed(None, "no answer")
            if req_id_of(frame) == req_id:
                errcode = errcode_of(frame)
                if errcode != 0:
                    raise SubscribeFailed(errcode, str(frame.get("errmsg", ""))[:300])
                break
            self._dispatch(frame)
        self.connections += 1
        self._ready.set()
        log.info("wecom long connection up (bot %s)", self.bot_id)
        last_ping, pending_ping, missed = time.monotonic(), None, 0
        while not self._stop.is_set():
            now = time.monotonic()
            if now - last_ping >= self.heartbeat:
                if pending_ping is not None:
                    missed += 1
                    if missed >= 2:
                        raise TransportClosed("two heartbeats unanswered")
                if not self._take_lease():
                    raise _LeaseLost()
                pending_ping = self._req_id("ping")
                self._send({"cmd": "ping", "headers": {"req_id": pending_ping}})
                last_ping = now
            frame = self._read(min(self.poll, max(0.0, last_ping + self.heartbeat - now)))
            if frame is None:
                continue
            if req_id_of(frame) == pending_ping:
                pending_ping, missed = None, 0
                continue
            self._dispatch(frame)

    def _dispatch(self, frame: dict) -> None:
        req_id = req_id_of(frame)
        waiter = self._waiters.get(req_id)
        if waiter is not None and "cmd" not in frame:
            waiter.frame = frame
            waiter.event.set()
            return
        cmd = frame.get("cmd")
        body = frame.get("body")
        if cmd in ("aibot_msg_callback", "aibot_event_callback") and \
                not isinstance(body, dict):
            log.warning("wecom long connection: %s frame %r without an object body; "
                        "ignored", cmd, req_id[:64])
            return
        if cmd == "aibot_msg_callback":
            self._worker.submit(self._on_message, req_id, body)
        elif cmd == "aibot_event_callback":
            event = body.get("event")
            kind = event.get("eventtype") if isinstance(event, dict) else None
            if kind == "disconnected_event":
                raise _Replaced()
            if kind == "template_card_event":
                self._worker.submit(self._on_message, req_id, body, "aibot_respond_update_msg")
                return
            log.info("wecom long connection event %r", str(kind)[:64])
        elif cmd is None and errcode_of(frame) != 0:
            log.warning("wecom long connection: request %s failed: %s %s", req_id,
                        frame.get("errcode"), frame.get("errmsg"))

    def _on_message(self, req_id: str, body: dict, cmd: str = "aibot_respond_msg") -> None:
        """A message (or a tap on a card: its update goes back as `cmd`)."""
        try:
            reply = answer_callback(self.app, body)
            if reply is not None:
                self._send({"cmd": cmd, "headers": {"req_id": req_id}, "body": reply})
            if cmd != "aibot_respond_msg":
                deliver_due(self.app)  # what the tap made the bot say in the group
        except TransportClosed:
            log.warning("wecom long connection closed before the answer to %r",
                        str(body.get("msgid"))[:64])
        except PayloadError as exc:  # nothing stored, nothing answered
            log.warning("wecom long connection: message %r of the wrong shape ignored: %s",
                        str(body.get("msgid"))[:64], exc)
        except Exception:  # noqa: BLE001 - one bad message must not stop the connection
            log.exception("wecom long connection: message %r failed",
                          str(body.get("msgid"))[:64])

    # --- plumbing --------------------------------------------------------------------------------
    def _req_id(self, cmd: str) -> str:
        return f"{cmd}-{uuid.uuid4().hex[:12]}-{next(self._ids)}"

    def _send(self, frame: dict) -> None:
        conn = self._conn
        if conn is None:
            raise TransportClosed("not connected")
        text = json.dumps(frame, ensure_ascii=False)
        with self._send_lock:
            conn.send(text)

    def _read(self, timeout: float) -> dict | None:
        conn = self._conn
        if conn is None:
            raise TransportClosed("not connected")
        text = conn.recv(timeout)
        if text is None:
            return None
        try:
            frame = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            frame = None
        if not isinstance(frame, dict):
            # a garbled frame must not drop the link: logged and read as an empty one
            log.warning("wecom long connection: a frame that is not a JSON object ignored "
                        "(%d characters)", len(text))
            return {}
        return frame

    def _close(self) -> None:
        self._ready.clear()
        conn, self._conn = self._conn, None
        for waiter in list(self._waiters.values()):
            waiter.event.set()
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing a broken socket
                pass

    def _take_lease(self) -> bool:
        try:
            with self.app.store.transaction() as repos:
                ok = repos.leases.acquire(self.lease_name, self.holder, self.wall_clock(),
                                          self.lease_ttl)
        except Exception:  # noqa: BLE001 - a database hiccup: try again later
            log.exception("wecom long connection: cannot take the lease")
            ok = False
        self.holds_lease = ok
        return ok

    def _release_lease(self) -> None:
        try:
            with self.app.store.transaction() as repos:
                repos.leases.release(self.lease_name, self.holder)
        except Exception:  # noqa: BLE001
            log.exception("wecom long connection: cannot release the lease")
        self.holds_lease = False

