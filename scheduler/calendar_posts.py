"""Posts on the calendar, per group: the daily digest (schedules.daily_digest), 议题征集
on Mondays, the half-monthly summary on the 1st and 16th, and the monthly 社情民意 report
on the 1st; per community, the weekly post of new 未诉先办 hot spots to the moderators
(hotspots.weekly_day at hotspots.weekly_time). Each is due from its time until
`schedules.catch_up` later (a tick missed while the server was down still posts it),
once: its key names the group and the day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from bot import texts
from bot.domain.cases import case_is_overdue
from bot.domain.categories import category_label
from bot.domain.groups import community_of
from bot.domain.hotspots import weekly_posts
from bot.domain.reports import (
    daily_digest,
    monthly_report,
    previous_month,
    render_digest,
    render_monthly_post,
)
from bot.events import Outgoing
from bot.outbox import queue_posts
from storage.models import Group
from storage.repositories import Repos

if TYPE_CHECKING:
    from bot.application import Application

Composer = Callable[["Application", Repos, Group, datetime, date], Outgoing | None]


def _digest(app: Application, repos: Repos, group: Group, now: datetime, day: date
            ) -> Outgoing | None:
    start = datetime.combine(day, time(0), tzinfo=app.config.tz)
    digest = daily_digest(repos, group.community_id, group.id, start, now)
    if not (digest.opened or digest.resolved or digest.still_open):
        return None  # a quiet day in a quiet group: nothing to say
    return Outgoing(text=render_digest(texts.month_day(day), digest), kind="digest")


def _topic_lines(repos: Repos, group: Group) -> list[str]:
    return [texts.topic_list_row(t.id, t.title, t.kind, texts.topic_step_label(t))
            for t in repos.topics.active_in_community(group.community_id)
            if t.group_id == group.id]


def _topic_call(app: Application, repos: Repos, group: Group, now: datetime, day: date
                ) -> Outgoing | None:
    return Outgoing(text=texts.topic_call(_topic_lines(repos, group)), kind="topic")


def _summary(app: Application, repos: Repos, group: Group, now: datetime, day: date
             ) -> Outgoing | None:
    open_cases = repos.cases.open_in_group(group.id)
    counts = Counter(category_label(c.category) for c in open_cases)
    return Outgoing(kind="digest", text=texts.half_monthly_summary(
        texts.month_day(day), open_cases=len(open_cases),
        overdue=sum(case_is_overdue(c, now) for c in open_cases),
        group_complaints=sum(c.group_complaint for c in open_cases),
        top_categories=counts.most_common(3), open_topics=_topic_lines(repos, group)))


def _monthly(app: Application, repos: Repos, group: Group, now: datetime, day: date
             ) -> Outgoing | None:
    year, month = previous_month(day)
    community = community_of(app.config, group.community_id)
    report = monthly_report(repos, community.id, community.name, year, month, app.config.tz,
                            now)
    return Outgoing(text=render_monthly_post(report), kind="report")


def _schedule(app: Application) -> list[tuple[str, time, Callable[[date], bool], Composer]]:
    s = app.config.schedules
    return [
        ("digest", s.daily_digest, lambda d: True, _digest),
        ("topic_call", s.topic_call, lambda d: d.weekday() == 0, _topic_call),
        ("summary", s.half_monthly_summary, lambda d: d.day in (1, 16), _summary),
        ("monthly_report", s.monthly_report, lambda d: d.day == 1, _monthly),
    ]


def _hotspot_day(app: Application) -> Callable[[date], bool]:
    settings = app.config.hotspots
    return lambda d: settings.weekly_post and d.weekday() == settings.weekly_day


def next_calendar_due(app: Application, after: datetime) -> datetime | None:
    """The first time after `after` at which a calendar post falls due (within 31 days:
    every schedule has a day in any 31)."""
    tz = app.config.tz
    first = after.astimezone(tz).date()
    times = [(at, on_day) for _name, at, on_day, _compose in _schedule(app)]
    times.append((app.config.hotspots.weekly_time, _hotspot_day(app)))
    found = [datetime.combine(day, at, tzinfo=tz)
             for day in (first + timedelta(days=n) for n in range(32))
             for at, on_day in times if on_day(day)]
    return min((due for due in found if due > after), default=None)


def due_calendar_posts(app: Application, now: datetime) -> list[tuple[str, str, Outgoing]]:
    """(schedule name, group id, post) for every calendar post due at `now` that was not
    queued before; each post carries its key (the schedule, the group and the day)."""
    found = []
    local = now.astimezone(app.config.tz)
    catch_up = app.config.schedules.catch_up
    for name, at, on_day, compose in _schedule(app):
        due = datetime.combine(local.date(), at, tzinfo=app.config.tz)
        if not (on_day(local.date()) and due <= now < due + catch_up):
            continue
        with app.store.transaction() as repos:
            for community in app.config.communities:
                for group in repos.groups.in_community(community.id, include_private=False):
                    key = f"{name}:{group.id}:{local.date().isoformat()}"
                    if repos.outbox.exists(key):
                        continue
                    post = compose(app, repos, group, now, local.date())
                    if post is not None:
                        post.key = key
                        found.append((name, group.id, post))
    return found


def queue_calendar_posts(app: Application, now: datetime,
                         posts: list[tuple[str, str, Outgoing]]) -> Counter:
    """Queue calendar posts (those not queued meanwhile)."""
    counts: Counter = Counter()
    if not posts:
        return counts
    with app.store.transaction() as repos:
        for name, group_id, post in posts:
            if repos.outbox.exists(post.key or ""):
                continue
            counts[name] += len(queue_posts(repos, [post], group=repos.groups.get(group_id),
                                            now=now, config=app.config))
    return counts


def run_hotspot_post(app: Application, now: datetime) -> Counter:
    """The weekly post of new hot spots to each community's moderators, once a week
    (the hot spots it names are remembered, so a second tick finds none new)."""
    counts: Counter = Counter()
    local = now.astimezone(app.config.tz)
    due = datetime.combine(local.date(), app.config.hotspots.weekly_time, tzinfo=app.config.tz)
    if not (_hotspot_day(app)(local.date()) and due <= now < due + app.config.schedules.catch_up):
        return counts
    private = app.config.channels.wecom_app.enabled
    for community in app.config.communities:
        with app.store.transaction() as repos:
            for group, post in weekly_posts(repos, app.config, community, now, private):
                counts["hotspots"] += len(queue_posts(repos, [post], group=group, now=now,
                                                      config=app.config))
    return counts


def run_calendar_posts(app: Application, now: datetime) -> Counter:
    """Queue every calendar post due at `now` that was not queued before, and the weekly
    hot-spot post."""
    counts = queue_calendar_posts(app, now, due_calendar_posts(app, now))
    counts.update(run_hotspot_post(app, now))
    return counts
