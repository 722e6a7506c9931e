"""Rating and withdrawal by the complainant."""

from __future__ import annotations

from collections.abc import Sequence

from bot.texts.common import listing

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


CLOSED_UNRATED_NOTE = "超时未评价"


def ratings_waiting(case_ids: Sequence[int]) -> str:
    ids = listing(f"#{case_id}" for case_id in case_ids)
    return f"您有几个工单在等评价（{ids}），请带上编号，例如“#{case_ids[0]} 满意”。"
