"""Staff work on cases: /接单, /进展, /办结, /延期, and the same in plain words
(“#12 收到，马上到”, “#12 好的明天上午换灯泡”, “处理好了”) — a reply that names a case,
quotes the bot's message about it, or (naming none) fits the sender's one candidate case;
with several candidates the bot asks which, and “#5” / “5” answers."""

from __future__ import annotations

from bot import texts
from bot.config import parse_duration
from bot.dispatcher import Context, Dispatcher, Refusal, UsageError
from bot.domain import case_actions as actions
from bot.domain import cases as rules
from bot.domain.civility import masked
from bot.domain.desk import ACTION_ABILITY
from bot.domain.permissions import may_work_on
from bot.domain.roles import COORDINATOR_ROLES, STAFF_ROLES, is_staff_like
from bot.domain.staff_replies import (
    CLAIM,
    PICK_LIMIT,
    PROGRESS,
    RECENT_PINGS,
    RESOLVE,
    SAFETY,
    WHICH_CASE,
    Evidence,
    candidates,
    needs_acknowledgement,
    relayed_colleague,
    reply_action,
    reply_intent,
    to_everyone,
)
from bot.events import Mention
from bot.handlers.args import (
    bare_case_ref,
    case_ref,
    case_refs_in,
    split_first,
    without_leading_case_refs,
)
from bot.handlers.cases import ALL_OPEN, say_progress
from bot.handlers.lookup import classification, load_case, mentioned_names, quoted_cases
from storage.models import Case, Member, PendingQuestion


def register(dispatcher: Dispatcher) -> None:
    hint = texts.STAFF_ONLY_HINT
    dispatcher.command("接单", "claim", ability=ACTION_ABILITY["acknowledge"],
                       refusal_hint=hint)(claim)
    dispatcher.command("进展", "update",
                       ability=ACTION_ABILITY["progress"], refusal_hint=hint)(update)
    dispatcher.command("办结", "resolve",
                       ability="staff", refusal_hint=hint)(resolve)
    dispatcher.command("延期", "extend",
                       ability=ACTION_ABILITY["extend"], refusal_hint=hint)(extend)


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
    ctx.replies.extend(actions.acknowledge(ctx.repos, case, ctx.member, ctx.now))


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
    ctx.replies.extend(actions.progress(ctx.repos, case, ctx.member, note, ctx.now))


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
    ctx.replies.extend(actions.extend(ctx.repos, ctx.config, case, ctx.member, by, reason,
                                      ctx.now))


# --- plain words -------------------------------------------------------------------------------

def _named_cases(ctx: Context) -> list[int]:
    """The cases the message names, else those of the message it quotes (each once)."""
    return list(dict.fromkeys(case_refs_in(ctx.msg.text) or quoted_cases(ctx)))


def _do_progress(ctx: Context, case: Case, note: str) -> None:
    """A plan or progress in plain words: a progress note (and the 签收 it implies)."""
    if needs_acknowledgement(case):
        rules.acknowledge(ctx.repos, case, ctx.member, ctx.now)
        body = texts.case_acknowledged_with_progress(case.id, ctx.member.name, note)
    else:
        body = texts.case_progress(case.id, ctx.member.name, note)
    rules.add_progress(ctx.repos, case, ctx.member, note, ctx.now)
    ctx.reply(body, mentions=Mention.of(rules.complainants(case)), case_id=case.id)


def _act(ctx: Context, case: Case, intent: str, text: str) -> bool:
    """Apply the words to the case; False when they change nothing (收到 again)."""
    action = reply_action(intent, case, text)
    note = without_leading_case_refs(text)
    if action == RESOLVE:
        _do_resolve(ctx, case, note)
    elif action == PROGRESS:
        _do_progress(ctx, case, note)
    elif action == CLAIM:
        _do_claim(ctx, case)
    return action is not None


def _evidence(ctx: Context) -> Evidence:
    """What the message says about its case: the residents it @-mentions, the place and
    the things it names, and which cases the bot @-mentioned the sender about lately."""
    mentioned = {m.id for m in _mentioned(ctx) if not is_staff_like(m.role_codes)}
    since = ctx.now - max(RECENT_PINGS)
    pinged: dict = {}
    if not (ctx.msg.private or ctx.group.private):
        pinged = ctx.repos.outbox.case_pings(ctx.group.id, ctx.member.external_id, since)
    result = classification(ctx)

    def worked_on() -> dict:
        return ctx.repos.cases.acted_on_by(ctx.group.id, ctx.member.id, since)

    return Evidence(mentioned=frozenset(mentioned), place=result.location,
                    keywords=tuple(result.keywords), pinged=pinged, now=ctx.now,
                    text=ctx.msg.text, worked_on=worked_on)


def _mentioned(ctx: Context) -> list[Member]:
    """The members the message @-mentions (by the platform's ids, else by @name)."""
    found = [ctx.repos.members.by_external(ctx.community.id, x) for x in ctx.msg.mentions]
    found += [ctx.repos.members.by_name(ctx.community.id, name)
              for name in mentioned_names(ctx.msg.text)]
    return [m for m in found if m is not None and m.id != ctx.member.id]


# who relays a colleague's work: the property manager, grid workers, moderators
RELAYING_ROLES = frozenset({"property_service"}) | COORDINATOR_ROLES


def _colleagues(ctx: Context) -> list[Member]:
    return [m for m in ctx.repos.members.with_roles(ctx.community.id,
                                                    STAFF_ROLES | COORDINATOR_ROLES)
            if m.id != ctx.member.id]


def _speaks_of_colleague(ctx: Context) -> bool:
    """Words said to a colleague (@周阿姨 收到) or about a colleague's work (王师傅马上到,
    from someone who does not relay it) are no reply about a case of the sender's; a
    colleague named beside the sender's own work (地下室抽干了 周阿姨在消毒) is."""
    colleagues = _colleagues(ctx)
    text = ctx.msg.text.lstrip(" @＠")
    return (any(m.name and len(m.name) >= 2 and text.startswith(m.name) for m in colleagues)
            or relayed_colleague(ctx.msg.text, colleagues) is not None)


def _relay(ctx: Context, doer: Member, intent: str | None) -> bool:
    """A manager or grid worker relays a colleague's work (“收到 下午让王师傅去弄”, “王师傅
    已经在路上了”, “@王师傅 8号楼地下室爆管 先去关阀”): the case the words name, else the
    colleague's one candidate case (several: which?); signed for on the colleague's behalf
    when waiting, the words a progress note; a fix (王师傅修好了) resolves it."""
    intent = RESOLVE if intent == RESOLVE else PROGRESS
    named = _named_cases(ctx)
    if named:
        found = [_relayable(ctx, named[0], doer)]
    else:
        found = candidates(doer, intent, _open_cases(ctx), ctx.community, _evidence(ctx))
    if not found:
        return False
    if len(found) > 1:
        if len(found) > PICK_LIMIT or not _may_ask(ctx):
            return False
        _ask_which(ctx, found)
        return True
    return _relay_to(ctx, found[0], doer, intent)


def _relayable(ctx: Context, case_id: int, doer: Member) -> Case:
    """A case the sender or the colleague they relay may work on."""
    case = load_case(ctx, case_id)
    if not (may_work_on(ctx.member, case, ctx.community)
            or may_work_on(doer, case, ctx.community)):
        raise Refusal(texts.not_responsible(case.id))
    return case


def _relay_to(ctx: Context, case: Case, doer: Member, intent: str) -> bool:
    note = without_leading_case_refs(ctx.msg.text)
    if intent == RESOLVE:
        _do_resolve(ctx, case, note)
        return True
    outcome = rules.relay(ctx.repos, case, ctx.member, doer, note, ctx.now)
    body = (texts.case_relayed(case.id, ctx.member.name, doer.name, note)
            if outcome.note == "signed" else texts.case_progress(case.id, ctx.member.name, note))
    # the colleague learns the case is theirs; the residents where it stands
    people = [doer] + [m for m in rules.complainants(case) if m.id != doer.id]
    ctx.reply(body, mentions=Mention.of(people), case_id=case.id)
    return True


def _candidates(ctx: Context, intent: str) -> list[Case]:
    """The cases an unnamed reply may be about: of this conversation (of the community in
    a private chat with the bot)."""
    return candidates(ctx.member, intent, _open_cases(ctx), ctx.community, _evidence(ctx))


def _open_cases(ctx: Context) -> list[Case]:
    if ctx.msg.private or ctx.group.private:
        return ctx.repos.cases.open_in_community(ctx.community.id, ALL_OPEN)
    return ctx.repos.cases.open_in_group(ctx.group.id)


def _may_ask(ctx: Context) -> bool:
    """At most one 请问是哪一件？ per `cases.ask_at_most_every`, unless it was answered."""
    last = ctx.repos.questions.last_asked(ctx.member.id, kind=WHICH_CASE)
    return last is None or last.state == "accepted" or \
        last.asked_at <= ctx.now - ctx.config.cases.ask_at_most_every


def _ask_which(ctx: Context, found: list[Case]) -> None:
    ctx.repos.questions.close_open(ctx.member.id, ctx.group.id, WHICH_CASE, "replaced")
    ctx.repos.questions.add(PendingQuestion(group_id=ctx.group.id, member_id=ctx.member.id,
                                            inbound_id=ctx.inbound.id, category="",
                                            asked_at=ctx.now, kind=WHICH_CASE))
    if len(found) > PICK_LIMIT:
        ctx.reply(texts.which_case_of_many(len(found), found[-1].id),
                  mentions=Mention.of([ctx.member]))
        return
    words = ctx.config.deliberation.abusive_words
    ctx.reply(texts.which_case([(c.id, masked(c.text, words)) for c in found]),
              mentions=Mention.of([ctx.member]))


def _answer_to_which(ctx: Context) -> bool:
    """“#5” or “5” from a staff member the bot just asked 请问是哪一件？"""
    picked = bare_case_ref(ctx.msg.text)
    if picked is None:
        return False
    question = ctx.repos.questions.open_for(ctx.member.id, ctx.group.id,
                                            ctx.now - ctx.config.cases.ask_answer_window,
                                            kind=WHICH_CASE)
    if question is None:
        return False
    source = ctx.repos.inbound.get(question.inbound_id)
    if source is None:
        return False
    intent = reply_intent(source.text)
    doer = (relayed_colleague(source.text, _colleagues(ctx))
            if ctx.roles & RELAYING_ROLES else None)
    if intent is None and doer is not None:
        intent = PROGRESS  # the question was about a relayed instruction
    if intent is None:
        return False
    if doer is not None:
        case = _relayable(ctx, picked, doer)
        question.state = "accepted"
        return _relay_to(ctx, case, doer, RESOLVE if intent == RESOLVE else PROGRESS)
    case = _workable(ctx, picked)
    question.state = "accepted"
    if not _act(ctx, case, intent, source.text):
        say_progress(ctx, case)  # acknowledged meanwhile: where it stands
    return True


def _about_a_place(ctx: Context, text: str) -> bool:
    """Words with no clear intent that name the place of exactly one of the sender's cases
    (“9号楼装修的我让保安上去敲门了”) are news of that case: a progress note."""
    if _named_cases(ctx) or to_everyone(text) or _speaks_of_colleague(ctx):
        return False
    if not classification(ctx).location:
        return False
    found = _candidates(ctx, PROGRESS)
    if len(found) != 1:
        return False
    return _act(ctx, found[0], PROGRESS, text)


def _on_the_emergency(ctx: Context, intent: str | None, text: str) -> bool:
    """Safety instructions, even to everyone (大家别开关灯 别点火 开窗 我马上叫燃气公司),
    are the sender at work on the one emergency they answer for: a progress note on it
    (the 签收 too when it was waiting)."""
    if _named_cases(ctx):
        return False
    found = [c for c in _candidates(ctx, PROGRESS) if c.urgent]
    if len(found) != 1:
        return False
    return _act(ctx, found[0], PROGRESS, text)


def natural_reply(ctx: Context) -> bool:
    """A staff member's plain words about a case: “收到” acknowledges it, “明天上午换灯泡”
    is progress, “修好了” resolves it (see bot.domain.staff_replies)."""
    if not is_staff_like(ctx.roles):
        return False
    if _answer_to_which(ctx):
        return True
    text = ctx.msg.text
    intent = reply_intent(text)
    if ctx.roles & RELAYING_ROLES and not (intent != RESOLVE and to_everyone(text)):
        doer = relayed_colleague(text, _colleagues(ctx))
        if doer is not None:
            return _relay(ctx, doer, intent)
    if intent != RESOLVE and SAFETY.search(text) and _on_the_emergency(ctx, intent, text):
        return True
    if intent is None:
        return _about_a_place(ctx, text)
    named = _named_cases(ctx)
    if len(named) > 1 and not case_refs_in(text):
        # “收到” to a message listing several cases (a morning reminder): which one?
        ctx.reply(texts.quoted_many_cases(named))
        return True
    if named:
        ctx.repos.questions.close_open(ctx.member.id, ctx.group.id, WHICH_CASE, "replaced")
        # a 收到 for a case already acknowledged: the addressed listener gives its progress
        return _act(ctx, _workable(ctx, named[0]), intent, text)
    if (intent != RESOLVE and to_everyone(text)) or _speaks_of_colleague(ctx):
        # 明天上午停水检修，请大家提前储水 / 王师傅马上到: no case of the sender's (a fix said
        # to everyone — 8号楼下水通开了，大家别往下水道扔东西 — still reports a fix)
        return False
    found = _candidates(ctx, intent)
    if not found:
        return False  # a plain “收到” to some notice: nothing to do
    if len(found) > 1:
        if (intent == CLAIM and len(found) > PICK_LIMIT) or not _may_ask(ctx):
            return False  # a bare 收到 among many cases tells nothing worth a question
        _ask_which(ctx, found)
        return True
    return _act(ctx, found[0], intent, text)
