"""议事 in the group: /议题, /议题列表, /告知, /开始, /举手, /下一位, /表决, /投票,
/决议, /完成, /评分, /会办; the discussion listeners (message limit, 尊重他人, complaints
during a discussion) and plain-word votes (“同意” during a vote).
Rules live in bot/domain/deliberation.py; this module parses and answers."""

from __future__ import annotations

from datetime import timedelta

from bot import texts
from bot.config import is_duration, parse_duration
from bot.dispatcher import Context, Dispatcher, Refusal, UsageError
from bot.domain import deliberation as rules
from bot.domain.categories import category_label
from bot.domain.civility import is_insult
from bot.domain.groups import ensure_private_group
from bot.domain.roles import COORDINATING, is_staff_like
from bot.events import Mention
from bot.handlers.args import (
    case_ref,
    parse_when,
    split_first,
    topic_ref,
)
from bot.handlers.lookup import classification, load_case
from storage.models import Topic

_QUORUM_SUFFIX = "人"


def register(dispatcher: Dispatcher) -> None:
    def command(name, alias, func, ability=None):
        hint = texts.COORDINATOR_HINT if ability else ""
        dispatcher.command(name, alias, ability=ability, refusal_hint=hint)(func)

    command("议题", "topic", propose)
    command("议题列表", "topics", list_topics)
    command("告知", "announce", announce, "coordinate")
    command("开始", "open", open_discussion, "coordinate")
    command("举手", "hand", raise_hand)
    command("下一位", "next", next_speaker, "coordinate")
    command("表决", "poll", start_vote, "coordinate")
    command("投票", "vote", vote)
    command("决议", "decide", decide, "coordinate")
    command("完成", "done", finish, "coordinate")
    command("评分", "score", rate)
    command("会办", "convene", convene, "coordinate")


def _load(ctx: Context, token: str) -> Topic:
    topic_id = topic_ref(token)
    topic = ctx.repos.topics.get(topic_id, ctx.community.id)
    if topic is None:
        raise Refusal(texts.TOPIC_NOT_FOUND.format(topic_id=topic_id))
    return topic


def _topic_and_rest(args: str) -> tuple[str, str]:
    first, rest = split_first(args)
    if not first:
        raise UsageError(texts.TOPIC_ID_MISSING)
    return first, rest



def _duration(token: str, default: timedelta) -> timedelta:
    if not token:
        return default
    try:
        value = parse_duration(token)
    except ValueError:
        raise UsageError(texts.not_a_duration(token)) from None
    if value <= timedelta(0):
        raise UsageError(texts.DURATION_NOT_POSITIVE)
    return value


# --- 提议 ------------------------------------------------------------------------------

def propose(ctx: Context, args: str) -> None:
    first, rest = split_first(args)
    if first in rules.KINDS:
        kind, title = rules.KINDS[first], rest.strip()
    else:
        kind, title = "consultation", args.strip()
    if not title:
        raise UsageError(texts.TOPIC_TITLE_MISSING)
    topic = rules.propose(ctx.repos, group=ctx.group, proposer=ctx.member, title=title,
                          kind=kind, now=ctx.now)
    ctx.reply(texts.topic_proposed(topic.id, title, kind), kind="topic", topic_id=topic.id)


def list_topics(ctx: Context, args: str) -> None:
    if args.strip():
        topic = _load(ctx, args.strip())
        timeline = [(ctx.local(e.at), texts.TOPIC_EVENT_LABELS.get(e.kind, e.kind),
                     e.actor.name if e.actor else "", e.note)
                    for e in ctx.repos.topics.events(topic.id)]
        ctx.reply(texts.topic_detail(topic.id, topic.title, topic.kind,
                                     texts.topic_step_label(topic), timeline),
                  topic_id=topic.id)
        return
    topics = ctx.repos.topics.in_group(ctx.group.id)
    if not topics:
        ctx.reply(texts.NO_TOPICS)
        return
    ctx.reply(texts.topic_list([texts.topic_list_row(t.id, t.title, t.kind,
                                                     texts.topic_step_label(t))
                                for t in reversed(topics)]))


# --- 告知, 协商 --------------------------------------------------------------------------

def announce(ctx: Context, args: str) -> None:
    token, rest = _topic_and_rest(args)
    topic = _load(ctx, token)
    when, way = parse_when(rest, ctx.local(ctx.now))
    if when is None:
        unread = rest.split()[0] if rest else texts.EMPTY_ARGUMENT
        raise UsageError(texts.WHEN_UNREADABLE.format(when=texts.quote(unread)))
    way = way or texts.DEFAULT_MEETING_WAY
    rules.announce(ctx.repos, topic, ctx.member, when, way, ctx.now)
    ctx.reply(texts.topic_announced(topic.id, topic.title, when, way), kind="notice",
              topic_id=topic.id)


def open_discussion(ctx: Context, args: str) -> None:
    token, rest = _topic_and_rest(args)
    topic = _load(ctx, token)
    duration = _duration(rest.strip(), ctx.config.deliberation.discussion)
    rules.open_discussion(ctx.repos, topic, ctx.member, duration, ctx.now)
    ctx.reply(texts.discussion_opened(topic.id, topic.title, ctx.local(topic.discussion_ends_at),
                                      ctx.config.deliberation.max_messages_per_person),
              kind="topic", topic_id=topic.id)


def _open_discussion(ctx: Context) -> Topic | None:
    """The topic under discussion in this group right now (looked up once a message:
    both discussion listeners ask)."""
    if "open_discussion" not in ctx.memo:
        ctx.memo["open_discussion"] = rules.discussion_open_in(ctx.repos, ctx.group.id, ctx.now)
    return ctx.memo["open_discussion"]


def raise_hand(ctx: Context, args: str) -> None:
    topic = _open_discussion(ctx)
    if topic is None:
        raise Refusal(texts.NO_OPEN_DISCUSSION)
    place = rules.raise_hand(ctx.repos, topic, ctx.member, ctx.now)
    ctx.reply(texts.hand_raised(ctx.member.name, place), topic_id=topic.id)


def next_speaker(ctx: Context, args: str) -> None:
    topic = _open_discussion(ctx)
    if topic is None:
        raise Refusal(texts.NO_OPEN_DISCUSSION)
    speaker, waiting = rules.next_speaker(ctx.repos, topic, ctx.member, ctx.now)
    if speaker is None:
        ctx.reply(texts.NO_HANDS, topic_id=topic.id)
        return
    ctx.reply(texts.next_speaker(speaker.member.name, waiting),
              mentions=Mention.of([speaker.member]), topic_id=topic.id)


def discussion_listener(ctx: Context) -> bool:
    """In an open discussion: count messages (one polite warning past the limit) and flag
    insults to the moderators without naming anyone in the group. Lets the message go on
    to the other listeners (a staff reply or a rating still counts)."""
    topic = _open_discussion(ctx)
    if topic is None or not ctx.msg.text.strip():
        return False
    settings = ctx.config.deliberation
    if is_insult(ctx.msg.text, settings.abusive_words):
        _flag_insult(ctx, topic)
    if rules.count_message(ctx.repos, topic, ctx.member, settings.max_messages_per_person):
        ctx.reply(texts.message_limit_warning(ctx.member.name,
                                              settings.max_messages_per_person),
                  mentions=Mention.of([ctx.member]), topic_id=topic.id)
    return False


def _flag_insult(ctx: Context, topic: Topic) -> None:
    """尊重他人, as privately as the channels allow: with the WeCom app, a private note to
    each moderator naming the speaker (the group hears nothing); otherwise a neutral
    reminder in the group, naming nobody, that @-mentions the moderators."""
    moderators = [m for m in ctx.repos.members.with_roles(ctx.community.id, COORDINATING)
                  if m.id != ctx.member.id]
    if ctx.config.channels.wecom_app.enabled and moderators:
        note = texts.insult_flagged_privately(ctx.group.name or ctx.group.id, topic.id,
                                              topic.title, ctx.member.name)
        for moderator in moderators:
            private = ensure_private_group(ctx.repos, moderator.external_id,
                                           ctx.community.id, ctx.now)
            ctx.reply(note, kind="notice", topic_id=topic.id, group_id=private.id)
        return
    ctx.reply(texts.RESPECT_REMINDER, mentions=Mention.of(moderators), topic_id=topic.id)


def opinion_listener(ctx: Context) -> bool:
    """During an open discussion a resident's message is an opinion on the topic — unless
    it reports danger, or a problem other than the topic's that the model is sure of: those
    go on to the complaint intake; a close call gets a one-line hint about /报修."""
    topic = _open_discussion(ctx)
    if topic is None or is_staff_like(ctx.roles):
        return False
    result = classification(ctx)
    on_topic = result.is_complaint and not result.urgent and rules.about_topic(
        ctx.msg.text, result.category, topic.title, _topic_category(ctx, topic))
    insulting = is_insult(ctx.msg.text, ctx.config.deliberation.abusive_words)
    verdict = rules.complaint_in_discussion(result.is_complaint, result.urgent,
                                            result.confidence, on_topic, insulting)
    if verdict == rules.INTAKE:
        return False
    if verdict == rules.HINT:
        ctx.reply(texts.COMPLAINT_IN_DISCUSSION_HINT, topic_id=topic.id)
    return True


def _topic_category(ctx: Context, topic: Topic) -> str:
    """What the topic is about, as a category: its case's, else its title's."""
    if topic.case_id is not None:
        case = ctx.repos.cases.get(topic.case_id, ctx.community.id)
        if case is not None:
            return case.category
    return ctx.classifier.guess_category(topic.title)


def vote_listener(ctx: Context) -> bool:
    """During a vote, a plain option word (同意 / 我反对 / 弃权) is that member's vote."""
    text = ctx.msg.text
    if not text.strip():
        return False
    found = rules.plain_votes(ctx.repos, ctx.group.id, ctx.member, text, ctx.now)
    if not found:
        return False
    if len(found) > 1:
        ctx.reply(texts.which_vote([t.id for t, _ in found]))
        return True
    topic, option = found[0]
    changed = rules.cast_vote(ctx.repos, topic, ctx.member, option, ctx.now)
    ctx.reply(texts.vote_recorded(ctx.member.name, topic.id, option, changed),
              topic_id=topic.id)
    return True


# --- 决策 --------------------------------------------------------------------------------

def start_vote(ctx: Context, args: str) -> None:
    token, rest = _topic_and_rest(args)
    topic = _load(ctx, token)
    options, duration, quorum = [], "", 0
    for word in rest.split():
        if is_duration(word):
            duration = word
        elif word.endswith(_QUORUM_SUFFIX) and word[:-1].isdigit():
            quorum = int(word[:-1])
        else:
            options.append(word)
    settings = ctx.config.deliberation
    rules.start_vote(ctx.repos, topic, ctx.member, options or rules.DEFAULT_OPTIONS,
           _duration(duration, settings.vote_duration), quorum, ctx.now)
    ctx.reply(texts.vote_opened(topic.id, topic.title, topic.options,
                                ctx.local(topic.vote_ends_at), quorum),
              kind="vote", topic_id=topic.id)


def vote(ctx: Context, args: str) -> None:
    token, option = _topic_and_rest(args)
    topic = _load(ctx, token)
    if not option.strip():
        raise UsageError(texts.vote_unknown_option("", topic.options or rules.DEFAULT_OPTIONS))
    changed = rules.cast_vote(ctx.repos, topic, ctx.member, option.strip(), ctx.now)
    ctx.reply(texts.vote_recorded(ctx.member.name, topic.id, option.strip(), changed),
              topic_id=topic.id)


# --- 公示, 监督, 评估 -----------------------------------------------------------------------

def decide(ctx: Context, args: str) -> None:
    token, decision = _topic_and_rest(args)
    if not decision.strip():
        raise UsageError(texts.DECISION_MISSING)
    topic = _load(ctx, token)
    rules.decide(ctx.repos, topic, ctx.member, decision.strip(),
           ctx.config.deliberation.publicity, ctx.now)
    ctx.reply(texts.publicity_started(topic.id, topic.title, topic.decision,
                                      ctx.local(topic.publicity_ends_at)),
              kind="publicity", topic_id=topic.id)


def finish(ctx: Context, args: str) -> None:
    token, _ = _topic_and_rest(args)
    topic = _load(ctx, token)
    rules.finish(ctx.repos, topic, ctx.member, ctx.config.deliberation.rating_window,
           ctx.now)
    ctx.reply(texts.topic_done(topic.id, topic.title, ctx.local(topic.rating_ends_at)),
              kind="topic", topic_id=topic.id)


def rate(ctx: Context, args: str) -> None:
    token, score = _topic_and_rest(args)
    if not score.strip().isdigit():
        raise UsageError(texts.TOPIC_SCORE_RANGE)
    topic = _load(ctx, token)
    rules.rate(ctx.repos, topic, ctx.member, int(score.strip()), ctx.now)
    ctx.reply(texts.topic_rated(topic.id, int(score.strip())), topic_id=topic.id)


# --- 有请当事人会办 ------------------------------------------------------------------------

def convene(ctx: Context, args: str) -> None:
    first, _ = split_first(args)
    if not first:
        raise UsageError(texts.CONVENE_CASE_MISSING)
    case = load_case(ctx, case_ref(first))
    rules.check_convenable(case)
    where = texts.place(case.location)
    title = texts.convene_title(case.id, category_label(case.category), where)
    topic = rules.convene(ctx.repos, ctx.community, ctx.group, case, ctx.member, title,
                   ctx.now)
    people = rules.convened_people(ctx.repos, ctx.community, case)
    ctx.reply(texts.convened(topic.id, case.id, title), kind="topic",
              mentions=Mention.of([p for p in people if p.id != ctx.member.id]),
              case_id=case.id, topic_id=topic.id)
