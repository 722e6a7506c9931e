"""Who answers for a case: tier 1 is the community's routing by category, tiers 2+ come
from `tiers` (三站式: 责任区 → 居民区 → 街道)."""

from __future__ import annotations

from bot.config import CommunityConfig


def routed_roles(community: CommunityConfig, category: str) -> list[str]:
    """Roles pinged first for a category (the routing table, else its default)."""
    return list(community.routing.get(category) or community.routing.get("default") or [])


def tier_roles(community: CommunityConfig, category: str, tier: int) -> list[str]:
    """Roles responsible at a tier (1-based). Tier 1 is the routing table plus the
    first tier's own roles; higher tiers are the tier list's roles."""
    if tier <= 1:
        first = community.tiers[0].roles if community.tiers else []
        return list(dict.fromkeys(routed_roles(community, category) + list(first)))
    index = min(tier, len(community.tiers)) - 1
    return list(community.tiers[index].roles)


def tier_name(community: CommunityConfig, tier: int) -> str:
    if not community.tiers:
        return str(tier)
    return community.tiers[min(max(tier, 1), len(community.tiers)) - 1].name


def fallback_roles(community: CommunityConfig) -> list[str]:
    """Who is pinged when nobody holds a routed role: the next tier up."""
    return tier_roles(community, "other", 2)
