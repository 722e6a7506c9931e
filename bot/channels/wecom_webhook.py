"""Posts to WeCom groups (`channel: wecom`): the 消息推送 webhook, and the AI bot's
long-connection push when it is up.

Route of one outbox row for a group:
- posts that @ someone go through the group's webhook (``webhook_key``) when it has one,
  because only the webhook notifies people (``mentioned_list`` of userids); AI-bot
  replies and pushes cannot @ reliably;
- other posts (and pings in groups without a working key) go through the long
  connection's push (``aibot_send_msg``, markdown) when it is connected;
- otherwise the webhook; a failed push falls back to the webhook.

Webhook: ``POST {api_base}/cgi-bin/webhook/send?key=KEY``; ``text`` with
``mentioned_list`` when the post mentions members (content ≤ 2048 bytes), else
``markdown`` (≤ 4096 bytes). Longer texts are split on UTF-8 character boundaries
(preferably after a line) and sent in order; when part k fails after earlier parts went
out, the row's text is cut down to what is still unsent, so a retry never repeats a part.
errcode 45009 (rate) is retried after at least 60 s; 93000 (the key is wrong or the bot
was removed) fails the post permanently, is logged without the key, marks the key dead
(later posts use the push when they can) and shows in `/统计`
(`bot.domain.webhook_health`).

The key is a bearer credential: it is never logged; errors carry only a fingerprint.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import requests

from bot.clock import Clock
from bot.domain.webhook_health import (
    WECOM_CHANNEL,
    dead_key_error,
    key_fingerprint,
    key_is_dead,
)
from bot.events import DeliveryResult

if TYPE_CHECKING:
    from bot.config import WecomAibotConfig, WecomWebhookConfig
    from storage.models import Group, OutboundMessage
    from storage.repositories import Store

log = logging.getLogger(__name__)

CHANNEL = WECOM_CHANNEL
TEXT_LIMIT = 2048
MARKDOWN_LIMIT = 4096
PUSH_LIMIT = 4096
RATE_PER_MINUTE = 20
RATE_RETRY_SECONDS = 60.0
_KEY_IN_TEXT = re.compile(r"key=[^&\s'\"]+")


def redact(text: str, key: str = "") -> str:
    if key:
        text = text.replace(key, "***")
    return _KEY_IN_TEXT.sub("key=***", text)


class RedactKeys(logging.Filter):
    """Hides ``key=…`` in log records (urllib3 logs request URLs at DEBUG level)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "key=" in message:
            record.msg, record.args = redact(message), ()
        return True


def _install_redaction() -> None:
    target = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, RedactKeys) for f in target.filters):
        target.addFilter(RedactKeys())


def split_utf8(text: str, limit: int) -> list[str]:
    """Cut text into parts of at most `limit` UTF-8 bytes, never inside a character,
    preferably after a newline. Lossless: ``"".join(parts) == text``."""
    parts: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > limit:
        cut = rest.encode("utf-8")[:limit].decode("utf-8", "ignore")
        newline = cut.rfind("\n")
        if newline >= len(cut) // 2:
            cut = cut[: newline + 1]
        if not cut:  # a limit smaller than one character
            cut = rest[0]
        parts.append(cut)
        rest = rest[len(cut):]
    if rest:
        parts.append(rest)
    return parts


def send_in_parts(text: str, limit: int, send_one: Callable[[str, bool], DeliveryResult]
                  ) -> tuple[DeliveryResult, str]:
    """Send the parts in order; returns the outcome and the text not yet delivered
    (all of it when nothing went out, "" when everything did)."""
    parts = split_utf8(text, limit)
    for index, part in enumerate(parts):
        body = part.strip("\n")
        if not body.strip():
            continue
        result = send_one(body, index == len(parts) - 1)
        if not result.ok:
            return result, "".join(parts[index:])
    return DeliveryResult(ok=True), ""



def keep_unsent(store: Store | None, post: OutboundMessage, result: DeliveryResult,
                unsent: str) -> DeliveryResult:
    """The partly-sent rule of both WeCom senders: after a partial delivery, only the
    unsent text stays on the row, so the retry never repeats a part."""
    if not result.ok and unsent and unsent != post.text and store is not None:
        with store.transaction() as repos:
            repos.outbox.set_text(post.id, unsent)
        log.warning("%s partly delivered; %s characters left for the retry",
                    post.public_id, len(unsent))
    return result

# --- the long connection, as the sender sees it ----------------------------------------------

class PushUnavailable(Exception):
    """The long connection is down (or dropped while pushing)."""


class Pusher(Protocol):
    @property
    def connected(self) -> bool: ...

    def push_markdown(self, chatid: str, content: str) -> tuple[int, str]:
        """Send `aibot_send_msg`; (errcode, errmsg) of the ack. Raises PushUnavailable."""
        ...


# --- the sender --------------------------------------------------------------------------------

class WecomSender:
    """Delivers outbox rows of `wecom` groups (see the module docstring for the route)."""

    def __init__(self, webhook: WecomWebhookConfig, clock: Clock,
                 aibot: WecomAibotConfig | None = None, store: Store | None = None,
                 session: requests.Session | None = None, pusher: Pusher | None = None):
        self.webhook = webhook
        self.aibot = aibot
        self.store = store
        self.clock = clock
        self.http = session or requests.Session()
        self.pusher = pusher
        _install_redaction()

    def rate_limit(self, group: Group | None) -> int | None:
        return RATE_PER_MINUTE

    def send(self, post: OutboundMessage, group: Group | None) -> DeliveryResult:
        if group is None:
            return DeliveryResult(ok=False, error="unknown group", permanent=True)
        key = group.webhook_key
        push_up = self.pusher is not None and self.pusher.connected
        dead = push_up and bool(key) and self._key_dead(group)  # only matters with a push
        text = post.text
        if push_up and (not post.mentions or not key or dead):
            result, text = send_in_parts(text, PUSH_LIMIT, lambda part, _last: self._push(
                group.id, part))
            if result.ok or not key or dead:
                return keep_unsent(self.store, post, result, text)
            log.info("push to %s failed (%s); falling back to the webhook", group.id,
                     result.error)
        if not key:  # and the push is down
            if self.aibot is not None and self.aibot.enabled and self.aibot.mode == "websocket":
                return DeliveryResult(ok=False, error="long connection down, no webhook_key")
            log.error("group %s has no webhook_key and no long connection: cannot post",
                      group.id)
            return DeliveryResult(ok=False, error="no webhook_key for this group",
                                  permanent=True)
        mentions = [m for m in post.mentions if m]
        limit = TEXT_LIMIT if mentions else MARKDOWN_LIMIT
        result, text = send_in_parts(text, limit, lambda part, last: self._webhook(
            group, part, mentions, last))
        return keep_unsent(self.store, post, result, text)

    # --- helpers ---------------------------------------------------------------------------
    def _key_dead(self, group: Group) -> bool:
        if self.store is None:
            return False
        with self.store.transaction() as repos:
            return key_is_dead(repos, group, self.clock())

    def _push(self, chatid: str, content: str) -> DeliveryResult:
        try:
            errcode, errmsg = self.pusher.push_markdown(chatid, content)
        except PushUnavailable as exc:
            return DeliveryResult(ok=False, error=f"push unavailable: {exc}")
        if errcode == 0:
            return DeliveryResult(ok=True)
        if errcode == 45009:
            return DeliveryResult(ok=False, error=f"push 45009 {errmsg}",
                                  retry_after=RATE_RETRY_SECONDS)
        return DeliveryResult(ok=False, error=f"push errcode {errcode} {errmsg}",
                              permanent=errcode == 93006)

    def _webhook(self, group: Group, content: str, mentions: list[str], last: bool
                 ) -> DeliveryResult:
        """One request; a post with mentions goes as text (the last part carries the
        mentioned_list, next to the @name tags), others as markdown."""
        key = group.webhook_key
        if mentions:
            body = {"msgtype": "text", "text": {"content": content}}
            if last:
                body["text"]["mentioned_list"] = mentions
        else:
            body = {"msgtype": "markdown", "markdown": {"content": content}}
        url = self.webhook.api_base.rstrip("/") + "/cgi-bin/webhook/send"
        try:
            resp = self.http.post(url, params={"key": key},
                                  data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                  headers={"Content-Type": "application/json"},
                                  timeout=self.webhook.timeout_seconds)
        except requests.RequestException as exc:
            return DeliveryResult(ok=False, error=redact(f"{type(exc).__name__}: {exc}", key))
        if resp.status_code != 200:
            return DeliveryResult(ok=False, error=f"webhook HTTP {resp.status_code}")
        try:
            answer = resp.json()
            errcode = int(answer.get("errcode", -1))
        except (ValueError, AttributeError, TypeError):
            return DeliveryResult(ok=False, error="webhook answered no JSON")
        errmsg = redact(str(answer.get("errmsg", "")), key)[:200]
        if errcode == 0:
            return DeliveryResult(ok=True)
        if errcode == 45009:
            return DeliveryResult(ok=False, error=f"webhook 45009 {errmsg}",
                                  retry_after=RATE_RETRY_SECONDS)
        if errcode == 93000:
            log.error("WeCom webhook of group %s (key#%s) is invalid (93000): the group "
                      "robot was removed or the key is wrong; re-add it in the group",
                      group.id, key_fingerprint(key))
            return DeliveryResult(ok=False, permanent=True, error=dead_key_error(key))
        if errcode == 40058:
            return DeliveryResult(ok=False, permanent=True, error=f"webhook 40058 {errmsg}")
        return DeliveryResult(ok=False, error=f"webhook errcode {errcode} {errmsg}")

