"""The base of every repository: a session, unique inserts, timelines of events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Member

EVENT_VIA = "event_via"  # session info: how the message being handled came

_UPSERT = {"postgresql": pg_insert, "sqlite": sqlite_insert}


class _Repo:
    def __init__(self, session: Session):
        self.s = session

    def flush(self) -> None:
        """Write pending changes, so the next query sees them."""
        self.s.flush()

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
        heard = self.s.info.get(EVENT_VIA)  # how the message causing it came (voice, card)
        if heard:
            data["input"] = heard
        event = self.event(**{self.owner_key: owner.id}, kind=kind,
                           actor_id=actor.id if actor else None, at=at, note=note, data=data)
        self.s.add(event)
        owner.updated_at = at
        self.s.flush()
        self.s.info.setdefault(self.touched_key, set()).add(owner.id)
        return event

    def touched_ids(self) -> set[int]:
        """Ids of the entities changed in this transaction so far (`touched` still
        returns them)."""
        return set(self.s.info.get(self.touched_key, set()))

    def touched(self) -> list:
        """Entities changed in this transaction (their timers need planning again)."""
        ids = sorted(self.s.info.pop(self.touched_key, set()))
        return [self.s.get(self.entity, i) for i in ids]

    def events(self, owner_id: int) -> list:
        key = getattr(self.event, self.owner_key)
        return list(self.s.scalars(select(self.event).where(key == owner_id)
                                   .order_by(self.event.id)))
