"""The analytics of the desk: trends of the 三率 and the times (figures checked against a
small set computed by hand), 未诉先办 hot spots (the rule's edges), the actions on a hot
spot (a linked topic, a check-up case; the group sees both) and the weekly post to
moderators (new hot spots only, once). Storage-touching tests run on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.domain import cases as case_rules
from bot.domain import hotspots
from bot.domain.groups import community_of
from bot.domain.trends import trends, week_of
from bot.outbox import queue_posts
from scheduler.tick import run_tick
from tests.conftest import TZ

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=TZ)  # a Monday


def _open(bot, sender: str, category: str, location: dict, at: datetime,
          text: str = "问题") -> int:
    with bot.store.transaction() as repos:
        community = bot.config.communities[0]
        group = repos.groups.get("g-1")
        member = repos.members.ensure(community.id, sender, sender, at)
        opened = case_rules.open_case(
            repos, config=bot.config, community=community, group=group, complainant=member,
            text=text, category=category, urgent=False, location=location, keywords=[],
            source=None, now=at, via="test")
        return opened.case.id


def _act(bot, case_id: int, what: str, at: datetime, rating: str | None = None) -> None:
    with bot.store.transaction() as repos:
        community = bot.config.communities[0]
        case = repos.cases.get(case_id)
        staff = repos.members.by_external(community.id, "u-wang")
        if what == "ack":
            case_rules.acknowledge(repos, case, staff, at)
        elif what == "resolve":
            case_rules.resolve(repos, case, staff, "", at)
        elif what == "rate":
            case_rules.rate(repos, bot.config, community, case, case.complainants[0].member,
                            rating, "", at)


# --- trends -----------------------------------------------------------------------------------

def test_trends_by_week_month_category_with_mean_and_p90(bot, db_url):
    """Five cases over two weeks (normal SLA: respond 4 h, resolve 72 h):
    week 1: A ack 1 h, resolved 10 h, 满意; B ack 5 h (late), resolved 20 h, 不满意
            -> reopened; C never acknowledged (overdue).
    week 2: D ack 2 h, resolved 30 h, 基本满意; E ack 3 h.
    """
    a = _open(bot, "r-1", "facility", {"building": "3"}, T0)
    b = _open(bot, "r-2", "elevator", {"building": "5"}, T0 + timedelta(hours=1))
    _open(bot, "r-3", "facility", {"building": "7"}, T0 + timedelta(hours=2))
    d = _open(bot, "r-4", "noise", {}, T0 + timedelta(days=7))
    e = _open(bot, "r-5", "facility", {"building": "9"}, T0 + timedelta(days=7, hours=1))
    _act(bot, a, "ack", T0 + timedelta(hours=1))
    _act(bot, a, "resolve", T0 + timedelta(hours=10))
    _act(bot, a, "rate", T0 + timedelta(hours=11), "satisfied")
    _act(bot, b, "ack", T0 + timedelta(hours=6))
    _act(bot, b, "resolve", T0 + timedelta(hours=21))
    _act(bot, b, "rate", T0 + timedelta(hours=22), "unsatisfied")
    _act(bot, d, "ack", T0 + timedelta(days=7, hours=2))
    _act(bot, d, "resolve", T0 + timedelta(days=7, hours=30))
    _act(bot, d, "rate", T0 + timedelta(days=7, hours=31), "basic")
    _act(bot, e, "ack", T0 + timedelta(days=7, hours=4))
    now = T0 + timedelta(days=10)
    with bot.store.transaction() as repos:
        tr = trends(repos, ["sunshine"], T0 - timedelta(days=1), now, TZ, now)
    total = tr.total
    assert total.stats.opened == 5
    # 响应率: A, D, E in time of 5 due (C past its deadline, B late) -> 3/5
    assert total.response_rate == pytest.approx(3 / 5)
    # 解决率: A and D resolved and not reopened (B is reopened) -> 2/5
    assert total.resolution_rate == pytest.approx(2 / 5)
    # 满意率: A 满意, D 基本满意, B 不满意 -> 2/3
    assert total.satisfaction_rate == pytest.approx(2 / 3)
    # ack times 1 h, 5 h, 2 h, 3 h: mean 2.75 h, p90 (ceil(0.9*4)=4th) 5 h
    assert total.mean_ack == timedelta(hours=2.75)
    assert total.p90_ack == timedelta(hours=5)
    # resolve times: A 10 h, D 30 h (B was reopened: not resolved)
    assert total.mean_resolve == timedelta(hours=20)
    assert total.p90_resolve == timedelta(hours=30)
    # overdue: C (no 签收) and B (reopened past its resolution deadline? 72 h from T0+1h
    # is day 3: yes) and E (acknowledged, resolve_by day 10 + 1 h: not yet)
    assert total.stats.overdue == 2
    weeks = {row.key: row for row in tr.rows["week"]}
    assert list(weeks) == [week_of(T0, TZ).isoformat(),
                           week_of(T0 + timedelta(days=7), TZ).isoformat()]
    first, second = weeks.values()
    assert (first.stats.opened, first.response_rate, first.resolution_rate) == (3, 1 / 3, 1 / 3)
    assert (second.stats.opened, second.response_rate, second.satisfaction_rate) == (2, 1.0, 1.0)
    assert second.mean_ack == timedelta(hours=2.5)
    months = tr.rows["month"]
    assert [(m.key, m.stats.opened) for m in months] == [("2026-11", 5)]
    categories = {row.key: row.stats.opened for row in tr.rows["category"]}
    assert categories == {"elevator": 1, "facility": 3, "noise": 1}
    assignees = {row.key: row.stats.opened for row in tr.rows["assignee"]}
    assert assignees[""] == 1 and sum(assignees.values()) == 5
    assert [(r.key, r.stats.opened) for r in tr.rows["tier"]] == [("1", 5)]


# --- hot spots --------------------------------------------------------------------------------

def _spots(bot, now):
    with bot.store.transaction() as repos:
        return hotspots.find_hotspots(repos, bot.config, "sunshine", now)


def test_hotspot_needs_three_at_one_building_within_the_window(bot, db_url):
    _open(bot, "r-1", "water_leak", {"building": "3", "room": "501"}, T0)
    _open(bot, "r-2", "water_leak", {"building": "3", "room": "402"}, T0 + timedelta(days=5))
    _open(bot, "r-3", "water_leak", {"building": "4"}, T0 + timedelta(days=6))  # elsewhere
    _open(bot, "r-4", "plumbing", {"building": "3"}, T0 + timedelta(days=6))  # other kind
    assert _spots(bot, T0 + timedelta(days=7)) == []  # two at building 3: no
    third = _open(bot, "r-5", "water_leak", {"building": "3"}, T0 + timedelta(days=20))
    (spot,) = _spots(bot, T0 + timedelta(days=21))
    assert (spot.kind, spot.category, spot.location, spot.count) == \
        ("place", "water_leak", {"building": "3"}, 3)
    assert spot.case_ids[-1] == third
    # 31 days after the first, it is outside the 30-day window: two left, no hot spot
    assert _spots(bot, T0 + timedelta(days=31)) == []


def test_hotspot_threshold_is_configurable_and_outages_repeat_community_wide(bot, db_url):
    _open(bot, "r-1", "utility_outage", {}, T0)
    assert [s.kind for s in _spots(bot, T0 + timedelta(days=1))] == []
    _open(bot, "r-2", "utility_outage", {}, T0 + timedelta(days=3))
    (outage,) = _spots(bot, T0 + timedelta(days=4))
    assert (outage.kind, outage.location, outage.count) == ("outage", {}, 2)
    stricter = bot.config.model_copy(update={"hotspots": bot.config.hotspots.model_copy(
        update={"outage_min_cases": 3})})
    with bot.store.transaction() as repos:
        assert hotspots.find_hotspots(repos, stricter, "sunshine",
                                      T0 + timedelta(days=4)) == []


def test_repeat_complainant_whose_cases_keep_reopening(bot, db_url):
    first = _open(bot, "r-9", "heating", {"building": "2"}, T0)
    for day in (1, 3):
        _act(bot, first, "resolve", T0 + timedelta(days=day))
        _act(bot, first, "rate", T0 + timedelta(days=day, hours=1), "unsatisfied")
    spots = [s for s in _spots(bot, T0 + timedelta(days=4)) if s.kind == "reopens"]
    assert len(spots) == 1 and spots[0].count == 2
    with bot.store.transaction() as repos:
        member = repos.members.by_external("sunshine", "r-9")
        assert spots[0].member_id == member.id


def _hot_building(bot, at=T0, building="3"):
    return [_open(bot, f"r-{n}", "facility", {"building": building}, at + timedelta(days=4 * n))
            for n in range(3)]


def _deliver(bot, repos, group, post, now):
    queue_posts(repos, [post], group=group, now=now, config=bot.config)


def test_propose_topic_links_every_case_and_the_group_sees_it(bot, db_url, receiver):
    ids = _hot_building(bot)
    now = T0 + timedelta(days=9)
    with bot.store.transaction() as repos:
        (spot,) = hotspots.find_hotspots(repos, bot.config, "sunshine", now)
        moderator = repos.members.by_external("sunshine", "u-li")
        topic, post = hotspots.propose_topic(repos, spot, moderator, now)
        _deliver(bot, repos, repos.groups.get(spot.group_id), post, now)
        topic_id = topic.id
    with bot.store.transaction() as repos:
        assert repos.topics.linked_case_ids(topic_id) == ids
        assert repos.topics.get(topic_id).step == "proposed"
        assert all(repos.cases.latest_event(i, "topic_linked").data["topic"] == topic_id
                   for i in ids)
        with pytest.raises(hotspots.HotspotError):  # a second click: refused
            hotspots.propose_topic(repos, spot, moderator, now)
    run_tick(bot, now + timedelta(hours=1))
    posts = [p for p in receiver.posts if p["kind"] == "topic"]
    assert len(posts) == 1 and posts[0]["group_id"] == "g-1"
    assert f"T{topic_id}" in posts[0]["text"] and all(f"#{i}" in posts[0]["text"] for i in ids)


def test_checkup_opens_a_routed_case_at_the_place_once(bot, db_url, receiver):
    _hot_building(bot)
    now = T0 + timedelta(days=9)
    with bot.store.transaction() as repos:
        (spot,) = hotspots.find_hotspots(repos, bot.config, "sunshine", now)
        moderator = repos.members.by_external("sunshine", "u-li")
        community = community_of(bot.config, "sunshine")
        opened, post = hotspots.open_checkup(repos, bot.config, community, spot, moderator, now)
        _deliver(bot, repos, repos.groups.get(spot.group_id), post, now)
        case_id = opened.case.id
        assert opened.case.location == {"building": "3"} and opened.case.category == "facility"
        assert opened.case.complainant_id == moderator.id
        with pytest.raises(hotspots.HotspotError):
            hotspots.open_checkup(repos, bot.config, community, spot, moderator, now)
    # the check-up itself does not count towards the hot spot
    assert _spots(bot, now)[0].count == 3
    run_tick(bot, now + timedelta(minutes=1))
    ping = [p for p in receiver.posts if p.get("case_id") == case_id]
    assert ping and "未诉先办" in ping[0]["text"] and "u-wang" in ping[0]["mentions"]


def test_weekly_post_lists_only_new_hot_spots_once(bot, db_url, receiver):
    _hot_building(bot, T0 - timedelta(days=20))
    monday = datetime(2026, 11, 9, 9, 0, tzinfo=TZ)
    first = run_tick(bot, monday)
    again = run_tick(bot, monday + timedelta(minutes=1))
    assert first.posts["hotspots"] == 1 and again.posts["hotspots"] == 0
    (post,) = [p for p in receiver.posts if "未诉先办" in p["text"]]
    assert "3号楼" in post["text"] and "u-li" in post["mentions"]
    # next Monday: the same hot spot is not new; a new one at building 8 is
    _hot_building(bot, monday - timedelta(days=8), building="8")
    run_tick(bot, monday + timedelta(days=7))
    later = [p for p in receiver.posts if "未诉先办" in p["text"]][1:]
    assert len(later) == 1 and "8号楼" in later[0]["text"] and "3号楼" not in later[0]["text"]
