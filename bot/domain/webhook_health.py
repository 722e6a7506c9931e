"""Whether a WeCom group's webhook key works: a stored fact, written when the webhook
answers and read by the sender, `/统计` and `python -m bot doctor`.

The sender turns each answer into an `EndpointAnswer` (`webhook_answer`): errcode 0, and
45009 (rate limited: the key is fine), are `ok`; 93000 (the group robot was removed or
the key is wrong) is `invalid_key`; any other errcode is `refused`; no answer (network,
HTTP error, no JSON) is `unreachable`. A refused post content (40058) says nothing about
the key and is not recorded. The outbox stores the answer (`record_answer`) in the
transaction that records the delivery: one row per group, about the key named by its
fingerprint (never the key itself), `ok` or `failing` with the kind and since when.

An `invalid_key` fact about the group's current key makes the sender prefer the long
connection's push; after `DEAD_KEY_MEMORY` without another answer, the webhook is tried
once more. A new key (another fingerprint) starts with no fact.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.events import EndpointAnswer

if TYPE_CHECKING:
    from storage.models import Group, WebhookHealth
    from storage.repositories import Repos

WECOM_CHANNEL = "wecom"
DEAD_KEY_ERROR = "wecom-webhook 93000"
DEAD_KEY_MEMORY = timedelta(days=7)
KEY_PREFIX = "key#"

OK, FAILING = "ok", "failing"
INVALID_KEY, REFUSED, UNREACHABLE = "invalid_key", "refused", "unreachable"


def key_fingerprint(key: str) -> str:
    """A short, non-reversible name for a webhook key (for logs and error columns)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def dead_key_error(key: str) -> str:
    """The error stored on a post the webhook refused with 93000."""
    return f"{DEAD_KEY_ERROR} {KEY_PREFIX}{key_fingerprint(key)} invalid webhook"


def webhook_answer(key: str, errcode: int | None, detail: str = "") -> EndpointAnswer | None:
    """What an answer of the webhook says about its key (errcode None: no answer came);
    None when it says nothing about the key."""
    endpoint = KEY_PREFIX + key_fingerprint(key)
    if errcode in (0, 45009):
        return EndpointAnswer(endpoint, ok=True)
    if errcode == 40058:  # the content was refused, not the key
        return None
    kind = UNREACHABLE if errcode is None else INVALID_KEY if errcode == 93000 else REFUSED
    return EndpointAnswer(endpoint, ok=False, kind=kind, detail=detail[:300])


def record_answer(repos: Repos, group_id: str, answer: EndpointAnswer, now: datetime
                  ) -> None:
    """Store the webhook's answer as the group's health; `since` moves only when the
    state (or its kind, or the key) changes."""
    fingerprint = answer.endpoint.removeprefix(KEY_PREFIX)
    state = OK if answer.ok else FAILING
    kind = "" if answer.ok else answer.kind
    row = repos.webhooks.get(group_id)
    same = row is not None and (row.key_fingerprint, row.state, row.kind) == \
        (fingerprint, state, kind)
    repos.webhooks.put(group_id, key_fingerprint=fingerprint, state=state, kind=kind,
                       detail=answer.detail, since=row.since if same else now,
                       checked_at=now)


def _current(row: WebhookHealth | None, group: Group) -> bool:
    """Whether a stored fact is about the group's current key."""
    return row is not None and bool(group.webhook_key) and \
        row.key_fingerprint == key_fingerprint(group.webhook_key)


def key_is_dead(repos: Repos, group: Group, now: datetime) -> bool:
    """Whether the group's current key was answered 93000 within DEAD_KEY_MEMORY (the
    sender then uses the push instead)."""
    row = repos.webhooks.get(group.id)
    return _current(row, group) and row.state == FAILING and row.kind == INVALID_KEY \
        and now - row.checked_at < DEAD_KEY_MEMORY


@dataclass(frozen=True)
class WebhookTrouble:
    """A WeCom group whose current webhook key is failing."""

    group_id: str
    group_name: str
    kind: str  # invalid_key | refused | unreachable
    since: datetime
    detail: str


def webhook_troubles(repos: Repos, community_id: str) -> list[WebhookTrouble]:
    """The community's WeCom groups whose current key's last answer was a failure."""
    groups = {g.id: g for g in repos.groups.in_community(community_id)
              if g.channel == WECOM_CHANNEL and g.webhook_key}
    return [WebhookTrouble(row.group_id, groups[row.group_id].name or row.group_id, row.kind,
                           row.since, row.detail)
            for row in repos.webhooks.of_groups(sorted(groups))
            if row.state == FAILING and _current(row, groups[row.group_id])]
