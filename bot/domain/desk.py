"""Who may use the community desk, what each viewer sees and may do there, and its
one-time sign-in links.

- Grid workers and moderators see their community's cases; a street liaison sees every
  community's; staff (物业) see the cases routed to their role, at a tier naming their
  role, or assigned to them — the same cases `bot.domain.permissions.may_work_on` lets
  them work on in chat. Residents have no desk.
- Each desk action needs the same ability as its chat command (`ACTION_ABILITY`, which
  the command registrations use too); staff act only on cases they may work on.
- A one-time link holds a random token; only its hash is stored. It signs in once and
  expires after `desk.link_minutes` (or the minutes asked for).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain.cases import ACTION_STATES, allows
from bot.domain.categories import CATEGORY_CODES
from bot.domain.groups import community_of
from bot.domain.permissions import may_work_on
from bot.domain.roles import COORDINATOR_ROLES, STAFF_ROLES, may
from bot.domain.routing import routed_roles
from storage.repositories import CaseScope

if TYPE_CHECKING:
    from bot.config import Config
    from storage.models import Case, Member
    from storage.repositories import Repos

DESK_ROLES = COORDINATOR_ROLES | STAFF_ROLES
ALL_COMMUNITIES = frozenset({"street_liaison"})

# desk action -> the ability its chat command needs (bot.domain.roles.ABILITIES)
ACTION_ABILITY = {
    "acknowledge": "staff",  # /接单
    "progress": "staff",  # /进展 (a note to the group)
    "extend": "extend",  # /延期
    "recategorize": "staff",  # /改类
    "assign": "coordinate",  # /指派
    "escalate": "coordinate",  # /升级
    "transfer": "coordinate",  # /转办
    "merge": "coordinate",  # /合并
    "close": "moderate",  # /关闭
    "role": "moderate",  # /角色 (the roster page)
}
# actions a staff member may take only on a case they may work on (as /接单 in chat)
WORK_ACTIONS = frozenset({"acknowledge", "progress", "extend"})


def may_use_desk(member: Member | None) -> bool:
    return member is not None and bool(member.role_codes & DESK_ROLES)


def is_staff_only(member: Member) -> bool:
    """Staff without a coordinating role: they see only their own cases."""
    return not member.role_codes & COORDINATOR_ROLES


def communities_of(config: Config, member: Member) -> tuple[str, ...] | None:
    """The communities the viewer sees (None: all of them)."""
    if member.role_codes & ALL_COMMUNITIES:
        return None
    return (member.community_id,)


def scope_of(config: Config, member: Member) -> CaseScope:
    """The cases a viewer sees, as the board's query takes them."""
    communities = communities_of(config, member)
    if not is_staff_only(member):
        return CaseScope(communities=communities)
    community = community_of(config, member.community_id)
    staff = member.role_codes & STAFF_ROLES
    categories = frozenset(c for c in CATEGORY_CODES
                           if staff & set(routed_roles(community, c)))
    tiers = frozenset(index + 1 for index, tier in enumerate(community.tiers)
                      if staff & set(tier.roles))
    return CaseScope(communities=communities, member_id=member.id, categories=categories,
                     tiers=tiers)


def may_see(config: Config, member: Member, case: Case) -> bool:
    communities = communities_of(config, member)
    if communities is not None and case.community_id not in communities:
        return False
    if is_staff_only(member):
        return may_work_on(member, case, community_of(config, case.community_id))
    return True


def may_act(config: Config, member: Member, case: Case, action: str) -> bool:
    """Whether the viewer may take this action on this case from the desk."""
    if not may_see(config, member, case) or not may(member.role_codes, ACTION_ABILITY[action]):
        return False
    if action in WORK_ACTIONS:
        return may_work_on(member, case, community_of(config, case.community_id))
    return True


def actions_for(config: Config, member: Member, case: Case) -> frozenset[str]:
    """The actions the viewer may take on the case in its present state."""
    return frozenset(a for a in ACTION_ABILITY if a in ACTION_STATES
                     and allows(case, a) and may_act(config, member, case, a))


# --- one-time links ------------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Link:
    token: str
    expires_at: datetime


def issue_link(repos: Repos, member: Member, now: datetime, minutes: int) -> Link:
    """A new one-time sign-in token for a member (who must be able to use the desk)."""
    if not may_use_desk(member):
        raise PermissionError(member.external_id)
    token = secrets.token_urlsafe(24)
    expires_at = now + timedelta(minutes=minutes)
    repos.desk.add_token(_hash(token), member, now, expires_at)
    return Link(token, expires_at)


def link_is_valid(repos: Repos, token: str, now: datetime) -> Member | None:
    """The member a token would sign in (without using it up), or None."""
    row = repos.desk.token(_hash(token)) if token else None
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row.member


def redeem_link(repos: Repos, token: str, now: datetime) -> Member | None:
    """Use a token up: the member it signs in, or None (unknown, used or expired; a
    member who lost every desk role since gets None too)."""
    row = repos.desk.use_token(_hash(token), now) if token else None
    if row is None or not may_use_desk(row.member):
        return None
    return row.member


def link_url(config: Config, token: str) -> str:
    return f"{config.desk.public_url}/desk/login?t={token}"


def member_for_link(repos: Repos, config: Config, external_id: str) -> Member | None:
    """The member a link is for, by platform id: in the first configured community that
    knows them."""
    known = repos.members.community_ids_of(external_id)
    for com in config.communities:
        if com.id in known:
            return repos.members.by_external(com.id, external_id)
    return None
