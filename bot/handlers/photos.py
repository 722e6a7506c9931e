"""Photos sent alone (no words): to the case they quote (a reply to the bot's post about
it, or to the complaint), else to the sender's case of the last few minutes — the one
they just complained about, or for staff the one they just resolved — with a short
thanks naming the case. With no such case the photo stays with the message: quietly in
a group (people share pictures all the time), with a short line in a private chat or
when the photo quotes the bot.
Photos with words are attached by the ingest path after the words are handled."""

from __future__ import annotations

from bot import texts
from bot.dispatcher import Context
from bot.domain.media import attach_alone, attach_to_named, photos_of_message
from bot.domain.roles import is_staff_like
from bot.domain.visibility import sees_details
from bot.handlers.lookup import addresses_bot, quoted_cases


def photo_listener(ctx: Context) -> bool:
    if ctx.msg.text.strip() or not (ctx.inbound.payload or {}).get("images"):
        return False
    rows = photos_of_message(ctx.repos, ctx.inbound.id)
    stored = [r for r in rows if r.status == "stored"]
    if not stored:
        if rows and addresses_bot(ctx):
            ctx.reply(texts.PHOTO_REFUSED)
        return True
    quoted = quoted_cases(ctx)
    case = ctx.repos.cases.get(quoted[0], ctx.community.id) if len(quoted) == 1 else None
    if case is not None and sees_details(ctx.member, ctx.group, case):
        found = attach_to_named(ctx.repos, rows=rows, member=ctx.member, case=case,
                                staff=is_staff_like(ctx.roles))
    else:
        found = attach_alone(ctx.repos, ctx.config.media, rows=rows, member=ctx.member,
                             group_id=ctx.group.id, now=ctx.now)
    if found is not None:
        ctx.reply(texts.photo_attached(found.case_id, found.kind, found.count),
                  case_id=found.case_id)
    elif addresses_bot(ctx):
        ctx.reply(texts.PHOTO_NO_CASE)
    return True
