"""Scheduled jobs and leases (who runs the scheduler)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import Lease, ScheduledJob
from storage.repositories.base import _UPSERT, _Repo, insert_new

_JOBS = ScheduledJob.__table__
_MOVE_JOB = (update(_JOBS).where(_JOBS.c.id == bindparam("job_id"))
             .values(due_at=bindparam("new_due"), state="pending", done_at=None))
# `plan_all`'s statements, built once (the values come as parameters)
_JOBS_BY_KEY = (select(_JOBS.c.id, _JOBS.c.key, _JOBS.c.due_at, _JOBS.c.state)
                .where(_JOBS.c.key.in_(bindparam("keys", expanding=True))))
_SET_JOB_STATE = (update(_JOBS).where(_JOBS.c.id.in_(bindparam("job_ids", expanding=True)))
                  .values(state=bindparam("new_state")))
_CANCEL_KEYS = (update(_JOBS).where(_JOBS.c.key.in_(bindparam("stale_keys", expanding=True)),
                                    _JOBS.c.state == "pending")
                .values(state="cancelled"))
_PLANS: dict[str, Any] = {}


def _plan_statement(dialect: str):
    """INSERT … ON CONFLICT (key) DO UPDATE: a new timer is created; one at another time
    is moved (pending again, not done); a cancelled one at the same time is pending again;
    any other (pending or done at this very time) is left as it is. Built once."""
    if dialect not in _PLANS:
        statement = _UPSERT[dialect](_JOBS)
        moved = _JOBS.c.due_at != statement.excluded.due_at
        _PLANS[dialect] = statement.on_conflict_do_update(
            index_elements=["key"],
            set_={"due_at": statement.excluded.due_at, "state": "pending",
                  "done_at": case((moved, None), else_=_JOBS.c.done_at)},
            where=moved | (_JOBS.c.state == "cancelled"))
    return _PLANS[dialect]


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

    def plan_all(self, timers: dict[str, tuple[str, datetime]], stale: list[str], *,
                 case_id: int | None = None, topic_id: int | None = None,
                 fresh: bool = False) -> None:
        """`plan` for an owner's timers ({key: (kind, due_at)}) and `cancel` of its
        `stale` keys, in few statements: one read of the rows by key in plain SQL (none
        for a `fresh` owner, created in this transaction), one insert of the new ones,
        and one UPDATE per kind of change. A row this session holds as an object is
        changed on the object instead (so the object stays true).

        PostgreSQL and SQLite: one INSERT … ON CONFLICT DO UPDATE of the timers (the
        rules of `plan` in its WHERE) and one UPDATE cancelling the stale ones still
        pending, nothing read; objects the session holds are brought in line after."""
        dialect = self.s.get_bind().dialect.name
        if dialect in _UPSERT:
            self._plan_upsert(dialect, timers, stale, case_id, topic_id, fresh)
            return
        rows = {} if fresh else {row.key: row for row in self._run(
            _JOBS_BY_KEY, {"keys": list(timers) + stale})}
        new = [{"key": key, "kind": kind, "due_at": due_at, "case_id": case_id,
                "topic_id": topic_id, "data": {}, "state": "pending"}
               for key, (kind, due_at) in timers.items() if key not in rows]
        if new:
            self._insert_new(new, case_id, topic_id)
        moved: list[dict] = []
        revived: list[int] = []
        cancelled: list[int] = []
        for key, row in rows.items():
            held = self.s.identity_map.get((ScheduledJob, (row.id,), None))
            if key in timers:
                due_at = timers[key][1]
                if row.due_at != due_at:  # moved: it will fire (again) at the new time
                    if held is not None:
                        held.due_at, held.state, held.done_at = due_at, "pending", None
                    else:
                        moved.append({"job_id": row.id, "new_due": due_at})
                elif row.state == "cancelled":  # wanted again at the same time
                    if held is not None:
                        held.state = "pending"
                    else:
                        revived.append(row.id)
            elif row.state == "pending":  # stale
                if held is not None:
                    held.state = "cancelled"
                else:
                    cancelled.append(row.id)
        if moved:
            self._run(_MOVE_JOB, moved)
        for ids, state in ((revived, "pending"), (cancelled, "cancelled")):
            if ids:
                self._run(_SET_JOB_STATE, {"job_ids": ids, "new_state": state})

    def _plan_upsert(self, dialect: str, timers: dict[str, tuple[str, datetime]],
                     stale: list[str], case_id: int | None, topic_id: int | None,
                     fresh: bool) -> None:
        if timers:
            self._run(_plan_statement(dialect), [
                {"key": key, "kind": kind, "due_at": due_at, "case_id": case_id,
                 "topic_id": topic_id, "data": {}, "state": "pending", "done_at": None}
                for key, (kind, due_at) in timers.items()])
        if stale and not fresh:  # a fresh owner has no timers to cancel
            self._run(_CANCEL_KEYS, {"stale_keys": stale})
        stale_keys = set(stale)
        for held in list(self.s.identity_map.values()):
            if not isinstance(held, ScheduledJob):
                continue
            seen = held.__dict__
            key = seen.get("key")
            if key is None or any(k not in seen for k in ("due_at", "state", "done_at")):
                if key is None or key in timers or key in stale_keys:
                    self.s.expire(held, ["due_at", "state", "done_at"])  # read when asked
                continue
            if key in timers:
                due_at = timers[key][1]
                if seen["due_at"] != due_at:
                    set_committed_value(held, "due_at", due_at)
                    set_committed_value(held, "state", "pending")
                    set_committed_value(held, "done_at", None)
                elif seen["state"] == "cancelled":
                    set_committed_value(held, "state", "pending")
            elif key in stale_keys and seen["state"] == "pending":
                set_committed_value(held, "state", "cancelled")

    def _insert_new(self, new: list[dict], case_id: int | None, topic_id: int | None) -> None:
        dialect = self.s.get_bind().dialect.name
        # one INSERT … VALUES (…), (…) … ON CONFLICT DO NOTHING RETURNING key, built once
        # (SQLAlchemy's "insertmanyvalues" batches the rows into one statement)
        added = set(self._run(insert_new(dialect, _JOBS, ("key",), "key"), new).scalars()) \
            if dialect in _UPSERT else set()
        for row in new:  # another process planned it first: move it as `plan` would
            if row["key"] not in added:
                self.plan(row["key"], row["kind"], row["due_at"], case_id=case_id,
                          topic_id=topic_id)

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

    def due_between(self, after: datetime, until: datetime, kinds: tuple[str, ...]
                    ) -> list[ScheduledJob]:
        """Pending case timers of these kinds falling due after `after`, by `until`."""
        return list(self.s.scalars(
            select(ScheduledJob).where(ScheduledJob.state == "pending",
                                       ScheduledJob.kind.in_(kinds),
                                       ScheduledJob.case_id.is_not(None),
                                       ScheduledJob.due_at > after,
                                       ScheduledJob.due_at <= until)
            .order_by(ScheduledJob.due_at)))

    def next_due(self) -> datetime | None:
        """When the earliest pending timer is due (None when none is pending)."""
        return self.s.scalar(select(func.min(ScheduledJob.due_at))
                             .where(ScheduledJob.state == "pending"))

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
