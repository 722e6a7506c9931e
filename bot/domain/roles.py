"""Roles of domain.md and what each may do.

Permissions are named abilities (``claim``, ``assign`` …); commands declare the ability
they need and this module alone decides who has it.
"""

from __future__ import annotations

from collections.abc import Iterable

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
