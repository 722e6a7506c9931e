"""Due work on topics (议事), driven by their timers (bot/domain/timers.py):
the reminder before an announced discussion, the end of a discussion window, the
reminder to those who have not voted and the close of a vote (result by simple
majority), the 公示 midway reminder and end, the 监督 follow-ups on their cadence, and
the close of the 成效评估 with its average."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot import texts
from bot.domain import deliberation as rules
from bot.domain.roles import COORDINATING
from bot.events import Mention, Outgoing
from storage.models import Topic
from storage.repositories import Repos

if TYPE_CHECKING:
    from bot.application import Application

TopicTimer = Callable[["Application", Repos, Topic, datetime], list[Outgoing]]
MAX_VOTE_REMINDER_MENTIONS = 20


def _post(topic: Topic, text: str, kind: str, people=()) -> list[Outgoing]:
    return [Outgoing(text=text, kind=kind, mentions=Mention.of(people), topic_id=topic.id)]


def _local(app: Application, dt: datetime) -> datetime:
    return dt.astimezone(app.config.tz)


def announce_reminder(app, repos, topic, now):
    if topic.step != "announced" or not topic.meeting_at or now >= topic.meeting_at:
        return []
    return _post(topic, texts.topic_announce_reminder(topic.id, topic.title,
                                                      _local(app, topic.meeting_at),
                                                      topic.meeting_way), "topic")


def discussion_end(app, repos, topic, now):
    if topic.step != "discussing" or not topic.discussion_ends_at or \
            now < topic.discussion_ends_at:
        return []
    rules.close_discussion(repos, topic, None, now)
    return _post(topic, texts.discussion_closed(topic.id, topic.title), "topic")


def vote_reminder(app, repos, topic, now):
    if topic.step != "voting" or not topic.vote_ends_at or now >= topic.vote_ends_at:
        return []
    voted = repos.topics.voter_ids(topic)
    members = repos.members.participants(topic.community_id, topic.group_id)
    waiting = [m for m in members if m.id not in voted and m.id != topic.chair_id]
    return _post(topic, texts.vote_reminder(topic.id, topic.title,
                                            _local(app, topic.vote_ends_at)), "vote",
                 waiting[:MAX_VOTE_REMINDER_MENTIONS])


def vote_close(app, repos, topic, now):
    if topic.step != "voting" or not topic.vote_ends_at or now < topic.vote_ends_at:
        return []
    result = rules.close_vote(repos, topic, now)
    chair = repos.members.get(topic.chair_id) if topic.chair_id else None
    return _post(topic, texts.vote_result(topic.id, topic.title, result.counts, result.cast,
                                          result.passed, result.winner, topic.quorum,
                                          result.quorum_met), "vote", [chair] if chair else [])


def publicity_midway(app, repos, topic, now):
    if topic.step != "publicity" or not topic.publicity_ends_at:
        return []
    return _post(topic, texts.publicity_midway(topic.id, topic.title, topic.decision,
                                               _local(app, topic.publicity_ends_at)),
                 "publicity")


def publicity_end(app, repos, topic, now):
    if topic.step != "publicity" or not topic.publicity_ends_at or \
            now < topic.publicity_ends_at:
        return []
    rules.end_publicity(repos, topic, now)
    return _post(topic, texts.publicity_ended(topic.id, topic.title), "publicity")


def followup(app, repos, topic, now):
    if topic.step != "supervision":
        return []
    rules.record_followup(repos, topic, now)
    moderators = repos.members.with_roles(topic.community_id, COORDINATING)
    return _post(topic, texts.topic_followup(topic.id, topic.title, topic.decision), "topic",
                 moderators)


def rating_close(app, repos, topic, now):
    if topic.step != "done" or not topic.rating_ends_at or now < topic.rating_ends_at:
        return []
    average, count = rules.close_rating(repos, topic, now)
    return _post(topic, texts.topic_rating_result(topic.id, topic.title, average, count),
                 "topic")


TOPIC_TIMERS: dict[str, TopicTimer] = {
    "topic_announce_reminder": announce_reminder,
    "topic_discussion_end": discussion_end,
    "topic_vote_reminder": vote_reminder,
    "topic_vote_close": vote_close,
    "topic_publicity_midway": publicity_midway,
    "topic_publicity_end": publicity_end,
    "topic_followup": followup,
    "topic_rating_close": rating_close,
}
