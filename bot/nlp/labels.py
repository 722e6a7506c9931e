"""Fixed label sets of the classifier: category codes, intents and sender roles."""

from __future__ import annotations

from collections import OrderedDict

from bot.domain.categories import CATEGORIES as _CATEGORIES

# Category code -> Chinese label, in the order of the interfaces.md table (one source:
# bot.domain.categories).
CATEGORIES: OrderedDict[str, str] = OrderedDict(_CATEGORIES)

# Intent code -> Chinese label.
INTENTS: OrderedDict[str, str] = OrderedDict(
    [
        ("complaint", "投诉"),
        ("inquiry", "咨询"),
        ("notice", "通知"),
        ("feedback", "反馈"),
        ("other", "其他"),
    ]
)

ROLES = ("resident", "staff", "grid_worker", "moderator")


def normalize_role(role: str | None) -> str:
    """The role hint to use: unknown or missing roles count as `resident`."""
    return role if role in ROLES else "resident"
