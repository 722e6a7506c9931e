"""Communities, groups and members (with their roles and the trace of role changes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from bot.privacy import display_name
from storage.models import Community, Group, InboundMessage, Member, MemberRole, RoleEvent
from storage.repositories.base import _UPSERT, ProcessCache, _Repo, insert_new
from storage.repositories.topics import ANY_LIVE_TOPIC_COLUMN, TopicRepo


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

    def lock(self, community_id: str) -> None:
        """Hold the community's row until the transaction ends and read everything again
        after it (PostgreSQL; SQLite's BEGIN IMMEDIATE already lets one writer in at a
        time): two role changes at once see each other (the last moderator stays)."""
        if self.s.get_bind().dialect.name != "postgresql":
            return
        self.s.flush()
        self.s.execute(select(Community.id).where(Community.id == community_id)
                       .with_for_update())
        self.s.info.pop("members_with_roles", None)
        self.s.expire_all()


class GroupRepo(_Repo):
    def __init__(self, session, cache: ProcessCache | None = None):
        super().__init__(session)
        self.cache = cache if cache is not None else ProcessCache()

    def known(self, group_id: str) -> Group | None:
        """The group, from this process's cache when it has been read before (groups
        change only at a start or when registered); for reading only."""
        group = self.cache.groups.get(group_id)
        if group is None:
            row = self.s.get(Group, group_id)
            if row is None:
                return None
            # a detached copy: the session's own row is expired if its transaction rolls
            # back, the copy keeps its values
            group = Group(**{c.key: getattr(row, c.key) for c in Group.__table__.columns})
            make_transient_to_detached(group)
            self.cache.groups[group_id] = group
        return group

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
        self.cache.groups.pop(group_id, None)
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


_MEMBER_WITH_ROLES = (select(Member)
                      .where(Member.community_id == bindparam("community_id"),
                             Member.external_id == bindparam("external_id"))
                      .options(joinedload(Member.roles)))
# the same rows in plain SQL (the statement `_MEMBER_WITH_ROLES` makes, without the ORM's
# loading): the sender of every message is read this way
_MEMBERS, _ROLES = Member.__table__, MemberRole.__table__
_MEMBER_ROWS = (select(*_MEMBERS.c, _ROLES.c.role, _ROLES.c.source)
                .select_from(_MEMBERS.outerjoin(_ROLES, _ROLES.c.member_id == _MEMBERS.c.id))
                .where(_MEMBERS.c.community_id == bindparam("community_id"),
                       _MEMBERS.c.external_id == bindparam("external_id")))
_MEMBER_FIELDS = tuple(c.key for c in _MEMBERS.c)
# the same, with whether the group of the message has a live topic (asked by every
# message's listeners): one statement instead of two
_MEMBER_ROWS_AND_TOPICS = _MEMBER_ROWS.add_columns(ANY_LIVE_TOPIC_COLUMN)


def _attach_member(session, rows) -> Member | None:
    """The member (and their roles) of `_MEMBER_ROWS`'s rows as objects of the session,
    as the ORM's loading makes them (values straight into the instance, each with its
    identity, nothing changed); None when the session holds that member already (then
    the ORM loads it, keeping what the session holds)."""
    first = rows[0]
    key = (Member, (first.id,), None)
    held = session.identity_map
    if key in held or any((MemberRole, (first.id, row.role), None) in held
                          for row in rows if row.role is not None):
        return None
    member = _NEW_MEMBER()
    member.__dict__.update(zip(_MEMBER_FIELDS, first[:len(_MEMBER_FIELDS)], strict=True))
    instance_state(member).key = key
    roles = []
    for row in rows:
        if row.role is not None:
            role = _NEW_ROLE()
            role.__dict__.update(member_id=first.id, role=row.role, source=row.source,
                                 member=member)
            instance_state(role).key = (MemberRole, (first.id, row.role), None)
            roles.append(role)
    set_committed_value(member, "roles", roles)
    session.add(member)  # persistent, unchanged (its roles with it)
    return member


_NEW_MEMBER = Member._sa_class_manager.new_instance
_NEW_ROLE = MemberRole._sa_class_manager.new_instance

# members holding any of some roles, with their roles (`with_roles`), built once; and
# the same rows in plain SQL (made into objects by `_attach_members`)
_HOLDERS = (select(_ROLES.c.member_id)
            .where(_ROLES.c.role.in_(bindparam("roles", expanding=True))))
_HOLDING_ROLES = (select(Member)
                  .where(Member.community_id == bindparam("community_id"),
                         Member.id.in_(_HOLDERS))
                  .options(joinedload(Member.roles)).order_by(Member.id))
_HOLDING_ROWS = (select(*_MEMBERS.c, _ROLES.c.role, _ROLES.c.source)
                 .select_from(_MEMBERS.outerjoin(_ROLES, _ROLES.c.member_id == _MEMBERS.c.id))
                 .where(_MEMBERS.c.community_id == bindparam("community_id"),
                        _MEMBERS.c.id.in_(_HOLDERS))
                 .order_by(_MEMBERS.c.id))


def _attach_members(session, rows) -> list[Member] | None:
    """Members (each with their roles) of rows like `_MEMBER_ROWS`'s, in their order, as
    `_attach_member` makes them; None when the session holds any of them (or their
    roles) already: then the ORM loads them, keeping what the session holds."""
    by_member: dict[int, list] = {}
    held = session.identity_map
    for row in rows:
        if row.id not in by_member:
            if (Member, (row.id,), None) in held:
                return None
            by_member[row.id] = []
        if row.role is not None and (MemberRole, (row.id, row.role), None) in held:
            return None
        by_member[row.id].append(row)
    return [_attach_member(session, member_rows) for member_rows in by_member.values()]


class MemberRepo(_Repo):
    def __init__(self, session, cache: ProcessCache | None = None):
        super().__init__(session)
        self.cache = cache if cache is not None else ProcessCache()

    def get(self, member_pk: int) -> Member | None:
        return self.s.get(Member, member_pk)

    def by_external(self, community_id: str, external_id: str) -> Member | None:
        return self.s.scalar(select(Member).where(
            Member.community_id == community_id, Member.external_id == external_id))

    def ensure(self, community_id: str, external_id: str, name: str, now: datetime,
               group_id: str | None = None) -> Member:
        """The member for a sender, created as a resident on first sight.  Names are
        stored as the bot may show them (one line, capped, never @-all). `group_id`: the
        group the sender writes in; whether it has a live topic is asked in the same
        statement (for `TopicRepo`)."""
        name = display_name(name)
        # the member and their roles in one statement
        params = {"community_id": community_id, "external_id": external_id}
        if group_id is None:
            rows = self._run(_MEMBER_ROWS, params).all()
        else:
            rows = self._run(_MEMBER_ROWS_AND_TOPICS, {**params, "live_group_id": group_id}
                             ).all()
            if rows and rows[0].live_topic is None:
                TopicRepo.none_live(self.s, group_id)
        row = _attach_member(self.s, rows) if rows else None
        if rows and row is None:
            row = self.s.scalars(_MEMBER_WITH_ROLES, params).unique().first()
        dialect = self.s.get_bind().dialect.name
        if row is None and dialect in _UPSERT:
            # one INSERT … ON CONFLICT DO NOTHING RETURNING id (a concurrent creation
            # wins quietly), the object made as stored, with no roles
            values = {**params, "name": name or external_id, "first_seen_at": now,
                      "roster_roles": None}
            member_id = self._run(insert_new(dialect, _MEMBERS, ("community_id", "external_id"),
                                             "id"), values).scalar()
            if member_id is None:
                return self.by_external(community_id, external_id)
            row = _NEW_MEMBER()
            row.__dict__.update(values, id=member_id)
            instance_state(row).key = (Member, (member_id,), None)
            set_committed_value(row, "roles", [])
            self.s.add(row)
        elif row is None:
            try:
                with self.s.begin_nested():
                    row = Member(community_id=community_id, external_id=external_id,
                                 name=name or external_id, first_seen_at=now, roles=[])
                    self.s.add(row)
            except IntegrityError:
                row = self.by_external(community_id, external_id)
        elif name and row.name != name and row.name == row.external_id:
            row.name = name
        return row

    def by_name(self, community_id: str, name: str) -> Member | None:
        return self.s.scalar(select(Member).where(
            Member.community_id == community_id, Member.name == name).order_by(Member.id)
            .limit(1))

    def replace_roles(self, member: Member, roles: Iterable[str], source: str) -> None:
        """Give a member exactly these roles, all from one source ('config' or 'chat')."""
        member.roles.clear()
        self.s.flush()
        for role in sorted(set(roles)):
            member.roles.append(MemberRole(role=role, source=source))
        self.s.flush()
        self._roles_changed()

    def add_role_event(self, member: Member, *, actor: Member | None, old: Iterable[str],
                       new: Iterable[str], source: str, at: datetime) -> RoleEvent:
        event = RoleEvent(community_id=member.community_id, member_id=member.id,
                          actor_id=actor.id if actor else None, old_roles=list(old),
                          new_roles=list(new), source=source, at=at)
        self.s.add(event)
        self.s.flush()
        return event

    def role_events(self, community_id: str, member_id: int | None = None,
                    limit: int = 10) -> list[RoleEvent]:
        """The newest role changes of a community (or of one member), newest first."""
        query = select(RoleEvent).where(RoleEvent.community_id == community_id)
        if member_id is not None:
            query = query.where(RoleEvent.member_id == member_id)
        return list(self.s.scalars(query.order_by(RoleEvent.id.desc()).limit(limit)))

    def in_roster(self, community_id: str) -> list[Member]:
        """Members the config roster named at the last start."""
        return list(self.s.scalars(
            select(Member).where(Member.community_id == community_id,
                                 Member.roster_roles.is_not(None)).order_by(Member.id)))

    def with_roles(self, community_id: str, roles: Iterable[str]) -> list[Member]:
        """Members holding any of the roles. Remembered for the rest of the transaction
        (a tick asks the same question for many cases); role changes forget it."""
        key = (community_id, frozenset(roles))
        if not key[1]:
            return []
        memo = self.s.info.setdefault("members_with_roles", {})
        if key not in memo:
            params = {"community_id": community_id, "roles": sorted(key[1])}
            found = _attach_members(self.s, self._run(_HOLDING_ROWS, params).all())
            memo[key] = found if found is not None else \
                list(self.s.scalars(_HOLDING_ROLES, params).unique())
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
        if name and row.name != name and row.roster_roles is None:
            row.name = name
        self.s.flush()
        return row
