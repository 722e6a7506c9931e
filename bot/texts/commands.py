"""What the dispatcher says: usage lines, unknown commands, refusals of a role."""

from __future__ import annotations

from collections.abc import Sequence

# --- dispatcher ----------------------------------------------------------------------

INTERNAL_ERROR = "抱歉，系统刚才出了点问题，您的消息已记录，我们会尽快处理。"
UNKNOWN_COMMAND = "没有“/{name}”这个命令。发送 /帮助 查看可用的命令。"
DID_YOU_MEAN = "没有“/{name}”这个命令，您是不是想用 {suggestions}？发送 /帮助 查看全部命令。"


def usage(usage_line: str, problem: str = "") -> str:
    head = f"{problem}\n" if problem else ""
    return f"{head}用法：{usage_line}"


def not_allowed(command: str, holders: Sequence[str], hint: str = "") -> str:
    who = "、".join(holders)
    tail = f"\n{hint}" if hint else ""
    return f"抱歉，/{command} 只有{who}可以使用。{tail}"


def help_text(lines: Sequence[tuple[str, str]], role_labels: Sequence[str]) -> str:
    body = "\n".join(f"{usage_line}  {summary}" for usage_line, summary in lines)
    roles = "、".join(role_labels)
    return (f"您好！我是邻里议事助手。您的身份：{roles}。\n"
            f"直接在群里说出问题（如“3号楼楼道灯坏了”），我会登记并通知负责的人。\n"
            f"可用命令：\n{body}")
