"""Usage and refusal lines of the handlers, and the actions a rule refuses."""

from __future__ import annotations

from bot.texts.common import quote

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
EMPTY_ARGUMENT = "（空）"


def not_a_case_ref(token: str) -> str:
    return f"“{quote(token)}”不是工单编号，请写成 #编号，例如 #12。"


def not_a_topic_ref(token: str) -> str:
    return f"“{quote(token)}”不是议题编号，请写成 T编号，例如 T1。"


def not_a_duration(token: str) -> str:
    return f"“{quote(token)}”不是时长，请写成 30分钟、2小时、2天 这样。"


def not_an_extension(span: str) -> str:
    return f"“{quote(span)}”不是时长，请写成 6小时、2天、1天半 这样（最长一年）。"


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
