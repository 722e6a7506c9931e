"""The monthly report as a file (`python -m bot report`): headings and labels."""

from __future__ import annotations

EXPORT_CASE_COLUMNS = ["社区", "工单", "类别", "位置", "状态", "诉求人数", "用时", "群体诉求",
                       "紧急"]
EXPORT_YES = "是"
EXPORT_NONE_ROW = "- 无"
EXPORT_SUMMARY_HEAD = ["指标", "数值"]
EXPORT_CATEGORY_HEAD = ["类别", "件数"]
EXPORT_SUMMARY_LABELS = ["受理", "响应率", "解决率", "满意率", "超时", "重新处理", "群体诉求"]
EXPORT_SLOWEST = "用时最长"
EXPORT_GROUP_COMPLAINTS = "群体诉求"
EXPORT_CASES = "工单明细"
EXPORT_BY_CATEGORY = "按类别"


def export_title(community: str, month: str) -> str:
    return f"{community} {month} 社情民意月报"


def export_slowest_row(case_id: int, category: str, location: str, took: str,
                       state: str) -> str:
    return f"- #{case_id} {category}{location}：{took}（{state}）"


def export_group_row(case_id: int, category: str, location: str, complainants: int,
                     state: str) -> str:
    return f"- #{case_id} {category}{location}：{complainants} 人（{state}）"


def export_sheet(community: str, kind: str) -> str:
    """A sheet's name: the community (cut to 20) and 汇总 (summary) or 明细 (cases)."""
    return f"{community[:20]}{'汇总' if kind == 'summary' else '明细'}"


# --- the Excel workbook (typed cells, charts) and the printable page ------------------------

EXPORT_TABLE_COLUMNS = ["社区", "工单", "类别", "位置", "状态", "诉求人数", "受理时间",
                        "签收时间", "办结时间", "用时(小时)", "群体诉求", "紧急"]
EXPORT_CHART_CATEGORIES = "各类别件数"
EXPORT_CHART_CATEGORY_SHARE = "类别占比"
EXPORT_CHART_RATES = "三率（按周）"
EXPORT_CHART_OPENED = "受理件数（按周）"
EXPORT_AXIS_COUNT = "件数"
EXPORT_AXIS_RATE = "比率"
EXPORT_AXIS_WEEK = "周"
EXPORT_PRINT = "打印"
EXPORT_GENERATED = "生成时间"
EXPORT_WEEKLY = "三率（按周）"
EXPORT_NO_CASES = "本月没有工单。"


def export_trend_sheet(community: str) -> str:
    return f"{community[:20]}趋势"
