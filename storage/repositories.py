"""Repositories: the only code that runs queries.

`Store.transaction()` opens one unit of work and yields `Repos`, whose attributes group
the queries by table. Everything a message causes (state changes and the posts about
them) is written through one `Repos` and committed together.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.privacy import display_name
from storage.models import (
    ACTIVE_STEPS,
    OPEN_STATES,
    Case,
    CaseComplainant,
    CaseEvent,
    Community,
    Correction,
    Group,
    InboundMessage,
    Lease,
    Member,
    MemberRole,
    OutboundMessage,
    PendingQuestion,
    ScheduledJob,
    Topic,
    TopicEvent,
    TopicRating,
    TopicSpeaker,
    TopicVote,
)

_UPSERT = {"postgresql": pg_insert, "sqlite": sqlite_insert}

class Store:
    """Owns the session factory; hands out transactions.

    On SQLite every transaction is a writer (BEGIN IMMEDIATE), so the threads of one
    process take turns on a lock instead of sleeping in SQLite's busy handler; other
    processes still wait on the busy timeout.
    """

    def __init__(self, session_factory: sessionmaker[Session]):
        self._sessions = session_factory
        bind = session_factory.kw.get("bind")
        self._turns = threading.RLock() if bind is not None and \
            bind.dialect.name == "sqlite" else nullcontext()

    @contextmanager
    def transaction(self) -> Iterator[Repos]:
        with self._turns:
            session = self._sessions()
            try:
                yield Repos(session)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()


class Repos:
    def __init__(self, session: Session):
        self.session = session
        self.communities = CommunityRepo(session)
        self.groups = GroupRepo(session)
        self.members = MemberRepo(session)
        self.inbound = InboundRepo(session)
        self.outbox = OutboxRepo(session)
        self.cases = CaseRepo(session)
        self.jobs = JobRepo(session)
        self.leases = LeaseRepo(session)
        self.topics = TopicRepo(session)
        self.corrections = CorrectionRepo(session)
        self.questions = QuestionRepo(session)

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name


class _Repo:
    def __init__(self, session: Session):
        self.s = session

    def _insert_unique(self, row):
        """Insert `row` in a savepoint; None when a unique key says it exists already."""
        try:
            with self.s.begin_nested():
                self.s.add(row)
        except IntegrityError:
            return None
        return row


class _TimelineRepo(_Repo):
    """Shared by cases and topics: an entity in a community with a timeline of events,
    whose changes in a transaction are remembered so their timers can be re-planned."""

    entity: type
    event: type
    owner_key: str  # the event's foreign key to the entity
    touched_key: str

    def get(self, entity_id: int, community_id: str | None = None):
        row = self.s.get(self.entity, entity_id)
        if row is not None and community_id is not None and row.community_id != community_id:
            return None
        return row

    def add_event(self, owner, kind: str, actor: Member | None, at: datetime,
                  note: str = "", **data: Any):
        event = self.event(**{self.owner_key: owner.id}, kind=kind,
                           actor_id=actor.id if actor else None, at=at, note=note, data=data)
        self.s.add(event)
        owner.updated_at = at
        self.s.flush()
        self.s.info.setdefault(self.touched_key, set()).add(owner.id)
        return event

    def touched(self) -> list:
        """Entities changed in this transaction (their timers need planning again)."""
        ids = sorted(self.s.info.pop(self.touched_key, set()))
        return [self.s.get(self.entity, i) for i in ids]

    def events(self, owner_id: int) -> list:
        key = getattr(self.event, self.owner_key)
        return list(self.s.scalars(select(self.event).where(key == owner_id)
                                   .order_by(self.event.id)))


class CommunityRepo(_Repo):
    def upsert(self, community_id: str, name: str) -> Community:
        row = self.s.get(Community, community_id)
        if row is None:
            row = Community(id=community_id, name=name)
            self.s.add(row)
        else:
            row.name = name
        self.s.flush()
        return row

    def get(self, community_id: str) -> Community | None:
        return self.s.get(Community, community_id)


class GroupRepo(_Repo):
    def lock(self, group_ids: list[str]) -> None:
        """Hold these groups' rows until the transaction ends (PostgreSQL; SQLite's
        BEGIN IMMEDIATE already lets one writer in at a time).  Sorted: no deadlock."""
        if group_ids and self.s.get_bind().dialect.name == "postgresql":
            self.s.execute(select(Group.id).where(Group.id.in_(sorted(group_ids)))
                           .order_by(Group.id).with_for_update())

    def get(self, group_id: str) -> Group | None:
        return self.s.get(Group, group_id)

    def upsert(self, group_id: str, *, community_id: str, name: str, channel: str,
               webhook_key: str, now: datetime) -> Group:
        row = self.s.get(Group, group_id)
        if row is None:
            row = Group(id=group_id, community_id=community_id, name=name, channel=channel,
                        webhook_key=webhook_key, registered_at=now)
            self.s.add(row)
        else:
            row.community_id, row.name = community_id, name or row.name
            row.channel, row.webhook_key = channel, webhook_key
        self.s.flush()
        return row

    def register(self, group_id: str, *, community_id: str, name: str, channel: str,
                 now: datetime, private: bool = False) -> Group:
        """Create a group first seen in a message; a concurrent creation wins quietly."""
        self._insert_unique(Group(id=group_id, community_id=community_id,
                                  name=name or group_id, channel=channel, webhook_key="",
                                  registered_at=now, private=private))
        return self.s.get(Group, group_id)

    def in_community(self, community_id: str, include_private: bool = True) -> list[Group]:
        query = select(Group).where(Group.community_id == community_id)
        if not include_private:
            query = query.where(Group.private.is_(False))
        return list(self.s.scalars(query.order_by(Group.id)))


class MemberRepo(_Repo):
    def get(self, member_pk: int) -> Member | None:
        return self.s.get(Member, member_pk)

    def by_external(self, community_id: str, external_id: str) -> Member | None:
        return self.s.scalar(select(Member).where(
            Member.community_id == community_id, Member.external_id == external_id))

    def ensure(self, community_id: str, external_id: str, name: str, now: datetime) -> Member:
        """The member for a sender, created as a resident on first sight.  Names are
        stored as the bot may show them (one line, capped, never @-all)."""
        name = display_name(name)
        row = self.by_external(community_id, external_id)
        if row is None:
            try:
                with self.s.begin_nested():
                    row = Member(community_id=community_id, external_id=external_id,
                                 name=name or external_id, first_seen_at=now)
                    self.s.add(row)
            except IntegrityError:
                row = self.by_external(community_id, external_id)
        elif name and row.name != name and row.name == row.external_id:
            row.name = name
        return row

    def sync_roster(self, community_id: str, external_id: str, name: str,
                    roles: Iterable[str], now: datetime) -> Member:
        """Apply a config roster entry: name and config roles. A member whose role was
        set in chat (/角色) keeps it: the moderator's word wins over the file."""
        row = self.ensure(community_id, external_id, name, now)
        row.name = display_name(name, row.name)
        if any(r.source == "chat" for r in row.roles):
            self.s.flush()
            return row
        wanted = set(roles)
        for held in list(row.roles):
            if held.source == "config" and held.role not in wanted:
                row.roles.remove(held)
        have = {r.role for r in row.roles}
        for role in sorted(wanted - have):
            row.roles.append(MemberRole(role=role, source="config"))
        self.s.flush()
        self._roles_changed()
        return row

    def by_name(self, community_id: str, name: str) -> Member | None:
        return self.s.scalar(select(Member).where(
            Member.community_id == community_id, Member.name == name).order_by(Member.id)
            .limit(1))

    def set_chat_role(self, member: Member, role: str) -> bool:
        """Give a member exactly this role (set in chat); False when already so."""
        if member.role_codes == {role} and all(r.source == "chat" for r in member.roles):
            return False
        member.roles.clear()
        self.s.flush()
        member.roles.append(MemberRole(role=role, source="chat"))
        self.s.flush()
        self._roles_changed()
        return True

    def with_roles(self, community_id: str, roles: Iterable[str]) -> list[Member]:
        """Members holding any of the roles. Remembered for the rest of the transaction
        (a tick asks the same question for many cases); role changes forget it."""
        key = (community_id, frozenset(roles))
        if not key[1]:
            return []
        memo = self.s.info.setdefault("members_with_roles", {})
        if key not in memo:
            memo[key] = list(self.s.scalars(
                select(Member).join(MemberRole)
                .where(Member.community_id == community_id, MemberRole.role.in_(key[1]))
                .options(selectinload(Member.roles))
                .distinct().order_by(Member.id)))
        return list(memo[key])

    def _roles_changed(self) -> None:
        self.s.info.pop("members_with_roles", None)

    def in_community(self, community_id: str) -> list[Member]:
        return list(self.s.scalars(
            select(Member).where(Member.community_id == community_id).order_by(Member.id)))

    def participants(self, community_id: str, group_id: str) -> list[Member]:
        """Members who have written in a group (the people a group reminder can @)."""
        senders = (select(InboundMessage.sender_id)
                   .where(InboundMessage.group_id == group_id).distinct())
        return list(self.s.scalars(
            select(Member).where(Member.community_id == community_id,
                                 Member.external_id.in_(senders)).order_by(Member.id)))

    def community_ids_of(self, external_id: str) -> list[str]:
        """The communities where a platform id is a known member (WeCom private chats)."""
        return list(self.s.scalars(select(Member.community_id)
                                   .where(Member.external_id == external_id)
                                   .order_by(Member.id)))

    def upsert_from_platform(self, community_id: str, external_id: str, name: str,
                             now: datetime) -> Member:
        """A member reported by the platform (e.g. a WeCom group roster): created as a
        resident, renamed unless the config roster names them (the file wins)."""
        row = self.ensure(community_id, external_id, name, now)
        name = display_name(name)
        if name and row.name != name and not any(r.source == "config" for r in row.roles):
            row.name = name
        self.s.flush()
        return row


class InboundRepo(_Repo):
    def add(self, **fields: Any) -> InboundMessage | None:
        """Journal a message; None when (channel, group, msg_id) was seen before."""
        return self._insert_unique(InboundMessage(**fields))

    def get(self, inbound_id: int) -> InboundMessage | None:
        return self.s.get(InboundMessage, inbound_id)

    def mark(self, inbound_id: int, status: str, error: str | None = None) -> None:
        self.s.execute(update(InboundMessage).where(InboundMessage.id == inbound_id)
                       .values(status=status, error=error))

    def unhandled(self, received_before: datetime, limit: int = 100) -> list[InboundMessage]:
        """Messages stored but never handled (a crash between store and act)."""
        return list(self.s.scalars(
            select(InboundMessage)
            .where(InboundMessage.status == "received",
                   InboundMessage.received_at < received_before)
            .order_by(InboundMessage.id).limit(limit)))

    def recent_in_group(self, group_id: str, limit: int) -> list[InboundMessage]:
        return list(self.s.scalars(
            select(InboundMessage).where(InboundMessage.group_id == group_id)
            .order_by(InboundMessage.id.desc()).limit(limit)))

    def by_msg_id(self, channel: str, group_id: str, msg_id: str) -> InboundMessage | None:
        return self.s.scalars(select(InboundMessage).where(
            InboundMessage.channel == channel, InboundMessage.group_id == group_id,
            InboundMessage.msg_id == msg_id)).first()

    def latest_with_text(self, group_id: str, text: str, before_id: int
                         ) -> InboundMessage | None:
        """The newest earlier message in the group with exactly this text."""
        return self.s.scalars(select(InboundMessage).where(
            InboundMessage.group_id == group_id, InboundMessage.text == text,
            InboundMessage.id < before_id).order_by(InboundMessage.id.desc())).first()


class OutboxRepo(_Repo):
    def add(self, **fields: Any) -> OutboundMessage | None:
        """Queue a post; None when its idempotency key exists (already planned).

        One round trip: INSERT … ON CONFLICT DO NOTHING RETURNING the row.
        """
        dialect = self.s.get_bind().dialect.name
        if dialect not in _UPSERT:
            return self._insert_unique(OutboundMessage(**fields))
        statement = (_UPSERT[dialect](OutboundMessage).values(**fields)
                     .on_conflict_do_nothing(index_elements=["idempotency_key"])
                     .returning(OutboundMessage))
        return self.s.scalars(statement).first()

    def get(self, out_id: int) -> OutboundMessage | None:
        return self.s.get(OutboundMessage, out_id)

    def exists(self, key: str) -> bool:
        return self.s.scalar(select(OutboundMessage.id)
                             .where(OutboundMessage.idempotency_key == key)) is not None

    def heads_due(self, now: datetime, limit: int = 50) -> list[OutboundMessage]:
        """The oldest pending post of each group, where that post is due now.

        Later posts of a group wait behind its head, so a group's posts go out in order.
        A post held for quiet hours (never attempted, not yet due) does not block the
        urgent posts behind it; a post being retried does.
        """
        heads = (select(func.min(OutboundMessage.id))
                 .where(OutboundMessage.state == "pending",
                        (OutboundMessage.attempts > 0) | (OutboundMessage.next_attempt_at <= now))
                 .group_by(OutboundMessage.group_id))
        return list(self.s.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.id.in_(heads), OutboundMessage.next_attempt_at <= now)
            .order_by(OutboundMessage.id).limit(limit)))

    def claim(self, out_id: int, now: datetime, lease: timedelta) -> bool:
        """Take a due post for delivery; False when another worker has it.

        The claim pushes next_attempt_at out by the lease, so a worker that dies while
        sending leaves the post to be retried when the lease runs out.
        """
        result = self.s.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == out_id, OutboundMessage.state == "pending",
                   OutboundMessage.next_attempt_at <= now)
            .values(next_attempt_at=now + lease, attempts=OutboundMessage.attempts + 1))
        return result.rowcount == 1

    def mark_sent(self, out_id: int, now: datetime) -> None:
        self.s.execute(update(OutboundMessage).where(OutboundMessage.id == out_id)
                       .values(state="sent", delivered_at=now, last_error=None))

    def mark_retry(self, out_id: int, at: datetime, error: str) -> None:
        self.s.execute(update(OutboundMessage).where(OutboundMessage.id == out_id)
                       .values(next_attempt_at=at, last_error=error[:2000]))

    def sent_times_since(self, group_id: str, since: datetime) -> list[datetime]:
        """When the group's posts were delivered since a time (for rate limits)."""
        return list(self.s.scalars(
            select(OutboundMessage.delivered_at)
            .where(OutboundMessage.group_id == group_id, OutboundMessage.state == "sent",
                   OutboundMessage.delivered_at >= since)))

    def pending_behind(self, head: OutboundMessage, now: datetime) -> list[OutboundMessage]:
        """Due pending posts queued after `head` in its group (the backlog)."""
        return list(self.s.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.group_id == head.group_id, OutboundMessage.id > head.id,
                   OutboundMessage.state == "pending", OutboundMessage.next_attempt_at <= now)
            .order_by(OutboundMessage.id)))

    def mark_merged(self, ids: list[int], into: int) -> None:
        if ids:
            self.s.execute(update(OutboundMessage).where(OutboundMessage.id.in_(ids))
                           .values(state="merged", merged_into=into))

    def mark_failed(self, out_id: int, error: str) -> None:
        self.s.execute(update(OutboundMessage).where(OutboundMessage.id == out_id)
                       .values(state="failed", last_error=error[:2000]))

    def for_inbound(self, inbound_id: int) -> list[OutboundMessage]:
        return list(self.s.scalars(select(OutboundMessage)
                                   .where(OutboundMessage.in_reply_to == inbound_id)
                                   .order_by(OutboundMessage.id)))

    def recent_in_group(self, group_id: str, limit: int) -> list[OutboundMessage]:
        return list(self.s.scalars(
            select(OutboundMessage).where(OutboundMessage.group_id == group_id)
            .order_by(OutboundMessage.id.desc()).limit(limit)))

    def count_by_state(self) -> dict[str, int]:
        rows = self.s.execute(select(OutboundMessage.state, func.count())
                              .group_by(OutboundMessage.state))
        return {state: n for state, n in rows}

    def for_inbound_message(self, channel: str, msg_id: str) -> list[OutboundMessage]:
        """The posts answering a message, found by its (channel, msg_id) (a retry)."""
        inbound = select(InboundMessage.id).where(InboundMessage.channel == channel,
                                                  InboundMessage.msg_id == msg_id)
        return list(self.s.scalars(select(OutboundMessage)
                                   .where(OutboundMessage.in_reply_to.in_(inbound))
                                   .order_by(OutboundMessage.id)))

    def failed_with(self, group_ids: list[str], error_prefix: str, since: datetime
                    ) -> list[OutboundMessage]:
        """Posts of these groups created since a time that failed with this error."""
        if not group_ids:
            return []
        return list(self.s.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.group_id.in_(group_ids), OutboundMessage.state == "failed",
                   OutboundMessage.last_error.startswith(error_prefix),
                   OutboundMessage.created_at >= since)
            .order_by(OutboundMessage.id)))

    def set_text(self, out_id: int, text: str) -> None:
        """Replace a post's text (what is still to be sent after a partial delivery)."""
        self.s.execute(update(OutboundMessage).where(OutboundMessage.id == out_id)
                       .values(text=text))


class CaseRepo(_TimelineRepo):
    entity, event, owner_key, touched_key = Case, CaseEvent, "case_id", "touched_cases"

    def add(self, case: Case) -> Case:
        self.s.add(case)
        self.s.flush()
        return case

    def preload(self, case_ids: list[int], lock: bool = False) -> None:
        """Load many cases (with complainants) in one round trip into the session.

        `lock`: on PostgreSQL the case rows stay locked until the transaction ends (in id
        order, so two ticks cannot deadlock), and are read fresh — a timer's change to a
        case and the change another process made first never overwrite each other."""
        if not case_ids:
            return
        query = select(Case).where(Case.id.in_(sorted(set(case_ids))))
        if lock and self.s.get_bind().dialect.name == "postgresql":
            query = query.order_by(Case.id).with_for_update(of=Case) \
                .execution_options(populate_existing=True)
        list(self.s.scalars(query.options(selectinload(Case.complainants)
                                          .joinedload(CaseComplainant.member)
                                          .selectinload(Member.roles))))

    def add_complainant(self, case: Case, member: Member, now: datetime) -> bool:
        if any(c.member_id == member.id for c in case.complainants):
            return False
        case.complainants.append(CaseComplainant(member_id=member.id, joined_at=now,
                                                 member=member))
        self.s.flush()
        return True

    def open_in_community(self, community_id: str, limit: int = 50) -> list[Case]:
        return list(self.s.scalars(
            select(Case).where(Case.community_id == community_id, Case.state.in_(OPEN_STATES))
            .order_by(Case.priority.desc(), Case.urgent.desc(), Case.id).limit(limit)))

    def open_in_group_since(self, group_id: str, category: str, since: datetime) -> list[Case]:
        """Open cases of a category in a group opened since a time, newest first."""
        return list(self.s.scalars(
            select(Case).where(Case.group_id == group_id, Case.category == category,
                               Case.state.in_(OPEN_STATES), Case.opened_at >= since)
            .order_by(Case.id.desc())))

    def open_for_member(self, community_id: str, member_id: int, limit: int = 50) -> list[Case]:
        """Open cases the member raised, joined, or is assigned to."""
        joined = select(CaseComplainant.case_id).where(CaseComplainant.member_id == member_id)
        return list(self.s.scalars(
            select(Case).where(Case.community_id == community_id,
                               Case.state.in_(OPEN_STATES),
                               (Case.assignee_id == member_id) | Case.id.in_(joined))
            .order_by(Case.id).limit(limit)))

    def open_raised_in_group(self, group_id: str, member_id: int, since: datetime
                             ) -> list[Case]:
        """Open cases in the group the member complained about (raised or joined) since
        `since`, newest first."""
        joined = select(CaseComplainant.case_id).where(CaseComplainant.member_id == member_id)
        return list(self.s.scalars(
            select(Case).where(Case.group_id == group_id, Case.state.in_(OPEN_STATES),
                               Case.opened_at >= since, Case.id.in_(joined))
            .order_by(Case.id.desc())))

    def resolved_for_complainant(self, community_id: str, member_id: int) -> list[Case]:
        """Cases awaiting this complainant's rating."""
        joined = select(CaseComplainant.case_id).where(CaseComplainant.member_id == member_id)
        return list(self.s.scalars(
            select(Case).where(Case.community_id == community_id, Case.state == "resolved",
                               Case.id.in_(joined)).order_by(Case.resolved_at.desc())))

    def open_assigned_to(self, community_id: str, member_id: int) -> list[Case]:
        return list(self.s.scalars(
            select(Case).where(Case.community_id == community_id,
                               Case.assignee_id == member_id, Case.state.in_(OPEN_STATES))
            .order_by(Case.id)))

    def opened_between(self, community_id: str, start: datetime, end: datetime,
                       group_id: str | None = None) -> list[Case]:
        query = select(Case).where(Case.community_id == community_id, Case.opened_at >= start,
                                   Case.opened_at < end)
        if group_id is not None:
            query = query.where(Case.group_id == group_id)
        return list(self.s.scalars(query.order_by(Case.id)))

    def resolved_between(self, group_id: str, start: datetime, end: datetime) -> list[Case]:
        return list(self.s.scalars(
            select(Case).where(Case.group_id == group_id, Case.resolved_at >= start,
                               Case.resolved_at < end).order_by(Case.id)))

    def open_in_group(self, group_id: str) -> list[Case]:
        return list(self.s.scalars(
            select(Case).where(Case.group_id == group_id, Case.state.in_(OPEN_STATES))
            .order_by(Case.id)))

    def latest_ratings(self, case_ids: list[int]) -> dict[int, str]:
        """Each case's latest rating (from its 'rated' events)."""
        if not case_ids:
            return {}
        rows = self.s.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(case_ids),
                                                      CaseEvent.kind == "rated")
                              .order_by(CaseEvent.id))
        return {e.case_id: e.data.get("rating") for e in rows}

    def ids_with_event(self, case_ids: list[int], kind: str) -> set[int]:
        if not case_ids:
            return set()
        return set(self.s.scalars(select(CaseEvent.case_id).where(
            CaseEvent.case_id.in_(case_ids), CaseEvent.kind == kind)))

    def opened_from(self, inbound_id: int) -> Case | None:
        return self.s.scalars(select(Case).where(Case.source_message_id == inbound_id)
                              .order_by(Case.id)).first()

    def latest_event(self, case_id: int, kind: str) -> CaseEvent | None:
        return self.s.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                     CaseEvent.kind == kind)
                             .order_by(CaseEvent.id.desc()).limit(1))

    def overdue(self, community_id: str, now: datetime, limit: int = 50) -> list[Case]:
        """Open cases past their response (unacknowledged) or resolution deadline."""
        late_response = Case.acknowledged_at.is_(None) & (Case.respond_by < now)
        return list(self.s.scalars(
            select(Case).where(Case.community_id == community_id,
                               Case.state.in_(OPEN_STATES),
                               late_response | (Case.resolve_by < now))
            .order_by(Case.resolve_by).limit(limit)))

    def raised_by(self, community_id: str, member_id: int, limit: int = 200) -> list[Case]:
        """Cases the member raised or joined, in any state, newest first."""
        joined = select(CaseComplainant.case_id).where(CaseComplainant.member_id == member_id)
        return list(self.s.scalars(
            select(Case).where(Case.community_id == community_id, Case.id.in_(joined))
            .order_by(Case.id.desc()).limit(limit)))

    def count_assigned_to(self, community_id: str, member_id: int) -> int:
        return self.s.scalar(select(func.count()).select_from(Case).where(
            Case.community_id == community_id, Case.assignee_id == member_id)) or 0


class JobRepo(_Repo):
    """Timers (ScheduledJob): plan, cancel, and take the due ones."""

    def plan(self, key: str, kind: str, due_at: datetime, *, case_id: int | None = None,
             topic_id: int | None = None, data: dict | None = None) -> None:
        """Create the timer, or move it. A timer that already fired at this very time
        stays done, so re-planning never makes it fire twice."""
        row = self.s.scalar(select(ScheduledJob).where(ScheduledJob.key == key))
        if row is None:
            try:
                with self.s.begin_nested():
                    self.s.add(ScheduledJob(key=key, kind=kind, due_at=due_at, case_id=case_id,
                                            topic_id=topic_id, data=data or {},
                                            state="pending"))
                return
            except IntegrityError:
                row = self.s.scalar(select(ScheduledJob).where(ScheduledJob.key == key))
        if row.due_at != due_at:  # moved: it will fire (again) at the new time
            row.due_at, row.state, row.done_at = due_at, "pending", None
        elif row.state == "cancelled":  # wanted again at the same time
            row.state = "pending"
        if data is not None:
            row.data = data

    def cancel(self, keys: list[str]) -> None:
        if keys:
            self.s.execute(update(ScheduledJob)
                           .where(ScheduledJob.key.in_(keys), ScheduledJob.state == "pending")
                           .values(state="cancelled"))

    def due(self, now: datetime, limit: int = 200) -> list[ScheduledJob]:
        """Pending timers due by now, oldest first. On PostgreSQL the rows are locked and
        rows another ticking process holds are skipped (SKIP LOCKED)."""
        query = (select(ScheduledJob)
                 .where(ScheduledJob.state == "pending", ScheduledJob.due_at <= now)
                 .order_by(ScheduledJob.due_at, ScheduledJob.id).limit(limit))
        if self.s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list(self.s.scalars(query))

    def finish(self, job: ScheduledJob, now: datetime) -> None:
        job.state, job.done_at = "done", now

    def pending_for_case(self, case_id: int) -> list[ScheduledJob]:
        return list(self.s.scalars(select(ScheduledJob).where(
            ScheduledJob.case_id == case_id, ScheduledJob.state == "pending")
            .order_by(ScheduledJob.due_at)))


class LeaseRepo(_Repo):
    """Named leases: one holder at a time, taken over once expired."""

    def acquire(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take or renew the lease; False while another holder's lease is live."""
        row = self.s.get(Lease, name, with_for_update=True)
        if row is None:
            try:
                with self.s.begin_nested():
                    self.s.add(Lease(name=name, holder=holder, expires_at=now + ttl))
                return True
            except IntegrityError:
                row = self.s.get(Lease, name, with_for_update=True, populate_existing=True)
        if row.holder != holder and row.expires_at > now:
            return False
        row.holder, row.expires_at = holder, now + ttl
        return True

    def release(self, name: str, holder: str) -> None:
        row = self.s.get(Lease, name)
        if row is not None and row.holder == holder:
            self.s.delete(row)


class TopicRepo(_TimelineRepo):
    """Topics, their timeline, votes, speakers and ratings."""

    entity, event, owner_key, touched_key = Topic, TopicEvent, "topic_id", "touched_topics"

    def add(self, topic: Topic) -> Topic:
        self.s.add(topic)
        self.s.flush()
        return topic

    def active_in_community(self, community_id: str) -> list[Topic]:
        return list(self.s.scalars(
            select(Topic).where(Topic.community_id == community_id,
                                Topic.step.in_(ACTIVE_STEPS)).order_by(Topic.id)))

    def in_group(self, group_id: str, limit: int = 30) -> list[Topic]:
        return list(self.s.scalars(select(Topic).where(Topic.group_id == group_id)
                                   .order_by(Topic.id.desc()).limit(limit)))

    def discussing_in_group(self, group_id: str) -> Topic | None:
        return self.s.scalar(select(Topic).where(Topic.group_id == group_id,
                                                 Topic.step == "discussing").limit(1))

    def for_case(self, case_id: int) -> Topic | None:
        return self.s.scalar(select(Topic).where(Topic.case_id == case_id)
                             .order_by(Topic.id.desc()).limit(1))

    # speakers ----------------------------------------------------------------------
    def speaker(self, topic_id: int, member_id: int) -> TopicSpeaker:
        row = self.s.get(TopicSpeaker, (topic_id, member_id))
        if row is None:
            row = TopicSpeaker(topic_id=topic_id, member_id=member_id, messages=0,
                               warned=False)
            self.s.add(row)
            self.s.flush()
        return row

    def queue(self, topic_id: int) -> list[TopicSpeaker]:
        """Raised hands not yet called, first come first served."""
        return list(self.s.scalars(
            select(TopicSpeaker).where(TopicSpeaker.topic_id == topic_id,
                                       TopicSpeaker.hand_raised_at.is_not(None),
                                       TopicSpeaker.called_at.is_(None))
            .order_by(TopicSpeaker.hand_raised_at, TopicSpeaker.member_id)))

    # votes -------------------------------------------------------------------------
    def vote(self, topic: Topic, member: Member, option: str, at: datetime) -> bool:
        """Cast or change a vote; True when it changed an earlier one."""
        row = self.s.get(TopicVote, (topic.id, topic.poll, member.id))
        if row is None:
            self.s.add(TopicVote(topic_id=topic.id, poll=topic.poll, member_id=member.id,
                                 option=option, at=at))
            self.s.flush()
            return False
        row.option, row.at = option, at
        return True

    def tally(self, topic: Topic) -> dict[str, int]:
        rows = self.s.execute(select(TopicVote.option, func.count())
                              .where(TopicVote.topic_id == topic.id,
                                     TopicVote.poll == topic.poll)
                              .group_by(TopicVote.option))
        return {option: n for option, n in rows}

    def voter_ids(self, topic: Topic) -> set[int]:
        return set(self.s.scalars(select(TopicVote.member_id).where(
            TopicVote.topic_id == topic.id, TopicVote.poll == topic.poll)))

    # ratings -----------------------------------------------------------------------
    def rate(self, topic: Topic, member: Member, score: int, at: datetime) -> None:
        row = self.s.get(TopicRating, (topic.id, member.id))
        if row is None:
            self.s.add(TopicRating(topic_id=topic.id, member_id=member.id, score=score, at=at))
        else:
            row.score, row.at = score, at
        self.s.flush()

    def ratings(self, topic_id: int) -> list[int]:
        return list(self.s.scalars(select(TopicRating.score)
                                   .where(TopicRating.topic_id == topic_id)))


class CorrectionRepo(_Repo):
    def add(self, row: Correction) -> Correction:
        self.s.add(row)
        self.s.flush()
        return row

    def all(self, community_id: str | None = None) -> list[Correction]:
        query = select(Correction).order_by(Correction.id)
        if community_id:
            query = query.where(Correction.community_id == community_id)
        return list(self.s.scalars(query))


class QuestionRepo(_Repo):
    def add(self, row: PendingQuestion) -> PendingQuestion:
        self.s.add(row)
        self.s.flush()
        return row

    def last_asked(self, member_id: int) -> PendingQuestion | None:
        return self.s.scalars(select(PendingQuestion).where(
            PendingQuestion.member_id == member_id)
            .order_by(PendingQuestion.asked_at.desc())).first()

    def open_for(self, member_id: int, group_id: str, since: datetime
                 ) -> PendingQuestion | None:
        return self.s.scalars(select(PendingQuestion).where(
            PendingQuestion.member_id == member_id, PendingQuestion.group_id == group_id,
            PendingQuestion.state == "open", PendingQuestion.asked_at >= since)
            .order_by(PendingQuestion.asked_at.desc())).first()
