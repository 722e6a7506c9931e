"""The group-chat simulator (demo page): what its fast-forward says, the labels under the
bot's posts, the day and time shown with each message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

# --- the simulator page (demo) ---------------------------------------------------------

CLOCK_ONLY_FORWARD = "只能快进，不能回到过去。"
CLOCK_FIXED = "这个模拟器的时钟不能快进。"
FAST_FORWARD_TIME_UNREADABLE = "时间看不懂，请写成 2026-11-21T18:00 这样。"
FAST_FORWARD_TOO_FAR = "一次最多快进一年（8784 小时）。"

# What a post of the bot is, shown under it in the simulator. An answer to someone's
# message has no label: only what the bot says on its own is marked.
POST_KIND_LABELS = {
    "ping": "通知",
    "nudge": "催办",
    "reminder": "提醒",
    "escalation": "超时升级",
    "rating_request": "请评价",
    "digest": "进度汇总",
    "report": "月报",
    "topic": "议事",
    "vote": "表决",
    "publicity": "公示",
    "notice": "通知",
}

WEEKDAYS = "一二三四五六日"


def post_kind_label(kind: str) -> str:
    return POST_KIND_LABELS.get(kind, "")


def day_label(when: datetime) -> str:
    """12月3日 周四"""
    return f"{when.month}月{when.day}日 周{WEEKDAYS[when.weekday()]}"


def time_label(when: datetime) -> str:
    """24-hour time: 18:00"""
    return when.strftime("%H:%M")


def fast_forwarded(when: datetime, posts: Sequence[tuple[str, int]]) -> str:
    """The line under the chat after a fast-forward: where the clock is now, and what the
    scheduled work said in this group on the way (label, count)."""
    head = f"已快进到 {day_label(when)} {time_label(when)}，这段时间的定时任务都已运行。"
    if not posts:
        return head + "本群没有到期的提醒或汇总。"
    return head + "本群新消息：" + "、".join(f"{label or '其他'} {n} 条"
                                        for label, n in posts) + "。"
