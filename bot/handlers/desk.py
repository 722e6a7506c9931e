"""/后台 (`/desk`): a one-time sign-in link to the community desk, sent only in a private
chat with the bot (in a group: a one-line hint to ask privately)."""

from __future__ import annotations

from bot import texts
from bot.dispatcher import Context, Dispatcher, Refusal
from bot.domain.desk import issue_link, link_url


def register(dispatcher: Dispatcher) -> None:
    dispatcher.command("后台", "desk", ability="coordinate", refusal_hint=texts.DESK_HINT,
                       listed=lambda config: config.desk.enabled)(desk)


def desk(ctx: Context, args: str) -> None:
    if not (ctx.group.private or ctx.msg.private):
        raise Refusal(texts.DESK_PRIVATE_ONLY)
    if not ctx.config.desk.enabled:
        raise Refusal(texts.DESK_OFF)
    now = ctx.wall_now or ctx.now
    link = issue_link(ctx.repos, ctx.member, now, ctx.config.desk.link_minutes)
    ctx.reply(texts.desk_link(link_url(ctx.config, link.token),
                              link.expires_at.astimezone(ctx.config.tz)))
