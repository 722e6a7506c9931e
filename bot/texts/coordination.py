"""Coordination of cases: assign, escalate, transfer, merge, close, roles."""

from __future__ import annotations

from collections.abc import Sequence

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


# --- roles (/角色) ----------------------------------------------------------------------------

ROLE_RULE = ("角色以最后一次改动为准：群里用 /角色 设置的，重启后仍然有效；"
             "配置文件（config.yaml）里改了某人的角色，重启后以文件为准。"
             "每次改动都有记录，发送 /角色 记录 查看。")

ROLE_SOURCE_LABELS = {"chat": "群里设置", "config": "配置文件", "": "默认"}


def role_set(name: str, role_label_: str) -> str:
    return (f"已将 {name} 的角色设为：{role_label_}。"
            "重启后仍然有效，除非配置文件里改了此人的角色。")


def role_unchanged(name: str, role_label_: str) -> str:
    return f"{name} 已经是{role_label_}了。"


UNKNOWN_ROLE = "不认识这个角色：{role}。可选：{choices}。"


def last_moderator(name: str) -> str:
    return (f"不能这样改：{name} 是本社区最后一位社区/主持人（或街道），"
            "改了以后就没有人能设置角色了。请先把另一位成员设为社区/主持人。")


def role_event_line(when: str, actor: str | None, member: str, old: Sequence[str],
                    new: Sequence[str]) -> str:
    """One role change: `actor` None means the config file, applied at a restart."""
    who = actor or "配置文件（重启时）"
    return f"{when} {who}：{member} {'、'.join(old)} → {'、'.join(new)}"


def member_roles(name: str, labels: Sequence[str], source: str, last: str | None) -> str:
    """`source`: a label of ROLE_SOURCE_LABELS; `last`: the latest role_event_line."""
    tail = f"最近一次改动：{last}" if last else "还没有改动记录。"
    return f"{name} 的角色：{'、'.join(labels)}（{source}）\n{tail}"


ROLE_LOG_EMPTY = "还没有角色改动记录。"


def role_log(lines: Sequence[str]) -> str:
    return "最近的角色改动（新的在前）：\n" + "\n".join(lines)


def merged_from(case_id: int) -> str:
    """The note on the case that absorbed #case_id (and on each complainant it brought)."""
    return f"由 #{case_id} 并入"


def merged_into_note(case_id: int) -> str:
    """The note on the case folded into #case_id."""
    return f"并入 #{case_id}"
