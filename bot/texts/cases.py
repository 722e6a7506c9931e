"""Case texts: filing, lists, details, duplicates and group complaints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.texts.common import clock, quote

# --- cases ---------------------------------------------------------------------------

STATE_LABELS = {
    "open": "已受理",
    "assigned": "已派单",
    "acknowledged": "已签收",
    "in_progress": "处理中",
    "reopened": "重新处理",
    "resolved": "已办结",
    "closed": "已关闭",
    "transferred": "已转办",
    "merged": "已合并",
    "withdrawn": "已撤回",
}
RATING_LABELS = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意",
                 None: "未评价"}
EVENT_LABELS = {
    "opened": "受理",
    "joined": "追加诉求人",
    "assigned": "派单",
    "acknowledged": "签收",
    "progress": "进展",
    "resolved": "办结",
    "rated": "评价",
    "reopened": "重新处理",
    "escalated": "升级",
    "transferred": "转办",
    "merged": "合并",
    "withdrawn": "撤回",
    "left": "诉求人撤回",
    "closed": "关闭",
    "extended": "延期",
    "convened": "有请当事人会办",
    "urgent": "升为紧急",
    "followed_up": "居民补充",
    "recategorized": "更正类别",
}


def state_label(state: str, rating: str | None = None) -> str:
    label = STATE_LABELS.get(state, state)
    if state == "closed":
        return f"{label}（{RATING_LABELS.get(rating, '未评价')}）"
    return label


def case_opened(case_id: int, category_label: str, location: str, urgent: bool,
                told: str) -> str:
    """The answer to the resident: thanks and what happens next (no deadlines, no echo).

    `told` says who was pinged: "staff" (the routed staff), "community" (nobody holds
    the routed role, so the community was asked) or "" (nobody could be pinged)."""
    flag = "【紧急】" if urgent else ""
    where = f" {location}" if location else ""
    if told == "staff":
        then = "已通知工作人员马上处理，请先注意安全。" if urgent else \
            "已通知负责的工作人员，有进展会在群里告诉您。"
    elif told == "community":
        then = "已请社区安排人手处理，有进展会在群里告诉您。"
    else:
        then = "我们会尽快安排人手处理，有进展会在群里告诉您。"
    return f"{flag}已受理 #{case_id} {category_label}{where}，谢谢您告诉我们！\n{then}"


def case_opened_ping(case_id: int, category_label: str, location: str, urgent: bool,
                     respond_by: datetime, text: str) -> str:
    """The ping to the responsible staff: the problem in short and the deadline to sign."""
    flag = "【紧急】" if urgent else ""
    where = f" {location}" if location else ""
    return (f"{flag}新工单 #{case_id} {category_label}{where}：“{quote(text)}”\n"
            f"请在 {clock(respond_by)} 前签收：回复“#{case_id} 收到”或发送 /接单 #{case_id}。")


def case_opened_no_staff(case_id: int) -> str:
    return f"（#{case_id} 暂未找到负责该类问题的工作人员，请社区在群里指派。）"


REPORT_EMPTY = "请在 /报修 后面写上问题，例如：/报修 3号楼2单元楼道灯坏了"
CASE_NOT_FOUND = "没有找到工单 #{case_id}，请核对编号。发送 /工单 查看进行中的工单。"
OPEN_CASES_TITLE = "进行中的工单"
MY_CASES_TITLE = "我的工单"
OVERDUE_CASES_TITLE = "超时工单"
NO_OPEN_CASES = "目前没有进行中的工单。"
NO_MY_CASES = "您目前没有进行中的工单。"
NO_OVERDUE_CASES = "目前没有超时的工单。"


def case_list(title: str, rows: Sequence[str], total: int | None = None, more: int = 0,
              next_page: int = 2) -> str:
    body = f"{title}（{len(rows) if total is None else total}件）：\n" + "\n".join(rows)
    if not rows:
        body += "\n（这一页没有了）"
    if more > 0:
        page = "/工单 更多" if next_page == 2 else f"/工单 更多 {next_page}"
        body += (f"\n还有 {more} 件，发送 {page} 查看；也可以按楼栋、人或类别查，"
                 "例如 /工单 5号楼、/工单 王师傅、/工单 电梯。")
    return body


def cases_filter_title(words: str) -> str:
    return f"“{quote(words)}”的进行中工单"


def cases_filter_empty(words: str) -> str:
    return f"“{quote(words)}”目前没有进行中的工单。"


def cases_filter_unknown(words: str) -> str:
    return (f"“{quote(words)}”不是工单编号，也不是楼栋、人名或类别。"
            "可以写 #编号、我的、超时、更多，或者 5号楼、王师傅、电梯。")


def case_list_row(case_id: int, category_label: str, location: str, state: str,
                  urgent: bool, group_complaint: bool, overdue: bool) -> str:
    marks = ("【紧急】" if urgent else "") + ("【群体诉求】" if group_complaint else "")
    late = " ⏰超时" if overdue else ""
    where = f" {location}" if location else ""
    return f"#{case_id} {marks}{category_label}{where} · {state}{late}"


def case_list_row_brief(case_id: int, state: str) -> str:
    """A list row of a case registered in another group: its number and state only."""
    return f"#{case_id} · {state}"


def case_brief(case_id: int, state: str) -> str:
    """A case asked about outside its own group: its number and state only."""
    return (f"#{case_id} 目前状态：{state}。"
            "这件事登记在别的群，详情只在那个群里或向工作人员查看。")


def case_detail(*, case_id: int, state: str, category_label: str, location: str,
                urgent: bool, group_complaint: bool, text: str, complainants: Sequence[str],
                assignee: str | None, respond_by: datetime, resolve_by: datetime,
                waiting: bool, tier_name: str, transferred_to: str | None,
                timeline: Sequence[tuple[datetime, str, str, str]]) -> str:
    """/工单 #N. `waiting`: nobody has signed for the case yet (then no assignee reads
    as 待签收; a finished or transferred case without one reads as 无)."""
    marks = ("【紧急】" if urgent else "") + ("【群体诉求】" if group_complaint else "")
    lines = [
        f"工单 #{case_id} {marks}· {state}",
        f"类别：{category_label}" + (f"　位置：{location}" if location else ""),
        f"内容：{quote(text)}",
        f"诉求人：{'、'.join(complainants)}",
        f"负责人：{assignee or ('待签收' if waiting else '无')}　当前层级：{tier_name}",
        f"签收期限：{clock(respond_by)}　办结期限：{clock(resolve_by)}",
    ]
    if transferred_to:
        lines.append(f"已转办：{transferred_to}")
    lines.append("进展记录：")
    return "\n".join(lines + timeline_lines(timeline))


def timeline_lines(timeline: Sequence[tuple[datetime, str, str, str]]) -> list[str]:
    """“· 11-24 10:00 王师傅 签收：…” for each (time, label, actor, note) of a timeline;
    notes (often someone's own words) are short excerpts."""
    lines = []
    for at, label, actor, note in timeline:
        who = f" {actor}" if actor else ""
        lines.append(f"· {clock(at)}{who} {label}"
                     + (f"：{quote(note)}" if note else ""))
    return lines


# --- duplicates and group complaints ----------------------------------------------------

GROUP_COMPLAINT = "【群体诉求】"


def case_joined(case_id: int, category_label: str, location: str, count: int,
                group_complaint: bool, became_group: bool) -> str:
    where = f" {location}" if location else ""
    text = (f"这个问题已在 #{case_id}（{category_label}{where}）登记，已把您加为诉求人，"
            f"目前共 {count} 位邻居反映。")
    if became_group:
        text += f"\n{GROUP_COMPLAINT}多位居民反映同一问题，已提高优先级，请尽快处理。"
    elif group_complaint:
        text = GROUP_COMPLAINT + text
    return text


def case_standing(*, label: str, assignee: str | None, waiting: bool,
                  transferred_to: str | None = None, merged_into: int | None = None) -> str:
    """Where a case stands, in words that never contradict each other: 已转办给供电公司，
    社区会继续跟进 / 处理中，负责人：王师傅 / 已受理，正在等待工作人员签收 / 已办结.
    `waiting`: nobody has signed for it yet; `transferred_to` and `merged_into` only
    for a case in that state."""
    if transferred_to:
        return f"已转办给{transferred_to}，社区会继续跟进"
    if merged_into:
        return f"已并入 #{merged_into}，进展请看 #{merged_into}"
    if assignee:
        return f"{label}，负责人：{assignee}"
    if waiting:
        return f"{label}，正在等待工作人员签收"
    return label


def case_repeat(case_id: int, standing: str, latest: str | None) -> str:
    """The progress of a case for one of its complainants (`standing`: `case_standing`)."""
    text = f"您反映的问题已在 #{case_id} 登记，目前状态：{standing}。"
    if latest:
        text += f"\n最新进展：{quote(latest)}"
    return text + f"\n有新情况可以直接补充，或发送 /工单 #{case_id} 查看。"


def case_status(case_id: int, category_label: str, location: str, standing: str,
                latest: str | None) -> str:
    """The progress of a case for someone who did not raise it."""
    where = f" {location}" if location else ""
    text = f"#{case_id} {category_label}{where}，目前状态：{standing}。"
    if latest:
        text += f"\n最新进展：{quote(latest)}"
    return text


SAFETY_ADVICE = {
    "gas": "⚠️ 闻到燃气味：不要开关电器、不要点火，立即开窗通风，人员先撤离，"
           "拨打燃气公司抢修电话。",
    "fire": "⚠️ 发现火情或冒烟：请立即拨打 119，不要乘电梯，用湿毛巾捂住口鼻从楼梯撤离。",
    "injury": "⚠️ 有人受伤：请立即拨打 120，不要随意搬动伤者。",
    "electric": "⚠️ 电线裸露或漏电：请远离，不要触碰，也不要用水泼。",
    "trapped": "⚠️ 电梯困人：请被困人员保持冷静，按电梯内警铃或拨打电梯内救援电话，不要扒门。",
    "flood": "⚠️ 爆管或进水：请先关闭总水阀，切断进水房间的电源。",
}


def safety_advice(hazards: Sequence[str]) -> str:
    """The advice lines for these hazards (bot.domain.safety), each on a new line."""
    return "".join("\n" + SAFETY_ADVICE[h] for h in hazards)
