"""Deliberation rules (议事, 六步七规): the steps of a topic and what each command may do.

六步: 提议 proposed → 告知 announced → 协商 discussing (→ discussed when the window
closes) → 决策 voting (→ voted) → 公示 publicity → 监督 supervision → 完成 done.
七规 as rules here: 主持中立 (the chair does not vote), 一事一议 (one open discussion per
group), 举手发言 (a speaking queue), 尊重他人 (insults are flagged: `bot.domain.civility`
finds them), 限时限次 (a window and a per-person message limit), 充分讨论, 简单多数 (`tally`).
Plain words count too: an option word during a vote is that vote (`plain_vote`); a
complaint during a discussion is heard when it is not about the topic
(`complaint_in_discussion`).
Every change writes a TopicEvent with actor and time. A refused change raises
`TopicRuleError` with the sentence to answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import texts
from bot.config import CommunityConfig, DeliberationConfig
from bot.domain.cases import complainants
from bot.domain.errors import RuleError
from bot.domain.routing import tier_roles
from storage.models import Case, Group, Member, Topic, TopicSpeaker
from storage.repositories import Repos

KINDS = {"协商": "consultation", "决策": "decision", "咨询": "inquiry", "听证": "hearing"}
DEFAULT_OPTIONS = ["同意", "反对", "弃权"]
ABSTAIN = "弃权"
VOTABLE_FROM = ("proposed", "announced", "discussing", "discussed", "voted")
DECIDABLE_FROM = ("discussing", "discussed", "voted")


class TopicRuleError(RuleError):
    """The rules forbid this change to a topic."""


def _require(topic: Topic, steps: tuple[str, ...], action: str) -> None:
    if topic.step not in steps:
        raise TopicRuleError(texts.topic_wrong_step(topic.id, texts.topic_step_label(topic),
                                                    action))


def propose(repos: Repos, *, group: Group, proposer: Member, title: str, kind: str,
            now: datetime, case: Case | None = None) -> Topic:
    topic = repos.topics.add(Topic(
        community_id=group.community_id, group_id=group.id, title=title, kind=kind,
        step="proposed", proposer_id=proposer.id, case_id=case.id if case else None,
        created_at=now, updated_at=now))
    repos.topics.add_event(topic, "proposed", proposer, now, note=title, topic_kind=kind)
    return topic


def announce(repos: Repos, topic: Topic, actor: Member, when: datetime | None, way: str,
             now: datetime) -> None:
    """告知: when and how it will be discussed."""
    _require(topic, ("proposed", "announced"), texts.ANNOUNCE_ACTION)
    topic.step, topic.meeting_at, topic.meeting_way = "announced", when, way
    repos.topics.add_event(topic, "announced", actor, now, note=way,
                           meeting_at=when.isoformat() if when else None)


def open_discussion(repos: Repos, topic: Topic, actor: Member, duration: timedelta,
                    now: datetime) -> None:
    """协商: one topic under discussion per group at a time (一事一议)."""
    _require(topic, ("proposed", "announced", "discussed"), texts.OPEN_DISCUSSION_ACTION)
    current = repos.topics.discussing_in_group(topic.group_id)
    if current is not None and current.id != topic.id:
        raise TopicRuleError(texts.topic_one_at_a_time(current.id, current.title))
    topic.step, topic.discussion_ends_at = "discussing", now + duration
    repos.topics.add_event(topic, "discussion_opened", actor, now,
                           minutes=int(duration.total_seconds() // 60))


def close_discussion(repos: Repos, topic: Topic, actor: Member | None, now: datetime) -> None:
    _require(topic, ("discussing",), texts.CLOSE_DISCUSSION_ACTION)
    topic.step, topic.discussion_ends_at = "discussed", min(topic.discussion_ends_at or now, now)
    repos.topics.add_event(topic, "discussion_closed", actor, now)


def raise_hand(repos: Repos, topic: Topic, member: Member, now: datetime) -> int:
    """举手: join the queue at its end (first come, first served); returns the place.

    Message times often have one-second resolution: a hand raised in the same second as
    the last one in the queue goes a microsecond after it, never before it."""
    speaker = repos.topics.speaker(topic.id, member.id)
    if speaker.hand_raised_at is not None and speaker.called_at is None:
        raise TopicRuleError(texts.hand_already_raised(_place(repos, topic, member)))
    last = max((s.hand_raised_at for s in repos.topics.queue(topic.id)), default=None)
    at = now if last is None or now > last else last + timedelta(microseconds=1)
    speaker.hand_raised_at, speaker.called_at = at, None
    repos.topics.flush()
    return _place(repos, topic, member)


def _place(repos: Repos, topic: Topic, member: Member) -> int:
    ids = [s.member_id for s in repos.topics.queue(topic.id)]
    return ids.index(member.id) + 1 if member.id in ids else 0


def next_speaker(repos: Repos, topic: Topic, actor: Member, now: datetime
                 ) -> tuple[TopicSpeaker | None, int]:
    """下一位: the first raised hand, called now; (speaker, how many still wait)."""
    queue = repos.topics.queue(topic.id)
    if not queue:
        return None, 0
    speaker = queue[0]
    speaker.called_at = now
    repos.topics.add_event(topic, "speaker_called", actor, now, note=speaker.member.name)
    return speaker, len(queue) - 1


def count_message(repos: Repos, topic: Topic, member: Member, limit: int) -> bool:
    """限时限次: count a discussion message; True when this one crosses the limit for
    the first time (the member gets one polite warning)."""
    speaker = repos.topics.speaker(topic.id, member.id)
    speaker.messages += 1
    if speaker.messages > limit and not speaker.warned:
        speaker.warned = True
        return True
    return False


# --- plain words during a discussion or a vote ----------------------------------------------

OPINION, INTAKE, HINT = "opinion", "intake", "hint"
# How sure the model must be that a message is a complaint to open a case in the middle of
# a discussion, where people argue about problems. On the held-out blind batch, residents'
# messages the bot calls complaints are 91 % real at the usual threshold (0.44) and 98 %
# from 0.8 on, which keeps 124 of the 138 real ones; the others get a hint about /报修.
DISCUSSION_SURE = 0.8


def complaint_in_discussion(is_complaint: bool, urgent: bool, confidence: float | None,
                            on_topic: bool, insulting: bool = False) -> str:
    """What a resident's message during an open discussion is: an OPINION on the topic;
    a complaint for the INTAKE (danger always; another problem than the topic's when the
    model is sure, see DISCUSSION_SURE); or a close call that gets a HINT about /报修.
    Words that insult someone (你懂个屁 南边那块地坑坑洼洼的…) are a retort in the argument,
    an opinion — unless they report danger."""
    if not is_complaint:
        return OPINION
    if urgent:
        return INTAKE
    if on_topic or insulting:
        return OPINION  # 电梯太旧了，经常坏 in a discussion about 加装电梯
    if confidence is None or confidence >= DISCUSSION_SURE:
        return INTAKE
    return HINT


_HAN = re.compile(r"[\u4e00-\u9fff]+")
# bigrams any two neighbourhood messages share: they say nothing about a topic
COMMON_BIGRAMS = frozenset(("小区", "我们", "你们", "大家", "业主", "居民", "邻居", "一下", "什么",
                            "怎么", "问题", "这个", "那个", "是不", "不是", "没有", "可以", "一个",
                            "号楼", "单元", "楼的", "现在", "还是", "就是", "已经", "物业"))


def _topic_bigrams(text: str) -> set[str]:
    return {run[i:i + 2] for run in _HAN.findall(text) for i in range(len(run) - 1)} \
        - COMMON_BIGRAMS


def about_topic(text: str, category: str | None, title: str, topic_category: str | None
                ) -> bool:
    """A complaint-like message speaks of the topic under discussion: the same category as
    the topic (its case's, or its title's), or a word of two characters in common with the
    title (停车费太贵了 in a discussion of 小区停车收费标准)."""
    if category is not None and category == topic_category:
        return True
    return bool(_topic_bigrams(text) & _topic_bigrams(title))


_VOTE_NOISE = re.compile(r"[\s,.!?;:，。！？；：~～、…“”\"'()（）]+")
_VOTE_WRAP = re.compile(r"^(?:我们?|我家|本人)?(?:投|选|也)?(?P<word>.+?)(?:一票|票)?$")
VOTE_SYNONYMS = {"赞成": "同意", "支持": "同意", "不同意": "反对", "不赞成": "反对",
                 "不支持": "反对"}
PLAIN_VOTE_MAX = 12  # characters: a longer message is an opinion, not a ballot


def plain_vote(text: str, options: list[str]) -> str | None:
    """The option a plain message votes for (同意 / 我同意！ / 投反对票 / 赞成), or None."""
    word = _VOTE_NOISE.sub("", text)
    if not word or len(word) > PLAIN_VOTE_MAX:
        return None
    match = _VOTE_WRAP.match(word)
    inner = match.group("word") if match else word
    for candidate in (word, inner):
        for option in (candidate, VOTE_SYNONYMS.get(candidate)):
            if option in options:
                return option
    return None


def plain_votes(repos: Repos, group_id: str, member: Member, text: str, now: datetime
                ) -> list[tuple[Topic, str]]:
    """The votes under way in the group that a plain message is a ballot for (the chair's
    words are never a ballot: 主持中立)."""
    if len(_VOTE_NOISE.sub("", text)) > PLAIN_VOTE_MAX:
        return []  # an opinion: no need to look for a vote
    found = []
    for topic in repos.topics.voting_in_group(group_id):
        if topic.vote_ends_at is not None and now >= topic.vote_ends_at:
            continue
        if topic.chair_id == member.id:
            continue
        option = plain_vote(text, list(topic.options))
        if option is not None:
            found.append((topic, option))
    return found


def start_vote(repos: Repos, topic: Topic, chair: Member, options: list[str],
               duration: timedelta, quorum: int, now: datetime) -> None:
    """决策: a new poll; the one who opens it chairs and does not vote (主持中立)."""
    _require(topic, VOTABLE_FROM, texts.OPEN_VOTE_ACTION)
    if len(options) < 2 or len(set(options)) != len(options):
        raise TopicRuleError(texts.VOTE_OPTIONS_INVALID)
    if topic.step == "discussing":
        close_discussion(repos, topic, chair, now)
    topic.step, topic.poll, topic.options = "voting", topic.poll + 1, list(options)
    topic.chair_id, topic.quorum, topic.vote_ends_at = chair.id, quorum, now + duration
    topic.result = {}
    repos.topics.add_event(topic, "vote_opened", chair, now, poll=topic.poll, options=options,
                           quorum=quorum, minutes=int(duration.total_seconds() // 60))


def cast_vote(repos: Repos, topic: Topic, member: Member, option: str, now: datetime) -> bool:
    """投票 (or change it until the deadline); True when it changed an earlier vote."""
    _require(topic, ("voting",), texts.VOTE_ACTION)
    if topic.vote_ends_at is not None and now >= topic.vote_ends_at:
        raise TopicRuleError(texts.vote_closed(topic.id))
    if member.id == topic.chair_id:
        raise TopicRuleError(texts.CHAIR_DOES_NOT_VOTE)
    if option not in topic.options:
        raise TopicRuleError(texts.vote_unknown_option(option, topic.options))
    return repos.topics.vote(topic, member, option, now)


@dataclass
class Result:
    counts: dict[str, int]
    cast: int  # votes that count: all but 弃权
    passed: bool
    winner: str | None
    quorum_met: bool


def tally(counts: dict[str, int], options: list[str], quorum: int) -> Result:
    """简单多数: an option wins with more than half of the votes cast (弃权 is not a vote
    cast). With the default options the topic passes when 同意 wins. A quorum counts
    every ballot, 弃权 included."""
    ordered = {o: counts.get(o, 0) for o in options}
    ballots = sum(ordered.values())
    cast = sum(n for o, n in ordered.items() if o != ABSTAIN)
    quorum_met = ballots >= quorum
    winner = next((o for o, n in ordered.items() if o != ABSTAIN and cast and n * 2 > cast),
                  None)
    passed = quorum_met and winner is not None and (
        winner == "同意" if "同意" in ordered else True)
    return Result(ordered, cast, passed, winner if quorum_met else None, quorum_met)


def close_vote(repos: Repos, topic: Topic, now: datetime) -> Result:
    _require(topic, ("voting",), texts.CLOSE_VOTE_ACTION)
    result = tally(repos.topics.tally(topic), topic.options, topic.quorum)
    topic.step = "voted"
    topic.result = {"counts": result.counts, "cast": result.cast, "passed": result.passed,
                    "winner": result.winner, "quorum_met": result.quorum_met,
                    "poll": topic.poll}
    repos.topics.add_event(topic, "vote_closed", None, now, **topic.result)
    return result


def decide(repos: Repos, topic: Topic, actor: Member, decision: str, publicity: timedelta,
           now: datetime) -> None:
    """决议: record the decision and start the 公示."""
    _require(topic, DECIDABLE_FROM, texts.DECIDE_ACTION)
    if topic.step == "discussing":
        close_discussion(repos, topic, actor, now)
    topic.step, topic.decision, topic.publicity_ends_at = "publicity", decision, now + publicity
    repos.topics.add_event(topic, "decided", actor, now, note=decision)


def end_publicity(repos: Repos, topic: Topic, now: datetime) -> None:
    _require(topic, ("publicity",), texts.END_PUBLICITY_ACTION)
    topic.step = "supervision"
    repos.topics.add_event(topic, "publicity_ended", None, now)


def finish(repos: Repos, topic: Topic, actor: Member, rating_window: timedelta,
           now: datetime) -> None:
    """完成: the topic is done; 成效评估 is open for the rating window."""
    _require(topic, ("supervision", "publicity"), texts.FINISH_ACTION)
    topic.step, topic.rating_ends_at = "done", now + rating_window
    repos.topics.add_event(topic, "done", actor, now)


def rate(repos: Repos, topic: Topic, member: Member, score: int, now: datetime) -> None:
    if topic.step != "done" or topic.rating_ends_at is None or now >= topic.rating_ends_at:
        raise TopicRuleError(texts.topic_rating_closed(topic.id))
    if not 1 <= score <= 5:
        raise TopicRuleError(texts.TOPIC_SCORE_RANGE)
    repos.topics.rate(topic, member, score, now)


def close_rating(repos: Repos, topic: Topic, now: datetime) -> tuple[float | None, int]:
    """The end of the 成效评估: (the average score or None, how many rated)."""
    scores = repos.topics.ratings(topic.id)
    average = sum(scores) / len(scores) if scores else None
    repos.topics.add_event(topic, "rated", None, now, average=average, count=len(scores))
    topic.rating_ends_at = None
    return average, len(scores)


def record_followup(repos: Repos, topic: Topic, now: datetime) -> None:
    """A 监督 follow-up was made (the next one counts from here)."""
    repos.topics.add_event(topic, "followup", None, now)


def followup_period(config: DeliberationConfig, topic: Topic) -> timedelta:
    """监督 cadence: 协商类/决策类 half-monthly, 咨询类/听证类 monthly."""
    if topic.kind in ("consultation", "decision"):
        return config.followup_consultation
    return config.followup_inquiry


def discussion_open_in(repos: Repos, group_id: str, now: datetime) -> Topic | None:
    """The topic under discussion in the group right now: its window open and not over."""
    topic = repos.topics.discussing_in_group(group_id)
    if topic is not None and (topic.discussion_ends_at is None
                              or now >= topic.discussion_ends_at):
        return None
    return topic


def check_convenable(case: Case) -> None:
    """A merged or withdrawn case cannot be convened (raises TopicRuleError)."""
    if case.state in ("merged", "withdrawn"):
        raise TopicRuleError(texts.case_wrong_state(case.id, texts.state_label(case.state),
                                                    texts.CONVENE_ACTION))


def convened_people(repos: Repos, community: CommunityConfig, case: Case) -> list[Member]:
    """Who a 会办 calls: the complainants, the assignee and the roles of the case's tier."""
    people = complainants(case)
    if case.assignee_id:
        people.append(repos.members.get(case.assignee_id))
    return people + repos.members.with_roles(community.id,
                                             tier_roles(community, case.category, case.tier))


def convene(repos: Repos, community: CommunityConfig, group: Group, case: Case,
            actor: Member, title: str, now: datetime) -> Topic:
    """有请当事人会办: a stuck case becomes a topic; case and topic stay linked."""
    existing = repos.topics.for_case(case.id)
    if existing is not None and existing.step != "done":
        raise TopicRuleError(texts.case_already_convened(case.id, existing.id))
    topic = propose(repos, group=group, proposer=actor, title=title, kind="consultation",
                    now=now, case=case)
    repos.cases.add_event(case, "convened", actor, now, note=f"T{topic.id}", topic=topic.id)
    return topic
