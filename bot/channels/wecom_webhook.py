"""Posts to WeCom groups (`channel: wecom`): the 消息推送 webhook, and the AI bot's
long-connection push when it is up.

Route of one outbox row for a group:
- posts that @ someone go through the group's webhook (``webhook_key``) when it has one,
  because only the webhook notifies people (``mentioned_list`` of userids); AI-bot
  replies and pushes cannot @ reliably;
- other posts (and pings in groups without a working key) go through the long
  connection's push (``aibot_send_msg``, markdown) when it is connected;
- otherwise the webhook; a failed push falls back to the webhook;
- a post with a card (a rating request, a vote: `bot.domain.cards`) is pushed as a
  ``template_card`` while the long connection is up (and, when it @s people and the
  group has a webhook, its text goes through the webhook too: a card notifies nobody);
  otherwise, or when the push is refused, its text goes by the route above.

Webhook: ``POST {api_base}/cgi-bin/webhook/send?key=KEY``; ``text`` with
``mentioned_list`` when the post mentions members (content ≤ 2048 bytes), else
``markdown`` (≤ 4096 bytes, as the push). Longer texts are split by the rule of
`bot.channels.wecom_parts`, at the post's limit whichever route it takes (2048 bytes for
a post with mentions, 4096 otherwise), so a retry or a fall-back from the push to the
webhook resumes after the parts already out (`parts_sent`) and never repeats one.
errcode 45009 (rate) is retried after at least 60 s; 93000 (the key is wrong or the bot
was removed) fails the post permanently and is logged without the key. Every answer of
the webhook is stored as the group's webhook health (`bot.domain.webhook_health`): a
dead key makes later posts use the push when they can, and shows in `/统计` and
`python -m bot doctor`.

The key is a bearer credential: it is never logged; errors carry only a fingerprint.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import requests

from bot.channels.wecom_cards import template_card
from bot.channels.wecom_parts import send_parts
from bot.clock import Clock
from bot.domain.webhook_health import (
    WECOM_CHANNEL,
    dead_key_error,
    key_fingerprint,
    key_is_dead,
    webhook_answer,
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
PUSH_LIMIT = MARKDOWN_LIMIT  # aibot_send_msg markdown: the same parts as the webhook's
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


# --- the long connection, as the sender sees it ----------------------------------------------

class PushUnavailable(Exception):
    """The long connection is down (or dropped while pushing)."""


class Pusher(Protocol):
    @property
    def connected(self) -> bool: ...

    def push_markdown(self, chatid: str, content: str) -> tuple[int, str]:
        """Send `aibot_send_msg`; (errcode, errmsg) of the ack. Raises PushUnavailable."""
        ...

    def push_card(self, chatid: str, card: dict) -> tuple[int, str]:
        """`aibot_send_msg` with a template card; as `push_markdown`."""
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
        mentions = [m for m in post.mentions if m]
        # one split per post, whichever route: the parts out are counted on it
        limit = TEXT_LIMIT if mentions else MARKDOWN_LIMIT
        start = post.parts_sent or 0
        if post.card and push_up and not start:
            result = self._push(group.id, template_card(post.card), card=True)
            if result.retry_after or (result.ok and not (mentions and key and not dead)):
                return result
            if not result.ok:
                log.info("card push to %s failed (%s); posting the text", group.id,
                         result.error)
            else:  # the card is out; the text through the webhook @s the people named
                return send_parts(post.text, limit, lambda part, last: self._webhook(
                    group, part, mentions, last), start)
        if push_up and (not mentions or not key or dead):
            result = send_parts(post.text, limit, lambda part, _last: self._push(
                group.id, part), start)
            if result.ok or not key or dead:
                return result
            log.info("push to %s failed (%s); falling back to the webhook", group.id,
                     result.error)
            start = result.parts_sent or start
        if not key:  # and the push is down
            if self.aibot is not None and self.aibot.enabled and self.aibot.mode == "websocket":
                return DeliveryResult(ok=False, error="long connection down, no webhook_key",
                                      parts_sent=start)
            log.error("group %s has no webhook_key and no long connection: cannot post",
                      group.id)
            return DeliveryResult(ok=False, error="no webhook_key for this group",
                                  permanent=True, parts_sent=start)
        return send_parts(post.text, limit, lambda part, last: self._webhook(
            group, part, mentions, last), start)

    # --- helpers ---------------------------------------------------------------------------
    def _key_dead(self, group: Group) -> bool:
        if self.store is None:
            return False
        with self.store.transaction() as repos:
            return key_is_dead(repos, group, self.clock())

    def _push(self, chatid: str, content, card: bool = False) -> DeliveryResult:
        try:
            errcode, errmsg = self.pusher.push_card(chatid, content) if card else \
                self.pusher.push_markdown(chatid, content)
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
        errcode, result = self._post(key, body)
        if errcode == 93000:
            log.error("WeCom webhook of group %s (key#%s) is invalid (93000): the group "
                      "robot was removed or the key is wrong; re-add it in the group",
                      group.id, key_fingerprint(key))
        # what the answer says about the key, stored as the group's webhook health
        return replace(result, answer=webhook_answer(key, errcode, result.error))

    def _post(self, key: str, body: dict) -> tuple[int | None, DeliveryResult]:
        """POST one message: (errcode, or None when no answer came; the outcome)."""
        url = self.webhook.api_base.rstrip("/") + "/cgi-bin/webhook/send"
        try:
            resp = self.http.post(url, params={"key": key},
                                  data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                  headers={"Content-Type": "application/json"},
                                  timeout=self.webhook.timeout_seconds)
        except requests.RequestException as exc:
            return None, DeliveryResult(ok=False,
                                        error=redact(f"{type(exc).__name__}: {exc}", key))
        if resp.status_code != 200:
            return None, DeliveryResult(ok=False, error=f"webhook HTTP {resp.status_code}")
        try:
            answer = resp.json()
            errcode = int(answer.get("errcode", -1))
        except (ValueError, AttributeError, TypeError):
            return None, DeliveryResult(ok=False, error="webhook answered no JSON")
        errmsg = redact(str(answer.get("errmsg", "")), key)[:200]
        if errcode == 0:
            return errcode, DeliveryResult(ok=True)
        if errcode == 45009:
            return errcode, DeliveryResult(ok=False, error=f"webhook 45009 {errmsg}",
                                           retry_after=RATE_RETRY_SECONDS)
        if errcode == 93000:
            return errcode, DeliveryResult(ok=False, permanent=True, error=dead_key_error(key))
        if errcode == 40058:
            return errcode, DeliveryResult(ok=False, permanent=True,
                                           error=f"webhook 40058 {errmsg}")
        return errcode, DeliveryResult(ok=False, error=f"webhook errcode {errcode} {errmsg}")
