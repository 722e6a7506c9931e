"""Coordination of cases: assign, escalate, transfer, merge, close, roles."""

from __future__ import annotations

# --- coordination -------------------------------------------------------------------------

def case_assigned(case_id: int, assignee: str) -> str:
    return f"#{case_id} 已指派给 {assignee}，请及时签收处理。"


def case_escalated(case_id: int, tier_name: str, reason: str, overdue: str = "") -> str:
    why = f"原因：{reason}" if reason else ""
    late = f"已超时 {overdue}。" if overdue else ""
    return f"#{case_id} 已升级到{tier_name}。{late}{why}".rstrip() + "\n请协调处理。"


def case_at_top_tier(case_id: int) -> str:
    return f"#{case_id} 已经在最高层级，不能再升级。"


def case_transferred(case_id: int, unit: str, reason: str) -> str:
    why = f"，原因：{reason}" if reason else ""
    return f"#{case_id} 已转办 {unit}{why}。我们会继续跟进，有进展会在群里通报。"


MERGE_SAME = "不能把工单合并到它自己。"


def case_merged(source: int, target: int, count: int) -> str:
    return f"#{source} 已合并到 #{target}，诉求人一并跟进（现共 {count} 位）。"


def case_closed(case_id: int, reason: str) -> str:
    return f"#{case_id} 已关闭，原因：{reason}"


MEMBER_NOT_FOUND = "没有找到“{who}”，请用 @ 选中群成员。"


def role_set(name: str, role_label_: str) -> str:
    return f"已将 {name} 的角色设为：{role_label_}。"


def role_unchanged(name: str, role_label_: str) -> str:
    return f"{name} 已经是{role_label_}了。"


UNKNOWN_ROLE = "不认识这个角色：{role}。可选：{choices}。"


def merged_from(case_id: int) -> str:
    """The note on the case that absorbed #case_id (and on each complainant it brought)."""
    return f"由 #{case_id} 并入"


def merged_into_note(case_id: int) -> str:
    """The note on the case folded into #case_id."""
    return f"并入 #{case_id}"
