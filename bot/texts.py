"""Every Chinese string the bot posts, in one place so the wording can be reviewed.

Functions take plain values (never ORM rows) and return text. The outbox writer applies
`bot.privacy.mask_private` to every post, so phone and ID numbers never leave unmasked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta


def with_mentions(text: str, names: Iterable[str]) -> str:
    """Append `@name` for each mentioned member (the text must show them, per the spec)."""
    tags = " ".join(f"@{n}" for n in dict.fromkeys(names) if f"@{n}" not in text)
    return f"{text}\n{tags}" if tags else text


# --- formatting helpers ----------------------------------------------------------------

def clock(dt: datetime) -> str:
    return dt.strftime("%m-%d %H:%M")


def duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}分钟"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}小时" + (f"{minutes}分" if minutes else "")
    days, hours = divmod(hours, 24)
    return f"{days}天" + (f"{hours}小时" if hours else "")


def place(location: dict) -> str:
    parts = []
    if location.get("building"):
        parts.append(f"{location['building']}号楼")
    if location.get("unit"):
        parts.append(f"{location['unit']}单元")
    if location.get("room"):
        parts.append(f"{location['room']}室")
    if location.get("place"):
        parts.append(str(location["place"]))
    return "".join(parts)


def excerpt(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
                respond_by: datetime, summary: str) -> str:
    flag = "【紧急】" if urgent else ""
    where = f" {location}" if location else ""
    return (f"{flag}已受理 #{case_id} {category_label}{where}\n"
            f"“{summary}”\n"
            f"已通知负责人员，请在 {clock(respond_by)} 前签收。"
            f"进度可发送 /工单 #{case_id} 查看。")


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
    return f"“{words}”的进行中工单"


def cases_filter_empty(words: str) -> str:
    return f"“{words}”目前没有进行中的工单。"


def cases_filter_unknown(words: str) -> str:
    return (f"“{words}”不是工单编号，也不是楼栋、人名或类别。可以写 #编号、我的、超时、更多，"
            "或者 5号楼、王师傅、电梯。")


def case_list_row(case_id: int, category_label: str, location: str, state: str,
                  urgent: bool, group_complaint: bool, overdue: bool) -> str:
    marks = ("【紧急】" if urgent else "") + ("【群体诉求】" if group_complaint else "")
    late = " ⏰超时" if overdue else ""
    where = f" {location}" if location else ""
    return f"#{case_id} {marks}{category_label}{where} · {state}{late}"


def case_detail(*, case_id: int, state: str, category_label: str, location: str,
                urgent: bool, group_complaint: bool, text: str, complainants: Sequence[str],
                assignee: str | None, respond_by: datetime, resolve_by: datetime,
                tier_name: str, transferred_to: str | None,
                timeline: Sequence[tuple[datetime, str, str, str]]) -> str:
    marks = ("【紧急】" if urgent else "") + ("【群体诉求】" if group_complaint else "")
    lines = [
        f"工单 #{case_id} {marks}· {state}",
        f"类别：{category_label}" + (f"　位置：{location}" if location else ""),
        f"内容：{excerpt(text, 80)}",
        f"诉求人：{'、'.join(complainants)}",
        f"负责人：{assignee or '待签收'}　当前层级：{tier_name}",
        f"签收期限：{clock(respond_by)}　办结期限：{clock(resolve_by)}",
    ]
    if transferred_to:
        lines.append(f"已转办：{transferred_to}")
    lines.append("进展记录：")
    return "\n".join(lines + timeline_lines(timeline, 60))


def timeline_lines(timeline: Sequence[tuple[datetime, str, str, str]], note_chars: int
                   ) -> list[str]:
    """“· 11-24 10:00 王师傅 签收：…” for each (time, label, actor, note) of a timeline."""
    lines = []
    for at, label, actor, note in timeline:
        who = f" {actor}" if actor else ""
        lines.append(f"· {clock(at)}{who} {label}"
                     + (f"：{excerpt(note, note_chars)}" if note else ""))
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


def case_repeat(case_id: int, state: str, assignee: str | None, latest: str | None) -> str:
    who = f"，负责人：{assignee}" if assignee else "，正在等待工作人员签收"
    text = f"您反映的问题已在 #{case_id} 登记，目前状态：{state}{who}。"
    if latest:
        text += f"\n最新进展：{excerpt(latest, 60)}"
    return text + f"\n有新情况可以直接补充，或发送 /工单 #{case_id} 查看。"


SAFETY_ADVICE = {
    "gas": "⚠️ 闻到燃气味：不要开关电器、不要点火，立即开窗通风，人员先撤离，"
           "拨打燃气公司抢修电话。",
    "fire": "⚠️ 发现火情或冒烟：请立即拨打 119，不要乘电梯，用湿毛巾捂住口鼻从楼梯撤离。",
    "injury": "⚠️ 有人受伤：请立即拨打 120，不要随意搬动伤者。",
    "electric": "⚠️ 电线裸露或漏电：请远离，不要触碰，也不要用水泼。",
    "trapped": "⚠️ 电梯困人：请被困人员保持冷静，按电梯内警铃或拨打电梯内救援电话，不要扒门。",
    "flood": "⚠️ 爆管或进水：请先关闭总水阀，切断进水房间的电源。",
}


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


# --- rating, withdrawal ----------------------------------------------------------------------

def case_rated(case_id: int, label: str) -> str:
    return f"谢谢您的评价！#{case_id} 评价为“{label}”，工单已关闭。"


def case_reopened(case_id: int, comment: str) -> str:
    why = f"（{comment}）" if comment else ""
    return (f"#{case_id} 诉求人不满意{why}，工单已重新打开。"
            f"请负责人和社区一起跟进，必要时当面协商。")


def not_complainant(case_id: int, action: str) -> str:
    return (f"抱歉，只有 #{case_id} 的诉求人可以{action}。"
            f"如果您也遇到同样的问题，直接在群里说一下，我会把您加为诉求人。")


STAFF_ONLY_HINT = "居民有问题请直接在群里说，或用 /报修 内容；进度可发送 /工单 查看。"
COORDINATOR_ONLY_HINT = "如需处理，请在群里 @网格员 或 @社区 说明情况。"
CLOSE_HINT = "如需关闭请联系社区；诉求人可以用 /撤回 #编号 撤回自己的问题。"


RATE_USAGE_HINT = "请选择：满意、基本满意 或 不满意。"


def case_withdrawn(case_id: int) -> str:
    return f"#{case_id} 已撤回。以后有问题随时在群里说。"


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


# --- statistics ------------------------------------------------------------------------------

def percent(numerator: int, denominator: int) -> str:
    if not denominator:
        return "—"
    return f"{numerator * 100 / denominator:.0f}%（{numerator}/{denominator}）"


def stats(period_label: str, *, opened: int, response: tuple[int, int],
          resolution: tuple[int, int], satisfaction: tuple[int, int],
          by_state: Sequence[tuple[str, int]], by_category: Sequence[tuple[str, int]],
          ack_avg: str, ack_p90: str, resolve_avg: str, resolve_p90: str,
          overdue: int, reopened: int, group_complaints: int) -> str:
    lines = [
        f"{period_label}工单统计：新受理 {opened} 件",
        f"响应率 {percent(*response)}　解决率 {percent(*resolution)}　"
        f"满意率 {percent(*satisfaction)}",
        f"签收用时：平均 {ack_avg}，90% 在 {ack_p90} 内",
        f"办结用时：平均 {resolve_avg}，90% 在 {resolve_p90} 内",
        f"超时 {overdue} 件　重新处理 {reopened} 件　群体诉求 {group_complaints} 件",
    ]
    if by_state:
        lines.append("按状态：" + "，".join(f"{s} {n}" for s, n in by_state))
    if by_category:
        lines.append("按类别：" + "，".join(f"{c} {n}" for c, n in by_category))
    return "\n".join(lines)


# --- scheduled posts (反馈进度) ---------------------------------------------------------------

def response_reminder(case_id: int, category_label: str, location: str, left: timedelta) -> str:
    where = f" {location}" if location else ""
    return (f"⏰ 提醒：#{case_id} {category_label}{where} 还没人签收，"
            f"距签收期限还有 {duration(left)}。")


def response_overdue(case_id: int, tier_name: str, late: timedelta) -> str:
    return (f"⚠️ #{case_id} 超过签收期限 {duration(late)} 仍无人签收，已升级到{tier_name}，"
            f"请协调处理。")


def resolution_overdue(case_id: int, tier_name: str, late: timedelta) -> str:
    return f"⚠️ #{case_id} 已超过办结期限 {duration(late)}，已升级到{tier_name}，请督办。"


def overdue_at_top(case_id: int, late: timedelta) -> str:
    return f"⚠️ #{case_id} 已超过期限 {duration(late)}，已在最高层级，请尽快办结。"


def nudge(case_id: int, silent: timedelta, transferred_to: str | None) -> str:
    if transferred_to:
        return (f"#{case_id} 已转办 {transferred_to}，{duration(silent)}没有新进展，"
                f"请跟进一下并在群里反馈。")
    return (f"#{case_id} 已经 {duration(silent)}没有新进展了，"
            f"请反馈一下处理情况（/进展 #{case_id} 内容）。")


def rating_reminder(case_id: int) -> str:
    return (f"#{case_id} 已办结，还没收到您的评价。回复“满意”“基本满意”或“不满意”就行，"
            f"谢谢！")


def rating_timed_out(case_id: int) -> str:
    return f"#{case_id} 办结后未收到评价，已自动关闭（未评价）。如有问题可以再次反映。"


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


# --- deliberation (议事) ----------------------------------------------------------------------

TOPIC_KIND_LABELS = {"consultation": "协商", "decision": "决策", "inquiry": "咨询",
                     "hearing": "听证"}
TOPIC_STEP_LABELS = {"proposed": "提议", "announced": "告知", "discussing": "协商中",
                     "discussed": "协商结束，待表决", "voting": "表决中", "voted": "已表决，待决议",
                     "publicity": "公示中", "supervision": "监督落实", "done": "完成"}


def topic_step_label(topic) -> str:
    return TOPIC_STEP_LABELS.get(topic.step, topic.step)


def topic_ref(topic_id: int, title: str) -> str:
    return f"T{topic_id}「{excerpt(title, 24)}」"


def topic_proposed(topic_id: int, title: str, kind: str) -> str:
    return (f"已登记议题 {topic_ref(topic_id, title)}（{TOPIC_KIND_LABELS[kind]}类）。"
            f"社区会安排告知和协商，进展发送 /议题列表 查看。")


TOPIC_TITLE_MISSING = "请在 /议题 后面写上标题，例如：/议题 加装电梯。"
TOPIC_NOT_FOUND = "没有找到议题 T{topic_id}，发送 /议题列表 查看。"
NO_TOPICS = "目前还没有议题。有想一起商量的事，发送 /议题 标题 提出。"


def topic_list(rows: Sequence[str]) -> str:
    return f"议题（{len(rows)}个）：\n" + "\n".join(rows)


def topic_list_row(topic_id: int, title: str, kind: str, step: str) -> str:
    return f"T{topic_id} {excerpt(title, 24)}（{TOPIC_KIND_LABELS.get(kind, kind)}）· {step}"


def topic_wrong_step(topic_id: int, step: str, action: str) -> str:
    return f"T{topic_id} 目前在“{step}”阶段，不能{action}。发送 /议题列表 查看各议题的进度。"


def topic_announced(topic_id: int, title: str, when: datetime | None, way: str) -> str:
    at = f"时间：{clock(when)}\n" if when else ""
    return (f"📢 议事告知：{topic_ref(topic_id, title)}\n{at}方式：{way}\n"
            f"欢迎关心这件事的邻居参加，发言请先 /举手。")


def topic_announce_reminder(topic_id: int, title: str, when: datetime, way: str) -> str:
    return f"⏰ {clock(when)} 将议事 {topic_ref(topic_id, title)}（{way}），请相关居民准时参加。"


WHEN_UNREADABLE = "看不懂时间“{when}”，请写成 11月25日19:00、明天19:00 或 2026-11-25 19:00。"


def topic_one_at_a_time(topic_id: int, title: str) -> str:
    return (f"一事一议：{topic_ref(topic_id, title)} 正在协商，"
            f"请先结束它（/表决 或 /决议），再开始新的议题。")


def discussion_opened(topic_id: int, title: str, ends: datetime, limit: int) -> str:
    return (f"🗣 开始协商 {topic_ref(topic_id, title)}，到 {clock(ends)} 结束。\n"
            f"议事规则：主持中立、一事一议、举手发言、尊重他人、限时限次（每人最多 {limit} 条）、"
            f"充分讨论、简单多数。想发言请发送 /举手。")


def discussion_closed(topic_id: int, title: str) -> str:
    return f"⏱ {topic_ref(topic_id, title)} 协商时间到，谢谢大家的意见。主持人可以发起 /表决。"


NO_OPEN_DISCUSSION = "现在没有正在协商的议题。"


def hand_raised(name: str, place: int) -> str:
    return f"{name} 已举手，排在第 {place} 位。"


def hand_already_raised(place: int) -> str:
    return f"您已经举手了，排在第 {place} 位，请稍等主持人点名。"


def next_speaker(name: str, waiting: int) -> str:
    tail = f"（后面还有 {waiting} 位）" if waiting else "（举手的都发过言了）"
    return f"请 {name} 发言{tail}"


NO_HANDS = "现在没有人举手。"


def message_limit_warning(name: str, limit: int) -> str:
    return f"{name} 您好，本次协商每人最多发 {limit} 条，请把时间留给其他邻居，谢谢理解。"


def abuse_flagged(name: str) -> str:
    return (f"【尊重他人】{name} 的发言含有不文明用语，已提醒主持人关注。"
            f"请大家就事论事、文明议事。")


VOTE_OPTIONS_INVALID = "表决至少要两个不同的选项。"
CHAIR_DOES_NOT_VOTE = "主持中立：发起表决的主持人不参加投票。"


def vote_opened(topic_id: int, title: str, options: Sequence[str], ends: datetime,
                quorum: int) -> str:
    need = f"，至少 {quorum} 人投票才有效" if quorum else ""
    return (f"🗳 表决 {topic_ref(topic_id, title)}：选项 {' / '.join(options)}，"
            f"{clock(ends)} 截止{need}。\n"
            f"投票请发送 /投票 T{topic_id} 选项，截止前可以改票。")


def vote_recorded(topic_id: int, option: str, changed: bool) -> str:
    return f"已{'改' if changed else '记'}票：T{topic_id} {option}。"


def vote_closed(topic_id: int) -> str:
    return f"T{topic_id} 的表决已经截止。"


def vote_unknown_option(option: str, options: Sequence[str]) -> str:
    return f"没有“{option}”这个选项，请从 {' / '.join(options)} 中选一个。"


def vote_reminder(topic_id: int, title: str, ends: datetime) -> str:
    return f"⏰ {topic_ref(topic_id, title)} 的表决 {clock(ends)} 截止，还没投票的邻居请抓紧。"


def vote_result(topic_id: int, title: str, counts: dict[str, int], cast: int, passed: bool,
                winner: str | None, quorum: int, quorum_met: bool) -> str:
    numbers = "，".join(f"{o} {n}" for o, n in counts.items())
    if not quorum_met:
        verdict = f"未通过（投票人数未达到 {quorum} 人）"
    elif winner is None:
        verdict = "未通过（没有选项超过有效票的一半）"
    elif passed and winner == "同意":
        verdict = "通过"
    elif "同意" in counts:
        verdict = "未通过"
    else:
        verdict = f"结果：{winner}"
    return (f"📊 {topic_ref(topic_id, title)} 表决结束：{numbers}（有效票 {cast}，弃权不计）。"
            f"\n{verdict}。主持人可以用 /决议 T{topic_id} 内容 记录决议并公示。")


def publicity_started(topic_id: int, title: str, decision: str, ends: datetime) -> str:
    return (f"📌 公示：{topic_ref(topic_id, title)} 决议如下：\n{decision}\n"
            f"公示期至 {clock(ends)}，有意见请在群里提出或联系社区。")


def publicity_midway(topic_id: int, title: str, decision: str, ends: datetime) -> str:
    return (f"📌 公示提醒：{topic_ref(topic_id, title)} 决议“{excerpt(decision, 40)}”"
            f"公示至 {clock(ends)}。")


def publicity_ended(topic_id: int, title: str) -> str:
    return f"✅ {topic_ref(topic_id, title)} 公示期满，进入落实监督，社区会定期反馈进展。"


def topic_followup(topic_id: int, title: str, decision: str) -> str:
    return (f"🔎 议题回访：{topic_ref(topic_id, title)} 的决议“{excerpt(decision, 40)}”"
            f"落实得怎么样？有情况请在群里反馈；落实完成后主持人发送 /完成 T{topic_id}。")


def topic_done(topic_id: int, title: str, ends: datetime) -> str:
    return (f"🎉 {topic_ref(topic_id, title)} 已完成。请大家为这次议事的成效打分（1-5 分）："
            f"发送 /评分 T{topic_id} 5，{clock(ends)} 截止。")


def topic_rated(topic_id: int, score: int) -> str:
    return f"谢谢！T{topic_id} 成效评估已记录：{score} 分。"


def topic_rating_closed(topic_id: int) -> str:
    return f"T{topic_id} 现在不在成效评估期。"


TOPIC_SCORE_RANGE = "请打 1 到 5 分。"


def topic_rating_result(topic_id: int, title: str, average: float | None, count: int) -> str:
    if average is None:
        return f"{topic_ref(topic_id, title)} 成效评估结束，没有收到评分。"
    return f"📈 {topic_ref(topic_id, title)} 成效评估：平均 {average:.1f} 分（{count} 人评分）。"


def topic_detail(topic_id: int, title: str, kind: str, step: str,
                 timeline: Sequence[tuple[datetime, str, str, str]]) -> str:
    lines = [f"议题 T{topic_id}「{title}」（{TOPIC_KIND_LABELS.get(kind, kind)}）· {step}",
             "进程："]
    return "\n".join(lines + timeline_lines(timeline, 50))


TOPIC_EVENT_LABELS = {"proposed": "提议", "announced": "告知", "discussion_opened": "开始协商",
                      "discussion_closed": "协商结束", "speaker_called": "点名发言",
                      "vote_opened": "发起表决", "vote_closed": "表决结束", "decided": "形成决议",
                      "publicity_ended": "公示期满", "done": "完成"}


def convened(topic_id: int, case_id: int, title: str) -> str:
    return (f"🤝 有请当事人会办：#{case_id} 转为议题 {topic_ref(topic_id, title)}。"
            f"请诉求人、负责人和相关部门一起协商解决，社区主持。")


def case_already_convened(case_id: int, topic_id: int) -> str:
    return f"#{case_id} 已经在议题 T{topic_id} 中会办了。"


# --- WeCom (企业微信) channels: private app chats, webhook health ------------------------------

HISTORY_PRIVATE_ONLY = ("为保护居民隐私，/档案 只能在企业微信“邻里议事”应用的私聊里使用，"
                        "群里不会显示任何档案内容。"
                        "请在企业微信工作台打开应用，私聊发送 /档案 @某人。")


def history_row(case_id: int, day: datetime, category_label: str, location: str,
                state: str) -> str:
    where = f"·{location}" if location else ""
    return f"#{case_id} {day.strftime('%m-%d')} {category_label}{where} {state}"


def member_history(name: str, *, raised: int, open_count: int, done: int,
                   ratings: Sequence[tuple[str, int]], assigned: int,
                   recent: Sequence[str], similar: Sequence[str]) -> str:
    lines = [f"📁 {name} 的诉求档案",
             f"共反映 {raised} 件：进行中 {open_count} 件，已办结或关闭 {done} 件。"]
    if ratings:
        lines.append("评价：" + "，".join(f"{label} {n}" for label, n in ratings))
    if assigned:
        lines.append(f"被指派处理过 {assigned} 件工单。")
    if recent:
        lines.append("最近的工单：")
        lines.extend(f"  {row}" for row in recent)
    else:
        lines.append("暂无工单记录。")
    if similar:
        lines.append("附近同类、仍在办理的工单：")
        lines.extend(f"  {row}" for row in similar)
    return "\n".join(lines)


def assigned_privately(case_id: int, category_label: str, location: str, text: str,
                       resolve_by: datetime, group_name: str, urgent: bool) -> str:
    where = f"（{location}）" if location else ""
    head = "【紧急】" if urgent else ""
    return (f"📌 {head}您被指派处理工单 #{case_id}：{category_label}{where}\n"
            f"内容：{text}\n来自：{group_name}；办结期限 {clock(resolve_by)}。\n"
            f"请在群里回复“#{case_id} 收到”或发送 /接单 #{case_id}。")


def wecom_webhook_dead(group_name: str) -> str:
    return f"⚠️ 企业微信群机器人失效：{group_name}（请重新添加群机器人）"


# --- the net: /立案, asking when unsure, /改类 (issue: hearing every complaint) ----------

ASK_IF_COMPLAINT = "需要帮您登记报修吗？回复“是”即可，我们会安排人员处理。"
ASK_DECLINED = "好的，有需要随时说。"
FILE_NEEDS_QUOTE = "请引用（回复）要登记的那条消息，再发送 /立案 [类别]。"
FILE_QUOTE_UNKNOWN = "没有找到被引用的那条消息，请直接引用居民的原话再发送 /立案。"
FILE_QUOTE_IS_BOT = "被引用的是机器人的消息，请引用居民的原话再发送 /立案。"
NOT_A_COMPLAINT_REASON = "不是诉求"


def file_already_opened(case_id: int, state: str) -> str:
    return f"这条消息已登记为 #{case_id}（{state}），发送 /工单 #{case_id} 查看进展。"


def case_filed(case_id: int, complainant: str) -> str:
    return f"已为 {complainant} 补登记 #{case_id}，谢谢提醒。"


def unknown_category(word: str, choices: str) -> str:
    return f"没有“{word}”这个类别，可选：{choices}"


def case_recategorized(case_id: int, old: str, new: str) -> str:
    return f"#{case_id} 类别已由“{old}”改为“{new}”，已通知相关人员。"


def category_unchanged(case_id: int, label: str) -> str:
    return f"#{case_id} 的类别已经是“{label}”。"


def case_became_urgent(case_id: int, category_label: str, location: str) -> str:
    where = f" {location}" if location else ""
    return f"【紧急】#{case_id} {category_label}{where} 有新的紧急情况，已升为紧急，请立即处理。"


def urgent_again(case_id: int, category_label: str, location: str) -> str:
    where = f" {location}" if location else ""
    return f"【紧急】#{case_id} {category_label}{where} 又有居民报告险情，请尽快到场。"


def args_too_long(limit: int) -> str:
    return f"内容太长了（最多 {limit} 字），请分几条发送。"


def stats_period_unknown(word: str) -> str:
    return f"不认识“{word}”，请写 本周 或 本月（也可以写 上周、上个月）。"


ADDRESSED_HELP = ("我在。有问题直接说，比如“3号楼电梯坏了”，我会登记并通知负责人员；"
                  "查看进度发 /工单 我的，全部用法发 /帮助。")


# --- usage and refusal lines of the handlers ---------------------------------------------

CASE_ID_MISSING = "请写上工单编号。"
TWO_CASE_IDS_MISSING = "请写两个工单编号。"
TOPIC_ID_MISSING = "请写上议题编号，例如 T1。"
CONVENE_CASE_MISSING = "请写上工单编号，例如 /会办 #12。"
DECISION_MISSING = "请写上决议内容。"
DURATION_NOT_POSITIVE = "时长要大于 0。"
EXTEND_DURATION_NOT_POSITIVE = "延期时长要大于 0。"
EXTEND_USAGE = "请写上延长多久和原因，例如：/延期 #12 2d 等配件。"
PROGRESS_MISSING = "请写上进展内容。"
ASSIGNEE_MISSING = "请 @ 要指派的人。"
TRANSFER_UNIT_MISSING = "请写上承办单位，例如：/转办 #12 供电公司 线路归供电局。"
CLOSE_REASON_MISSING = "请写上关闭原因。"
HISTORY_TARGET_MISSING = "请写上要查看的人，例如：/档案 @张阿姨"
MENTION_MISSING = "请用 @ 选中要指定的人。"
COORDINATOR_HINT = "议事由网格员或社区主持；有想商量的事可以发送 /议题 标题 提出。"
EMPTY_ARGUMENT = "（空）"
DEFAULT_MEETING_WAY = "群内线上讨论"
RESPONSE_OVERDUE_REASON = "签收超时"
RESOLUTION_OVERDUE_REASON = "办结超时"
CLOSED_UNRATED_NOTE = "超时未评价"


def listing(items: Iterable[str]) -> str:
    """Items in a sentence: 甲、乙、丙."""
    return "、".join(items)


def not_a_case_ref(token: str) -> str:
    return f"“{token}”不是工单编号，请写成 #编号，例如 #12。"


def not_a_topic_ref(token: str) -> str:
    return f"“{token}”不是议题编号，请写成 T编号，例如 T1。"


def not_a_duration(token: str) -> str:
    return f"“{token}”不是时长，请写成 30分钟、2小时、2天 这样。"


def not_an_extension(span: str) -> str:
    return f"“{span}”不是时长，请写成 6小时、2天、1天半 这样（最长一年）。"


def ratings_waiting(case_ids: Sequence[int]) -> str:
    ids = listing(f"#{case_id}" for case_id in case_ids)
    return f"您有几个工单在等评价（{ids}），请带上编号，例如“#{case_ids[0]} 满意”。"


def convene_title(case_id: int, category_label: str, where: str) -> str:
    return f"有请当事人会办：#{case_id} {category_label}{where}"


def merged_from(case_id: int) -> str:
    return f"由 #{case_id} 合并"


def merged_into_note(case_id: int) -> str:
    return f"并入 #{case_id}"


def month_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


def slowest_row(case_id: int, category: str, took: timedelta) -> str:
    return f"#{case_id} {category} {duration(took)}"


def group_complaint_row(case_id: int, category: str, location: str, people: int) -> str:
    return f"#{case_id} {category}{location}（{people}人）"


# --- actions named when a rule refuses them (“#12 已办结，不能签收”) ---------------------

ACKNOWLEDGE_ACTION = "签收"
UPDATE_ACTION = "反馈进展"
RESOLVE_ACTION = "办结"
EXTEND_ACTION = "延期"
RATE_ACTION = "评价"
WITHDRAW_ACTION = "撤回"
CLOSE_ACTION = "关闭"
ASSIGN_ACTION = "指派"
ESCALATE_ACTION = "升级"
TRANSFER_ACTION = "转办"
MERGE_ACTION = "合并"
RECATEGORIZE_ACTION = "改类"
CONVENE_ACTION = "会办"
ANNOUNCE_ACTION = "告知"
OPEN_DISCUSSION_ACTION = "开始协商"
CLOSE_DISCUSSION_ACTION = "结束协商"
OPEN_VOTE_ACTION = "表决"
VOTE_ACTION = "投票"
CLOSE_VOTE_ACTION = "结束表决"
DECIDE_ACTION = "形成决议"
END_PUBLICITY_ACTION = "结束公示"
FINISH_ACTION = "完成"
