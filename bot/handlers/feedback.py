"""The complainant's side: /评价 (or plain “满意”, “还行”, “没修好” after a rating
request) and /撤回.

Every complainant of a case may rate it; it closes when all have rated (or the rating
window ends, see scheduler/case_timers.py). 不满意 from any of them reopens it — urgent
when it was urgent or the words report danger (还是有煤气味), with the safety advice —
and calls the assignee, the grid worker, the moderator and the other complainants.
A bystander's thanks is no rating. /撤回 by one of several complainants takes back only
their own complaint. The rating that closes a case goes to the assignee privately too
(the self-built app, as a card)."""

from __future__ import annotations

from datetime import timedelta

from bot import texts
from bot.dispatcher import Context, Dispatcher, Refusal, UsageError
from bot.domain import cases as rules
from bot.domain.permissions import is_complainant
from bot.domain.ratings import rating_in, rating_in_reply, rating_label, rating_named
from bot.domain.roles import classifier_role
from bot.domain.safety import hazards
from bot.events import Mention
from bot.handlers.args import case_ref, case_refs_in, split_first
from bot.handlers.history import notify_rating_privately
from bot.handlers.lookup import addresses_bot, classification, load_case, quoted_cases
from storage.models import Case

JUST_ASKED = timedelta(hours=1)  # a plain 满意 answers the bot's rating request this recent


def register(dispatcher: Dispatcher) -> None:
    dispatcher.command("评价", "rate")(rate)
    dispatcher.command("撤回", "withdraw")(withdraw)


def _own_case(ctx: Context, case_id: int, action: str) -> Case:
    case = load_case(ctx, case_id)
    if not is_complainant(ctx.member, case):
        raise Refusal(texts.not_complainant(case.id, action))
    return case


def _danger(ctx: Context, words: str) -> bool:
    """The words report danger now (不满意 还是有煤气味): the classifier's urgent complaint."""
    words = words.strip()
    if not words:
        return False
    if words == ctx.msg.text.strip():
        result = classification(ctx)
    else:
        result = ctx.classifier.classify(words, role=classifier_role(ctx.roles))
    return result.is_complaint and result.urgent


def record_rating(ctx: Context, case: Case, rating: str, comment: str) -> None:
    danger = rating == "unsatisfied" and _danger(ctx, comment)
    outcome = rules.rate(ctx.repos, ctx.config, ctx.community, case, ctx.member, rating,
                         comment, ctx.now, danger=danger)
    label = texts.RATING_LABELS[rating]
    if outcome.reopened:
        body = texts.case_reopened(case.id, comment, outcome.urgency, bool(outcome.others))
        if case.urgent:
            body += texts.safety_advice(hazards(comment) or hazards(case.text))
        ctx.reply(body, kind="escalation", mentions=Mention.of(outcome.ping), case_id=case.id,
                  urgent=case.urgent)
    elif outcome.closed and not outcome.others:
        ctx.reply(texts.case_rated(case.id, label), case_id=case.id)
        notify_rating_privately(ctx, case)
    elif outcome.closed:
        ctx.reply(texts.case_rated_all(case.id, label, texts.RATING_LABELS[case.rating]),
                  case_id=case.id)
        notify_rating_privately(ctx, case)
    else:
        ctx.reply(texts.case_rated_waiting(case.id, label, len(outcome.waiting)),
                  case_id=case.id)


def rate(ctx: Context, args: str) -> None:
    first, rest = split_first(args)
    if not first:
        raise UsageError(texts.RATE_USAGE_HINT)
    case_id = case_ref(first)
    label, comment = split_first(rest)
    rating = rating_label(label)
    if rating is None:
        raise UsageError(texts.RATE_USAGE_HINT)
    record_rating(ctx, _own_case(ctx, case_id, texts.RATE_ACTION), rating, comment)


def withdraw(ctx: Context, args: str) -> None:
    first, _ = split_first(args)
    if not first:
        raise UsageError(texts.CASE_ID_MISSING)
    case = _own_case(ctx, case_ref(first), texts.WITHDRAW_ACTION)
    outcome = rules.withdraw(ctx.repos, case, ctx.member, ctx.now)
    others = Mention.of(outcome.ping)
    if outcome.note == "left":
        ctx.reply(texts.complainant_left(case.id, ctx.member.name, len(outcome.ping)),
                  mentions=others, case_id=case.id)
    elif outcome.note == "left_closed":
        ctx.reply(texts.complainant_left_closed(case.id, ctx.member.name,
                                                texts.RATING_LABELS[case.rating]),
                  mentions=others, case_id=case.id)
    else:
        ctx.reply(texts.case_withdrawn(case.id), case_id=case.id)


def natural_rating(ctx: Context) -> bool:
    """After a rating request, a complainant's short “满意/还行/没修好” is the rating; so
    is a longer 不满意 about the waiting case (its number, or its category and place).

    A complainant who has rated is not rated again by later thanks (不满意 still
    reopens, even after the case closed, within `feedback.rating_timeout` of its 办结);
    anyone else's thanks is no rating — answered kindly only when it names a
    case or addresses the bot."""
    text = ctx.msg.text.strip()
    rating = rating_in_reply(text)
    story = rating is None and rating_in(text) == "unsatisfied"  # 不满意 and a longer story
    if rating is None and not story:
        return False
    waiting = ctx.repos.cases.resolved_for_complainant(ctx.community.id, ctx.member.id)
    named = case_refs_in(text) or quoted_cases(ctx)
    if rating == "unsatisfied" or story:
        # 不满意 the morning after a 满意 closed it, within the rating window: only about
        # that case (its number, or its category and no other place)
        since = ctx.now - ctx.config.feedback.rating_timeout
        result = classification(ctx)
        waiting += [c for c in ctx.repos.cases.closed_for_complainant(
                        ctx.community.id, ctx.member.id, since)
                    if c.id in named[:1] or (not named and rules.about_case(
                        c, result.category, result.location))]
        # 东门充电桩又坏了 is no 不满意 with the 8号楼 heating: another place, or another
        # problem named with its place, is another story
        other = result.is_complaint and result.category and result.location \
            and not rating_named(text)
        waiting = [c for c in waiting if c.id in named[:1] or not (
            (result.location and c.location
             and rules.places_disagree(result.location, c.location))
            or (other and result.category != c.category))]
    if story:
        result = classification(ctx)
        only = len(waiting) == 1
        waiting = [c for c in waiting if c.id in named[:1] or (
            not named and rules.about_case(c, result.category, result.location, only))]
        if not waiting:
            return False  # a new story: the complaint intake hears it
        rating = "unsatisfied"
    elif rating != "unsatisfied":
        waiting = [c for c in waiting if ctx.member in rules.awaiting_rating(ctx.repos, c)]
    if named:
        case = next((c for c in waiting if c.id == named[0]), None)
        if case is None:
            return _not_a_rating(ctx, rating, named[0])
    elif len(waiting) == 1:
        case = waiting[0]
    elif waiting:
        alike = rules.most_alike(waiting, text)  # 路灯又坏了: the lamp case of two
        if len(alike) > 1:
            alike = _just_asked(ctx, alike)  # 满意 right after the bot asked about one
        if len(alike) > 1:
            ctx.reply(texts.ratings_waiting([c.id for c in waiting]))
            return True
        case = alike[0]
    else:
        return _not_a_rating(ctx, rating, None)
    record_rating(ctx, case, rating, text)
    return True


def _just_asked(ctx: Context, waiting: list[Case]) -> list[Case]:
    """Of several cases waiting for the sender's rating, the one the bot asked them about
    last (its 办结 or a rating reminder @-mentioning them) in the last hour; all of them
    when it asked about none, or about two at once."""
    if ctx.msg.private or ctx.group.private:
        return waiting
    asked = ctx.repos.outbox.case_pings(ctx.group.id, ctx.member.external_id,
                                        ctx.now - JUST_ASKED)
    times = sorted((asked[c.id], c.id) for c in waiting if c.id in asked)
    if not times or (len(times) > 1 and times[-1][0] == times[-2][0]):
        return waiting
    return [c for c in waiting if c.id == times[-1][1]]


def _not_a_rating(ctx: Context, rating: str, case_id: int | None) -> bool:
    """Rating words from someone whose rating this case does not wait for (a bystander's
    “谢谢王师傅 辛苦了”): nothing is recorded. Thanks that name a finished case or address
    the bot get a short kind answer; the rest goes on (不满意 may be a complaint)."""
    if rating == "unsatisfied":
        return False
    if case_id is None and rating_named(ctx.msg.text):
        # 基本满意吧 就是保安去得太慢, after staff reported on a case not yet 办结: a
        # rating named outright is no new complaint
        own = [c for c in ctx.repos.cases.open_for_member(ctx.community.id, ctx.member.id)
               if c.group_id == ctx.group.id and c.assignee_id != ctx.member.id]
        if own:
            ctx.reply(texts.rated_before_resolved(own[-1].id), case_id=own[-1].id)
            return True
    if case_id is not None:
        case = ctx.repos.cases.get(case_id, ctx.community.id)
        if case is None or case.state not in ("resolved", "closed"):
            return False  # the addressed listener answers with the case's progress
    elif not addresses_bot(ctx):
        return False
    ctx.reply(texts.bystander_thanks(case_id), case_id=case_id)
    return True
