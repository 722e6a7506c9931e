"""The desk (社区后台) as the chat tells of it: the one-time link of /后台, and the
refusals. (The desk's own pages keep their wording in bot/desk/templates.)"""

from __future__ import annotations

from datetime import datetime

from bot.texts.common import clock

DESK_PRIVATE_ONLY = "为保护居民隐私，后台登录链接只在和我的私聊里发送：请私聊我发送 /后台。"
DESK_OFF = "社区后台还没有开启（配置 desk.enabled），请联系管理员。"
DESK_HINT = "社区后台供网格员、社区书记和街道联络人使用。"


def desk_link(url: str, expires_at: datetime) -> str:
    return (f"社区后台登录链接（只能用一次，{clock(expires_at)} 前有效，请勿转发）：\n{url}")
