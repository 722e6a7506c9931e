"""What every outbound channel adapter provides: `Sender.send(post) -> DeliveryResult`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from storage.models import Group, OutboundMessage


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    error: str = ""
    permanent: bool = False  # no retry will help (e.g. a revoked key)
    retry_after: float | None = None  # seconds the platform asked us to wait


class Sender(Protocol):
    def send(self, post: OutboundMessage, group: Group | None) -> DeliveryResult: ...

    def rate_limit(self, group: Group | None) -> int | None:
        """Posts per minute the destination takes (None: no limit)."""
        ...


def wire_format(post: OutboundMessage) -> dict:
    """The OUT object of interfaces.md, for inline replies and outbound posts alike."""
    return {"msg_id": post.public_id, "group_id": post.group_id, "text": post.text,
            "mentions": list(post.mentions), "kind": post.kind,
            "case_id": post.case_id, "topic_id": post.topic_id}
