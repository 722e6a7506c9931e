"""Coordination by grid workers and moderators: /指派, /升级, /转办, /合并, /关闭,
and /角色 to set a member's role, show it with its last change, or list the latest
changes (the rules, and which word wins, are in bot.domain.roles)."""

from __future__ import annotations

from bot import texts
from bot.dispatcher import Context, Dispatcher, Refusal, UsageError
from bot.domain import case_actions as actions
from bot.domain import roles as role_rules
from bot.domain.desk import ACTION_ABILITY
from bot.domain.roles import ROLES, role_code, role_label
from bot.handlers.args import case_ref, split_first
from bot.handlers.lookup import load_case, named_member

ROLE_LOG_WORDS = ("记录", "日志", "log", "history")
ROLE_LOG_SIZE = 10


def register(dispatcher: Dispatcher) -> None:
    dispatcher.command("指派", "assign",
                       ability=ACTION_ABILITY["assign"],
                       refusal_hint=texts.COORDINATOR_ONLY_HINT)(assign)
    dispatcher.command("升级", "escalate",
                       ability=ACTION_ABILITY["escalate"],
                       refusal_hint=texts.COORDINATOR_ONLY_HINT)(escalate)
    dispatcher.command("转办", "transfer",
                       ability=ACTION_ABILITY["transfer"],
                       refusal_hint=texts.COORDINATOR_ONLY_HINT)(transfer)
    dispatcher.command("合并", "merge",
                       ability=ACTION_ABILITY["merge"],
                       refusal_hint=texts.COORDINATOR_ONLY_HINT)(merge)
    dispatcher.command("关闭", "close",
                       ability=ACTION_ABILITY["close"], refusal_hint=texts.CLOSE_HINT)(close)
    dispatcher.command("角色", "role",
                       ability=ACTION_ABILITY["role"],
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
    ctx.replies.extend(actions.assign(ctx.repos, ctx.config, case, ctx.member, assignee,
                                      ctx.now, here=ctx.group.id))


def escalate(ctx: Context, args: str) -> None:
    case_id, reason = _case_and_rest(args)
    case = load_case(ctx, case_id)
    ctx.replies.extend(actions.escalate(ctx.repos, ctx.community, case, ctx.member, reason,
                                        ctx.now))


def transfer(ctx: Context, args: str) -> None:
    case_id, rest = _case_and_rest(args, texts.TRANSFER_UNIT_MISSING)
    unit, reason = split_first(rest)
    case = load_case(ctx, case_id)
    ctx.replies.extend(actions.transfer(ctx.repos, case, ctx.member, unit, reason, ctx.now))


def merge(ctx: Context, args: str) -> None:
    parts = args.split()
    if len(parts) != 2:
        raise UsageError(texts.TWO_CASE_IDS_MISSING)
    source, target = (load_case(ctx, case_ref(p)) for p in parts)
    ctx.replies.extend(actions.merge(ctx.repos, source, target, ctx.member, ctx.now))


def close(ctx: Context, args: str) -> None:
    case_id, reason = _case_and_rest(args, texts.CLOSE_REASON_MISSING)
    case = load_case(ctx, case_id)
    ctx.replies.extend(actions.close(ctx.repos, case, ctx.member, reason, ctx.now))


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
    code = role_code(words[-1])
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
