"""Corrections of the classifier and pending questions (asking when unsure)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import Correction, PendingQuestion
from storage.repositories.base import _Repo

_QUESTIONS = PendingQuestion.__table__
_CLOSE_OPEN = (update(_QUESTIONS)
               .where(_QUESTIONS.c.member_id == bindparam("b_member"),
                      _QUESTIONS.c.group_id == bindparam("b_group"),
                      _QUESTIONS.c.kind == bindparam("b_kind"), _QUESTIONS.c.state == "open")
               .values(state=bindparam("new_state")))


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
        # one UPDATE (Core, built once); questions this session holds as objects are
        # updated with it, as the ORM's synchronize_session="evaluate" would
        self._run(_CLOSE_OPEN, {"b_member": member_id, "b_group": group_id, "b_kind": kind,
                                "new_state": state})
        for held in list(self.s.identity_map.values()):
            if not isinstance(held, PendingQuestion):
                continue
            seen = held.__dict__
            if any(k not in seen for k in ("member_id", "group_id", "kind", "state")):
                self.s.expire(held, ["state"])  # not loaded: read again when asked
            elif (seen["member_id"], seen["group_id"], seen["kind"], seen["state"]) == \
                    (member_id, group_id, kind, "open"):
                set_committed_value(held, "state", state)
