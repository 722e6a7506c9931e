"""Intake and viewing of cases: a resident's complaint (recognised by the classifier) or
`/报修` opens a case and pings the routed staff; `/工单` lists cases or shows one."""

from __future__ import annotations

from bot import texts
from bot.dispatcher import Context, Dispatcher, UsageError
from bot.domain.cases import (
    asked_about,
    case_is_overdue,
    chased_case,
    complainants,
    find_duplicate,
    follow_up,
    join_case,
    joins_quoted,
    open_case,
    own_follow_up,
    problem_back,
    raise_urgency,
    responsible,
    says_back,
)
from bot.domain.categories import category_code, category_label
from bot.domain.civility import masked
from bot.domain.media import photo_counts
from bot.domain.roles import is_staff_like
from bot.domain.routing import tier_name
from bot.domain.safety import hazards
from bot.domain.visibility import sees_details
from bot.events import Mention
from bot.handlers.args import case_ref, case_refs_in, split_first
from bot.handlers.feedback import record_rating
from bot.handlers.lookup import addresses_bot, classification, quoted_cases, quotes_bot
from bot.texts import reach
from storage.models import UNACKNOWLEDGED_STATES, Case, InboundMessage, Member


def register(dispatcher: Dispatcher) -> None:
    dispatcher.command("报修", "report")(report)
    dispatcher.command("工单", "cases")(cases)


def complaint_listener(ctx: Context) -> bool:
    """A resident's message the classifier calls a complaint opens a case.

    Staff, grid workers and moderators talk about problems all day; their messages
    open cases only through /报修.
    """
    if not ctx.msg.text.strip():
        return False
    result = classification(ctx)
    # danger first: a staff member's or grid worker's report of danger opens an urgent case
    if is_staff_like(ctx.roles) and not (result.is_complaint and result.urgent):
        return False
    if not result.is_complaint:
        return _chased(ctx)
    open_from_message(ctx, ctx.msg.text, result, via="classifier")
    return True


def _chased(ctx: Context) -> bool:
    """A resident's chaser that is no complaint by itself (快点啊 老人有高血压) soon after
    their own case, or their question after it (楼道灯什么时候能修好啊): it follows that
    case up (its progress; its people pinged again when it is urgent and nobody has
    signed for it)."""
    if is_staff_like(ctx.roles):
        return False
    case = chased_case(ctx.repos, group=ctx.group, member=ctx.member, text=ctx.msg.text,
                       now=ctx.now, keywords=classification(ctx).keywords,
                       window=ctx.config.cases.duplicate_window)
    if case is None:
        return False
    _followed_up(ctx, case, ctx.member, ctx.msg.text, False, ctx.now)
    return True


def _quoted_complaint(ctx: Context, result) -> Case | None:
    """The open case of the neighbour's complaint this complaint quotes, if any."""
    if ctx.msg.quote is None or quotes_bot(ctx):
        return None
    for case_id in quoted_cases(ctx):
        case = ctx.repos.cases.get(case_id, ctx.community.id)
        if case is not None and joins_quoted(case, result.location):
            return case
    return None


def open_from_message(ctx: Context, text: str, result, via: str,
                      complainant: Member | None = None, source: InboundMessage | None = None,
                      at=None) -> Case:
    """Open (or join) the case a classified message describes; returns the case."""
    quoted = _quoted_complaint(ctx, result) if complainant is None and source is None else None
    complainant = complainant or ctx.member
    now = at or ctx.now
    if quoted is not None:
        if any(m.id == complainant.id for m in complainants(quoted)):
            _followed_up(ctx, quoted, complainant, text, result.urgent, now)
        else:
            _joined(ctx, quoted, complainant, text, now)
            if result.urgent or (quoted.urgent and quoted.acknowledged_at is None):
                _urgent_join(ctx, quoted, complainant, text, now)
        return quoted
    own = own_follow_up(ctx.repos, group=ctx.group, member=complainant,
                        category=result.category or "other", named=result.named,
                        location=result.location, now=now,
                        window=ctx.config.cases.duplicate_window, text=text,
                        keywords=result.keywords, urgent=result.urgent)
    if own is not None:
        _followed_up(ctx, own, complainant, text, result.urgent, now)
        return own
    # their resolved case waiting for the rating, or closed within the rating window (又有
    # 煤气味了 跟周一一样, two days after the 满意)
    recent = ctx.repos.cases.resolved_for_complainant(ctx.community.id, complainant.id)
    if says_back(text):
        recent += ctx.repos.cases.closed_for_complainant(
            ctx.community.id, complainant.id, now - ctx.config.feedback.rating_timeout)
    back = problem_back(recent, group=ctx.group, category=result.category or "other",
                        location=result.location, keywords=result.keywords, text=text)
    if back is not None and complainant.id == ctx.member.id:
        record_rating(ctx, back, "unsatisfied", text)  # the problem is back: reopened
        return back
    return _open(ctx, text, result.category or "other", result.urgent, result.location,
                 result.keywords, via=via, complainant=complainant, source=source, at=at)


def report(ctx: Context, args: str) -> None:
    text = args.strip()
    if not text:
        raise UsageError(texts.REPORT_EMPTY)
    result = ctx.classifier.classify(text, role="resident")
    _open(ctx, text, ctx.msg.category or result.category or "other", result.urgent,
          result.location, result.keywords, via="command")


def _open(ctx: Context, text: str, category: str, urgent: bool, location: dict,
          keywords: list[str], via: str, complainant: Member | None = None,
          source: InboundMessage | None = None, at=None) -> Case:
    """Open a case, or join the open case about the same problem (群体诉求).  An urgent
    report about an open case makes it urgent and pings its people again."""
    complainant = complainant or ctx.member
    now = at or ctx.now
    duplicate = find_duplicate(ctx.repos, group=ctx.group, category=category,
                               location=location, now=now,
                               window=ctx.config.cases.duplicate_window, text=text,
                               keywords=keywords)
    if duplicate is not None:
        _joined(ctx, duplicate, complainant, text, now)
        if urgent:
            _urgent_join(ctx, duplicate, complainant, text, now)
        return duplicate
    opened = open_case(ctx.repos, config=ctx.config, community=ctx.community,
                       group=ctx.group, complainant=complainant, text=text, category=category,
                       urgent=urgent, location=location, keywords=keywords,
                       source=source or ctx.inbound, now=now, via=via)
    case = opened.case
    quoted = masked(text, ctx.config.deliberation.abusive_words)  # insults never repeated
    label, where = category_label(category), texts.place(location)
    told = "staff" if opened.routed else "community" if opened.pinged else ""
    body = texts.case_opened(case.id, label, where, urgent, told)
    if urgent:
        body += texts.safety_advice(hazards(text))
    ctx.reply(body, case_id=case.id, urgent=urgent)
    ping = texts.case_opened_ping(case.id, label, where, urgent, ctx.local(case.respond_by),
                                  quoted)
    if not opened.routed:
        ping += "\n" + texts.case_opened_no_staff(case.id)
    ctx.reply(ping, kind="ping", mentions=Mention.of(opened.pinged), case_id=case.id,
              urgent=urgent)
    return case


def _followed_up(ctx: Context, case: Case, member: Member, text: str, urgent: bool,
                 now) -> None:
    """The sender chases their own open case: its progress, and danger heard first."""
    if urgent:
        follow_up(ctx.repos, ctx.community, case, member, text, now)
        _urgent_join(ctx, case, member, text, now)
        return
    outcome = follow_up(ctx.repos, ctx.community, case, member, text, now)
    say_progress(ctx, case)
    if outcome.ping:
        ctx.reply(texts.urgent_again(case.id, category_label(case.category),
                                     texts.place(case.location)),
                  mentions=Mention.of(outcome.ping), case_id=case.id, urgent=True)


def say_progress(ctx: Context, case: Case) -> None:
    """The case's progress: as "your case" to its complainants, plainly to anyone else;
    outside its own group, to all but staff, its number and state only."""
    if _shown_briefly(ctx, case):
        return
    latest = ctx.repos.cases.latest_event(case.id, "progress")
    standing = _standing(ctx, case)
    if any(c.member_id == ctx.member.id for c in case.complainants):
        body = texts.case_repeat(case.id, standing, latest.note if latest else None)
    else:
        body = texts.case_status(case.id, category_label(case.category),
                                 texts.place(case.location), standing,
                                 latest.note if latest else None)
    ctx.reply(body, case_id=case.id)


def _standing(ctx: Context, case: Case) -> str:
    """Where the case stands, in words (a transferred case is not waiting for a 签收)."""
    assignee = ctx.repos.members.get(case.assignee_id) if case.assignee_id else None
    return texts.case_standing(
        label=texts.state_label(case.state, case.rating),
        assignee=assignee.name if assignee else None,
        waiting=case.state in UNACKNOWLEDGED_STATES,
        transferred_to=case.transferred_to if case.state == "transferred" else None,
        merged_into=case.merged_into if case.state == "merged" else None)


def _shown_briefly(ctx: Context, case: Case) -> bool:
    """A case asked about where its details may not go (`sees_details`): its number and
    state only. True when that was the answer."""
    if sees_details(ctx.member, ctx.group, case):
        return False
    ctx.reply(texts.case_brief(case.id, texts.state_label(case.state, case.rating)),
              case_id=case.id)
    return True


def _urgent_join(ctx: Context, case: Case, member: Member, text: str, now) -> None:
    """Danger first: the urgent ping and the safety advice even when the report joins."""
    outcome = raise_urgency(ctx.repos, ctx.config, ctx.community, case, member, text, now)
    say = texts.urgent_again if outcome.note == "already" else texts.case_became_urgent
    body = say(case.id, category_label(case.category), texts.place(case.location))
    body += texts.safety_advice(hazards(text))
    ctx.reply(body, mentions=Mention.of(outcome.ping), case_id=case.id, urgent=True)


def _joined(ctx: Context, case: Case, member: Member, text: str, now) -> None:
    joined = join_case(ctx.repos, case, member, text, now)
    if joined.repeat:
        say_progress(ctx, case)
        return
    ping = responsible(ctx.repos, ctx.community, case) if joined.became_group else []
    ctx.reply(texts.case_joined(case.id, category_label(case.category),
                                texts.place(case.location), len(case.complainants),
                                case.group_complaint, joined.became_group),
              mentions=Mention.of(ping), case_id=case.id)


PAGE = 30  # cases per /工单 message
ALL_OPEN = 2000  # enough for any community's open cases


def cases(ctx: Context, args: str) -> None:
    first, rest = split_first(args)
    if not first:
        rows = ctx.repos.cases.open_in_community(ctx.community.id, ALL_OPEN)
        _list(ctx, texts.OPEN_CASES_TITLE, rows, texts.NO_OPEN_CASES)
    elif first in ("我的", "mine", "my"):
        rows = ctx.repos.cases.open_for_member(ctx.community.id, ctx.member.id, ALL_OPEN)
        _list(ctx, texts.MY_CASES_TITLE, rows, texts.NO_MY_CASES)
    elif first in ("超时", "overdue"):
        rows = ctx.repos.cases.overdue(ctx.community.id, ctx.now, ALL_OPEN)
        _list(ctx, texts.OVERDUE_CASES_TITLE, rows, texts.NO_OVERDUE_CASES)
    elif first in ("更多", "more"):
        page = int(rest) if rest.strip().isdigit() else 2
        rows = ctx.repos.cases.open_in_community(ctx.community.id, ALL_OPEN)
        _list(ctx, texts.OPEN_CASES_TITLE, rows, texts.NO_OPEN_CASES, page=max(page, 1))
    elif first.lstrip("#＃").isdigit():
        _detail(ctx, case_ref(first))
    else:
        _filtered(ctx, args.strip())


def _filtered(ctx: Context, words: str) -> None:
    """/工单 5号楼, /工单 王师傅, /工单 电梯: open cases at a place, of a person, of a kind."""
    place = ctx.classifier.parse_location(words)
    person = ctx.repos.members.by_name(ctx.community.id, words.lstrip("@＠").strip())
    code = category_code(words)
    if not (place or person or code):
        raise UsageError(texts.cases_filter_unknown(words))
    rows = [c for c in ctx.repos.cases.open_in_community(ctx.community.id, ALL_OPEN)
            if sees_details(ctx.member, ctx.group, c)
            and (not place or all(str(c.location.get(k)) == str(v) for k, v in place.items()))
            and (person is None or c.assignee_id == person.id
                 or any(x.member_id == person.id for x in c.complainants))
            and (code is None or c.category == code)]
    _list(ctx, texts.cases_filter_title(words), rows, texts.cases_filter_empty(words))


def _list(ctx: Context, title: str, rows: list[Case], empty: str, page: int = 1) -> None:
    if not rows:
        ctx.reply(empty)
        return
    shown = rows[(page - 1) * PAGE: page * PAGE]
    lines = [texts.case_list_row(c.id, category_label(c.category), texts.place(c.location),
                                 texts.state_label(c.state, c.rating), c.urgent,
                                 c.group_complaint, case_is_overdue(c, ctx.now))
             if sees_details(ctx.member, ctx.group, c) else
             texts.case_list_row_brief(c.id, texts.state_label(c.state, c.rating))
             for c in shown]
    more = len(rows) - (page - 1) * PAGE - len(shown)
    ctx.reply(texts.case_list(title, lines, total=len(rows), more=more, next_page=page + 1))


def _detail(ctx: Context, case_id: int) -> None:
    case = ctx.repos.cases.get(case_id, ctx.community.id)
    if case is None:
        ctx.reply(texts.CASE_NOT_FOUND.format(case_id=case_id))
        return
    if _shown_briefly(ctx, case):
        return
    assignee = ctx.repos.members.get(case.assignee_id) if case.assignee_id else None
    timeline = [(ctx.local(e.at), texts.EVENT_LABELS.get(e.kind, e.kind)
                 + (reach.VOICE_MARK if (e.data or {}).get("input") == "voice" else ""),
                 e.actor.name if e.actor else "", "" if e.kind == "opened" else e.note)
                for e in ctx.repos.cases.events(case.id)]
    ctx.reply(texts.case_detail(
        case_id=case.id, state=texts.state_label(case.state, case.rating),
        category_label=category_label(case.category), location=texts.place(case.location),
        urgent=case.urgent, group_complaint=case.group_complaint, text=case.text,
        complainants=[c.member.name for c in case.complainants],
        assignee=assignee.name if assignee else None,
        respond_by=ctx.local(case.respond_by), resolve_by=ctx.local(case.resolve_by),
        waiting=case.state in UNACKNOWLEDGED_STATES, tier_name=tier_name(ctx.community, case.tier),
        transferred_to=case.transferred_to,
        timeline=timeline) + texts.case_photos(*photo_counts(ctx.repos, case.id)),
        case_id=case.id)


def addressed_listener(ctx: Context) -> bool:
    """Last in line: a message that names a case (#12), quotes the bot, @-mentions it or
    is a private chat with it is never met with silence — the case's progress, or a line
    on what the bot can do."""
    text = ctx.msg.text
    refs = case_refs_in(text) or (quoted_cases(ctx) if quotes_bot(ctx) else [])
    if refs:
        case = ctx.repos.cases.get(refs[0], ctx.community.id)
        if case is None:
            ctx.reply(texts.CASE_NOT_FOUND.format(case_id=refs[0]))
        else:
            say_progress(ctx, case)
        return True
    if addresses_bot(ctx):
        result = classification(ctx)
        case = asked_about(ctx.repos, group=ctx.group, text=text, location=result.location,
                           keywords=result.keywords)
        if case is not None:
            say_progress(ctx, case)
        else:
            ctx.reply(texts.ADDRESSED_HELP)
        return True
    return False
