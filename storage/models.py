"""SQLAlchemy 2 typed models: communities, groups, members and roles (with the trace of
every role change), the inbound journal, the outbox and the health of the WeCom webhooks
it posts through, cases with complainants and events, the photos that came with messages
and how far the WeCom archive feed has been read, the one-tap cards sent and the taps on
them.

Datetimes are stored as naive UTC and come back timezone-aware (UTC) on every backend.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(32), default="bridge")
    webhook_key: Mapped[str] = mapped_column(String(200), default="")
    # a 1:1 chat with the bot (AI-bot single chat, the app's private chat): answers go
    # there, but it gets no group posts (digests, 议题征集, reports)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_at: Mapped[datetime]


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("community_id", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"))
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200), default="")
    first_seen_at: Mapped[datetime]
    # the roles the config roster gave at the last start, sorted and comma-separated
    # ("" none, None: not in the roster so far); a start whose file says otherwise
    # applies the file (bot.domain.roles). Text, not JSON: members are compared whole.
    roster_roles: Mapped[str | None] = mapped_column(String(200), default=None)
    roles: Mapped[list[MemberRole]] = relationship(
        back_populates="member", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_codes(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles) or frozenset({"resident"})


class MemberRole(Base):
    """A role held by a member; `source` is 'config' (the roster) or 'chat' (/角色)."""

    __tablename__ = "member_roles"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), default="config")
    member: Mapped[Member] = relationship(back_populates="roles")


class RoleEvent(Base):
    """One change to a member's roles: by whom (None: the config roster at a start), from
    which roles to which, when, and where it came from ('chat' for /角色, 'config')."""

    __tablename__ = "role_events"
    __table_args__ = (Index("ix_role_events_community", "community_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    old_roles: Mapped[list[Any]] = mapped_column(default=list)
    new_roles: Mapped[list[Any]] = mapped_column(default=list)
    source: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="joined")
    actor: Mapped[Member | None] = relationship(foreign_keys=[actor_id], lazy="joined")


class InboundMessage(Base):
    """Every message that arrived: the dedupe key and the journal (stored before acting)."""

    __tablename__ = "inbound_messages"
    # the same msg_id in another group is another message
    __table_args__ = (UniqueConstraint("channel", "group_id", "msg_id",
                                       name="uq_inbound_channel_group_msg"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    msg_id: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[str] = mapped_column(String(128), index=True)
    sender_id: Mapped[str] = mapped_column(String(128))
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sent_at: Mapped[datetime]
    received_at: Mapped[datetime]
    # received -> handled | failed
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class OutboundMessage(Base):
    """The outbox: every post the bot makes, with its delivery state."""

    __tablename__ = "outbound_messages"
    __table_args__ = (Index("ix_outbound_due", "state", "next_attempt_at"),
                      Index("ix_outbound_group_delivered", "group_id", "delivered_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    group_id: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[Any]] = mapped_column(default=list)
    case_id: Mapped[int | None] = mapped_column(Integer, default=None)
    topic_id: Mapped[int | None] = mapped_column(Integer, default=None)
    in_reply_to: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    # inline (answered in the HTTP response) | pending | sent | failed
    # | merged (folded into `merged_into` when a rate limit built a backlog)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    merged_into: Mapped[int | None] = mapped_column(Integer, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)

    # bumped whenever the text changes after insert (a rate limit merged a backlog into
    # it): a msg_id once handed to a channel is never reused for other text
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # how many parts of a long post are delivered (WeCom splits long texts): the text
    # stays as queued and a retry sends only the parts after these
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # a template card standing for this post where the channel can show one (see
    # bot.domain.cards): the channel's sender sends it instead of the text
    card: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None, nullable=True)

    @property
    def public_id(self) -> str:
        return f"out-{self.id}" if not self.revision else f"out-{self.id}.{self.revision}"


class WebhookHealth(Base):
    """The last word of a WeCom group's webhook: `ok`, or `failing` with a kind
    (invalid_key for errcode 93000, refused, unreachable) since a time. It is about the
    key named by `key_fingerprint` (never the key): a new key starts afresh."""

    __tablename__ = "webhook_health"

    group_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    key_fingerprint: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))  # ok | failing
    kind: Mapped[str] = mapped_column(String(32), default="")
    detail: Mapped[str] = mapped_column(String(300), default="")
    since: Mapped[datetime]  # when the current state began
    checked_at: Mapped[datetime]  # the last answer


# Case.state. Open cases still need someone: those waiting for a 签收 and those being
# worked on; the others are finished.
UNACKNOWLEDGED_STATES = ("open", "assigned", "reopened")
WORKING_STATES = ("acknowledged", "in_progress", "transferred")
OPEN_STATES = UNACKNOWLEDGED_STATES + WORKING_STATES
FINISHED_STATES = ("resolved", "closed", "merged", "withdrawn")


class Case(Base):
    """A complaint (诉求/工单) and its current state; history lives in CaseEvent."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_group_state", "group_id", "state"),
                      Index("ix_cases_community_state", "community_id", "state"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"))
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id"))
    category: Mapped[str] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    group_complaint: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="open")
    tier: Mapped[int] = mapped_column(Integer, default=1)
    location: Mapped[dict[str, Any]] = mapped_column(default=dict)
    text: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    complainant_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    source_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    opened_at: Mapped[datetime]
    respond_by: Mapped[datetime]
    resolve_by: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    rating: Mapped[str | None] = mapped_column(String(16), default=None)
    transferred_to: Mapped[str | None] = mapped_column(String(200), default=None)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)
    updated_at: Mapped[datetime]

    complainants: Mapped[list[CaseComplainant]] = relationship(
        back_populates="case", cascade="all, delete-orphan", lazy="selectin",
        order_by="CaseComplainant.joined_at",
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", cascade="all, delete-orphan", lazy="select",
        order_by="CaseEvent.id",
    )


class CaseComplainant(Base):
    __tablename__ = "case_complainants"
    __table_args__ = (Index("ix_case_complainants_member", "member_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    joined_at: Mapped[datetime]
    case: Mapped[Case] = relationship(back_populates="complainants")
    member: Mapped[Member] = relationship(lazy="joined")


class CaseEvent(Base):
    """One change to a case: who, when, what (the timeline)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[Member | None] = relationship(lazy="joined")


class ScheduledJob(Base):
    """A timer: work due at `due_at` about one case or topic (a reminder at 50 % of the
    response window, the resolution deadline, a nudge after 24 h of silence …).

    `key` is unique, so re-planning a timer (a case updated, a deadline extended) moves
    it instead of adding another. The tick reads only timers that are due, so its cost
    follows the due work, not the size of the case table.
    """

    __tablename__ = "scheduled_jobs"
    __table_args__ = (Index("ix_jobs_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)
    topic_id: Mapped[int | None] = mapped_column(Integer, default=None)
    due_at: Mapped[datetime]
    # pending -> done
    state: Mapped[str] = mapped_column(String(16), default="pending")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    done_at: Mapped[datetime | None] = mapped_column(default=None)


class Lease(Base):
    """A named lease held by one process at a time (e.g. the one WeCom long connection
    per bot across processes). A holder renews it before `expires_at`; after that anyone
    may take it over."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


# Topic.step, in the order of 六步 (discussed and voted: the window or the vote has
# ended and the moderator's next step is due).
TOPIC_STEPS = ("proposed", "announced", "discussing", "discussed", "voting", "voted",
               "publicity", "supervision", "done")
# The steps `TopicRepo.active_in_community` lists (议题征集, summaries): every step but
# done, the waiting ones (discussed, voted: the moderator's next step is due) included.
ACTIVE_STEPS = tuple(step for step in TOPIC_STEPS if step != "done")


class Topic(Base):
    """A deliberation topic (议题) moving through 六步: 提议 → 告知 → 协商 → 决策 → 公示 →
    监督 → 完成. Its history lives in TopicEvent; votes, the speaking queue and message
    counts in their own tables."""

    __tablename__ = "topics"
    __table_args__ = (Index("ix_topics_group_step", "group_id", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"))
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="consultation")
    step: Mapped[str] = mapped_column(String(16), default="proposed")
    proposer_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)
    meeting_at: Mapped[datetime | None] = mapped_column(default=None)
    meeting_way: Mapped[str] = mapped_column(String(200), default="")
    discussion_ends_at: Mapped[datetime | None] = mapped_column(default=None)
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    poll: Mapped[int] = mapped_column(Integer, default=0)  # the current vote's number
    options: Mapped[list[Any]] = mapped_column(default=list)
    quorum: Mapped[int] = mapped_column(Integer, default=0)
    vote_ends_at: Mapped[datetime | None] = mapped_column(default=None)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    decision: Mapped[str] = mapped_column(Text, default="")
    publicity_ends_at: Mapped[datetime | None] = mapped_column(default=None)
    rating_ends_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TopicEvent(Base):
    __tablename__ = "topic_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor: Mapped[Member | None] = relationship(lazy="joined")


class TopicVote(Base):
    """One member's vote in one poll of a topic; changed in place until the deadline."""

    __tablename__ = "topic_votes"

    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), primary_key=True)
    poll: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    option: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class TopicSpeaker(Base):
    """A member in a discussion: place in the speaking queue and messages sent."""

    __tablename__ = "topic_speakers"

    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    hand_raised_at: Mapped[datetime | None] = mapped_column(default=None)
    called_at: Mapped[datetime | None] = mapped_column(default=None)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    member: Mapped[Member] = relationship(lazy="joined")


class TopicRating(Base):
    """成效评估: one 1–5 score per member at the end."""

    __tablename__ = "topic_ratings"

    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]


class Correction(Base):
    """A labelled example the groups produced: a missed complaint opened with /立案, a false
    alarm closed as 不是诉求, a category changed with /改类.  Exported in the corpus format
    (`python -m bot corrections`) so the next `train` learns from them."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)
    kind: Mapped[str] = mapped_column(String(16))  # missed | false_alarm | recategorized
    text: Mapped[str] = mapped_column(Text)
    sender_role: Mapped[str] = mapped_column(String(16), default="resident")
    is_complaint: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(32), default=None)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    location: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    at: Mapped[datetime]


class PendingQuestion(Base):
    """A question the bot asked a sender, answered within `cases.ask_answer_window`.

    kind ``complaint``: 需要帮您登记报修吗？ — asked of a sender whose message was a close
    call; their 是 opens the case from that message (`category`: the guessed category).
    kind ``which_case``: 请问是哪一件？ — asked of a staff member whose plain reply fits
    several cases; their “#5” applies that message to case 5 (`category` unused)."""

    __tablename__ = "pending_questions"
    __table_args__ = (Index("ix_pending_questions_member", "member_id", "asked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(String(128))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id"))
    category: Mapped[str] = mapped_column(String(32))
    asked_at: Mapped[datetime]
    # open -> accepted | declined
    state: Mapped[str] = mapped_column(String(16), default="open")
    kind: Mapped[str] = mapped_column(String(16), default="complaint",
                                      server_default="complaint")


class Card(Base):
    """A template card the bot sent (a staff member's case card, a group's rating or vote
    card, a rating result): its unguessable `task_id`, the buttons' keys and what each
    does, the group the action takes effect in and, for a private card, its one
    recipient."""

    __tablename__ = "cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # case | working | rating | vote | result
    group_id: Mapped[str] = mapped_column(String(128))  # where the action acts
    recipient: Mapped[str] = mapped_column(String(128), default="")  # "" for a group card
    case_id: Mapped[int | None] = mapped_column(Integer, default=None)
    topic_id: Mapped[int | None] = mapped_column(Integer, default=None)
    buttons: Mapped[dict[str, Any]] = mapped_column(default=dict)  # key -> action
    created_at: Mapped[datetime]


class CardTap(Base):
    """One person's tap of one button of a card: single use (the unique key); `event`
    tells WeCom's retry of the same callback from a second tap."""

    __tablename__ = "card_taps"
    __table_args__ = (UniqueConstraint("card_id", "userid", "button_key",
                                       name="uq_card_tap_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    userid: Mapped[str] = mapped_column(String(128))
    button_key: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(300), default="")  # what the card says now
    at: Mapped[datetime]


class TopicCase(Base):
    """A case linked to a topic beyond `Topic.case_id` (a 未诉先办 hot spot's topic names
    every case of the hot spot)."""

    __tablename__ = "topic_cases"

    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True,
                                         index=True)


class HotspotNotice(Base):
    """A 未诉先办 hot spot the weekly post to moderators announced (by its key), so the
    next post lists only new ones."""

    __tablename__ = "hotspot_notices"

    community_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    announced_at: Mapped[datetime]


class DeskToken(Base):
    """A one-time sign-in link to the desk (`/后台`, `python -m bot desk-link`): only its
    hash is stored; it signs in once (`used_at`) and not after `expires_at`."""

    __tablename__ = "desk_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    member: Mapped[Member] = relationship(lazy="joined")


class Media(Base):
    """A photo that came with a message: stored (its file under `media.dir`, EXIF
    removed) or refused (`reason`: wrong type, too large, md5 mismatch, unreachable …,
    no file), and the case it belongs to with its side: `before` (the problem) or
    `after` (a staff member's fix)."""

    __tablename__ = "media"
    __table_args__ = (Index("ix_media_case", "case_id", "kind"),
                      Index("ix_media_sender", "group_id", "member_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id"), index=True)
    group_id: Mapped[str] = mapped_column(String(128))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)
    kind: Mapped[str] = mapped_column(String(16), default="")  # "" | before | after
    status: Mapped[str] = mapped_column(String(16))  # stored | refused
    reason: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(32), default="")  # url | base64 | sdk
    content_type: Mapped[str] = mapped_column(String(32), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    path: Mapped[str] = mapped_column(String(300), default="")  # relative to media.dir
    created_at: Mapped[datetime]


class ArchiveCursor(Base):
    """How far the 会话内容存档 feed of a corp has been read: the last `seq` handled.
    A restart resumes after it; a message read twice is deduplicated by its msgid."""

    __tablename__ = "archive_cursors"

    corp_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]
