"""`make_context()`: a handler `Context` for tests that call the dispatcher or a handler
directly, with every field a test does not care about left empty."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.dispatcher import Context
from bot.events import IncomingMessage


class StubMember:
    """A member with roles and nothing else."""

    def __init__(self, roles=()):
        self.role_codes = frozenset(roles)


def make_context(text: str = "", roles=(), *, sent_at: datetime | None = None,
                 **fields: Any) -> Context:
    """A Context for a message `text` from a member with `roles`; `fields` override any
    Context field (config, classifier, repos, group, community, member …)."""
    sent_at = sent_at or datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    msg = IncomingMessage(channel="t", msg_id="1", group_id="g", sender_id="u", text=text,
                          sent_at=sent_at)
    values: dict[str, Any] = dict(config=None, classifier=None, repos=None, msg=msg,
                                  inbound=None, group=None, community=None,
                                  member=StubMember(roles), now=sent_at)
    values.update(fields)
    return Context(**values)
