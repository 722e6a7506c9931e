"""The base of every repository: a session, unique inserts, timelines of events, and the
per-process cache of rows that hardly change (groups; the roster, checked against its
version in the database)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Member

EVENT_VIA = "event_via"  # session info: how the message being handled came

_UPSERT = {"postgresql": pg_insert, "sqlite": sqlite_insert}


@dataclass
class ProcessCache:
    """What one process keeps between transactions (one per `Store`).

    - `groups`: group rows by id, detached (a group changes only when the config is
      loaded at a start, or when its first message registers it);
    - `roster`: per community, (roster version, {member id: role codes}) — the version
      lives in the database and every role change bumps it, so a change made by another
      process is seen by the next message here.
    """

    groups: dict[str, Any] = field(default_factory=dict)
    roster: dict[str, tuple[int, dict[int, frozenset[str]]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_PREBUILT: dict[tuple, Any] = {}


def insert_new(dialect: str, table, unique: tuple[str, ...], returning: str):
    """INSERT … ON CONFLICT (unique) DO NOTHING RETURNING one column, built once per
    dialect and table (the values come as parameters): the hot paths' inserts."""
    key = (dialect, table.name, unique, returning)
    if key not in _PREBUILT:
        _PREBUILT[key] = (_UPSERT[dialect](table).on_conflict_do_nothing(index_elements=unique)
                          .returning(table.c[returning]))
    return _PREBUILT[key]


def _event_insert(table):
    """INSERT … RETURNING id of a timeline event, built once per table."""
    key = ("event", table.name)
    if key not in _PREBUILT:
        _PREBUILT[key] = insert(table).returning(table.c.id)
    return _PREBUILT[key]


class _Repo:
    def __init__(self, session: Session):
        self.s = session

    def flush(self) -> None:
        """Write pending changes, so the next query sees them."""
        self.s.flush()

    def _run(self, statement, params=None):
        """A Core statement (built once) on the transaction's connection, after the
        session's autoflush as `Session.execute` does, without the ORM's execution path
        around it (the hot path's plain reads and writes)."""
        if self.s.autoflush:
            self.s.flush()
        return self.s.connection().execute(statement, params)

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
                  note: str = "", **data: Any) -> int:
        """Add an event to the owner's timeline (one INSERT, no object); its id. Every
        event records how the message causing it came (`data["input"]`: voice, card)."""
        heard = self.s.info.get(EVENT_VIA)
        if heard:
            data["input"] = heard
        if owner.__dict__.get("updated_at") is not at:  # the very same time: no change
            owner.updated_at = at  # written with the owner's other changes, before the event
        event = self._run(_event_insert(self.event.__table__), {
            self.owner_key: owner.id, "kind": kind, "actor_id": actor.id if actor else None,
            "at": at, "note": note, "data": data}).scalar_one()
        # the object itself is kept (the session holds its rows only weakly): re-planning
        # at the end of the transaction needs no second read of it
        self.s.info.setdefault(self.touched_key, {})[owner.id] = owner
        return event

    def touched_ids(self) -> set[int]:
        """Ids of the entities changed in this transaction so far (`touched` still
        returns them)."""
        return set(self.s.info.get(self.touched_key, set()))

    def touched(self) -> list:
        """Entities changed in this transaction (their timers need planning again)."""
        owners = self.s.info.pop(self.touched_key, {})
        return [owners[i] for i in sorted(owners)]

    def events(self, owner_id: int) -> list:
        key = getattr(self.event, self.owner_key)
        return list(self.s.scalars(select(self.event).where(key == owner_id)
                                   .order_by(self.event.id)))
