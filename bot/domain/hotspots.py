"""未诉先办 hot spots: problems that keep coming back, found before anyone complains again.

Three kinds, each over the last `hotspots.window_days` days of a community (config
`hotspots`):
- ``place``: the same category at the same building (else the same named place, 地下车库,
  东门 …) opened at least `min_cases` times (default 3 in 30 days). Cases that name no
  place are not counted: "somewhere" is no hot spot.
- ``outage``: 停水停电停气 (utility_outage) at one place, or with no place written
  (community-wide), at least `outage_min_cases` times (default 2).
- ``reopens``: a complainant whose cases were reopened by their 不满意 at least
  `min_reopens` times (default 2): shown to moderators on the desk, never in a group.

Merged cases count in the case they joined; the check-up cases the desk opens from a hot
spot (timeline event ``checkup``) are not counted again.

Actions: `propose_topic` opens a 议题 linked to every case of the hot spot (the group
sees it); `open_checkup` opens a 未诉先办 check-up case at the place, routed and pinged
like any case, with the moderator who asked for it as its complainant (so the moderator
rates the result). `weekly_posts` is the weekly post to moderators of the NEW hot spots.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.config import CommunityConfig, Config
from bot.domain import deliberation
from bot.domain.cases import OpenedCase, case_is_open, open_case
from bot.domain.categories import category_label
from bot.domain.errors import RuleError
from bot.domain.groups import ensure_private_group
from bot.events import Mention, Outgoing
from bot.texts import common as words_common
from bot.texts import insights as words
from storage.models import Case, Group, Member, Topic
from storage.repositories import Repos

OUTAGE = "utility_outage"
MODERATORS = ("moderator",)


class HotspotError(RuleError):
    """The action on a hot spot is refused (already done, or the hot spot is gone)."""


@dataclass(frozen=True)
class Hotspot:
    kind: str  # place | outage | reopens
    community_id: str
    category: str
    location: dict  # {"building": "3"} or {"place": "地下车库"}; {} community-wide
    case_ids: tuple[int, ...]
    group_id: str  # the group of the latest case (where actions are announced)
    first_at: datetime
    last_at: datetime
    member_id: int | None = None  # reopens: the complainant

    @property
    def key(self) -> str:
        if self.kind == "reopens":
            return f"reopens:{self.member_id}"
        where = ",".join(f"{k}={v}" for k, v in sorted(self.location.items()))
        return f"{self.kind}:{self.category}:{where}"

    @property
    def count(self) -> int:
        return len(self.case_ids)

    @property
    def where(self) -> str:
        return words_common.place(self.location)


def place_of(location: dict) -> dict:
    """The place a hot spot is about: the building, else the named place; {} none."""
    if location.get("building"):
        return {"building": str(location["building"])}
    if location.get("place"):
        return {"place": str(location["place"])}
    return {}


def _counted(repos: Repos, cases: list[Case]) -> list[Case]:
    checkups = repos.cases.ids_with_event([c.id for c in cases], "checkup")
    return [c for c in cases if c.state != "merged" and c.id not in checkups]


def _spot(kind: str, community_id: str, category: str, location: dict, cases: list[Case],
          member_id: int | None = None) -> Hotspot:
    cases = sorted(cases, key=lambda c: c.id)
    return Hotspot(kind=kind, community_id=community_id, category=category,
                   location=location, case_ids=tuple(c.id for c in cases),
                   group_id=cases[-1].group_id, first_at=min(c.opened_at for c in cases),
                   last_at=max(c.opened_at for c in cases), member_id=member_id)


def find_hotspots(repos: Repos, config: Config, community_id: str, now: datetime
                  ) -> list[Hotspot]:
    """The community's hot spots as of `now`, the most repeated first."""
    settings = config.hotspots
    start = now - timedelta(days=settings.window_days)
    cases = _counted(repos, repos.cases.stat_rows(
        [community_id], start, now + timedelta(microseconds=1)))
    buckets: dict[tuple[str, tuple], list[Case]] = {}
    for case in cases:
        where = place_of(case.location or {})
        if where or case.category == OUTAGE:
            buckets.setdefault((case.category, tuple(sorted(where.items()))), []).append(case)
    found = []
    for (category, where), members in buckets.items():
        outage = category == OUTAGE
        needed = settings.outage_min_cases if outage else settings.min_cases
        if len(members) >= needed:
            found.append(_spot("outage" if outage else "place", community_id, category,
                               dict(where), members))
    found += _reopens(repos, config, community_id, start, now)
    return sorted(found, key=lambda h: (-h.count, h.kind, h.key))


def _reopens(repos: Repos, config: Config, community_id: str, start: datetime,
             now: datetime) -> list[Hotspot]:
    by_member: dict[int, list[int]] = {}
    for event in repos.cases.events_between(community_id, "reopened", start,
                                            now + timedelta(microseconds=1)):
        if event.actor_id is not None:
            by_member.setdefault(event.actor_id, []).append(event.case_id)
    found = []
    for member_id, case_ids in by_member.items():
        if len(case_ids) < config.hotspots.min_reopens:
            continue
        cases = [repos.cases.get(i) for i in sorted(set(case_ids))]
        latest = cases[-1]
        spot = _spot("reopens", community_id, latest.category, place_of(latest.location or {}),
                     cases, member_id=member_id)
        # the count is of reopenings (a case reopened twice counts twice)
        found.append(replace(spot, case_ids=tuple(sorted(case_ids))))
    return found


def find_by_key(repos: Repos, config: Config, community_id: str, key: str, now: datetime
                ) -> Hotspot:
    for spot in find_hotspots(repos, config, community_id, now):
        if spot.key == key:
            return spot
    raise HotspotError(words.HOTSPOT_GONE)


def distinct_cases(spot: Hotspot) -> list[int]:
    return sorted(set(spot.case_ids))


def describe(repos: Repos, config: Config, spot: Hotspot) -> str:
    """The hot spot as one line for moderators (the complainant named: desk and private
    chats only)."""
    days = config.hotspots.window_days
    if spot.kind == "reopens":
        member = repos.members.get(spot.member_id) if spot.member_id else None
        return words.reopens_line(member.name if member else "", spot.count, days,
                                  distinct_cases(spot))
    return words.hotspot_line(spot.kind, category_label(spot.category), spot.where,
                              spot.count, days, distinct_cases(spot))


# --- actions ----------------------------------------------------------------------------------

def propose_topic(repos: Repos, spot: Hotspot, actor: Member, now: datetime
                  ) -> tuple[Topic, Outgoing]:
    """A 议题 about the hot spot, linked to all its cases; the post announcing it in the
    group of its latest case. Refused when an unfinished topic already holds its cases."""
    case_ids = distinct_cases(spot)
    for topic in repos.topics.linked_to_cases(case_ids):
        if topic.step != "done" and set(case_ids) <= set(
                repos.topics.linked_case_ids(topic.id)) | {topic.case_id}:
            raise HotspotError(words.hotspot_topic_exists(topic.id))
    group = repos.groups.get(spot.group_id)
    label = category_label(spot.category)
    title = (words.reopens_topic_title(label, spot.count) if spot.kind == "reopens"
             else words.hotspot_topic_title(label, spot.where, spot.count))
    latest = repos.cases.get(case_ids[-1])
    topic = deliberation.propose(repos, group=group, proposer=actor, title=title,
                                 kind="consultation", now=now, case=latest)
    repos.topics.link_cases(topic, case_ids)
    for case_id in case_ids:
        repos.cases.add_event(repos.cases.get(case_id), "topic_linked", actor, now,
                              note=f"T{topic.id}", topic=topic.id, hotspot=spot.key)
    moderators = [m for m in repos.members.with_roles(spot.community_id, MODERATORS)
                  if m.id != actor.id]
    post = Outgoing(text=words.hotspot_topic_posted(topic.id, title, case_ids), kind="topic",
                    topic_id=topic.id, mentions=Mention.of(moderators),
                    key=f"hotspot-topic:{topic.id}")
    return topic, post


def open_checkup(repos: Repos, config: Config, community: CommunityConfig, spot: Hotspot,
                 actor: Member, now: datetime) -> tuple[OpenedCase, Outgoing]:
    """A 未诉先办 check-up case at the hot spot's place, routed like a complaint of its
    category (the routed staff are pinged in the group of the hot spot's latest case).
    Refused while an earlier check-up of the same hot spot is still open."""
    since = now - timedelta(days=config.hotspots.window_days)
    for event in repos.cases.events_between(community.id, "checkup", since,
                                            now + timedelta(microseconds=1)):
        earlier = repos.cases.get(event.case_id)
        if (event.data or {}).get("hotspot") == spot.key and case_is_open(earlier):
            raise HotspotError(words.checkup_exists(earlier.id))
    group: Group = repos.groups.get(spot.group_id)
    label = category_label(spot.category)
    text = words.checkup_text(label, spot.where, spot.count, config.hotspots.window_days)
    opened = open_case(repos, config=config, community=community, group=group,
                       complainant=actor, text=text, category=spot.category, urgent=False,
                       location=spot.location, keywords=[], source=None, now=now,
                       via="checkup")
    case = opened.case
    repos.cases.add_event(case, "checkup", actor, now, hotspot=spot.key,
                          cases=distinct_cases(spot))
    respond_by = case.respond_by.astimezone(config.tz).strftime("%m-%d %H:%M")
    post = Outgoing(text=words.checkup_posted(case.id, label, spot.where, respond_by),
                    kind="ping", case_id=case.id, mentions=Mention.of(opened.pinged),
                    key=f"hotspot-checkup:{case.id}")
    return opened, post


# --- the weekly post to moderators -------------------------------------------------------------

def new_hotspots(repos: Repos, config: Config, community_id: str, now: datetime
                 ) -> list[Hotspot]:
    """Hot spots not announced within the window (a hot spot announced long ago that
    is back counts as new again)."""
    since = now - timedelta(days=config.hotspots.window_days)
    seen = repos.hotspots.announced_since(community_id, since)
    return [s for s in find_hotspots(repos, config, community_id, now) if s.key not in seen]


def weekly_posts(repos: Repos, config: Config, community: CommunityConfig, now: datetime,
                 private_chats: bool) -> list[tuple[Group, Outgoing]]:
    """The weekly post of the community's NEW hot spots, marked announced.

    With private chats (the WeCom app), each moderator gets the whole list privately,
    repeat complainants named. Otherwise each group whose cases make a hot spot gets
    the place and outage hot spots of its own cases, @-mentioning the moderators, with
    the repeat complainants only counted (names stay on the desk)."""
    spots = new_hotspots(repos, config, community.id, now)
    if not spots:
        return []
    moderators = repos.members.with_roles(community.id, MODERATORS)
    day = now.astimezone(config.tz).date().isoformat()
    posts: list[tuple[Group, Outgoing]] = []
    if private_chats and moderators:
        text = words.hotspots_weekly([describe(repos, config, s) for s in spots], 0)
        for moderator in moderators:
            private = ensure_private_group(repos, moderator.external_id, community.id, now)
            posts.append((private, Outgoing(text=text, kind="notice",
                                            key=f"hotspots:{private.id}:{day}")))
    else:
        people = sum(s.kind == "reopens" for s in spots)
        for group_id in sorted({s.group_id for s in spots if s.kind != "reopens"}):
            lines = [describe(repos, config, s) for s in spots
                     if s.kind != "reopens" and s.group_id == group_id]
            group = repos.groups.get(group_id)
            if group is None or group.private:
                continue
            posts.append((group, Outgoing(text=words.hotspots_weekly(lines, people),
                                          kind="notice", mentions=Mention.of(moderators),
                                          key=f"hotspots:{group.id}:{day}")))
            people = 0  # the count once, in the first group's post
    for spot in spots:
        repos.hotspots.mark_announced(community.id, spot.key, now)
    return posts
