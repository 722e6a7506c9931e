"""Texts of the one-tap cards (模板卡片) and of voice messages: card titles, fields and
buttons, what a card says after a tap, refusals shown on a card, the voice mark."""

from __future__ import annotations

from datetime import datetime

from bot.texts.common import clock, quote

# --- staff case cards (private, through the self-built app) -------------------------------

CASE_BUTTONS = {"claim": "签收", "transfer": "转办", "view": "查看"}
CARD_FIELD_CATEGORY = "类别"
CARD_FIELD_PLACE = "位置"
CARD_FIELD_RESPOND_BY = "签收期限"
CARD_FIELD_RESOLVE_BY = "办结期限"
CARD_FIELD_GROUP = "来自"
CARD_NO_PLACE = "未写明"
CARD_SOURCE = "邻里议事"


def case_card_title(case_id: int, urgent: bool, escalated: bool) -> str:
    head = "【紧急】" if urgent else ""
    what = "升级" if escalated else "新工单"
    return f"{head}{what} #{case_id}"


def case_card_quote(text: str) -> str:
    """The resident's words on the card: a short excerpt (masked by the outbox)."""
    return f"居民说：{quote(text)}"


def case_card_text(case_id: int, category_label: str, location: str, text: str,
                   group_name: str, urgent: bool, escalated: bool) -> str:
    """The plain text standing for a case card (journal, simulator, channels without
    cards)."""
    where = f"（{location}）" if location else ""
    return (f"📌 {case_card_title(case_id, urgent, escalated)}：{category_label}{where}\n"
            f"内容：{quote(text)}\n来自：{group_name}。点“签收”即可签收，或发送 /接单 #{case_id}。")


# --- after 签收 by a tap: the card to finish with -----------------------------------------

WORKING_BUTTONS = {"resolve": "办结", "view": "查看"}


def working_card_title(case_id: int) -> str:
    return f"#{case_id} 已签收，修好后点“办结”"


def working_card_text(case_id: int) -> str:
    return f"✅ {working_card_title(case_id)}，或发送 /办结 #{case_id}。"


# --- the rating result card (private, after 办结) -----------------------------------------

def result_card_title(case_id: int, rating_label: str) -> str:
    return f"#{case_id} 居民评价：{rating_label}"


def result_card_text(case_id: int, category_label: str, rating_label: str,
                     group_name: str) -> str:
    return f"⭐ #{case_id} {category_label}（{group_name}）已办结，居民评价：{rating_label}。"


# --- group cards (the AI bot's push): rating and vote --------------------------------------

def rating_card_title(case_id: int) -> str:
    return f"#{case_id} 已办结，请您评价"


def rating_card_desc(category_label: str, location: str) -> str:
    return f"{category_label}（{location}）" if location else category_label


def vote_card_title(topic_id: int, title: str) -> str:
    return f"表决 T{topic_id}：{quote(title)}"


def vote_card_desc(ends_at: datetime) -> str:
    return f"选一项后点“投票”，{clock(ends_at)} 截止"


VOTE_SUBMIT = "投票"


# What a tap does, as the tapper would type it (run through the same dispatcher).
TAP_COMMANDS = {"claim": "/接单 #{case}", "resolve": "/办结 #{case}",
                "transfer": "/转办 #{case}", "view": "/工单 #{case}",
                "rate": "/评价 #{case} {word}", "vote": "/投票 T{topic} {word}"}


def tap_command(action: str, case_id: int | None, topic_id: int | None, word: str) -> str:
    return TAP_COMMANDS[action].format(case=case_id, topic=topic_id, word=word)


# --- after a tap ---------------------------------------------------------------------------

TAP_DONE = {"claim": "已签收", "transfer": "请按提示转办", "view": "详情已发给您",
            "resolve": "已办结"}


def tap_done(action_word: str, name: str, at: datetime) -> str:
    """What a card's button says after a tap that worked: who did what, when."""
    return f"{name}{action_word} {clock(at)}"


def rated_on_card(name: str, rating_label: str) -> str:
    return f"{name}已评价：{rating_label}"


def voted_on_card(name: str, option: str) -> str:
    return f"{name}已投票：{option}"


TAP_REFUSED = "未能操作"
TAP_ALREADY = "您已经点过这个按钮了。"
TAP_NOT_YOURS = "这张卡片是发给别人的，您不能替他操作。"
TAP_EXPIRED = "这张卡片已经失效了。"
TAP_ONLY_COMPLAINANT = "只有反映问题的邻居可以评价。"


def tap_refused(reason: str) -> str:
    """A refused tap, said privately (never in the group)."""
    return f"卡片操作未完成：{reason}"


# --- voice ---------------------------------------------------------------------------------

VOICE_MARK = "（🎤语音）"  # after a timeline label: the message was spoken
