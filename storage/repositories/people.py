"""Communities, groups and members (with their roles)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from bot.privacy import display_name
from storage.models import Community, Group, InboundMessage, Member, MemberRole
from storage.repositories.base import _Repo


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


class GroupRepo(_Repo):
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


class MemberRepo(_Repo):
    def get(self, member_pk: int) -> Member | None:
        return self.s.get(Member, member_pk)

    def by_external(self, community_id: str, external_id: str) -> Member | None:
        return self.s.scalar(select(Member).where(
            Member.community_id == community_id, Member.external_id == external_id))

    def ensure(self, community_id: str, external_id: str, name: str, now: datetime) -> Member:
        """The member for a sender, created as a resident on first sight.  Names are
        stored as the bot may show them (one line, capped, never @-all)."""
        name = display_name(name)
        row = self.by_external(community_id, external_id)
        if row is None:
            try:
                with self.s.begin_nested():
                    row = Member(community_id=community_id, external_id=external_id,
                                 name=name or external_id, first_seen_at=now)
                    self.s.add(row)
            except IntegrityError:
                row = self.by_external(community_id, external_id)
        elif name and row.name != name and row.name == row.external_id:
            row.name = name
        return row

    def sync_roster(self, community_id: str, external_id: str, name: str,
                    roles: Iterable[str], now: datetime) -> Member:
        """Apply a config roster entry: name and config roles. A member whose role was
        set in chat (/角色) keeps it: the moderator's word wins over the file."""
        row = self.ensure(community_id, external_id, name, now)
        row.name = display_name(name, row.name)
        if any(r.source == "chat" for r in row.roles):
            self.s.flush()
            return row
        wanted = set(roles)
        for held in list(row.roles):
            if held.source == "config" and held.role not in wanted:
                row.roles.remove(held)
        have = {r.role for r in row.roles}
        for role in sorted(wanted - have):
            row.roles.append(MemberRole(role=role, source="config"))
        self.s.flush()
        self._roles_changed()
        return row

    def by_name(self, community_id: str, name: str) -> Member | None:
        return self.s.scalar(select(Member).where(
            Member.community_id == community_id, Member.name == name).order_by(Member.id)
            .limit(1))

    def set_chat_role(self, member: Member, role: str) -> bool:
        """Give a member exactly this role (set in chat); False when already so."""
        if member.role_codes == {role} and all(r.source == "chat" for r in member.roles):
            return False
        member.roles.clear()
        self.s.flush()
        member.roles.append(MemberRole(role=role, source="chat"))
        self.s.flush()
        self._roles_changed()
        return True

    def with_roles(self, community_id: str, roles: Iterable[str]) -> list[Member]:
        """Members holding any of the roles. Remembered for the rest of the transaction
        (a tick asks the same question for many cases); role changes forget it."""
        key = (community_id, frozenset(roles))
        if not key[1]:
            return []
        memo = self.s.info.setdefault("members_with_roles", {})
        if key not in memo:
            memo[key] = list(self.s.scalars(
                select(Member).join(MemberRole)
                .where(Member.community_id == community_id, MemberRole.role.in_(key[1]))
                .options(selectinload(Member.roles))
                .distinct().order_by(Member.id)))
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
        if name and row.name != name and not any(r.source == "config" for r in row.roles):
            row.name = name
        self.s.flush()
        return row
