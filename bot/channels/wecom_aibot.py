"""WeCom 智能机器人 (AI bot), HTTP callback mode: the `/wecom/aibot` blueprint, and the
callback parsing the long connection (`wecom_ws`) shares.

- ``GET /wecom/aibot?msg_signature&timestamp&nonce&echostr``: URL verification; the
  decrypted echostr is answered as plain text (no quotes, no newline), at once.
- ``POST /wecom/aibot?msg_signature&timestamp&nonce`` with ``{"encrypt": …}``: a signed,
  encrypted JSON callback (receive id ``""``). A bad signature is refused with 401 and
  nothing is processed. Messages become one `IncomingMessage` (channel ``wecom_aibot``,
  msg_id = ``msgid``, group = ``chatid``, or the sender's userid in a 1:1 chat) and go
  through `bot.ingest.receive` like the bridge's; the answer is the encrypted passive reply:
  one finished stream message carrying the bot's replies. A retried callback (same
  ``msgid``) gets the same answer and changes nothing. Events and stream refreshes are
  answered with an empty body.

Mentions: the AI bot has no mention field, and whether ``<@userid>`` works inside stream
markdown is untested, so replies keep the ``@name`` text the outbox writer appended. That
text does not notify anyone; pings that must notify go out later through the group's
webhook (`wecom_webhook`), which mentions by userid. See docs/wecom.md.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, jsonify, request

from bot.channels.wecom_crypto import (
    CallbackCrypto,
    CallbackRejected,
    reject,
    verify_url_response,
)
from bot.domain.groups import PRIVATE_NAME_PREFIX
from bot.events import IncomingMessage, Quote
from bot.ingest import receive

if TYPE_CHECKING:
    from bot.application import Application

log = logging.getLogger(__name__)

CHANNEL = "wecom_aibot"
MAX_BODY = 1024 * 1024
STREAM_MAX_BYTES = 20480  # a stream message's content limit
_BOT_PREFIX = re.compile(r"^\s*@[^\s\u2005@]+[\s\u2005]*")


# --- parsing (shared with the long connection) -----------------------------------------------

def _content_of(part: dict[str, Any] | None) -> str:
    """The text of a message or quote body: text, voice (already speech-to-text), mixed."""
    if not isinstance(part, dict):
        return ""
    kind = part.get("msgtype")
    if kind == "text":
        return str((part.get("text") or {}).get("content") or "")
    if kind == "voice":
        return str((part.get("voice") or {}).get("content") or "")
    if kind == "mixed":
        items = (part.get("mixed") or {}).get("msg_item") or []
        return "\n".join(str((i.get("text") or {}).get("content") or "")
                         for i in items if isinstance(i, dict) and i.get("msgtype") == "text"
                         ).strip()
    return ""


def strip_bot_mention(text: str) -> str:
    """'@RobotA 3号楼灯坏了' -> '3号楼灯坏了' (group texts start with the bot's name)."""
    return _BOT_PREFIX.sub("", text, count=1).strip()


def group_of(body: dict[str, Any]) -> str:
    """The conversation id: `chatid` in groups, the sender's userid in 1:1 chats."""
    sender = (body.get("from") or {}).get("userid") or ""
    if body.get("chattype") == "group" and body.get("chatid"):
        return str(body["chatid"])
    return str(body.get("chatid") or sender)


def parse_callback(body: dict[str, Any], now: datetime) -> IncomingMessage | None:
    """A decrypted AI-bot callback -> IncomingMessage; None for events, stream refreshes
    and messages without text (images, files)."""
    if body.get("msgtype") not in ("text", "mixed", "voice"):
        return None
    msgid = str(body.get("msgid") or "")
    sender = str((body.get("from") or {}).get("userid") or "")
    if not msgid or not sender:
        return None
    text = _content_of(body)
    if body.get("chattype") == "group":
        text = strip_bot_mention(text)
    if not text:
        return None
    quote = None
    if isinstance(body.get("quote"), dict):
        quoted = _content_of(body["quote"])
        if quoted:
            quote = Quote(text=quoted)
    single = body.get("chattype") != "group"
    return IncomingMessage(
        channel=CHANNEL, msg_id=msgid, group_id=group_of(body), sender_id=sender, text=text,
        sent_at=now, quote=quote, group_name=f"{PRIVATE_NAME_PREFIX}{sender}" if single else "",
        private=single,
        raw={k: body.get(k) for k in ("msgid", "aibotid", "chatid", "chattype", "msgtype")})


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
    None for an empty answer. A repeated msgid gets the first answer again."""
    msg = parse_callback(body, app.now())
    if msg is None:
        if body.get("msgtype") == "event":
            log.info("wecom aibot event %s", (body.get("event") or {}).get("eventtype"))
        return None
    result = receive(app, msg)
    replies = result.replies
    if result.duplicate:
        with app.store.transaction() as repos:
            replies = [{"text": row.text} for row in repos.outbox.for_inbound_message(
                CHANNEL, msg.msg_id)]
    return stream_reply(msg.msg_id, replies)


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
        reply = answer_callback(bot, data)
        if reply is None:
            return Response("", status=200)
        return jsonify(crypto.encrypt_json(reply, nonce=nonce or None))

    return bp
