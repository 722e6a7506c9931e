"""Corrections of the classifier and pending questions (asking when unsure)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from storage.models import Correction, PendingQuestion
from storage.repositories.base import _Repo


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

    def last_asked(self, member_id: int, kind: str = "complaint") -> PendingQuestion | None:
        return self.s.scalars(select(PendingQuestion).where(
            PendingQuestion.member_id == member_id, PendingQuestion.kind == kind)
            .order_by(PendingQuestion.asked_at.desc())).first()

    def open_for(self, member_id: int, group_id: str, since: datetime,
                 kind: str = "complaint") -> PendingQuestion | None:
        return self.s.scalars(select(PendingQuestion).where(
            PendingQuestion.member_id == member_id, PendingQuestion.group_id == group_id,
            PendingQuestion.kind == kind, PendingQuestion.state == "open",
            PendingQuestion.asked_at >= since)
            .order_by(PendingQuestion.asked_at.desc(), PendingQuestion.id.desc())).first()

    def close_open(self, member_id: int, group_id: str, kind: str, state: str) -> None:
        """Every open question of this kind to the member in the group gets `state`."""
        # one UPDATE; questions this session holds as objects are updated with it
        self.s.execute(update(PendingQuestion).where(
            PendingQuestion.member_id == member_id, PendingQuestion.group_id == group_id,
            PendingQuestion.kind == kind, PendingQuestion.state == "open")
            .values(state=state).execution_options(synchronize_session="evaluate"))
