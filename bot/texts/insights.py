"""未诉先办 hot spots, the check-ups and topics opened from them, the weekly post to
moderators, the desk's 三率 page and the Excel report's extra sheets and charts."""

from __future__ import annotations

from bot.texts.common import excerpt
from bot.texts.deliberation import topic_ref

HOTSPOT_KIND_LABELS = {"place": "同一地点反复", "outage": "反复停水停电停气",
                       "reopens": "反复不满意"}
WHOLE_COMMUNITY = "全小区"


def hotspot_where(where: str) -> str:
    return where or WHOLE_COMMUNITY


def hotspot_line(kind: str, category: str, where: str, count: int, days: int,
                 case_ids: list[int]) -> str:
    """One hot spot in a list: what, where, how often, which cases."""
    refs = " ".join(f"#{i}" for i in case_ids[:8]) + (" …" if len(case_ids) > 8 else "")
    return (f"· {hotspot_where(where)} {category}：{days}天内{count}次"
            f"（{HOTSPOT_KIND_LABELS[kind]}）{refs}")


def reopens_line(name: str, count: int, days: int, case_ids: list[int]) -> str:
    refs = " ".join(f"#{i}" for i in case_ids[:8])
    return f"· {name}：{days}天内{count}次不满意重办 {refs}"


def hotspots_weekly(lines: list[str], hidden_people: int) -> str:
    """The weekly post to moderators: new hot spots only."""
    text = "🔎 未诉先办：本周新发现的反复问题\n" + "\n".join(lines)
    if hidden_people:
        text += f"\n另有 {hidden_people} 位居民的诉求反复不满意，请到后台“反复问题”查看。"
    return text + "\n可以在后台一键发起议题或安排上门排查。"


def hotspot_topic_title(category: str, where: str, count: int) -> str:
    return f"未诉先办：{hotspot_where(where)}{category}反复出现（{count}件）"


def reopens_topic_title(category: str, count: int) -> str:
    return f"未诉先办：{category}诉求反复不满意（{count}件）"


def hotspot_topic_posted(topic_id: int, title: str, case_ids: list[int]) -> str:
    refs = " ".join(f"#{i}" for i in case_ids)
    return (f"🗂 社区发起议题 {topic_ref(topic_id, title)}，关联工单 {refs}。"
            f"想一起商量的邻居请关注，进展发送 /议题列表 查看。")


def checkup_text(category: str, where: str, count: int, days: int) -> str:
    return (f"未诉先办上门排查：{hotspot_where(where)}{category}，{days}天内反映{count}次，"
            f"请排查根源。")


def checkup_posted(case_id: int, category: str, where: str, respond_by: str) -> str:
    return (f"🔧 未诉先办 #{case_id} {category} {hotspot_where(where)}：这里反复出问题，"
            f"社区安排上门排查根源。请在 {respond_by} 前签收：回复“#{case_id} 收到”"
            f"或发送 /接单 #{case_id}")


def hotspot_topic_exists(topic_id: int) -> str:
    return f"这些工单已经在议题 T{topic_id} 里了。"


def checkup_exists(case_id: int) -> str:
    return f"已经安排过排查 #{case_id}，还没有办结。"


HOTSPOT_GONE = "这个反复问题已经不在近期名单里了，请刷新页面。"

# --- the desk's pages and the Excel report ---------------------------------------------------

DIMENSION_LABELS = {"week": "按周", "month": "按月", "category": "按类别", "group": "按群",
                    "assignee": "按承办人", "tier": "按层级"}
UNASSIGNED_LABEL = "未指派"
TREND_COLUMNS = ["时段/对象", "受理", "响应率", "解决率", "满意率", "平均签收(小时)",
                 "P90签收(小时)", "平均办结(小时)", "P90办结(小时)", "超时", "重新处理"]
RATE_SERIES = ["响应率", "解决率", "满意率"]


def week_label(monday: str) -> str:
    """'2026-11-23' -> '11-23周'."""
    return f"{monday[5:]}周"


def tier_label(number: int, name: str) -> str:
    return f"第{number}级 {name}".strip()


def case_title(case_id: int, category: str, text: str) -> str:
    return f"#{case_id} {category} {excerpt(text, 24)}"


def desk_topic_done(topic_id: int) -> str:
    return f"已发起议题 T{topic_id}，关联的工单都挂上了，群里已发通知。"


def desk_checkup_done(case_id: int) -> str:
    return f"已安排上门排查 #{case_id}，负责人员已在群里收到通知。"


DESK_BAD_PERIOD = "月份格式不对，请用 2026-11 这样的写法。"
NO_VALUE = "—"
