"""Scheduled posts (反馈进度): overdue notices, digests, monthly reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.texts.common import clock, duration

# --- scheduled posts (反馈进度) ---------------------------------------------------------------

def _case(case_id: int, category_label: str, location: str) -> str:
    """#12 公共设施损坏 3号楼: the case, what and where."""
    return f"#{case_id} {category_label}" + (f" {location}" if location else "")


def response_reminder(case_id: int, category_label: str, location: str, left: timedelta) -> str:
    return (f"⏰ 提醒：{_case(case_id, category_label, location)} 还没人签收，"
            f"距签收期限还有 {duration(left)}。")


def reminder_row(case_id: int, category_label: str, location: str, left: timedelta,
                 due: datetime) -> str:
    return (f"{_case(case_id, category_label, location)}：还有 {duration(left)}"
            f"（{clock(due)} 前签收）")


REMINDERS_HEADER = "⏰ 提醒：以下工单还没人签收，请尽快签收（回复“#编号 收到”即可）"


def response_overdue(case_id: int, category_label: str, location: str, tier_name: str,
                     late: timedelta) -> str:
    return (f"⚠️ {_case(case_id, category_label, location)} 超过签收期限 {duration(late)} "
            f"仍无人签收，已升级到{tier_name}，请协调处理。")


def response_overdue_header(tier_name: str) -> str:
    return f"⚠️ 以下工单超过签收期限仍无人签收，已升级到{tier_name}，请协调处理"


def resolution_overdue(case_id: int, category_label: str, location: str, tier_name: str,
                       late: timedelta) -> str:
    return (f"⚠️ {_case(case_id, category_label, location)} 已超过办结期限 {duration(late)}，"
            f"已升级到{tier_name}，请督办。")


def resolution_overdue_header(tier_name: str) -> str:
    return f"⚠️ 以下工单已超过办结期限，已升级到{tier_name}，请督办"


def overdue_at_top(case_id: int, category_label: str, location: str, late: timedelta) -> str:
    return (f"⚠️ {_case(case_id, category_label, location)} 已超过期限 {duration(late)}，"
            f"已在最高层级，请尽快办结。")


OVERDUE_AT_TOP_HEADER = "⚠️ 以下工单已超过期限，已在最高层级，请尽快办结"


def overdue_row(case_id: int, category_label: str, location: str, late: timedelta) -> str:
    return f"{_case(case_id, category_label, location)}：超过 {duration(late)}"


def nudge(case_id: int, silent: timedelta, transferred_to: str | None) -> str:
    if transferred_to:
        return (f"#{case_id} 已转办 {transferred_to}，{duration(silent)}没有新进展，"
                f"请跟进一下并在群里反馈。")
    return (f"#{case_id} 已经 {duration(silent)}没有新进展了，"
            f"请反馈一下处理情况（/进展 #{case_id} 内容）。")


NUDGE_HEADER = "以下工单好久没有新进展了，请反馈一下处理情况（/进展 #编号 内容）"


def nudge_row(case_id: int, category_label: str, location: str, silent: timedelta) -> str:
    return f"{_case(case_id, category_label, location)}：{duration(silent)}没有新进展"


def batched(header: str, rows: Sequence[str], total: int, part: int = 1, parts: int = 1
            ) -> str:
    """One post for several cases due together for the same people (in parts when the
    list is long)."""
    if parts == 1:
        return f"{header}：\n" + "\n".join(rows) + f"\n共 {total} 件。"
    return (f"{header}（{part}/{parts}）：\n" + "\n".join(rows)
            + f"\n本条 {len(rows)} 件，共 {total} 件。")


def batched_sections(sections: Sequence[tuple[str, Sequence[tuple[str, Sequence[str]]]]],
                     total: int) -> str:
    """One post for the scheduled posts (reminders, escalations, nudges) due together for
    people whose lists overlap: each kind's header over its rows, a row naming whom it is
    for when that is not everyone the post @-mentions."""
    out = []
    for header, rows in sections:
        out.append(f"{header}：")
        out += [f"{row}（{'、'.join(names)}）" if names else row for row, names in rows]
    return "\n".join(out) + f"\n共 {total} 件。"


def rating_reminder(case_id: int) -> str:
    return (f"#{case_id} 已办结，还没收到您的评价。回复“满意”“基本满意”或“不满意”就行，"
            f"谢谢！")


def rating_timed_out(case_id: int) -> str:
    return f"#{case_id} 办结后未收到评价，已自动关闭（未评价）。如有问题可以再次反映。"


def rating_window_closed(case_id: int, label: str) -> str:
    """The rating window ended with some complainants' ratings: closed with them."""
    return (f"#{case_id} 评价期已满，已按收到的评价关闭（{label}），没评价的记为“未评价”。"
            f"如有问题可以再次反映。")


def daily_digest(day: str, *, opened: Sequence[str], resolved: Sequence[str],
                 still_open: int, overdue: Sequence[str]) -> str:
    lines = [f"📋 {day} 工单日报：今日新受理 {len(opened)} 件，办结 {len(resolved)} 件，"
             f"仍在处理 {still_open} 件，超时 {len(overdue)} 件。"]
    if opened:
        lines.append("新受理：" + "；".join(opened))
    if resolved:
        lines.append("已办结：" + "；".join(resolved))
    if overdue:
        lines.append("⚠️ 超时：" + "；".join(overdue))
    return "\n".join(lines)


def topic_call(open_topics: Sequence[str]) -> str:
    text = ("📣 本周议题征集：小区里有什么想大家一起商量的事？"
            "发送 /议题 标题 提出，例如：/议题 加装电梯。")
    if open_topics:
        text += "\n进行中的议题：" + "；".join(open_topics)
    return text


def half_monthly_summary(period: str, *, open_cases: int, overdue: int, group_complaints: int,
                         top_categories: Sequence[tuple[str, int]],
                         open_topics: Sequence[str]) -> str:
    lines = [f"🗂 半月汇总（{period}）：在办工单 {open_cases} 件，其中超时 {overdue} 件，"
             f"群体诉求 {group_complaints} 件。"]
    if top_categories:
        lines.append("反映较多：" + "，".join(f"{c} {n}" for c, n in top_categories))
    if open_topics:
        lines.append("进行中的议题：" + "；".join(open_topics))
    return "\n".join(lines)


def monthly_report(month: str, *, opened: int, rates: tuple[str, str, str],
                   by_category: Sequence[tuple[str, int]], slowest: Sequence[str],
                   group_complaints: Sequence[str]) -> str:
    lines = [f"📊 {month} 社情民意月报",
             f"受理 {opened} 件；响应率 {rates[0]}，解决率 {rates[1]}，满意率 {rates[2]}"]
    if by_category:
        lines.append("按类别：" + "，".join(f"{c} {n}" for c, n in by_category))
    if slowest:
        lines.append("用时最长：" + "；".join(slowest))
    if group_complaints:
        lines.append("群体诉求：" + "；".join(group_complaints))
    return "\n".join(lines)


RESPONSE_OVERDUE_REASON = "签收超时"
RESOLUTION_OVERDUE_REASON = "办结超时"


def month_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


def slowest_row(case_id: int, category: str, took: timedelta) -> str:
    return f"#{case_id} {category} {duration(took)}"


def group_complaint_row(case_id: int, category: str, location: str, people: int) -> str:
    return f"#{case_id} {category}{location}（{people}人）"
