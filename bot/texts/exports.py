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
