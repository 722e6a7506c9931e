"""WeCom 智能机器人 (AI bot), HTTP callback mode: the `/wecom/aibot` blueprint, and the
callback parsing the long connection (`wecom_ws`) shares.

- ``GET /wecom/aibot?msg_signature&timestamp&nonce&echostr``: URL verification; the
  decrypted echostr is answered as plain text (no quotes, no newline), at once.
- ``POST /wecom/aibot?msg_signature&timestamp&nonce`` with ``{"encrypt": …}``: a signed,
  encrypted JSON callback (receive id ``""``). The signature is checked before the body
  is parsed as JSON (`CallbackCrypto.decrypt_json`): a bad one is refused with 401 and
  nothing is processed or parsed. An authentic message of the wrong shape (``from``,
  ``text``, ``mixed`` or ``quote`` not objects, ids not strings or too long, a lone
  surrogate) is refused with 400 before anything is stored (`bot.channels.payloads`).
  Messages become one `IncomingMessage` (channel ``wecom_aibot``,
  msg_id = ``msgid``, group = ``chatid``, or the sender's userid in a 1:1 chat) and go
  through `bot.ingest.receive` like the bridge's (photos of ``image`` and ``mixed``
  messages with them: their URLs serve AES ciphertext, decrypted with the bot's
  EncodingAESKey, or the image's own ``aeskey`` on the long connection, see
  `bot.channels.media_fetch`); the answer is the encrypted passive reply:
  one finished stream message carrying the bot's replies. A retried callback (same
  ``msgid``) gets the same answer and changes nothing. Events and stream refreshes are
  answered with an empty body.

Mentions: the AI bot has no mention field, and whether ``<@userid>`` works inside stream
markdown is untested, so replies keep the ``@name`` text the outbox writer appended. That
text does not notify anyone; pings that must notify go out later through the group's
webhook (`wecom_webhook`), which mentions by userid. See docs/wecom.md.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, jsonify, request

from bot.channels.payloads import MAX_ID, MAX_MSG_ID, PayloadError, obj, string
from bot.channels.wecom_crypto import (
    CallbackCrypto,
    CallbackRejected,
    reject,
    verify_url_response,
)
from bot.domain.groups import PRIVATE_NAME_PREFIX
from bot.events import ImageRef, IncomingMessage, Quote
from bot.ingest import receive

if TYPE_CHECKING:
    from bot.application import Application

log = logging.getLogger(__name__)

CHANNEL = "wecom_aibot"
MAX_BODY = 1024 * 1024
STREAM_MAX_BYTES = 20480  # a stream message's content limit
MAX_TEXT = MAX_BODY  # a message's text (the body is at most this anyway)
_BOT_PREFIX = re.compile(r"^\s*@[^\s\u2005@]+[\s\u2005]*")


# --- parsing (shared with the long connection) -----------------------------------------------

def _content_of(part: dict[str, Any], key: str) -> str:
    """The text of a message or quote body: text, voice (already speech-to-text), mixed.
    A part of the wrong shape (``text`` not an object, ``msg_item`` not a list …) is a
    PayloadError naming `key`."""
    kind = string(part, "msgtype", label=f"{key}.msgtype")
    if kind in ("text", "voice"):
        return string(obj(part, kind), "content", label=f"{key}.{kind}.content",
                      limit=MAX_TEXT)
    if kind == "mixed":
        items = obj(part, "mixed").get("msg_item")
        if items is None:
            items = []
        if not isinstance(items, list):
            raise PayloadError(f"field {key}.mixed.msg_item must be a list")
        texts_ = []
        for item in items:
            if not isinstance(item, dict):
                raise PayloadError(f"field {key}.mixed.msg_item must hold objects")
            if item.get("msgtype") == "text":
                texts_.append(string(obj(item, "text"), "content",
                                     label=f"{key}.mixed.text.content", limit=MAX_TEXT))
        return "\n".join(texts_).strip()[:MAX_TEXT]
    return ""


MAX_IMAGE_URL = 4096


def _image_ref(image: dict[str, Any], key: str, media_key: bytes) -> ImageRef | None:
    """An image part (``{"url", "aeskey"?}``): its content is AES-encrypted with the
    per-image ``aeskey`` (long connection) or else the bot's own key (HTTP callback)."""
    url = string(image, "url", limit=MAX_IMAGE_URL, label=f"{key}.image.url")
    if not url:
        return None
    aeskey = string(image, "aeskey", limit=128, label=f"{key}.image.aeskey")
    if aeskey:
        try:
            media_key = base64.b64decode(aeskey + "=" * (-len(aeskey) % 4))
        except (binascii.Error, ValueError):
            raise PayloadError(f"field {key}.image.aeskey is not base64") from None
    return ImageRef(url=url, aes_key=media_key)


def images_of(body: dict[str, Any], media_key: bytes) -> tuple[ImageRef, ...]:
    """The photos of an ``image`` or ``mixed`` message (at most 9)."""
    kind = string(body, "msgtype")
    parts: list[dict[str, Any]] = []
    if kind == "image":
        parts = [obj(body, "image")]
    elif kind == "mixed":
        items = obj(body, "mixed").get("msg_item") or []
        if isinstance(items, list):
            parts = [obj(item, "image") for item in items
                     if isinstance(item, dict) and item.get("msgtype") == "image"]
    refs = [ref for ref in (_image_ref(p, "body", media_key) for p in parts) if ref]
    return tuple(refs[:9])


def strip_bot_mention(text: str) -> str:
    """'@RobotA 3号楼灯坏了' -> '3号楼灯坏了' (group texts start with the bot's name)."""
    return _BOT_PREFIX.sub("", text, count=1).strip()


def parse_callback(body: dict[str, Any], now: datetime, media_key: bytes = b""
                   ) -> IncomingMessage | None:
    """A decrypted AI-bot callback -> IncomingMessage; None for events, stream refreshes
    and messages with neither text nor a photo (files). Photos (``image``, the images of
    ``mixed``) become `ImageRef`s decrypted with `media_key` (the bot's key) unless
    they carry their own. A message of the wrong shape (``from``, ``text`` or ``mixed``
    not objects, ids of the wrong type or too long …) raises PayloadError."""
    kind = string(body, "msgtype")
    if kind not in ("text", "mixed", "voice", "image"):
        return None
    msgid = string(body, "msgid", required=True, limit=MAX_MSG_ID)
    sender = string(obj(body, "from", required=True), "userid", required=True,
                    limit=MAX_ID, label="from.userid")
    chattype = string(body, "chattype")
    chatid = string(body, "chatid", limit=MAX_ID)
    text = _content_of(body, "body")
    if chattype == "group":
        text = strip_bot_mention(text)
    quote = None
    if body.get("quote") is not None:
        quoted = _content_of(obj(body, "quote"), "quote")
        if quoted:
            quote = Quote(text=quoted)
    images = images_of(body, media_key)
    if not text and not images:
        return None
    single = chattype != "group"
    return IncomingMessage(
        channel=CHANNEL, msg_id=msgid, group_id=chatid or sender, sender_id=sender,
        text=text, sent_at=now, quote=quote,
        group_name=f"{PRIVATE_NAME_PREFIX}{sender}" if single else "", private=single,
        raw={"msgid": msgid, "aibotid": string(body, "aibotid", cut=MAX_ID),
             "chatid": chatid, "chattype": chattype, "msgtype": kind},
        images=images)


def stream_id(msgid: str) -> str:
    return f"linli-{msgid}"[:128]


def truncate_utf8(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, cut on a character boundary (marked with …)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


def stream_reply(msgid: str, replies: list[dict]) -> dict[str, Any] | None:
    """The finished stream message carrying the replies; None when there is nothing."""
    texts_ = [r["text"] for r in replies if r.get("text")]
    if not texts_:
        return None
    content = truncate_utf8("\n\n".join(texts_), STREAM_MAX_BYTES)
    return {"msgtype": "stream",
            "stream": {"id": stream_id(msgid), "finish": True, "content": content}}


def answer_callback(app: Application, body: dict[str, Any]) -> dict[str, Any] | None:
    """Handle one decrypted callback (HTTP or long connection): the plaintext reply, or
    None for an empty answer. A repeated msgid gets the first answer again. A message of
    the wrong shape raises PayloadError before anything is stored."""
    msg = parse_callback(body, app.now(), media_key=bot_media_key(app))
    if msg is None:
        if body.get("msgtype") == "event":
            event = body.get("event")
            log.info("wecom aibot event %r", str(event.get("eventtype"))[:64]
                     if isinstance(event, dict) else None)
        return None
    result = receive(app, msg)
    replies = result.replies
    if result.duplicate:
        with app.store.transaction() as repos:
            replies = [{"text": row.text} for row in repos.outbox.for_inbound_message(
                CHANNEL, msg.msg_id)]
    return stream_reply(msg.msg_id, replies)


def bot_media_key(app: Application) -> bytes:
    """The AES key of the bot's media in HTTP callback mode: its EncodingAESKey."""
    key = app.config.channels.wecom_aibot.encoding_aes_key
    return base64.b64decode(key + "=") if len(key) == 43 else b""


# --- the HTTP callback -----------------------------------------------------------------------

def _crypto(app: Application) -> CallbackCrypto:
    cfg = app.config.channels.wecom_aibot
    return CallbackCrypto(cfg.token, cfg.encoding_aes_key, "", wall_clock=app.wall_clock)


def _reject(status: int, reason: str):
    return reject("aibot", status, reason)


def create_blueprint() -> Blueprint:
    bp = Blueprint("wecom_aibot", __name__)

    @bp.get("/wecom/aibot")
    def verify_url():
        return verify_url_response(_crypto(current_app.extensions["linli"]), "aibot",
                                   request.args)

    @bp.post("/wecom/aibot")
    def callback():
        bot = current_app.extensions["linli"]
        crypto = _crypto(bot)
        args = request.args
        nonce = args.get("nonce", "")
        try:
            data = crypto.decrypt_json(request.get_data(cache=False),
                                       args.get("msg_signature", ""),
                                       args.get("timestamp", ""), nonce)
        except CallbackRejected as exc:
            return _reject(exc.status, str(exc))
        try:
            reply = answer_callback(bot, data)
        except PayloadError as exc:  # authentic, but not a message we can read
            return _reject(400, str(exc))
        if reply is None:
            return Response("", status=200)
        return jsonify(crypto.encrypt_json(reply, nonce=nonce or None))

    return bp
