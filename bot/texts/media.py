"""Photos: the answer to a photo sent alone, the count in /工单 #N, and what staff read
about a customer group the bot cannot post in (会话内容存档)."""

from __future__ import annotations

PHOTO_KIND = {"before": "问题照片", "after": "完工照片"}

PHOTO_NO_CASE = "收到照片，谢谢！如需报修，请再用一句话说说是哪里、什么问题。"
PHOTO_REFUSED = "抱歉，这张照片没能保存（只收 JPG、PNG 图片，且不能太大），文字内容已收到。"


def photo_attached(case_id: int, kind: str, count: int) -> str:
    what = PHOTO_KIND.get(kind, "照片")
    return f"收到{count}张{what}，已放进工单 #{case_id}，谢谢！"


def case_photos(before: int, after: int) -> str:
    """The line /工单 #N adds when the case has photos."""
    if not (before or after):
        return ""
    return f"\n照片：处理前 {before} 张，处理后 {after} 张"


def archive_relay(group_name: str, text: str) -> str:
    """A post meant for a customer group, sent to staff privately (the bot cannot post
    there): the group, then what to tell the residents."""
    return f"【{group_name}】（机器人无法在客户群发言，请您转告）\n{text}"
