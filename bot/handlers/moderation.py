"""Coordination by grid workers and moderators: /指派, /升级, /转办, /合并, /关闭,
and /角色 to set a member's role, show it with its last change, or list the latest
changes (the rules, and which word wins, are in bot.domain.roles)."""

from __future__ import annotations

from bot import texts
from bot.dispatcher import Context, Dispatcher, Refusal, UsageError
from bot.domain import cases as rules
from bot.domain import corrections
from bot.domain import roles as role_rules
from bot.domain.roles import ROLE_CODES, ROLES, classifier_role, role_label
from bot.domain.routing import tier_name
from bot.events import Mention
from bot.handlers.args import case_ref, split_first
from bot.handlers.history import notify_assignee_privately
from bot.handlers.lookup import load_case, named_member

ROLE_WORDS = {**{label: code for code, label in ROLES.items()}, **{c: c for c in ROLE_CODES},
              "维修": "repair", "师傅": "repair", "物业": "property_service",
              "客服": "property_service",
              "社区": "moderator", "主持人": "moderator", "书记": "moderator",
              "街道联络人": "street_liaison"}
ROLE_LOG_WORDS = ("记录", "日志", "log", "history")
ROLE_LOG_SIZE = 10


def register(dispatcher: Dispatcher) -> None:
    dispatcher.command("指派", "assign",
                       ability="coordinate",
                       refusal_hint=texts.COORDINATOR_ONLY_HINT)(assign)
    dispatcher.command("升级", "escalate",
                       ability="coordinate",
                       refusal_hint=texts.COORDINATOR_ONLY_HINT)(escalate)
    dispatcher.command("转办", "transfer",
                       ability="coordinate",
                       refusal_hint=texts.COORDINATOR_ONLY_HINT)(transfer)
    dispatcher.command("合并", "merge",
                       ability="coordinate",
                       refusal_hint=texts.COORDINATOR_ONLY_HINT)(merge)
    dispatcher.command("关闭", "close",
                       ability="moderate", refusal_hint=texts.CLOSE_HINT)(close)
    dispatcher.command("角色", "role",
                       ability="moderate",
                       refusal_hint=texts.COORDINATOR_ONLY_HINT)(role)


def _case_and_rest(args: str, need_rest: str = "") -> tuple[int, str]:
    first, rest = split_first(args)
    if not first:
        raise UsageError(texts.CASE_ID_MISSING)
    case_id = case_ref(first)
    if need_rest and not rest.strip():
        raise UsageError(need_rest)
    return case_id, rest.strip()



def assign(ctx: Context, args: str) -> None:
    case_id, rest = _case_and_rest(args, texts.ASSIGNEE_MISSING)
    assignee = named_member(ctx, rest)
    case = load_case(ctx, case_id)
    rules.assign(ctx.repos, case, ctx.member, assignee, ctx.now)
    ctx.reply(texts.case_assigned(case.id, assignee.name), kind="ping",
              mentions=Mention.of([assignee]), case_id=case.id)
    notify_assignee_privately(ctx, case, assignee)  # WeCom app: the case, privately


def escalate(ctx: Context, args: str) -> None:
    case_id, reason = _case_and_rest(args)
    case = load_case(ctx, case_id)
    outcome = rules.escalate(ctx.repos, ctx.community, case, ctx.member, reason, ctx.now)
    ctx.reply(texts.case_escalated(case.id, tier_name(ctx.community, case.tier), reason),
              kind="escalation", mentions=Mention.of(outcome.ping), case_id=case.id)


def transfer(ctx: Context, args: str) -> None:
    case_id, rest = _case_and_rest(args, texts.TRANSFER_UNIT_MISSING)
    unit, reason = split_first(rest)
    case = load_case(ctx, case_id)
    rules.transfer(ctx.repos, case, ctx.member, unit, reason, ctx.now)
    ctx.reply(texts.case_transferred(case.id, unit, reason),
              mentions=Mention.of(rules.complainants(case)), case_id=case.id)


def merge(ctx: Context, args: str) -> None:
    parts = args.split()
    if len(parts) != 2:
        raise UsageError(texts.TWO_CASE_IDS_MISSING)
    source, target = (load_case(ctx, case_ref(p)) for p in parts)
    rules.merge(ctx.repos, source, target, ctx.member, ctx.now)
    ctx.reply(texts.case_merged(source.id, target.id, len(target.complainants)),
              mentions=Mention.of(rules.complainants(target)), case_id=target.id)


def close(ctx: Context, args: str) -> None:
    case_id, reason = _case_and_rest(args, texts.CLOSE_REASON_MISSING)
    case = load_case(ctx, case_id)
    rules.close(ctx.repos, case, ctx.member, reason, ctx.now)
    if reason.strip() == texts.NOT_A_COMPLAINT_REASON:  # a false alarm becomes data
        complainant = ctx.repos.members.get(case.complainant_id)
        corrections.record(ctx.repos, case=case, kind="false_alarm", is_complaint=False,
                           sender_role=classifier_role(complainant.role_codes)
                           if complainant else "resident", actor=ctx.member, now=ctx.now)
    ctx.reply(texts.case_closed(case.id, reason), mentions=Mention.of(rules.complainants(case)),
              case_id=case.id)


def role(ctx: Context, args: str) -> None:
    words = args.split()
    if not words:
        raise UsageError(texts.ROLE_RULE)
    if len(words) == 1 and words[0].lower() in ROLE_LOG_WORDS:
        _role_log(ctx)
    elif len(words) == 1:
        _show_role(ctx, named_member(ctx, words[0]))
    else:
        _set_role(ctx, words)


def _set_role(ctx: Context, words: list[str]) -> None:
    code = ROLE_WORDS.get(words[-1])
    if code is None:
        raise Refusal(texts.UNKNOWN_ROLE.format(role=texts.quote(words[-1]),
                                                choices=texts.listing(ROLES.values())))
    member = named_member(ctx, " ".join(words[:-1]))
    if role_rules.set_in_chat(ctx.repos, ctx.member, member, code, ctx.now) is None:
        ctx.reply(texts.role_unchanged(member.name, ROLES[code]))
        return
    ctx.reply(texts.role_set(member.name, ROLES[code]))


def _event_line(ctx: Context, event) -> str:
    return texts.role_event_line(
        texts.clock(ctx.local(event.at)), event.actor.name if event.actor else None,
        event.member.name, [role_label(c) for c in event.old_roles],
        [role_label(c) for c in event.new_roles])


def _show_role(ctx: Context, member) -> None:
    last = ctx.repos.members.role_events(ctx.community.id, member.id, limit=1)
    ctx.reply(texts.member_roles(member.name, [role_label(c) for c in sorted(member.role_codes)],
                                 texts.ROLE_SOURCE_LABELS[role_rules.role_source(member)],
                                 _event_line(ctx, last[0]) if last else None))


def _role_log(ctx: Context) -> None:
    events = ctx.repos.members.role_events(ctx.community.id, limit=ROLE_LOG_SIZE)
    ctx.reply(texts.role_log([_event_line(ctx, e) for e in events]) if events
              else texts.ROLE_LOG_EMPTY)
