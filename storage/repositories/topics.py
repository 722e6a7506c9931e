"""Deliberation topics: speakers, votes, ratings and events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select

from storage.models import (
    ACTIVE_STEPS,
    Member,
    Topic,
    TopicCase,
    TopicEvent,
    TopicRating,
    TopicSpeaker,
    TopicVote,
)
from storage.repositories.base import _TimelineRepo

_TOPICS = Topic.__table__
_ANY_LIVE_TOPIC = (select(_TOPICS.c.id).where(_TOPICS.c.group_id == bindparam("group_id"),
                                            _TOPICS.c.step.in_(("discussing", "voting")))
                   .limit(1))
# the same question as a column of another statement (the sender's: `MemberRepo.ensure`)
ANY_LIVE_TOPIC_COLUMN = (select(_TOPICS.c.id)
                         .where(_TOPICS.c.group_id == bindparam("live_group_id"),
                                _TOPICS.c.step.in_(("discussing", "voting")))
                         .limit(1).scalar_subquery().label("live_topic"))
_LIVE_TOPICS = (select(Topic).where(Topic.group_id == bindparam("group_id"),
                                    Topic.step.in_(("discussing", "voting")))
                .order_by(Topic.id))


class TopicRepo(_TimelineRepo):
    """Topics, their timeline, votes, speakers and ratings."""

    entity, event, owner_key, touched_key = Topic, TopicEvent, "topic_id", "touched_topics"

    def add(self, topic: Topic) -> Topic:
        self.s.add(topic)
        self.s.flush()
        self._forget_live()
        return topic

    def add_event(self, owner, kind: str, actor: Member | None, at: datetime,
                  note: str = "", **data):
        self._forget_live()
        return super().add_event(owner, kind, actor, at, note, **data)

    def active_in_community(self, community_id: str) -> list[Topic]:
        return list(self.s.scalars(
            select(Topic).where(Topic.community_id == community_id,
                                Topic.step.in_(ACTIVE_STEPS)).order_by(Topic.id)))

    def in_group(self, group_id: str, limit: int = 30) -> list[Topic]:
        return list(self.s.scalars(select(Topic).where(Topic.group_id == group_id)
                                   .order_by(Topic.id.desc()).limit(limit)))

    def _live_in_group(self, group_id: str) -> list[Topic]:
        """The group's topics under discussion or vote, read once per transaction (every
        message asks both); a topic added or changed here forgets it. Their step is
        checked again on the objects, which follow changes made in the transaction."""
        memo = self.s.info.setdefault("live_topics", {})
        if group_id not in memo:
            # most groups have none: asked first in plain SQL, the rows loaded only if so
            live = self._run(_ANY_LIVE_TOPIC, {"group_id": group_id}).first()
            memo[group_id] = [] if live is None else \
                list(self.s.scalars(_LIVE_TOPICS, {"group_id": group_id}))
        return memo[group_id]

    @staticmethod
    def none_live(session, group_id: str) -> None:
        """The group has no topic under discussion or vote (`ANY_LIVE_TOPIC_COLUMN`
        answered so in this transaction): `_live_in_group` needs no statement."""
        session.info.setdefault("live_topics", {})[group_id] = []

    def _forget_live(self) -> None:
        self.s.info.pop("live_topics", None)

    def discussing_in_group(self, group_id: str) -> Topic | None:
        return next((t for t in self._live_in_group(group_id) if t.step == "discussing"),
                    None)

    def voting_in_group(self, group_id: str) -> list[Topic]:
        """Topics of the group with a vote under way (their deadline may have passed)."""
        return [t for t in self._live_in_group(group_id) if t.step == "voting"]

    def for_case(self, case_id: int) -> Topic | None:
        return self.s.scalar(select(Topic).where(Topic.case_id == case_id)
                             .order_by(Topic.id.desc()).limit(1))

    def link_cases(self, topic: Topic, case_ids: list[int]) -> None:
        """Link these cases to the topic (each once)."""
        have = set(self.linked_case_ids(topic.id))
        for case_id in sorted(set(case_ids) - have):
            self.s.add(TopicCase(topic_id=topic.id, case_id=case_id))
        self.s.flush()

    def linked_case_ids(self, topic_id: int) -> list[int]:
        return list(self.s.scalars(select(TopicCase.case_id)
                                   .where(TopicCase.topic_id == topic_id)
                                   .order_by(TopicCase.case_id)))

    def linked_to_cases(self, case_ids: list[int]) -> list[Topic]:
        """Topics linked to any of these cases (by `Topic.case_id` or `topic_cases`)."""
        if not case_ids:
            return []
        linked = select(TopicCase.topic_id).where(TopicCase.case_id.in_(case_ids))
        return list(self.s.scalars(select(Topic).where(
            Topic.case_id.in_(case_ids) | Topic.id.in_(linked)).order_by(Topic.id)))

    # speakers ----------------------------------------------------------------------
    def speaker(self, topic_id: int, member_id: int) -> TopicSpeaker:
        row = self.s.get(TopicSpeaker, (topic_id, member_id))
        if row is None:
            row = TopicSpeaker(topic_id=topic_id, member_id=member_id, messages=0,
                               warned=False)
            self.s.add(row)
            self.s.flush()
        return row

    def queue(self, topic_id: int) -> list[TopicSpeaker]:
        """Raised hands not yet called, first come first served."""
        return list(self.s.scalars(
            select(TopicSpeaker).where(TopicSpeaker.topic_id == topic_id,
                                       TopicSpeaker.hand_raised_at.is_not(None),
                                       TopicSpeaker.called_at.is_(None))
            .order_by(TopicSpeaker.hand_raised_at, TopicSpeaker.member_id)))

    # votes -------------------------------------------------------------------------
    def vote(self, topic: Topic, member: Member, option: str, at: datetime) -> bool:
        """Cast or change a vote; True when it changed an earlier one."""
        row = self.s.get(TopicVote, (topic.id, topic.poll, member.id))
        if row is None:
            self.s.add(TopicVote(topic_id=topic.id, poll=topic.poll, member_id=member.id,
                                 option=option, at=at))
            self.s.flush()
            return False
        row.option, row.at = option, at
        return True

    def tally(self, topic: Topic) -> dict[str, int]:
        rows = self.s.execute(select(TopicVote.option, func.count())
                              .where(TopicVote.topic_id == topic.id,
                                     TopicVote.poll == topic.poll)
                              .group_by(TopicVote.option))
        return {option: n for option, n in rows}

    def voter_ids(self, topic: Topic) -> set[int]:
        return set(self.s.scalars(select(TopicVote.member_id).where(
            TopicVote.topic_id == topic.id, TopicVote.poll == topic.poll)))

    # ratings -----------------------------------------------------------------------
    def rate(self, topic: Topic, member: Member, score: int, at: datetime) -> None:
        row = self.s.get(TopicRating, (topic.id, member.id))
        if row is None:
            self.s.add(TopicRating(topic_id=topic.id, member_id=member.id, score=score, at=at))
        else:
            row.score, row.at = score, at
        self.s.flush()

    def ratings(self, topic_id: int) -> list[int]:
        return list(self.s.scalars(select(TopicRating.score)
                                   .where(TopicRating.topic_id == topic_id)))
