"""Inbound messages (deduplicated), the outbox of posts to send, and the health of the
WeCom webhooks the posts go through."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from storage.models import InboundMessage, OutboundMessage, WebhookHealth
from storage.repositories.base import _UPSERT, _Repo, insert_new


class InboundRepo(_Repo):
    def add(self, **fields: Any) -> InboundMessage | None:
        """Journal a message; None when (channel, group, msg_id) was seen before."""
        return self._insert_unique(InboundMessage(**fields))

    def journal(self, *, flushed_by_next: bool = False, **fields: Any) -> int | None:
        """Journal a message in one statement (INSERT … ON CONFLICT DO NOTHING RETURNING
        id); None when (channel, group, msg_id) was seen before. `flushed_by_next`: the
        caller commits another transaction before it answers the sender (`journal_row`)."""
        if self.s.get_bind().dialect.name not in _UPSERT:
            row = self.add(**fields)
            return None if row is None else row.id
        return journal_row(self.s, fields, flushed_by_next=flushed_by_next)

    def get(self, inbound_id: int) -> InboundMessage | None:
        return self.s.get(InboundMessage, inbound_id)

    def mark(self, inbound_id: int, status: str, error: str | None = None) -> None:
        self.s.execute(update(InboundMessage).where(InboundMessage.id == inbound_id)
                       .values(status=status, error=error))

    def mark_handled(self, inbound_id: int) -> bool:
        """Received -> handled; False when it was not 'received' any more (another
        worker handled it first)."""
        return self._run(_MARK_HANDLED, {"inbound_id": inbound_id}).rowcount == 1

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


_MARK_HANDLED = (update(InboundMessage.__table__)
                 .where(InboundMessage.__table__.c.id == bindparam("inbound_id"),
                        InboundMessage.__table__.c.status == "received")
                 .values(status="handled", error=None))

# the columns a new post starts with when the caller does not say
_OUTBOX_DEFAULTS = {"state": "pending", "case_id": None, "topic_id": None, "in_reply_to": None,
                    "merged_into": None, "attempts": 0, "last_error": None,
                    "delivered_at": None, "revision": 0, "parts_sent": 0}


def journal_row(conn, fields: dict, *, flushed_by_next: bool = False) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id of an inbound message, on a session
    or a plain connection (SQLite or PostgreSQL); None for a duplicate."""
    dialect = conn.get_bind().dialect.name if isinstance(conn, Session) else \
        conn.dialect.name
    if dialect == "postgresql" and flushed_by_next:
        # This commit need not wait for the disk: the handling transaction commits next
        # and waits for the log up to its own record, which is after this one — so the
        # message is on disk before it is answered, for one disk flush instead of two. A
        # crash of this process in between leaves the row to `handle_unhandled`; only a
        # crash of the database server itself could lose it, and then the message was
        # not answered either (the sender retries). The setting (SET LOCAL) is made by
        # the INSERT itself: one round trip.
        return conn.execute(_JOURNAL_ASYNC, {"error": None, **fields}).scalar()
    statement = insert_new(dialect, InboundMessage.__table__,
                           ("channel", "group_id", "msg_id"), "id")
    return conn.execute(statement, {"error": None, **fields}).scalar()


def _journal_async():
    """PostgreSQL: INSERT … SELECT the values WHERE set_config('synchronous_commit',
    'off', true) — `SET LOCAL synchronous_commit TO OFF` and the journal's insert in one
    statement (the one-time filter runs once, before the row is written) — ON CONFLICT
    DO NOTHING RETURNING id."""
    table = InboundMessage.__table__
    columns = [c for c in table.c if c.key != "id"]
    values = (select(*[bindparam(c.key, type_=c.type) for c in columns])
              .where(func.set_config("synchronous_commit", "off", True).is_not(None)))
    return (_UPSERT["postgresql"](table).from_select([c.key for c in columns], values)
            .on_conflict_do_nothing(index_elements=["channel", "group_id", "msg_id"])
            .returning(table.c.id))


_JOURNAL_ASYNC = _journal_async()


_NEW_POST = OutboundMessage._sa_class_manager.new_instance
_POST_COLUMNS = frozenset(c.key for c in OutboundMessage.__table__.c if c.key != "id")


class OutboxRepo(_Repo):
    def refresh(self, post: OutboundMessage) -> None:
        """Reload a post from the database (after `claim` changed its row)."""
        self.s.refresh(post)

    def add(self, **fields: Any) -> OutboundMessage | None:
        """Queue a post; None when its idempotency key exists (already planned).

        One round trip: INSERT … ON CONFLICT DO NOTHING RETURNING the row.
        """
        dialect = self.s.get_bind().dialect.name
        if dialect not in _UPSERT:
            return self._insert_unique(OutboundMessage(**fields))
        values = {**_OUTBOX_DEFAULTS, "mentions": [], **fields}
        statement = insert_new(dialect, OutboundMessage.__table__, ("idempotency_key",), "id")
        out_id = self._run(statement, values).scalar()
        if out_id is None:
            return None
        # the row as written, without reading it back (callers read it, never change it):
        # a detached object made as the ORM's loading makes one (values straight in)
        if not _POST_COLUMNS.issubset(values):  # some column unsaid: left unloaded
            row = OutboundMessage(id=out_id, **values)
            make_transient_to_detached(row)
            return row
        row = _NEW_POST()
        row.__dict__.update(values, id=out_id)
        instance_state(row).key = (OutboundMessage, (out_id,), None)
        return row

    def get(self, out_id: int) -> OutboundMessage | None:
        return self.s.get(OutboundMessage, out_id)

    def case_ids_answering(self, inbound_id: int) -> list[int]:
        """The cases the bot's answers to one message were about, in the order answered."""
        rows = self.s.scalars(select(OutboundMessage.case_id)
                              .where(OutboundMessage.in_reply_to == inbound_id,
                                     OutboundMessage.case_id.is_not(None))
                              .order_by(OutboundMessage.id))
        return list(dict.fromkeys(rows))

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

    def next_attempt(self) -> datetime | None:
        """When the earliest pending post is due for an attempt (None when none is)."""
        return self.s.scalar(select(func.min(OutboundMessage.next_attempt_at))
                             .where(OutboundMessage.state == "pending"))

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

    def claim_due(self, posts: list[OutboundMessage], now: datetime, lease: timedelta
                  ) -> list[OutboundMessage]:
        """`claim` for many posts in one UPDATE … RETURNING: the posts this worker got
        (with their new attempt count and lease end), in the order given."""
        if not posts:
            return []
        table = OutboundMessage.__table__
        got = {row.id: row for row in self.s.execute(
            update(table)
            .where(table.c.id.in_([p.id for p in posts]), table.c.state == "pending",
                   table.c.next_attempt_at <= now)
            .values(next_attempt_at=now + lease, attempts=table.c.attempts + 1)
            .returning(table.c.id, table.c.attempts, table.c.next_attempt_at))}
        claimed = []
        for post in posts:
            if post.id in got:
                set_committed_value(post, "attempts", got[post.id].attempts)
                set_committed_value(post, "next_attempt_at", got[post.id].next_attempt_at)
                claimed.append(post)
        return claimed

    def mark_all_sent(self, out_ids: list[int], now: datetime) -> None:
        """`mark_sent` for many posts delivered whole, in one UPDATE."""
        if out_ids:
            table = OutboundMessage.__table__
            self.s.execute(update(table).where(table.c.id.in_(out_ids))
                           .values(state="sent", delivered_at=now, last_error=None))

    def mark_sent(self, out_id: int, now: datetime, parts_sent: int | None = None) -> None:
        self.s.execute(update(OutboundMessage).where(OutboundMessage.id == out_id)
                       .values(state="sent", delivered_at=now, last_error=None,
                               **_parts(parts_sent)))

    def mark_retry(self, out_id: int, at: datetime, error: str,
                   parts_sent: int | None = None) -> None:
        """Due again at `at`; `parts_sent` (when given): the parts delivered so far."""
        self.s.execute(update(OutboundMessage).where(OutboundMessage.id == out_id)
                       .values(next_attempt_at=at, last_error=error[:2000],
                               **_parts(parts_sent)))

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

    def mark_failed(self, out_id: int, error: str, parts_sent: int | None = None) -> None:
        self.s.execute(update(OutboundMessage).where(OutboundMessage.id == out_id)
                       .values(state="failed", last_error=error[:2000], **_parts(parts_sent)))

    def for_inbound(self, inbound_id: int) -> list[OutboundMessage]:
        return list(self.s.scalars(select(OutboundMessage)
                                   .where(OutboundMessage.in_reply_to == inbound_id)
                                   .order_by(OutboundMessage.id)))

    def recent_in_group(self, group_id: str, limit: int) -> list[OutboundMessage]:
        return list(self.s.scalars(
            select(OutboundMessage).where(OutboundMessage.group_id == group_id)
            .order_by(OutboundMessage.id.desc()).limit(limit)))

    def case_pings(self, group_id: str, external_id: str, since: datetime
                   ) -> dict[int, datetime]:
        """The cases whose posts in the group @-mentioned this member since a time, with
        the time of the latest such post."""
        rows = self.s.execute(
            select(OutboundMessage.case_id, OutboundMessage.mentions,
                   OutboundMessage.created_at)
            .where(OutboundMessage.group_id == group_id, OutboundMessage.case_id.is_not(None),
                   OutboundMessage.created_at >= since))
        latest: dict[int, datetime] = {}
        for case_id, mentions, at in rows:
            if external_id in (mentions or []) and (case_id not in latest
                                                    or at > latest[case_id]):
                latest[case_id] = at
        return latest

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


def _parts(parts_sent: int | None) -> dict[str, int]:
    return {} if parts_sent is None else {"parts_sent": parts_sent}


class WebhookHealthRepo(_Repo):
    """One row per WeCom group: the last word of its webhook (bot.domain.webhook_health
    decides what it means)."""

    def get(self, group_id: str) -> WebhookHealth | None:
        return self.s.get(WebhookHealth, group_id)

    def put(self, group_id: str, **fields: Any) -> None:
        """Write the group's row (a concurrent first insert is updated instead)."""
        row = self.s.get(WebhookHealth, group_id)
        if row is None and self._insert_unique(WebhookHealth(group_id=group_id, **fields)):
            return
        row = row or self.s.get(WebhookHealth, group_id)
        for name, value in fields.items():
            setattr(row, name, value)
        self.s.flush()

    def of_groups(self, group_ids: list[str]) -> list[WebhookHealth]:
        if not group_ids:
            return []
        return list(self.s.scalars(select(WebhookHealth)
                                   .where(WebhookHealth.group_id.in_(group_ids))
                                   .order_by(WebhookHealth.group_id)))
