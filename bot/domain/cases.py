"""Case rules: opening a case, who is pinged, what its state means.

State changes happen here and nowhere else; each writes a CaseEvent with actor and time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.config import CommunityConfig, Config
from bot.domain.deadlines import case_deadlines, is_overdue
from bot.domain.routing import fallback_roles, routed_roles
from storage.models import Case, Group, InboundMessage, Member
from storage.repositories import OPEN_STATES, Repos


@dataclass
class OpenedCase:
    case: Case
    pinged: list[Member]
    routed: bool  # False when nobody held a routed role and the next tier was pinged


def open_case(repos: Repos, *, config: Config, community: CommunityConfig, group: Group,
              complainant: Member, text: str, category: str, urgent: bool,
              location: dict, keywords: list[str], source: InboundMessage | None,
              now: datetime, via: str) -> OpenedCase:
    """Open a case and decide who to ping (the routed roles' members)."""
    respond_by, resolve_by = case_deadlines(config, category, urgent, now)
    case = repos.cases.add(Case(
        community_id=community.id, group_id=group.id, category=category, urgent=urgent,
        priority=1 if urgent else 0, state="open", tier=1, location=dict(location),
        text=text, keywords=list(keywords), complainant_id=complainant.id,
        source_message_id=source.id if source else None, opened_at=now,
        respond_by=respond_by, resolve_by=resolve_by, updated_at=now))
    repos.cases.add_complainant(case, complainant, now)
    roles = routed_roles(community, category)
    pinged = [m for m in repos.members.with_roles(community.id, roles) if m.id != complainant.id]
    routed = bool(pinged)
    if not pinged:
        pinged = repos.members.with_roles(community.id, fallback_roles(community))
    repos.cases.add_event(case, "opened", complainant, now, note=text, via=via,
                          roles=roles, pinged=[m.external_id for m in pinged])
    return OpenedCase(case, pinged, routed)


def case_is_open(case: Case) -> bool:
    return case.state in OPEN_STATES


def case_is_overdue(case: Case, now: datetime) -> bool:
    return case_is_open(case) and is_overdue(case.respond_by, case.resolve_by,
                                             case.acknowledged_at is not None, now)
