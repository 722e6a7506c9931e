"""Staff work on cases: acknowledged, progress, resolved, extended."""

from __future__ import annotations

from datetime import datetime

from bot.texts.common import clock

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


NATURAL_NO_CASE = ("收到您的回复，但没看出是哪个工单。请带上编号，例如“#12 收到”，"
                   "或发送 /接单 #编号。")
NATURAL_MANY_CASES = "您手上有 {count} 个工单（{ids}），请带上编号，例如“#{first} 已修好”。"


def quoted_many_cases(ids: list[int], shown: int = 10) -> str:
    """“收到” to a message listing several cases: which one?"""
    listed = "、".join(f"#{n}" for n in ids[:shown]) + ("等" if len(ids) > shown else "")
    return f"您引用的消息里有 {len(ids)} 个工单（{listed}），请带上编号，例如“#{ids[0]} 收到”。"

