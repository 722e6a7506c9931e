"""Whether a WeCom group's webhook key works.

A post the webhook refuses with errcode 93000 (the group robot was removed or the key is
wrong) fails permanently with an error naming the key by its fingerprint, never the key
itself (`dead_key_error`). Such a failure within `DEAD_KEY_MEMORY` marks the group's
current key dead: the WeCom sender then prefers the long connection's push, and `/统计`
names the group.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.models import Group
    from storage.repositories import Repos

WECOM_CHANNEL = "wecom"
DEAD_KEY_ERROR = "wecom-webhook 93000"
DEAD_KEY_MEMORY = timedelta(days=7)
_FINGERPRINT_IN_ERROR = re.compile(r"key#([0-9a-f]{8})")


def key_fingerprint(key: str) -> str:
    """A short, non-reversible name for a webhook key (for logs and error columns)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def dead_key_error(key: str) -> str:
    """The error stored on a post the webhook refused with 93000."""
    return f"{DEAD_KEY_ERROR} key#{key_fingerprint(key)} invalid webhook"


def _dead_key_fingerprints(repos: Repos, group_ids: list[str], now: datetime
                           ) -> dict[str, set[str]]:
    dead: dict[str, set[str]] = {}
    for row in repos.outbox.failed_with(group_ids, DEAD_KEY_ERROR, now - DEAD_KEY_MEMORY):
        match = _FINGERPRINT_IN_ERROR.search(row.last_error or "")
        if match:
            dead.setdefault(row.group_id, set()).add(match.group(1))
    return dead


def key_is_dead(repos: Repos, group: Group, now: datetime) -> bool:
    """Whether the group's current key got errcode 93000 recently."""
    if not group.webhook_key:
        return False
    dead = _dead_key_fingerprints(repos, [group.id], now)
    return key_fingerprint(group.webhook_key) in dead.get(group.id, set())


def webhook_health(repos: Repos, community_id: str, now: datetime) -> list[str]:
    """Names of the community's WeCom groups whose webhook key is dead (for /统计)."""
    groups = [g for g in repos.groups.in_community(community_id)
              if g.channel == WECOM_CHANNEL and g.webhook_key]
    dead = _dead_key_fingerprints(repos, [g.id for g in groups], now)
    return [g.name or g.id for g in groups
            if key_fingerprint(g.webhook_key) in dead.get(g.id, set())]
