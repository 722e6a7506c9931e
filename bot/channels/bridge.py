"""The generic JSON bridge of interfaces.md: `POST /bridge/messages` in, signed posts to
`channels.bridge.outbound_url` out.

Signature: hex HMAC-SHA256 of "{timestamp}\\n{raw body}" with the shared secret, in
`X-Bot-Signature`, the unix time in `X-Bot-Timestamp`, at most 300 s away from now.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta
from typing import Any

import requests
from flask import Blueprint, current_app, jsonify, request

from bot.channels.payloads import MAX_ID, MAX_MSG_ID, MAX_NAME, PayloadError, clean, string
from bot.clock import Clock
from bot.config import BridgeConfig
from bot.events import DeliveryResult, ImageRef, IncomingMessage, Quote, wire_format
from bot.ingest import receive
from storage.models import Group, OutboundMessage

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
SIGNATURE_WINDOW = 300
CHANNEL = "bridge"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: float) -> dict[str, str]:
    ts = str(int(now))
    return {"X-Bot-Timestamp": ts, "X-Bot-Signature": sign(secret, ts, body)}


def verify(secret: str, headers: Any, body: bytes, now: float) -> str | None:
    """None when the request is authentic, else the reason for the 401."""
    ts = headers.get("X-Bot-Timestamp", "")
    given = headers.get("X-Bot-Signature", "")
    if not ts or not given:
        return "missing signature headers"
    if len(ts) > 12 or not ts.isdigit():  # unix seconds; 400 digits would overflow a float
        return "bad timestamp"
    ts_value = int(ts)
    if abs(now - ts_value) > SIGNATURE_WINDOW:
        return "timestamp outside the 300 s window"
    # bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500)
    if not hmac.compare_digest(sign(secret, ts, body).encode(),
                               given.lower().encode("utf-8", "replace")):
        return "bad signature"
    return None


_STRING_FIELDS = ("msg_id", "group_id", "sender_id", "text")
_OPTIONAL_STRINGS = ("group_name", "sender_name", "sent_at")
# Limits of the stored columns (refused with 400 when longer); names are cut instead.
MAX_LENGTH = {"msg_id": MAX_MSG_ID, "group_id": MAX_ID, "sender_id": MAX_ID, "text": MAX_BODY}
SENT_AT_WINDOW = timedelta(days=1)  # a sent_at further than this from now is refused
MAX_IMAGES = 9  # photos per message (WeChat sends at most 9 at once)
MAX_URL = 2048


def parse_images(data: dict) -> tuple[ImageRef, ...]:
    """`images: [{"url"} | {"base64", "md5"}]`; a wrong shape is a PayloadError (400).
    Whether the picture is any good is decided later (kept or refused, never a 400)."""
    items = data.get("images")
    if items is None:
        return ()
    if not isinstance(items, list):
        raise PayloadError("field images must be a list")
    if len(items) > MAX_IMAGES:
        raise PayloadError(f"field images holds more than {MAX_IMAGES} photos")
    refs = []
    for n, item in enumerate(items):
        key = f"images[{n}]"
        if not isinstance(item, dict):
            raise PayloadError(f"field {key} must be an object")
        url = string(item, "url", limit=MAX_URL, label=f"{key}.url")
        encoded = string(item, "base64", limit=MAX_BODY, label=f"{key}.base64")
        md5 = string(item, "md5", limit=64, label=f"{key}.md5")
        if bool(url) == bool(encoded):
            raise PayloadError(f"field {key} needs either url or base64")
        if encoded and not md5:
            raise PayloadError(f"field {key}.md5 is required with base64")
        refs.append(ImageRef(url=url, base64=encoded, md5=md5))
    return tuple(refs)


def parse_payload(data: Any, default_now: datetime) -> IncomingMessage:
    """Validate the bridge JSON and build an IncomingMessage."""
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    fields: dict[str, str] = {}
    images = parse_images(data)
    for key in _STRING_FIELDS:
        if key == "text" and key not in data and images:
            fields[key] = ""  # a photo alone: its text may be empty or left out
            continue
        if key not in data:
            raise PayloadError(f"missing field: {key}")
        if not isinstance(data[key], str):
            raise PayloadError(f"field {key} must be a string")
        fields[key] = string(data, key, required=key != "text", limit=MAX_LENGTH[key])
    for key in _OPTIONAL_STRINGS:
        fields[key] = string(data, key, cut=MAX_NAME)
    mentions = data.get("mentions") or []
    if not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions):
        raise PayloadError("field mentions must be a list of strings")
    mentions = [clean(m, "mentions")[:MAX_ID] for m in mentions[:50]]
    quote = data.get("quote")
    if quote is not None:
        if not isinstance(quote, dict) or not all(
                isinstance(quote.get(k, ""), str) for k in ("msg_id", "text")):
            raise PayloadError("field quote must be an object with string msg_id and text")
        quote = Quote(msg_id=clean(quote.get("msg_id", ""), "quote")[:MAX_MSG_ID],
                      text=clean(quote.get("text", ""), "quote")[:MAX_BODY])
    sent_at = default_now
    if fields["sent_at"]:
        try:
            sent_at = datetime.fromisoformat(fields["sent_at"].replace("Z", "+00:00"))
        except ValueError:
            raise PayloadError("field sent_at must be an ISO-8601 time") from None
        if sent_at.tzinfo is None:
            raise PayloadError("field sent_at must carry a UTC offset, e.g. +08:00")
        try:
            off = abs(sent_at - default_now) > SENT_AT_WINDOW
        except OverflowError:
            off = True
        if off:
            raise PayloadError("field sent_at is more than a day away from now")
    return IncomingMessage(
        channel=CHANNEL, msg_id=fields["msg_id"], group_id=fields["group_id"],
        sender_id=fields["sender_id"], text=fields["text"], sent_at=sent_at,
        sender_name=fields["sender_name"], group_name=fields["group_name"],
        mentions=tuple(mentions), quote=quote, raw=data, images=images)


def _error(status: int, message: str):
    return jsonify({"ok": False, "error": message}), status


def create_blueprint() -> Blueprint:
    bp = Blueprint("bridge", __name__)

    @bp.post("/bridge/messages")
    def messages():
        bot = current_app.extensions["linli"]
        body = request.get_data(cache=False)  # the factory's guard limits its size
        secret = bot.config.channels.bridge.secret
        if secret:
            problem = verify(secret, request.headers, body, bot.wall_clock().timestamp())
            if problem:
                return _error(401, problem)
        if request.mimetype != "application/json":
            return _error(415, "Content-Type must be application/json")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _error(400, "malformed JSON")
        except RecursionError:
            return _error(400, "JSON nested too deeply")
        try:
            msg = parse_payload(data, bot.now())
        except PayloadError as exc:
            return _error(400, str(exc))
        result = receive(bot, msg)
        if result.duplicate:
            return jsonify({"ok": True, "duplicate": True, "replies": []})
        return jsonify({"ok": True, "replies": result.replies})

    return bp


class BridgeSender:
    """Delivers outbox rows to the bridge's outbound URL, signed when a secret is set."""

    def __init__(self, config: BridgeConfig, wall_clock: Clock,
                 session: requests.Session | None = None):
        self.config = config
        self.wall_clock = wall_clock
        self.http = session or requests.Session()

    def rate_limit(self, group: Group | None) -> int | None:
        return self.config.rate_limit_per_minute or None

    def send(self, post: OutboundMessage, group: Group | None) -> DeliveryResult:
        if not self.config.outbound_url:
            # No bridge to post to (demo, simulator): the post stays visible in the
            # simulator and the journal; nothing leaves the machine.
            return DeliveryResult(ok=True)
        body = json.dumps(wire_format(post), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.config.secret:
            headers.update(signed_headers(self.config.secret, body,
                                          self.wall_clock().timestamp()))
        try:
            resp = self.http.post(self.config.outbound_url, data=body, headers=headers,
                                  timeout=self.config.timeout_seconds)
        except requests.RequestException as exc:
            return DeliveryResult(ok=False, error=f"{type(exc).__name__}: {exc}")
        if 200 <= resp.status_code < 300:
            return DeliveryResult(ok=True)
        retry_after = _retry_after(resp.headers.get("Retry-After"))
        return DeliveryResult(ok=False, error=f"HTTP {resp.status_code}",
                              retry_after=retry_after)


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
