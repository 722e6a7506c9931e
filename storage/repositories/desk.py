"""What the community desk reads and keeps: one-time sign-in tokens, and the board —
cases by filters and text, a page at a time, with the counts per filter value."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import case, func, or_, select, update

from storage.models import (
    FINISHED_STATES,
    OPEN_STATES,
    Case,
    DeskToken,
    Group,
    InboundMessage,
    Member,
    Topic,
)
from storage.repositories.base import _Repo


@dataclass(frozen=True)
class CaseScope:
    """The cases a desk viewer may see: in these communities (None: all); for staff,
    only those assigned to `member_id`, of `categories`, or at `tiers`."""

    communities: tuple[str, ...] | None = None
    member_id: int | None = None  # set: the staff restriction applies
    categories: frozenset[str] = frozenset()
    tiers: frozenset[int] = frozenset()


@dataclass(frozen=True)
class BoardFilter:
    """The board's filters; empty values filter nothing. `state` "" means the open
    states; `assignee` is a member id, or "none" for unassigned cases."""

    group: str = ""
    building: str = ""
    category: str = ""
    state: str = ""
    assignee: str = ""
    overdue: bool = False
    urgent: bool = False
    group_complaint: bool = False
    text: str = ""

    FACETS = ("group", "building", "category", "state", "assignee")
    FLAGS = ("overdue", "urgent", "group_complaint")

    def without(self, name: str) -> BoardFilter:
        return replace(self, **{name: False if name in self.FLAGS else ""})


@dataclass
class BoardPage:
    cases: list[Case]
    total: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def _building():
    return Case.location["building"].as_string()


def _overdue(now: datetime):
    return (Case.acknowledged_at.is_(None) & (Case.respond_by < now)) | (Case.resolve_by < now)


class DeskRepo(_Repo):
    # --- one-time links -------------------------------------------------------------------
    def add_token(self, token_hash: str, member: Member, now: datetime,
                  expires_at: datetime) -> DeskToken:
        row = DeskToken(token_hash=token_hash, member_id=member.id, created_at=now,
                        expires_at=expires_at)
        self.s.add(row)
        self.s.flush()
        return row

    def token(self, token_hash: str) -> DeskToken | None:
        return self.s.scalar(select(DeskToken).where(DeskToken.token_hash == token_hash))

    def use_token(self, token_hash: str, now: datetime) -> DeskToken | None:
        """Mark an unused, unexpired token used, atomically (two clicks at once: one
        wins); the token, or None."""
        done = self.s.execute(update(DeskToken).where(
            DeskToken.token_hash == token_hash, DeskToken.used_at.is_(None),
            DeskToken.expires_at > now).values(used_at=now))
        if done.rowcount != 1:
            return None
        row = self.token(token_hash)
        self.s.refresh(row)
        return row

    # --- the board ------------------------------------------------------------------------
    def _scoped(self, query, scope: CaseScope):
        if scope.communities is not None:
            query = query.where(Case.community_id.in_(scope.communities))
        if scope.member_id is not None:
            query = query.where(or_(Case.assignee_id == scope.member_id,
                                    Case.category.in_(sorted(scope.categories)),
                                    Case.tier.in_(sorted(scope.tiers))))
        return query

    def _filtered(self, query, flt: BoardFilter, now: datetime):
        states = [flt.state] if flt.state in OPEN_STATES + FINISHED_STATES else OPEN_STATES
        query = query.where(Case.state.in_(states))
        if flt.group:
            query = query.where(Case.group_id == flt.group)
        if flt.building:
            query = query.where(_building() == flt.building)
        if flt.category:
            query = query.where(Case.category == flt.category)
        if flt.assignee == "none":
            query = query.where(Case.assignee_id.is_(None))
        elif flt.assignee.isdigit():
            query = query.where(Case.assignee_id == int(flt.assignee))
        if flt.overdue:
            query = query.where(_overdue(now))
        if flt.urgent:
            query = query.where(Case.urgent.is_(True))
        if flt.group_complaint:
            query = query.where(Case.group_complaint.is_(True))
        text = flt.text.strip()
        if text:
            number = text.lstrip("#＃")
            match = Case.text.contains(text, autoescape=True)
            query = query.where(or_(match, Case.id == int(number)) if number.isdigit()
                                and len(number) < 10 else match)
        return query

    def board(self, scope: CaseScope, flt: BoardFilter, now: datetime, *, offset: int,
              limit: int) -> BoardPage:
        """One page of the cases the scope sees and the filter picks (most pressing
        first: priority, urgency, newest), their total, and per facet the count of each
        value with the other filters applied.

        Two queries whatever the filters: the page, and the cases grouped by every facet
        at once (the counts are summed from those groups)."""
        base = self._filtered(self._scoped(select(Case), scope), flt, now)
        rows = list(self.s.scalars(base.order_by(Case.priority.desc(), Case.urgent.desc(),
                                                 Case.id.desc()).offset(offset).limit(limit)))
        total, counts = self._counts(scope, flt, now)
        return BoardPage(rows, total, counts)

    def _counts(self, scope: CaseScope, flt: BoardFilter, now: datetime
                ) -> tuple[int, dict[str, dict[str, int]]]:
        """The total and the facet counts: the buildings (many values) in a query of
        their own; the other facets summed in Python from one query grouping the cases
        by all of them."""
        overdue = case((_overdue(now), 1), else_=0)
        columns = (Case.group_id, Case.category, Case.state, Case.assignee_id, overdue,
                   Case.urgent, Case.group_complaint)
        states = OPEN_STATES + ((flt.state,) if flt.state in FINISHED_STATES else ())
        query = self._scoped(select(*columns, func.count(Case.id)), scope)
        query = self._filtered(query, BoardFilter(text=flt.text, building=flt.building), now)
        query = query.where(Case.state.in_(states)).group_by(*columns)
        wanted = {"group": flt.group, "category": flt.category, "assignee": flt.assignee}
        flags = {name: getattr(flt, name) for name in BoardFilter.FLAGS}
        counts: dict[str, dict[str, int]] = {name: {} for name in
                                             BoardFilter.FACETS + BoardFilter.FLAGS}
        total = 0
        for group, category, state, assignee, late, urgent, crowd, n in self.s.execute(query):
            values = {"group": group, "category": category, "state": state,
                      "assignee": "none" if assignee is None else str(assignee),
                      "overdue": bool(late), "urgent": bool(urgent),
                      "group_complaint": bool(crowd)}
            misses = {name for name, want in wanted.items() if want and values[name] != want}
            misses |= {name for name, on in flags.items() if on and not values[name]}
            if (state != flt.state) if flt.state else (state not in OPEN_STATES):
                misses.add("state")
            if len(misses) > 1:
                continue
            if not misses:
                total += n
            for name in ("group", "category", "state", "assignee"):
                if misses <= {name}:
                    counts[name][values[name]] = counts[name].get(values[name], 0) + n
            for name in BoardFilter.FLAGS:
                if misses <= {name} and values[name]:
                    counts[name]["1"] = counts[name].get("1", 0) + n
        building = _building()
        query = self._filtered(self._scoped(select(building, func.count(Case.id)), scope),
                               flt.without("building"), now)
        counts["building"] = {str(value): n for value, n in self.s.execute(
            query.where(building.is_not(None)).group_by(building)
            .order_by(func.count(Case.id).desc()).limit(60))}
        return total, counts

    def members(self, ids: set[int]) -> dict[int, Member]:
        if not ids:
            return {}
        return {m.id: m for m in self.s.scalars(select(Member).where(Member.id.in_(ids)))}

    def groups(self, community_ids: tuple[str, ...] | None) -> list[Group]:
        query = select(Group).where(Group.private.is_(False))
        if community_ids is not None:
            query = query.where(Group.community_id.in_(community_ids))
        return list(self.s.scalars(query.order_by(Group.community_id, Group.id)))

    def messages_of(self, case: Case, limit: int = 20) -> list[InboundMessage]:
        """The messages behind a case: the one that opened it, and the messages its
        complainants sent into its group while it was open (oldest first)."""
        senders = [c.member.external_id for c in case.complainants]
        end = case.closed_at or case.resolved_at
        query = select(InboundMessage).where(InboundMessage.group_id == case.group_id,
                                             InboundMessage.sender_id.in_(senders),
                                             InboundMessage.sent_at >= case.opened_at)
        if end is not None:
            query = query.where(InboundMessage.sent_at <= end)
        rows = list(self.s.scalars(query.order_by(InboundMessage.id).limit(limit)))
        if case.source_message_id and all(r.id != case.source_message_id for r in rows):
            first = self.s.get(InboundMessage, case.source_message_id)
            rows = ([first] if first else []) + rows
        return rows

    def topics(self, community_ids: tuple[str, ...] | None, limit: int = 100) -> list[Topic]:
        query = select(Topic)
        if community_ids is not None:
            query = query.where(Topic.community_id.in_(community_ids))
        return list(self.s.scalars(query.order_by(Topic.id.desc()).limit(limit)))

    def members_of(self, community_ids: tuple[str, ...] | None) -> list[Member]:
        query = select(Member)
        if community_ids is not None:
            query = query.where(Member.community_id.in_(community_ids))
        return list(self.s.scalars(query.order_by(Member.community_id, Member.id)))
