"""Roles of domain.md, what each may do, and how roles change.

Permissions are named abilities (``claim``, ``assign`` …); commands declare the ability
they need and this module alone decides who has it.

Where roles come from, and which word wins: the latest one.
- ``/角色 @某人 角色`` (a moderator, in chat) sets a member's role at once; it stays
  across restarts (`set_in_chat`).
- The config roster (``communities[].members``) is applied at every start
  (`apply_roster`): for each member the file names, the roles it gives are compared with
  what the file gave at the previous start (``Member.roster_roles``). Unchanged: nothing
  happens, so a role set in chat since then stays. Changed (someone edited the file for
  this member): the file's roles replace the member's roles, chat-set ones included. A
  member the file no longer names loses the roles the file gave (chat-set ones stay).
- Every change, from chat or from the file, is stored as a role event: whose roles, who
  changed them (none for the file), from which to which, when, and from where.
- No change may leave a community without anyone who can moderate (社区/主持人 or 街道):
  in chat it is refused; from the file it is applied and logged as a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot import texts
from bot.domain.errors import RuleError
from bot.privacy import display_name

if TYPE_CHECKING:
    from storage.models import Member
    from storage.repositories import Repos

log = logging.getLogger(__name__)

ROLES: dict[str, str] = {
    "resident": "居民",
    "repair": "物业维修",
    "property_service": "物业客服",
    "cleaning": "保洁",
    "grid_worker": "网格员",
    "moderator": "社区/主持人",
    "street_liaison": "街道",
}
ROLE_CODES = tuple(ROLES)

STAFF_ROLES = frozenset({"repair", "property_service", "cleaning"})
COORDINATOR_ROLES = frozenset({"grid_worker", "moderator", "street_liaison"})
# Who is called to coordinate in a community: when a case is reopened, an insult is
# flagged in a discussion, a topic is due for a 监督 follow-up.
COORDINATING = frozenset({"grid_worker", "moderator"})

# ability -> roles that have it ("all" abilities are checked by absence here)
ABILITIES: dict[str, frozenset[str]] = {
    "staff": STAFF_ROLES | COORDINATOR_ROLES,
    "coordinate": COORDINATOR_ROLES,
    "moderate": frozenset({"moderator", "street_liaison"}),
    "extend": STAFF_ROLES | COORDINATOR_ROLES,
}


# the words a moderator may write for a role (/角色, the desk's CSV import)
ROLE_WORDS = {**{label: code for code, label in ROLES.items()}, **{c: c for c in ROLE_CODES},
              "维修": "repair", "师傅": "repair", "物业": "property_service",
              "客服": "property_service",
              "社区": "moderator", "主持人": "moderator", "书记": "moderator",
              "街道联络人": "street_liaison"}


def role_code(word: str) -> str | None:
    """The role a word names (a code, a label or a common name), or None."""
    return ROLE_WORDS.get(word.strip())


def role_label(code: str) -> str:
    return ROLES.get(code, code)


def effective_roles(roles: Iterable[str]) -> frozenset[str]:
    """A member with no listed role is a resident."""
    roles = frozenset(roles)
    return roles or frozenset({"resident"})


def may(roles: Iterable[str], ability: str | None) -> bool:
    """Whether a member with these roles has the ability (None means everyone)."""
    if ability is None:
        return True
    return bool(effective_roles(roles) & ABILITIES[ability])


def ability_holders(ability: str | None) -> list[str]:
    """Chinese labels of the roles that have an ability, for refusal messages."""
    if ability is None:
        return [ROLES["resident"]]
    return [ROLES[r] for r in ROLE_CODES if r in ABILITIES[ability]]


def is_staff_like(roles: Iterable[str]) -> bool:
    """Staff, grid workers and moderators: their chat is not taken as complaints."""
    return bool(effective_roles(roles) & (STAFF_ROLES | COORDINATOR_ROLES))


def classifier_role(roles: Iterable[str]) -> str:
    """The sender_role hint the classifier takes (resident|staff|grid_worker|moderator)."""
    roles = effective_roles(roles)
    if roles & {"moderator", "street_liaison"}:
        return "moderator"
    if "grid_worker" in roles:
        return "grid_worker"
    if roles & STAFF_ROLES:
        return "staff"
    return "resident"


# --- changing roles ---------------------------------------------------------------------------

CHAT, CONFIG = "chat", "config"  # where a role (and a role event) comes from
MODERATING = ABILITIES["moderate"]


@dataclass(frozen=True)
class RoleChange:
    member: Member
    old: tuple[str, ...]  # effective role codes, sorted ("resident" when none)
    new: tuple[str, ...]


def role_source(member: Member) -> str:
    """Where a member's current roles come from: 'chat', 'config', or '' (none held)."""
    sources = {r.source for r in member.roles}
    return CHAT if CHAT in sources else CONFIG if sources else ""


def _codes(roles: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(effective_roles(roles)))


def _roster_text(roles: Iterable[str]) -> str:
    """How `Member.roster_roles` stores the roles a roster entry gives."""
    return ",".join(sorted(set(roles)))


def _roster_roles(text: str) -> list[str]:
    return [r for r in text.split(",") if r]


def _last_moderator(repos: Repos, member: Member, new: Iterable[str]) -> bool:
    """Whether giving `member` these roles would leave their community without anyone
    who may moderate (and so set roles)."""
    if may(new, "moderate") or not may(member.role_codes, "moderate"):
        return False
    holders = repos.members.with_roles(member.community_id, MODERATING)
    return all(h.id == member.id for h in holders)


def _change(repos: Repos, member: Member, roles: Iterable[str], *, source: str,
            actor: Member | None, now: datetime, kept_from: str | None = None
            ) -> RoleChange | None:
    """Replace the member's roles and store the event (from `source`); None when nothing
    changes. The roles are stored as from `kept_from` (default: `source`)."""
    roles, stored_as = sorted(set(roles)), kept_from or source
    old = _codes(member.role_codes)
    held = sorted((r.role, r.source) for r in member.roles)
    if held == [(r, stored_as) for r in roles]:
        return None
    repos.members.replace_roles(member, roles, stored_as)
    new = _codes(roles)
    if old == new:
        return None  # the same roles, now from another source: no change to record
    repos.members.add_role_event(member, actor=actor, old=old, new=new, source=source, at=now)
    log.info("roles of %s (%s): %s -> %s (%s%s)", member.external_id, member.community_id,
             ",".join(old), ",".join(new), source,
             f" by {actor.external_id}" if actor else "")
    return RoleChange(member, old, new)


DESK = "desk"  # a role event made on the desk's roster page (kept as a chat-set role)


def set_in_chat(repos: Repos, actor: Member, member: Member, role: str, now: datetime,
                *, source: str = CHAT) -> RoleChange | None:
    """/角色 (and the desk's roster, `source` DESK): give a member exactly this role
    (kept across restarts until the config roster changes this member). None when they
    hold it already. Refused when it would take the last moderator's ability away."""
    repos.communities.lock(member.community_id)  # role changes at once: one at a time
    if member.role_codes == {role}:
        return None
    if _last_moderator(repos, member, [role]):
        raise RuleError(texts.last_moderator(member.name))
    return _change(repos, member, [role], source=source, actor=actor, now=now, kept_from=CHAT)


def apply_roster(repos: Repos, community_id: str, external_id: str, name: str,
                 roles: Iterable[str], now: datetime) -> RoleChange | None:
    """Apply one config roster entry at a start (see the module docstring)."""
    member = repos.members.ensure(community_id, external_id, name, now)
    member.name = display_name(name, member.name)
    given = _roster_text(roles)
    previous, member.roster_roles = member.roster_roles, given
    if previous == given:
        return None  # the file did not change for this member: chat-set roles stay
    if previous is None and any(r.source == CHAT for r in member.roles):
        # set in chat before the file named them (or before roster_roles was kept):
        # the moderator's word stays until the file changes for this member
        log.info("roles of %s set in chat are kept; the roster now gives %s", external_id,
                 given or "none")
        return None
    return _apply_file(repos, member, _roster_roles(given), now)


def drop_from_roster(repos: Repos, member: Member, now: datetime) -> RoleChange | None:
    """A member the roster no longer names loses the roles it gave (chat-set ones stay)."""
    member.roster_roles = None
    kept = [r.role for r in member.roles if r.source == CHAT]
    if len(kept) == len(member.roles):
        return None
    return _apply_file(repos, member, kept, now, kept_from=CHAT if kept else None)


def _apply_file(repos: Repos, member: Member, roles: list[str], now: datetime,
                kept_from: str | None = None) -> RoleChange | None:
    if _last_moderator(repos, member, roles):
        log.warning("the config roster takes the last moderator role of %s in %s: nobody "
                    "there can set roles in chat any more", member.external_id,
                    member.community_id)
    return _change(repos, member, roles, source=CONFIG, actor=None, now=now,
                   kept_from=kept_from)
