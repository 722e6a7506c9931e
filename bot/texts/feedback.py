"""Rating and withdrawal by the complainant."""

from __future__ import annotations

from collections.abc import Sequence

from bot.texts.common import listing, quote

# --- rating, withdrawal ----------------------------------------------------------------------

def case_rated(case_id: int, label: str) -> str:
    return f"谢谢您的评价！#{case_id} 评价为“{label}”，工单已关闭。"


def case_rated_all(case_id: int, label: str, case_label: str) -> str:
    """The last of several complainants has rated: the case closes with its one rating."""
    return f"谢谢您的评价（{label}）！#{case_id} 的诉求人都已评价，工单已关闭（{case_label}）。"


def case_rated_waiting(case_id: int, label: str, waiting: int) -> str:
    return (f"谢谢您的评价（{label}）！#{case_id} 还有 {waiting} 位诉求人没有评价，"
            f"都评价后（或评价期满）工单关闭。")


def case_reopened(case_id: int, comment: str, urgency: str = "", others: bool = False) -> str:
    """不满意 reopened the case; `urgency`: "kept" (an urgent case), "raised" (danger
    words made it urgent); `others`: other complainants are told too."""
    why = f"（{quote(comment)}）" if comment else ""  # a resident's words: an excerpt
    if urgency == "raised":
        text = (f"【紧急】#{case_id} 诉求人不满意{why}，有险情，工单已重新打开并升为紧急，"
                f"请立即处理。")
    elif urgency == "kept":
        text = (f"【紧急】#{case_id} 诉求人不满意{why}，紧急工单已重新打开，"
                f"请负责人立即处理，社区一起跟进。")
    else:
        text = (f"#{case_id} 诉求人不满意{why}，工单已重新打开。"
                f"请负责人和社区一起跟进，必要时当面协商。")
    if others:
        text += "\n其他诉求人：工单重新处理中，有进展会告诉您。"
    return text


def not_complainant(case_id: int, action: str) -> str:
    return (f"抱歉，只有 #{case_id} 的诉求人可以{action}。"
            f"如果您也遇到同样的问题，直接在群里说一下，我会把您加为诉求人。")


STAFF_ONLY_HINT = "居民有问题请直接在群里说，或用 /报修 内容；进度可发送 /工单 查看。"
COORDINATOR_ONLY_HINT = "如需处理，请在群里 @网格员 或 @社区 说明情况。"
CLOSE_HINT = "如需关闭请联系社区；诉求人可以用 /撤回 #编号 撤回自己的问题。"


RATE_USAGE_HINT = "请选择：满意、基本满意 或 不满意。"


def case_withdrawn(case_id: int) -> str:
    return f"#{case_id} 已撤回。以后有问题随时在群里说。"


def complainant_left(case_id: int, name: str, remaining: int) -> str:
    """One complainant of several withdrew: the case goes on for the others."""
    return f"{name} 已撤回自己在 #{case_id} 的诉求，工单继续为其他 {remaining} 位邻居处理。"


def complainant_left_closed(case_id: int, name: str, case_label: str) -> str:
    """One complainant withdrew and everyone left had rated: the case closes."""
    return (f"{name} 已撤回自己在 #{case_id} 的诉求。其他诉求人都已评价，"
            f"工单已关闭（{case_label}）。")


def bystander_thanks(case_id: int | None) -> str:
    """Thanks from someone who is not a complainant (no rating is recorded)."""
    if case_id is None:
        return "不客气，谢谢您的关心！有问题随时在群里说。"
    return f"谢谢您的关心！#{case_id} 的评价由反映问题的邻居来做。"


def rated_before_resolved(case_id: int) -> str:
    """满意 from a complainant whose case is still being worked on (not yet 办结)."""
    return f"谢谢您的反馈！#{case_id} 还在处理中，办结后会请您评价。"


CLOSED_UNRATED_NOTE = "超时未评价"


def ratings_waiting(case_ids: Sequence[int]) -> str:
    ids = listing(f"#{case_id}" for case_id in case_ids)
    return f"您有几个工单在等评价（{ids}），请带上编号，例如“#{case_ids[0]} 满意”。"
