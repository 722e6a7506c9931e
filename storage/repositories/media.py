"""Photos that came with messages (stored or refused, attached to cases), and the read
position of the WeCom 会话内容存档 feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from storage.models import ArchiveCursor, CaseEvent, Media
from storage.repositories.base import _Repo


class MediaRepo(_Repo):
    def add(self, **fields: Any) -> Media:
        row = Media(**fields)
        self.s.add(row)
        self.s.flush()
        return row

    def of_message(self, inbound_id: int) -> list[Media]:
        return list(self.s.scalars(select(Media).where(Media.inbound_id == inbound_id)
                                   .order_by(Media.id)))

    def attach(self, rows: list[Media], case_id: int, kind: str) -> int:
        """Attach the stored photos among `rows` to a case; returns how many."""
        count = 0
        for row in rows:
            if row.status == "stored":
                row.case_id, row.kind = case_id, kind
                count += 1
        self.s.flush()
        return count

    def counts_for_case(self, case_id: int) -> dict[str, int]:
        """{"before": n, "after": m} of the case's stored photos."""
        rows = self.s.execute(select(Media.kind, func.count()).where(
            Media.case_id == case_id, Media.status == "stored").group_by(Media.kind))
        return {kind: n for kind, n in rows}

    def for_case(self, case_id: int) -> list[Media]:
        return list(self.s.scalars(select(Media).where(
            Media.case_id == case_id, Media.status == "stored").order_by(Media.id)))

    def case_events_by(self, member_id: int, since: datetime, kinds: tuple[str, ...]
                       ) -> list[CaseEvent]:
        """The member's case events of these kinds since a time, newest first (what a
        photo sent alone may belong to)."""
        return list(self.s.scalars(select(CaseEvent).where(
            CaseEvent.actor_id == member_id, CaseEvent.at >= since,
            CaseEvent.kind.in_(kinds)).order_by(CaseEvent.at.desc(), CaseEvent.id.desc())))


class ArchiveRepo(_Repo):
    def position(self, corp_id: str) -> int:
        """The last seq handled for this corp (0: start from the oldest kept)."""
        row = self.s.get(ArchiveCursor, corp_id)
        return row.seq if row is not None else 0

    def advance(self, corp_id: str, seq: int, now: datetime) -> None:
        """Remember `seq` as handled (never moves backwards)."""
        row = self.s.get(ArchiveCursor, corp_id, with_for_update=True)
        if row is None:
            self.s.add(ArchiveCursor(corp_id=corp_id, seq=seq, updated_at=now))
        elif seq > row.seq:
            row.seq, row.updated_at = seq, now
        self.s.flush()
