"""Fixed label sets of the classifier: category codes, intents and sender roles."""

from __future__ import annotations

from collections import OrderedDict

# Category code -> Chinese label, in the order of the interfaces.md table.
CATEGORIES: OrderedDict[str, str] = OrderedDict(
    [
        ("water_leak", "漏水渗水"),
        ("plumbing", "管道堵塞"),
        ("utility_outage", "停水停电停气"),
        ("heating", "供暖"),
        ("elevator", "电梯"),
        ("facility", "公共设施损坏"),
        ("sanitation", "环境卫生"),
        ("noise", "噪音扰民"),
        ("parking", "停车占道"),
        ("fire_safety", "消防与安全隐患"),
        ("ev_charging", "充电设施"),
        ("greenery", "绿化"),
        ("pets", "宠物"),
        ("neighbor", "邻里纠纷"),
        ("property_service", "物业服务"),
        ("security", "治安"),
        ("other", "其他"),
    ]
)

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
