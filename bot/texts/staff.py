"""Staff work on cases: acknowledged, progress, resolved, extended."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.texts.common import clock, excerpt

# --- staff work ------------------------------------------------------------------------

def case_acknowledged(case_id: int, actor: str) -> str:
    return f"#{case_id} 已由 {actor} 签收，正在处理。"


def case_progress(case_id: int, actor: str, note: str) -> str:
    return f"#{case_id} 进展（{actor}）：{note}"


def case_resolved(case_id: int, actor: str, note: str) -> str:
    detail = f"：{note}" if note else "。"
    return (f"#{case_id} 已办结（{actor}）{detail}\n"
            f"请诉求人评价：直接回复“满意”“基本满意”或“不满意”，"
            f"也可以发送 /评价 #{case_id} 满意。")


def case_extended(case_id: int, resolve_by: datetime, reason: str) -> str:
    return f"#{case_id} 办结期限延至 {clock(resolve_by)}，原因：{reason}"


def case_wrong_state(case_id: int, state: str, action: str) -> str:
    return f"#{case_id} 目前是“{state}”，不能{action}。发送 /工单 #{case_id} 查看进展。"


def not_responsible(case_id: int) -> str:
    return (f"抱歉，#{case_id} 不归您负责，不能操作。"
            f"如需接手，请网格员或社区用 /指派 #{case_id} @您 指派。")


def case_acknowledged_with_progress(case_id: int, actor: str, note: str) -> str:
    """A plan for a case still waiting for its 签收: both at once."""
    return f"#{case_id} 已由 {actor} 签收。进展：{note}"


def case_relayed(case_id: int, actor: str, doer: str, note: str) -> str:
    """A manager relays a colleague's plan for a case still waiting for its 签收."""
    return f"#{case_id} 已由 {actor} 安排 {doer} 处理。进展：{note}"


def which_case(rows: Sequence[tuple[int, str]]) -> str:
    """请问是哪一件？ — (case number, a few words of it) for each candidate."""
    named = " / ".join(f"#{case_id} {excerpt(text, 14)}" for case_id, text in rows)
    return f"请问是哪一件？{named}，回复编号即可（例如“{rows[0][0]}”）。"


def which_case_of_many(count: int, example: int) -> str:
    return (f"请问是哪一件？您负责的工单有 {count} 件，回复编号即可（例如“{example}”），"
            f"进行中的工单发送 /工单 查看。")


def quoted_many_cases(ids: list[int], shown: int = 10) -> str:
    """“收到” to a message listing several cases: which one?"""
    listed = "、".join(f"#{n}" for n in ids[:shown]) + ("等" if len(ids) > shown else "")
    return f"您引用的消息里有 {len(ids)} 个工单（{listed}），请带上编号，例如“#{ids[0]} 收到”。"

