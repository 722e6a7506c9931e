"""Staff work on cases: /接单, /进展, /办结, /延期, and the same in plain words
(“#12 收到，马上到”, “处理好了”) — a reply that names a case, quotes the bot's message
about it, or (naming none) applies to the one open case assigned to the sender."""

from __future__ import annotations

from bot import texts
from bot.config import parse_duration
from bot.dispatcher import Context, Dispatcher, Refusal, UsageError
from bot.domain import cases as rules
from bot.domain.permissions import may_work_on
from bot.domain.roles import is_staff_like
from bot.domain.staff_replies import CLAIM, RESOLVE, reply_action, reply_intent
from bot.events import Mention
from bot.handlers.args import case_ref, case_refs_in, split_first
from bot.handlers.lookup import load_case
from storage.models import Case


def register(dispatcher: Dispatcher) -> None:
    hint = texts.STAFF_ONLY_HINT
    dispatcher.command("接单", "claim", "/接单 #编号", "签收工单", ability="staff",
                       refusal_hint=hint)(claim)
    dispatcher.command("进展", "update", "/进展 #编号 内容", "反馈处理进展",
                       ability="staff", refusal_hint=hint)(update)
    dispatcher.command("办结", "resolve", "/办结 #编号 [说明]", "办结工单，请诉求人评价",
                       ability="staff", refusal_hint=hint)(resolve)
    dispatcher.command("延期", "extend", "/延期 #编号 时长 原因", "延长办结期限（如 2d、6h）",
                       ability="extend", refusal_hint=hint)(extend)


def _workable(ctx: Context, case_id: int) -> Case:
    case = load_case(ctx, case_id)
    if not may_work_on(ctx.member, case, ctx.community):
        raise Refusal(texts.not_responsible(case.id))
    return case


def _case_arg(args: str) -> tuple[int, str]:
    first, rest = split_first(args)
    if not first:
        raise UsageError(texts.CASE_ID_MISSING)
    return case_ref(first), rest.strip()


def _do_claim(ctx: Context, case: Case) -> None:
    rules.acknowledge(ctx.repos, case, ctx.member, ctx.now)
    ctx.reply(texts.case_acknowledged(case.id, ctx.member.name),
              mentions=Mention.of(rules.complainants(case)), case_id=case.id)


def _do_resolve(ctx: Context, case: Case, note: str) -> None:
    outcome = rules.resolve(ctx.repos, case, ctx.member, note, ctx.now)
    ctx.reply(texts.case_resolved(case.id, ctx.member.name, note), kind="rating_request",
              mentions=Mention.of(outcome.ping), case_id=case.id)


def claim(ctx: Context, args: str) -> None:
    case_id, _ = _case_arg(args)
    _do_claim(ctx, _workable(ctx, case_id))


def update(ctx: Context, args: str) -> None:
    case_id, note = _case_arg(args)
    if not note:
        raise UsageError(texts.PROGRESS_MISSING)
    case = _workable(ctx, case_id)
    rules.add_progress(ctx.repos, case, ctx.member, note, ctx.now)
    ctx.reply(texts.case_progress(case.id, ctx.member.name, note),
              mentions=Mention.of(rules.complainants(case)), case_id=case.id)


def resolve(ctx: Context, args: str) -> None:
    case_id, note = _case_arg(args)
    _do_resolve(ctx, _workable(ctx, case_id), note)


def extend(ctx: Context, args: str) -> None:
    case_id, rest = _case_arg(args)
    span, reason = split_first(rest)
    if not span or not reason:
        raise UsageError(texts.EXTEND_USAGE)
    try:
        by = parse_duration(span)
    except ValueError:
        raise UsageError(texts.not_an_extension(span)) from None
    if by.total_seconds() <= 0:
        raise UsageError(texts.EXTEND_DURATION_NOT_POSITIVE)
    case = _workable(ctx, case_id)
    rules.extend(ctx.repos, case, ctx.member, by, reason, ctx.now)
    ctx.reply(texts.case_extended(case.id, ctx.local(case.resolve_by), reason),
              mentions=Mention.of(rules.complainants(case)), case_id=case.id)


# --- plain words -------------------------------------------------------------------------------

def _named_cases(ctx: Context) -> list[int]:
    """The cases the message names, else those of the bot's message it quotes (each once)."""
    ids = case_refs_in(ctx.msg.text)
    if not ids and ctx.msg.quote is not None:
        ids = case_refs_in(ctx.msg.quote.text)
    return list(dict.fromkeys(ids))


def natural_reply(ctx: Context) -> bool:
    """A staff member's “收到” / “修好了” acts as /接单 or /办结."""
    if not is_staff_like(ctx.roles):
        return False
    text = ctx.msg.text
    intent = reply_intent(text)
    if intent is None:
        return False
    named = _named_cases(ctx)
    if len(named) > 1 and not case_refs_in(text):
        # “收到” to a message listing several cases (a morning reminder): which one?
        ctx.reply(texts.quoted_many_cases(named))
        return True
    if named:
        case = _workable(ctx, named[0])
    else:
        mine = ctx.repos.cases.open_assigned_to(ctx.community.id, ctx.member.id)
        if not mine:
            return False  # a plain “收到” to some notice: nothing to do
        if len(mine) > 1:
            ctx.reply(texts.NATURAL_MANY_CASES.format(
                count=len(mine), ids=texts.listing(f"#{c.id}" for c in mine), first=mine[0].id))
            return True
        case = mine[0]
    action = reply_action(intent, case)
    if action == RESOLVE:
        _do_resolve(ctx, case, text.strip())
    elif action == CLAIM:
        _do_claim(ctx, case)
    return True
