"""The net: /立案, asking when unsure, /改类 (hearing every complaint)."""

from __future__ import annotations

from bot.texts.common import quote

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
    return f"没有“{quote(word)}”这个类别，可选：{choices}"


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
    return f"不认识“{quote(word)}”，请写 本周 或 本月（也可以写 上周、上个月）。"


ADDRESSED_HELP = ("我在。有问题直接说，比如“3号楼电梯坏了”，我会登记并通知负责人员；"
                  "查看进度发 /工单 我的，全部用法发 /帮助。")
