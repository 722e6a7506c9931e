"""The complainant's side: /评价 (or plain “满意”, “还行”, “没修好” after a rating
request) and /撤回. 不满意 reopens the case and calls the grid worker and moderator."""

from __future__ import annotations

from bot import texts
from bot.dispatcher import Context, Dispatcher, Refusal, UsageError
from bot.domain import cases as rules
from bot.domain.permissions import is_complainant
from bot.domain.ratings import rating_in_reply, rating_label
from bot.events import Mention
from bot.handlers.args import case_ref, case_refs_in, split_first
from bot.handlers.lookup import load_case
from storage.models import Case


def register(dispatcher: Dispatcher) -> None:
    dispatcher.command("评价", "rate", "/评价 #编号 满意|基本满意|不满意 [意见]",
                       "评价办结的工单")(rate)
    dispatcher.command("撤回", "withdraw", "/撤回 #编号", "撤回自己反映的问题")(withdraw)


def _own_case(ctx: Context, case_id: int, action: str) -> Case:
    case = load_case(ctx, case_id)
    if not is_complainant(ctx.member, case):
        raise Refusal(texts.not_complainant(case.id, action))
    return case


def _record_rating(ctx: Context, case: Case, rating: str, comment: str) -> None:
    outcome = rules.rate(ctx.repos, ctx.community, case, ctx.member, rating, comment,
                         ctx.now)
    if rating == "unsatisfied":
        ctx.reply(texts.case_reopened(case.id, comment), kind="escalation",
                  mentions=Mention.of(outcome.ping), case_id=case.id)
    else:
        ctx.reply(texts.case_rated(case.id, texts.RATING_LABELS[rating]), case_id=case.id)


def rate(ctx: Context, args: str) -> None:
    first, rest = split_first(args)
    if not first:
        raise UsageError(texts.RATE_USAGE_HINT)
    case_id = case_ref(first)
    label, comment = split_first(rest)
    rating = rating_label(label)
    if rating is None:
        raise UsageError(texts.RATE_USAGE_HINT)
    _record_rating(ctx, _own_case(ctx, case_id, texts.RATE_ACTION), rating, comment)


def withdraw(ctx: Context, args: str) -> None:
    first, _ = split_first(args)
    if not first:
        raise UsageError(texts.CASE_ID_MISSING)
    case = _own_case(ctx, case_ref(first), texts.WITHDRAW_ACTION)
    rules.withdraw(ctx.repos, case, ctx.member, ctx.now)
    ctx.reply(texts.case_withdrawn(case.id), case_id=case.id)


def natural_rating(ctx: Context) -> bool:
    """After a rating request, the complainant's short “满意/还行/没修好” is the rating."""
    text = ctx.msg.text.strip()
    rating = rating_in_reply(text)
    if rating is None:
        return False
    waiting = ctx.repos.cases.resolved_for_complainant(ctx.community.id, ctx.member.id)
    if not waiting:
        return False
    named = case_refs_in(text) or (case_refs_in(ctx.msg.quote.text) if ctx.msg.quote else [])
    if named:
        case = next((c for c in waiting if c.id == named[0]), None)
        if case is None:
            return False
    elif len(waiting) == 1:
        case = waiting[0]
    else:
        ctx.reply(texts.ratings_waiting([c.id for c in waiting]))
        return True
    _record_rating(ctx, case, rating, text)
    return True
