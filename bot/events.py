"""The only message types handlers see: `IncomingMessage` (what a channel received,
already verified and parsed) and `Outgoing` (what the bot wants to say)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Quote:
    msg_id: str = ""
    text: str = ""


@dataclass(frozen=True)
class IncomingMessage:
    channel: str
    msg_id: str
    group_id: str
    sender_id: str
    text: str
    sent_at: datetime
    sender_name: str = ""
    group_name: str = ""
    mentions: tuple[str, ...] = ()
    quote: Quote | None = None
    private: bool = False  # a 1:1 chat with the bot, not a group
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Mention:
    member_id: str  # the platform id (member external id)
    name: str


@dataclass
class Outgoing:
    """A post. `text` is the body; the mentioned names are rendered by the outbox writer."""

    text: str
    kind: str = "reply"
    mentions: list[Mention] = field(default_factory=list)
    case_id: int | None = None
    topic_id: int | None = None
    group_id: str | None = None  # None: the group the message came from
    key: str | None = None  # idempotency key for planned posts
    urgent: bool = False  # urgent posts are not held by quiet hours

    OUT_KINDS = ("reply", "ping", "nudge", "reminder", "escalation", "rating_request",
                 "digest", "report", "topic", "vote", "publicity", "notice")
