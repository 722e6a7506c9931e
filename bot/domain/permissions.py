"""Who may act on a particular case (domain.md's role table).

Staff (repair, property_service, cleaning) work on cases routed to their role, on cases
at a tier that names their role, and on cases assigned to them; grid workers, moderators
and street liaisons work on any case. Danger first: any staff member may work on an urgent
case of their community (the repairman who reaches the gas leak signs for it, whatever its
category's routing). Complainants rate and withdraw their own cases.
"""

from __future__ import annotations

from bot.config import CommunityConfig
from bot.domain.roles import COORDINATOR_ROLES, STAFF_ROLES
from bot.domain.routing import routed_roles, tier_roles
from storage.models import Case, Member


def is_complainant(member: Member, case: Case) -> bool:
    return any(c.member_id == member.id for c in case.complainants)


def may_work_on(member: Member, case: Case, community: CommunityConfig) -> bool:
    roles = member.role_codes
    if roles & COORDINATOR_ROLES or case.assignee_id == member.id:
        return True
    staff = roles & STAFF_ROLES
    if not staff:
        return False
    if case.urgent:
        return True
    responsible = set(routed_roles(community, case.category))
    responsible |= set(tier_roles(community, case.category, case.tier))
    return bool(staff & responsible)
