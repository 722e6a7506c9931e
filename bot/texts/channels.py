"""WeCom (企业微信) channels: private app chats, webhook health."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.texts.common import clock, quote

# --- WeCom (企业微信) channels: private app chats, webhook health ------------------------------

HISTORY_PRIVATE_ONLY = ("为保护居民隐私，/档案 只能在企业微信“邻里议事”应用的私聊里使用，"
                        "群里不会显示任何档案内容。"
                        "请在企业微信工作台打开应用，私聊发送 /档案 @某人。")


def history_row(case_id: int, day: datetime, category_label: str, location: str,
                state: str) -> str:
    where = f"·{location}" if location else ""
    return f"#{case_id} {day.strftime('%m-%d')} {category_label}{where} {state}"


def member_history(name: str, *, raised: int, open_count: int, done: int,
                   ratings: Sequence[tuple[str, int]], assigned: int,
                   recent: Sequence[str], similar: Sequence[str]) -> str:
    lines = [f"📁 {name} 的诉求档案",
             f"共反映 {raised} 件：进行中 {open_count} 件，已办结或关闭 {done} 件。"]
    if ratings:
        lines.append("评价：" + "，".join(f"{label} {n}" for label, n in ratings))
    if assigned:
        lines.append(f"被指派处理过 {assigned} 件工单。")
    if recent:
        lines.append("最近的工单：")
        lines.extend(f"  {row}" for row in recent)
    else:
        lines.append("暂无工单记录。")
    if similar:
        lines.append("附近同类、仍在办理的工单：")
        lines.extend(f"  {row}" for row in similar)
    return "\n".join(lines)


def assigned_privately(case_id: int, category_label: str, location: str, text: str,
                       resolve_by: datetime, group_name: str, urgent: bool) -> str:
    where = f"（{location}）" if location else ""
    head = "【紧急】" if urgent else ""
    return (f"📌 {head}您被指派处理工单 #{case_id}：{category_label}{where}\n"
            f"内容：{quote(text)}\n来自：{group_name}；办结期限 {clock(resolve_by)}。\n"
            f"请在群里回复“#{case_id} 收到”或发送 /接单 #{case_id}。")


def wecom_webhook_dead(group_name: str, since: str) -> str:
    """`since`: when the robot started failing, as `clock` writes it."""
    return f"⚠️ 企业微信群机器人失效：{group_name}（{since} 起；请重新添加群机器人）"


def wecom_webhook_failing(group_name: str, since: str) -> str:
    return f"⚠️ 企业微信群机器人发不出消息：{group_name}（{since} 起，正在重试）"
