"""Private moderator tools over the WeCom self-built app (1:1 chats, channel `wecom_app`):

- `/档案 @某人` (`/history`): a member's case history (counts, ratings, recent cases) and
  similar open cases nearby (same building or category). Grid workers and moderators
  only, and only in a private app chat: in a group it is refused, and nothing of a
  member's history is ever posted to a group.
(When `/指派` assigns a case and the app is enabled, the assignee also gets the case
privately: `bot.domain.case_actions.assign`.)
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from bot import texts
from bot.dispatcher import Context, Dispatcher, Refusal, UsageError
from bot.domain.categories import category_label
from bot.domain.groups import APP_CHANNEL
from bot.handlers.lookup import named_member
from storage.models import OPEN_STATES

if TYPE_CHECKING:
    from storage.models import Case, Member

RECENT = 5
SIMILAR = 5


def register(dispatcher: Dispatcher) -> None:
    dispatcher.command("档案", "history",
                       ability="coordinate",
                       refusal_hint=texts.COORDINATOR_ONLY_HINT)(history)


def _target(ctx: Context, args: str) -> Member:
    who = args.strip()
    if not who and not ctx.msg.mentions:
        raise UsageError(texts.HISTORY_TARGET_MISSING)
    if who and not who.startswith(("@", "＠")):
        member = (ctx.repos.members.by_external(ctx.community.id, who)
                  or ctx.repos.members.by_name(ctx.community.id, who))
        if member is None:
            raise Refusal(texts.MEMBER_NOT_FOUND.format(who=texts.quote(who)))
        return member
    return named_member(ctx, who.replace("＠", "@"))


def _row(ctx: Context, case: Case) -> str:
    return texts.history_row(case.id, ctx.local(case.opened_at), category_label(case.category),
                             texts.place(case.location), texts.state_label(case.state,
                                                                           case.rating))


def history(ctx: Context, args: str) -> None:
    if ctx.group.channel != APP_CHANNEL:
        raise Refusal(texts.HISTORY_PRIVATE_ONLY)
    member = _target(ctx, args)
    cases = ctx.repos.cases.raised_by(ctx.community.id, member.id)
    open_cases = [c for c in cases if c.state in OPEN_STATES]
    done = [c for c in cases if c.state in ("resolved", "closed")]
    ratings = Counter(texts.RATING_LABELS.get(c.rating, c.rating) for c in cases if c.rating)
    ctx.reply(texts.member_history(
        member.name, raised=len(cases), open_count=len(open_cases), done=len(done),
        ratings=ratings.most_common(), assigned=ctx.repos.cases.count_assigned_to(
            ctx.community.id, member.id),
        recent=[_row(ctx, c) for c in cases[:RECENT]],
        similar=[_row(ctx, c) for c in _similar_open(ctx, cases)]))


def _similar_open(ctx: Context, cases: list[Case]) -> list[Case]:
    """Open cases of others in the same building or of the same category as the
    member's recent cases, newest first."""
    recent = cases[:10]
    categories = {c.category for c in recent}
    buildings = {str(c.location.get("building")) for c in recent
                 if (c.location or {}).get("building")}
    if not categories and not buildings:
        return []
    own = {c.id for c in cases}
    found = [c for c in ctx.repos.cases.open_in_community(ctx.community.id, limit=500)
             if c.id not in own and (c.category in categories or str(
                 (c.location or {}).get("building", "")) in buildings)]
    return sorted(found, key=lambda c: c.id, reverse=True)[:SIMILAR]
