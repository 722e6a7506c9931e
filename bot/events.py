"""The messages and the ports between the bot and its channels.

Messages, the only types handlers see: `IncomingMessage` (what a channel received,
already verified and parsed, with the `ImageRef`s of its photos) and `Outgoing` (what the
bot wants to say).

Ports, what the outbox needs of a channel without importing one: a `Sender` delivers a
stored post to its group and answers a `DeliveryResult` (with how many parts of a long
post are out and how the endpoint answered, both stored by the outbox); `wire_format`
is the OUT object of interfaces.md that inline replies and the bridge carry; a
`MediaFetcher` turns an `ImageRef` into bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Quote:
    msg_id: str = ""
    text: str = ""


@dataclass(frozen=True)
class ImageRef:
    """A photo sent with a message, not fetched yet: a URL (its content AES-encrypted
    when `aes_key` is set, as WeCom's are), base64 with the md5 of its bytes, or bytes a
    channel already holds (`data`, e.g. the archive SDK's, with `md5` when known)."""

    url: str = ""
    base64: str = field(default="", repr=False)
    md5: str = ""
    aes_key: bytes = field(default=b"", repr=False)
    data: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class FetchedImage:
    """The bytes of an `ImageRef`, or why there are none (`error`)."""

    data: bytes | None
    source: str  # url | base64 | sdk
    error: str = ""


class MediaFetcher(Protocol):
    """Turns an `ImageRef` into bytes (HTTP, base64, AES); never raises."""

    def fetch(self, ref: ImageRef, max_bytes: int) -> FetchedImage: ...


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
    # a category the channel already knows (Open311's service_code): /报修 files the
    # case under it instead of the classifier's
    category: str | None = None
    images: tuple[ImageRef, ...] = ()  # photos sent with (or as) the message


class Person(Protocol):
    """A member as a mention needs it (storage.models.Member)."""

    id: int
    external_id: str
    name: str


@dataclass(frozen=True)
class Mention:
    member_id: str  # the platform id (member external id)
    name: str

    @classmethod
    def of(cls, members: Iterable[Person | None]) -> list[Mention]:
        """Mentions of these members, each once, in order (None is skipped)."""
        seen, out = set(), []
        for m in members:
            if m is not None and m.id not in seen:
                seen.add(m.id)
                out.append(cls(m.external_id, m.name))
        return out


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
    # Batchable (a scheduled post about one case): posts due together for the same
    # people in the same group, with the same kind and header, go out as one message,
    # the header over one row per case (bot.outbox.batch_posts).
    batch_header: str | None = None
    batch_row: str | None = None
    circle: str = ""  # posts batch only within the same circle (split_off: by kind and people)

    def split_off(self) -> Outgoing:
        """The same post, batched only with those of its kind, header and people."""
        people = ",".join(sorted(m.member_id for m in self.mentions))
        return replace(self, circle=f"{self.kind}|{self.batch_header}|{people}")

    OUT_KINDS = ("reply", "ping", "nudge", "reminder", "escalation", "rating_request",
                 "digest", "report", "topic", "vote", "publicity", "notice")


# --- ports -------------------------------------------------------------------------------------

class StoredPost(Protocol):
    """An outbox row as a sender sees it (storage.models.OutboundMessage)."""

    id: int
    public_id: str
    group_id: str
    channel: str
    kind: str
    text: str
    mentions: list[str]
    case_id: int | None
    topic_id: int | None
    parts_sent: int  # parts of a long post already delivered (see bot/channels/wecom_parts)


class Destination(Protocol):
    """The group a post goes to (storage.models.Group)."""

    id: str
    name: str
    channel: str
    webhook_key: str | None


@dataclass(frozen=True)
class EndpointAnswer:
    """How the endpoint behind a destination answered (a WeCom group's webhook key): the
    outbox stores it as that endpoint's health (bot.domain.webhook_health)."""

    endpoint: str  # what answered, never a secret (a key's fingerprint: "key#1a2b3c4d")
    ok: bool
    kind: str = ""  # when not ok: invalid_key | refused | unreachable
    detail: str = ""


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    error: str = ""
    permanent: bool = False  # no retry will help (e.g. a revoked key)
    retry_after: float | None = None  # seconds the platform asked us to wait
    # a sender that splits long posts: how many parts are delivered in all (stored on
    # the row; the retry sends only the parts after them). None: the sender does not split.
    parts_sent: int | None = None
    answer: EndpointAnswer | None = None  # the endpoint's health, when it answered


class Sender(Protocol):
    """What every outbound channel adapter provides."""

    def send(self, post: StoredPost, group: Destination | None) -> DeliveryResult: ...

    def rate_limit(self, group: Destination | None) -> int | None:
        """Posts per minute the destination takes (None: no limit)."""
        ...


def wire_format(post: StoredPost) -> dict:
    """The OUT object of interfaces.md, for inline replies and outbound posts alike."""
    return {"msg_id": post.public_id, "group_id": post.group_id, "text": post.text,
            "mentions": list(post.mentions), "kind": post.kind,
            "case_id": post.case_id, "topic_id": post.topic_id}
