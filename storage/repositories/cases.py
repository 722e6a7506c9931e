"""Cases: their complainants, events and the lists of open, overdue and assigned cases."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import joinedload, lazyload, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from storage.models import OPEN_STATES, Case, CaseComplainant, CaseEvent, Member, MemberRole
from storage.repositories.base import _TimelineRepo

_WHOLE_CASE = [joinedload(Case.complainants).joinedload(CaseComplainant.member)
               .joinedload(Member.roles)]


# candidates scanned for one match: their complainants are read only for the one taken
_COMPLAINANTS_WHEN_ASKED = lazyload(Case.complainants)

# a new case and a complainant written in plain SQL, built once (no unit of work)
_CASES = Case.__table__
_CASE_COLUMNS = tuple(c.key for c in _CASES.c)
_INSERT_CASE = insert(_CASES).returning(*_CASES.c)
_INSERT_COMPLAINANT = insert(CaseComplainant.__table__)
_NEW_COMPLAINANT = CaseComplainant._sa_class_manager.new_instance

# the hot path's reads, built once (their values come as parameters)
_CASE_WHOLE = select(Case).where(Case.id == bindparam("case_id")).options(*_WHOLE_CASE)
# the rows `_CASE_WHOLE` reads, in plain SQL: the case, each complainant, their member
# and roles (made into objects by `_attach_case`)
_COMPLAINANTS, _MEMBERS, _ROLES = (CaseComplainant.__table__, Member.__table__,
                                   MemberRole.__table__)
_MEMBER_COLUMNS = tuple(c.key for c in _MEMBERS.c)
_CASE_ROWS = (select(*_CASES.c, _COMPLAINANTS.c.joined_at, *_MEMBERS.c, _ROLES.c.role,
                     _ROLES.c.source)
              .select_from(_CASES.outerjoin(_COMPLAINANTS,
                                            _COMPLAINANTS.c.case_id == _CASES.c.id)
                           .outerjoin(_MEMBERS, _MEMBERS.c.id == _COMPLAINANTS.c.member_id)
                           .outerjoin(_ROLES, _ROLES.c.member_id == _MEMBERS.c.id))
              .where(_CASES.c.id == bindparam("case_id"))
              .order_by(_COMPLAINANTS.c.joined_at))
_NEW_CASE = Case._sa_class_manager.new_instance
# a sender's own open cases (`open_raised_in_group`) and cases awaiting their rating
# (`resolved_for_complainant`), mostly none or one: their columns in plain SQL, made into
# objects by `_attach_cases` (for many rows the ORM's loading costs the same); their
# complainants are read when asked
_OPEN_ROWS_RAISED_IN_GROUP = (select(*_CASES.c)
                              .where(_CASES.c.group_id == bindparam("group_id"),
                                     _CASES.c.state.in_(OPEN_STATES),
                                     _CASES.c.opened_at >= bindparam("since"),
                                     _CASES.c.id.in_(
                                         select(_COMPLAINANTS.c.case_id).where(
                                             _COMPLAINANTS.c.member_id
                                             == bindparam("member_id"))))
                              .order_by(_CASES.c.id.desc()))


_RESOLVED_ROWS_FOR_COMPLAINANT = (select(*_CASES.c)
                                  .where(_CASES.c.community_id == bindparam("community_id"),
                                         _CASES.c.state == "resolved",
                                         _CASES.c.id.in_(
                                             select(_COMPLAINANTS.c.case_id).where(
                                                 _COMPLAINANTS.c.member_id
                                                 == bindparam("member_id"))))
                                  .order_by(_CASES.c.resolved_at.desc()))


# a case's events (all, or the newest of a kind) with their actors and the actors' roles,
# in one statement of plain SQL (the ORM reads the roles in a second one), made into
# objects by `_attach_events`
_EVENTS = CaseEvent.__table__
_EVENT_COLUMNS = tuple(c.key for c in _EVENTS.c)
_EVENT_ROWS = (select(*_EVENTS.c, *_MEMBERS.c, _ROLES.c.role, _ROLES.c.source)
               .select_from(_EVENTS.outerjoin(_MEMBERS, _MEMBERS.c.id == _EVENTS.c.actor_id)
                            .outerjoin(_ROLES, _ROLES.c.member_id == _MEMBERS.c.id)))
_LATEST_EVENT_ROWS = _EVENT_ROWS.where(
    _EVENTS.c.id == select(func.max(_EVENTS.c.id))
    .where(_EVENTS.c.case_id == bindparam("case_id"), _EVENTS.c.kind == bindparam("kind"))
    .scalar_subquery())
_EVENTS_ROWS_OF_CASE = (_EVENT_ROWS.where(_EVENTS.c.case_id == bindparam("case_id"))
                        .order_by(_EVENTS.c.id))
_EVENTS_OF_CASE = (select(CaseEvent).where(CaseEvent.case_id == bindparam("case_id"))
                   .order_by(CaseEvent.id))
_NEW_EVENT = CaseEvent._sa_class_manager.new_instance


def _attach_events(session, rows) -> list[CaseEvent] | None:
    """The events of `_EVENT_ROWS`'s rows (in their order) with their actors and the
    actors' roles as objects of the session, as the ORM's loading makes them; None when
    the session holds any of them (then the ORM loads them)."""
    n_event, n_member = len(_EVENT_COLUMNS), len(_MEMBER_COLUMNS)
    held = session.identity_map
    events: dict[int, CaseEvent] = {}
    actors: dict[int, tuple] = {}  # id -> (member, new roles, their names); None: held
    for row in rows:
        event_id, actor_id = row[0], row[n_event]
        if actor_id is not None:
            if actor_id not in actors:
                actor = held.get((Member, (actor_id,), None))
                if actor is not None:  # held with its roles: taken as held
                    if any(k not in actor.__dict__ for k in (*_MEMBER_COLUMNS, "roles")):
                        return None
                    actors[actor_id] = (actor, None, None)
                else:
                    actor = _NEW_MEMBER()
                    actor.__dict__.update(zip(_MEMBER_COLUMNS,
                                              row[n_event:n_event + n_member], strict=True))
                    instance_state(actor).key = (Member, (actor_id,), None)
                    actors[actor_id] = (actor, [], set())
            actor, roles, names = actors[actor_id]
            name = row[n_event + n_member]
            if roles is not None and name is not None and name not in names:
                if (MemberRole, (actor_id, name), None) in held:
                    return None
                role = _NEW_ROLE()
                role.__dict__.update(member_id=actor_id, role=name,
                                     source=row[n_event + n_member + 1], member=actor)
                instance_state(role).key = (MemberRole, (actor_id, name), None)
                roles.append(role)
                names.add(name)
        if event_id not in events:
            if (CaseEvent, (event_id,), None) in held:
                return None
            event = _NEW_EVENT()
            event.__dict__.update(zip(_EVENT_COLUMNS, row[:n_event], strict=True),
                                  actor=actors[actor_id][0] if actor_id is not None else None)
            instance_state(event).key = (CaseEvent, (event_id,), None)
            events[event_id] = event
    for actor, roles, _names in actors.values():
        if roles is not None:
            set_committed_value(actor, "roles", roles)
    found = list(events.values())
    session.add_all(found)  # persistent, unchanged (their actors and roles with them)
    return found


def _attach_cases(session, rows) -> list[Case] | None:
    """Cases from rows of all their columns, as objects of the session made as the ORM's
    loading makes them (a held case is taken as held); their complainants are read when
    asked. None when a held case has some column unloaded (then the ORM loads them)."""
    found = []
    held = session.identity_map
    for row in rows:
        key = (Case, (row[0],), None)
        case = held.get(key)
        if case is not None:
            if any(k not in case.__dict__ for k in _CASE_COLUMNS):
                return None
            found.append(case)
            continue
        case = _NEW_CASE()
        case.__dict__.update(zip(_CASE_COLUMNS, row, strict=True))
        instance_state(case).key = key
        found.append(case)
    session.add_all([c for c in found if c not in session])  # persistent, unchanged
    return found
_NEW_MEMBER = Member._sa_class_manager.new_instance
_NEW_ROLE = MemberRole._sa_class_manager.new_instance


def _attach_case(session, rows) -> Case | None:
    """The case of `_CASE_ROWS`'s rows with its complainants, their members and roles, as
    objects of the session made as the ORM's loading makes them (values straight into
    the instances, each with its identity, nothing changed); a member the session holds
    with their roles is taken as held. None when it holds the case, a complainant row, a
    member without their roles or a role: then the ORM loads it, keeping what is held."""
    n_case, n_member = len(_CASE_COLUMNS), len(_MEMBER_COLUMNS)
    first = rows[0]
    case_id = first[0]
    held = session.identity_map
    if (Case, (case_id,), None) in held:
        return None
    # member id -> (joined_at, member values, roles to make, the member if held)
    people: dict[int, tuple] = {}
    for row in rows:
        member_id = row[n_case + 1]
        if member_id is None:
            continue
        if member_id not in people:
            if (CaseComplainant, (case_id, member_id), None) in held:
                return None
            member = held.get((Member, (member_id,), None))
            if member is not None and \
                    any(k not in member.__dict__ for k in (*_MEMBER_COLUMNS, "roles")):
                return None
            # a member held with their roles is taken as held (as the ORM does)
            people[member_id] = (row[n_case], row[n_case + 1:n_case + 1 + n_member],
                                 None if member is not None else [], member)
        role = row[n_case + 1 + n_member]
        if role is not None and people[member_id][2] is not None:
            if (MemberRole, (member_id, role), None) in held:
                return None
            people[member_id][2].append((role, row[n_case + 2 + n_member]))
    case = _NEW_CASE()
    case.__dict__.update(zip(_CASE_COLUMNS, first[:n_case], strict=True))
    instance_state(case).key = (Case, (case_id,), None)
    complainants = []
    for member_id, (joined_at, values, roles, member) in people.items():
        if member is None:
            member = _NEW_MEMBER()
            member.__dict__.update(zip(_MEMBER_COLUMNS, values, strict=True))
            instance_state(member).key = (Member, (member_id,), None)
            made_roles = []
            for role_name, source in roles:
                role = _NEW_ROLE()
                role.__dict__.update(member_id=member_id, role=role_name, source=source,
                                     member=member)
                instance_state(role).key = (MemberRole, (member_id, role_name), None)
                made_roles.append(role)
            set_committed_value(member, "roles", made_roles)
        complainant = _NEW_COMPLAINANT()
        complainant.__dict__.update(case_id=case_id, member_id=member_id,
                                    joined_at=joined_at, member=member, case=case)
        instance_state(complainant).key = (CaseComplainant, (case_id, member_id), None)
        complainants.append(complainant)
    set_committed_value(case, "complainants", complainants)
    session.add(case)  # persistent, unchanged, with its complainants, members and roles
    return case


_JOINED_BY = (select(CaseComplainant.case_id)
              .where(CaseComplainant.member_id == bindparam("member_id")))
_OPEN_IN_GROUP_SINCE = (select(Case)
                        .where(Case.group_id == bindparam("group_id"),
                               Case.category == bindparam("category"),
                               Case.state.in_(OPEN_STATES),
                               Case.opened_at >= bindparam("since"))
                        .order_by(Case.id.desc()).options(_COMPLAINANTS_WHEN_ASKED))
_OPEN_RAISED_IN_GROUP = (select(Case)
                         .where(Case.group_id == bindparam("group_id"),
                                Case.state.in_(OPEN_STATES),
                                Case.opened_at >= bindparam("since"), Case.id.in_(_JOINED_BY))
                         .order_by(Case.id.desc()).options(_COMPLAINANTS_WHEN_ASKED))
_RESOLVED_FOR_COMPLAINANT = (select(Case)
                             .where(Case.community_id == bindparam("community_id"),
                                    Case.state == "resolved", Case.id.in_(_JOINED_BY))
                             .order_by(Case.resolved_at.desc()))
_OPEN_IN_GROUP = (select(Case).where(Case.group_id == bindparam("group_id"),
                                     Case.state.in_(OPEN_STATES)).order_by(Case.id))
_LATEST_EVENT = (select(CaseEvent).where(CaseEvent.case_id == bindparam("case_id"),
                                         CaseEvent.kind == bindparam("kind"))
                 .order_by(CaseEvent.id.desc()).limit(1))


class CaseRow(NamedTuple):
    """The columns statistics read of a case (plain tuple: fast over many thousands)."""

    id: int
    community_id: str
    group_id: str
    state: str
    category: str
    assignee_id: int | None
    tier: int
    location: dict
    opened_at: datetime
    respond_by: datetime
    resolve_by: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    group_complaint: bool


class CaseRepo(_TimelineRepo):
    entity, event, owner_key, touched_key = Case, CaseEvent, "case_id", "touched_cases"

    def get(self, entity_id: int, community_id: str | None = None) -> Case | None:
        """The case with its complainants and their roles, in one statement."""
        if (Case, (entity_id,), None) in self.s.identity_map:  # held: no statement
            row = self.s.get(Case, entity_id, options=_WHOLE_CASE)
        else:  # the statement `get` would build, read in plain SQL
            rows = self._run(_CASE_ROWS, {"case_id": entity_id}).all()
            row = _attach_case(self.s, rows) if rows else None
            if rows and row is None:  # some of it is held: the ORM keeps what is held
                row = self.s.scalars(_CASE_WHOLE, {"case_id": entity_id}).unique().first()
        if row is not None and community_id is not None and row.community_id != community_id:
            return None
        return row

    def add(self, case: Case) -> Case:
        if "complainants" not in case.__dict__:
            case.complainants = []  # a new case has none: no query to find that out
        given = case.__dict__
        if instance_state(case).key is None and not given["complainants"] and \
                "events" not in given and case not in self.s:
            # one INSERT … RETURNING the row (defaults and id) instead of a flush; the
            # object then holds what a flush leaves in it and joins the session as stored
            row = self._run(_INSERT_CASE, {k: given[k] for k in _CASE_COLUMNS
                                           if k in given}).one()
            for key, value in zip(_CASE_COLUMNS, row, strict=True):
                if key not in given:
                    set_committed_value(case, key, value)
            make_transient_to_detached(case)
            self.s.add(case)
        else:
            self.s.add(case)
            self.s.flush()
        self.s.info.setdefault("new_cases", set()).add(case.id)
        return case

    def is_new(self, case_id: int) -> bool:
        """Opened in this transaction (it has no timers yet)."""
        return case_id in self.s.info.get("new_cases", ())

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
        rows = list(self.s.scalars(query.options(selectinload(Case.complainants)
                                                 .joinedload(CaseComplainant.member)
                                                 .selectinload(Member.roles))))
        # held for the rest of the transaction: the session keeps its rows only weakly,
        # and `get` would read a collected one again
        self.s.info.setdefault("preloaded_cases", []).extend(rows)

    def add_complainant(self, case: Case, member: Member, now: datetime) -> bool:
        if any(c.member_id == member.id for c in case.complainants):
            return False
        # one INSERT (no unit of work): the row as a flush would leave it, in the session
        # and at the end of the case's complainants
        self._run(_INSERT_COMPLAINANT, {"case_id": case.id, "member_id": member.id,
                                        "joined_at": now})
        row = _NEW_COMPLAINANT()
        row.__dict__.update(case_id=case.id, member_id=member.id, joined_at=now,
                            member=member, case=case)
        instance_state(row).key = (CaseComplainant, (case.id, member.id), None)
        self.s.add(row)
        set_committed_value(case, "complainants", [*case.complainants, row])
        return True

    def remove_complainant(self, case: Case, member: Member) -> bool:
        """Take one complainant off a case (their withdrawal; the timeline keeps it)."""
        row = next((c for c in case.complainants if c.member_id == member.id), None)
        if row is None:
            return False
        case.complainants.remove(row)
        self.s.flush()
        return True

    def open_in_community(self, community_id: str, limit: int = 50) -> list[Case]:
        return list(self.s.scalars(
            select(Case).where(Case.community_id == community_id, Case.state.in_(OPEN_STATES))
            .order_by(Case.priority.desc(), Case.urgent.desc(), Case.id).limit(limit)))

    def open_in_group_since(self, group_id: str, category: str, since: datetime) -> list[Case]:
        """Open cases of a category in a group opened since a time, newest first."""
        return list(self.s.scalars(_OPEN_IN_GROUP_SINCE, {
            "group_id": group_id, "category": category, "since": since}))

    def open_in_group_any_since(self, group_id: str, since: datetime) -> list[Case]:
        """Open cases of any category in a group opened since a time, newest first."""
        return list(self.s.scalars(
            select(Case).where(Case.group_id == group_id, Case.state.in_(OPEN_STATES),
                               Case.opened_at >= since)
            .order_by(Case.id.desc()).options(_COMPLAINANTS_WHEN_ASKED)))

    def acted_on_by(self, group_id: str, member_id: int, since: datetime
                    ) -> dict[int, datetime]:
        """The group's cases this member signed for or noted progress on since a time,
        with the time of their latest such act."""
        rows = self.s.execute(
            select(CaseEvent.case_id, func.max(CaseEvent.at))
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.group_id == group_id, CaseEvent.actor_id == member_id,
                   CaseEvent.at >= since,
                   CaseEvent.kind.in_(("acknowledged", "progress", "assigned")))
            .group_by(CaseEvent.case_id))
        return {case_id: at for case_id, at in rows}

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
        params = {"group_id": group_id, "since": since, "member_id": member_id}
        found = _attach_cases(self.s, self._run(_OPEN_ROWS_RAISED_IN_GROUP, params).all())
        return found if found is not None else \
            list(self.s.scalars(_OPEN_RAISED_IN_GROUP, params))

    def resolved_for_complainant(self, community_id: str, member_id: int) -> list[Case]:
        """Cases awaiting this complainant's rating."""
        params = {"community_id": community_id, "member_id": member_id}
        found = _attach_cases(self.s, self._run(_RESOLVED_ROWS_FOR_COMPLAINANT, params).all())
        return found if found is not None else \
            list(self.s.scalars(_RESOLVED_FOR_COMPLAINANT, params))

    def closed_for_complainant(self, community_id: str, member_id: int, since: datetime
                               ) -> list[Case]:
        """This complainant's cases closed after a 办结 since a time, newest first."""
        joined = select(CaseComplainant.case_id).where(CaseComplainant.member_id == member_id)
        return list(self.s.scalars(
            select(Case).where(Case.community_id == community_id, Case.state == "closed",
                               Case.resolved_at >= since, Case.id.in_(joined))
            .order_by(Case.resolved_at.desc())))

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
        return list(self.s.scalars(_OPEN_IN_GROUP, {"group_id": group_id}))

    def rating_events(self, case_ids: list[int]) -> list[tuple[int, str, int | None, str]]:
        """The 'resolved' and 'rated' events of the cases, oldest first, as (case id, kind,
        actor id, rating) — what each complainant said after each 办结."""
        if not case_ids:
            return []
        rows = self.s.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(case_ids),
                                                      CaseEvent.kind.in_(("resolved", "rated")))
                              .order_by(CaseEvent.id))
        return [(e.case_id, e.kind, e.actor_id, (e.data or {}).get("rating", ""))
                for e in rows]

    def ids_with_event(self, case_ids: list[int], kind: str) -> set[int]:
        if not case_ids:
            return set()
        return set(self.s.scalars(select(CaseEvent.case_id).where(
            CaseEvent.case_id.in_(case_ids), CaseEvent.kind == kind)))

    def opened_from(self, inbound_id: int) -> Case | None:
        return self.s.scalars(select(Case).where(Case.source_message_id == inbound_id)
                              .order_by(Case.id)).first()

    def latest_event(self, case_id: int, kind: str) -> CaseEvent | None:
        params = {"case_id": case_id, "kind": kind}
        rows = self._run(_LATEST_EVENT_ROWS, params).all()
        if not rows:
            return None
        found = _attach_events(self.s, rows)
        return found[0] if found is not None else self.s.scalar(_LATEST_EVENT, params)

    def events(self, owner_id: int) -> list[CaseEvent]:
        """The case's timeline, oldest first, with each actor and their roles."""
        rows = self._run(_EVENTS_ROWS_OF_CASE, {"case_id": owner_id}).all()
        found = _attach_events(self.s, rows)
        return found if found is not None else \
            list(self.s.scalars(_EVENTS_OF_CASE, {"case_id": owner_id}))

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

    def stat_rows(self, community_ids: list[str], start: datetime, end: datetime) -> list:
        """The cases opened in [start, end) as `CaseRow`s (read like a Case), oldest
        first: the desk's trends and the hot spots over many thousand cases."""
        if not community_ids:
            return []
        columns = [getattr(Case, name) for name in CaseRow._fields]
        return [CaseRow(*row) for row in self.s.execute(
            select(*columns).where(Case.community_id.in_(community_ids),
                                   Case.opened_at >= start, Case.opened_at < end)
            .order_by(Case.id))]

    def events_between(self, community_id: str, kind: str, start: datetime, end: datetime
                       ) -> list[CaseEvent]:
        """Events of a kind on the community's cases in [start, end), oldest first."""
        return list(self.s.scalars(
            select(CaseEvent).join(Case, Case.id == CaseEvent.case_id)
            .where(Case.community_id == community_id, CaseEvent.kind == kind,
                   CaseEvent.at >= start, CaseEvent.at < end).order_by(CaseEvent.id)))

    def joined_at(self, member_id: int, at: datetime) -> Case | None:
        """The case the member joined (or raised) at exactly this time, newest first."""
        return self.s.scalar(
            select(Case).join(CaseComplainant, CaseComplainant.case_id == Case.id)
            .where(CaseComplainant.member_id == member_id, CaseComplainant.joined_at == at)
            .order_by(Case.id.desc()).limit(1))

    def page(self, community_ids: list[str], *, state: str | None = None,
             categories: list[str] | None = None, start: datetime | None = None,
             end: datetime | None = None, offset: int = 0, limit: int = 100) -> list[Case]:
        """Cases for an outside system (Open311): filtered, in id order, one page."""
        query = select(Case).where(Case.community_id.in_(community_ids))
        if state == "open":
            query = query.where(Case.state.in_(OPEN_STATES))
        elif state == "closed":
            query = query.where(Case.state.not_in(OPEN_STATES))
        if categories:
            query = query.where(Case.category.in_(categories))
        if start is not None:
            query = query.where(Case.opened_at >= start)
        if end is not None:
            query = query.where(Case.opened_at < end)
        return list(self.s.scalars(query.order_by(Case.id).offset(offset).limit(limit)))

    def count_assigned_to(self, community_id: str, member_id: int) -> int:
        return self.s.scalar(select(func.count()).select_from(Case).where(
            Case.community_id == community_id, Case.assignee_id == member_id)) or 0
