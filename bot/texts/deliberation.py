"""Deliberation (议事): topics, discussion, votes, decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.texts.cases import timeline_lines
from bot.texts.common import clock, excerpt, quote

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
    """The one called now; `waiting`: raised hands still not called after them."""
    tail = f"（后面还有 {waiting} 位）" if waiting else "（后面暂时没有人举手，想发言请发送 /举手）"
    return f"请 {name} 发言{tail}"


NO_HANDS = "现在没有人举手。"


def message_limit_warning(name: str, limit: int) -> str:
    return f"{name} 您好，本次协商每人最多发 {limit} 条，请把时间留给其他邻居，谢谢理解。"


# 尊重他人: flagged to the moderators, never naming anyone in the group
RESPECT_REMINDER = "【尊重他人】请大家就事论事、文明议事。\n请主持人留意。"


def insult_flagged_privately(group: str, topic_id: int, title: str, name: str) -> str:
    return (f"【尊重他人】{group} 正在协商 {topic_ref(topic_id, title)}，{name} 刚才的发言"
            f"含有不文明用语，请您留意、私下提醒。")


COMPLAINT_IN_DISCUSSION_HINT = ("现在正在议事，这条先当作发言。如果是要报修，"
                                "请发送“/报修 问题和位置”，我马上登记。")


VOTE_OPTIONS_INVALID = "表决至少要两个不同的选项。"
CHAIR_DOES_NOT_VOTE = "主持中立：发起表决的主持人不参加投票。"


def vote_opened(topic_id: int, title: str, options: Sequence[str], ends: datetime,
                quorum: int) -> str:
    need = f"，至少 {quorum} 人投票才有效" if quorum else ""
    return (f"🗳 表决 {topic_ref(topic_id, title)}：选项 {' / '.join(options)}，"
            f"{clock(ends)} 截止{need}。\n"
            f"投票请发送 /投票 T{topic_id} 选项，截止前可以改票。")


def vote_recorded(voter: str, topic_id: int, option: str, changed: bool) -> str:
    """The receipt says whose vote it is (the group sees it)."""
    if changed:
        return f"{voter} 已改票：T{topic_id} 改投“{option}”。"
    return f"已记下 {voter} 的一票：T{topic_id} 投“{option}”。"


def which_vote(topic_ids: Sequence[int]) -> str:
    ids = "、".join(f"T{t}" for t in topic_ids)
    return f"现在有几项表决在进行（{ids}），请发送 /投票 T编号 选项。"


def vote_closed(topic_id: int) -> str:
    return f"T{topic_id} 的表决已经截止。"


def vote_unknown_option(option: str, options: Sequence[str]) -> str:
    return f"没有“{quote(option)}”这个选项，请从 {' / '.join(options)} 中选一个。"


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
    lines = [f"议题 T{topic_id}「{quote(title)}」（{TOPIC_KIND_LABELS.get(kind, kind)}）· {step}",
             "进程："]
    return "\n".join(lines + timeline_lines(timeline))


TOPIC_EVENT_LABELS = {"proposed": "提议", "announced": "告知", "discussion_opened": "开始协商",
                      "discussion_closed": "协商结束", "speaker_called": "点名发言",
                      "vote_opened": "发起表决", "vote_closed": "表决结束", "decided": "形成决议",
                      "publicity_ended": "公示期满", "done": "完成"}


def convened(topic_id: int, case_id: int, title: str) -> str:
    return (f"🤝 有请当事人会办：#{case_id} 转为议题 {topic_ref(topic_id, title)}。"
            f"请诉求人、负责人和相关部门一起协商解决，社区主持。")


def case_already_convened(case_id: int, topic_id: int) -> str:
    return f"#{case_id} 已经在议题 T{topic_id} 中会办了。"


COORDINATOR_HINT = "议事由网格员或社区主持；有想商量的事可以发送 /议题 标题 提出。"
DEFAULT_MEETING_WAY = "群内线上讨论"


def convene_title(case_id: int, category_label: str, where: str) -> str:
    return f"有请当事人会办：#{case_id} {category_label}{where}"
