"""One tick: everything due at `now`, run once. `python -m bot tick --at T` and the
APScheduler job both call `run_tick`; running it twice for the same instant posts
nothing new, and two processes ticking at once post nothing twice: a timer is taken
once (SKIP LOCKED on PostgreSQL, one writer at a time on SQLite) and every planned post
carries a unique key, written in the same transaction as the change it announces.
Reminders, escalations and nudges due in the same tick for the same people in a group
go out as one message listing the cases (several kinds: a section each); a normal case's
timers wait for the end of quiet hours (they are planned for it), so the morning's are
worded and sent together; and one that falls due while another of the group's falls due
within `scheduler.gather_window` (5 min) of it waits for it, so reminders a minute apart
after an evening burst are one message too (worded when it goes out).
"""

from __future__ import annotations

import logging
import time as pytime
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError

from bot.domain.quiet_hours import outside_quiet_hours
from bot.domain.timers import replan_touched
from bot.ingest import handle_unhandled
from bot.outbox import batch_posts, deliver_due, queue_posts
from scheduler.calendar_posts import due_calendar_posts, queue_calendar_posts, run_hotspot_post
from scheduler.case_timers import CASE_TIMERS
from scheduler.topic_timers import TOPIC_TIMERS
from storage.db import is_deadlock
from storage.models import ScheduledJob
from storage.repositories import Repos

if TYPE_CHECKING:
    from bot.application import Application

log = logging.getLogger(__name__)
BATCH = 200


def fire(app: Application, repos: Repos, job: ScheduledJob, now: datetime):
    """Run one due timer: (the group to post in, the posts). The handler re-checks its
    case or topic (a timer may be stale); the posts' key is the timer's key plus its due
    time, so a timer posts once however many ticks see it."""
    if job.kind in CASE_TIMERS:
        owner, handler = repos.cases.get(job.case_id), CASE_TIMERS[job.kind]
    elif job.kind in TOPIC_TIMERS:
        owner, handler = repos.topics.get(job.topic_id), TOPIC_TIMERS[job.kind]
    else:
        log.error("no handler for timer kind %r (%s)", job.kind, job.key)
        return None, []
    if owner is None:
        return None, []
    fired = f"{job.key}@{job.due_at.isoformat()}"
    posts = handler(app, repos, owner, now)
    for post in posts:
        post.key = fired
    return owner.group_id, posts


@dataclass
class TickSummary:
    at: datetime
    recovered: int = 0
    pulled: int = 0  # messages taken in by pollers (the WeCom archive feed)
    posts: Counter = field(default_factory=Counter)
    delivered: int = 0
    retried: int = 0
    failed: int = 0

    def line(self, tz) -> str:
        planned = ", ".join(f"{k} {v}" for k, v in sorted(self.posts.items())) or "nothing due"
        pulled = f"pulled {self.pulled} messages, " if self.pulled else ""
        return (f"tick {self.at.astimezone(tz).isoformat(timespec='seconds')}: {planned}; "
                f"{pulled}recovered {self.recovered} messages, delivered {self.delivered} posts, "
                f"{self.retried} to retry, {self.failed} failed")


DEADLOCK_RETRIES = 5


def run_timers(app: Application, now: datetime, calendar: list | None = None) -> Counter:
    """Fire every due timer, in batches, each batch in one transaction; what falls due
    together for the same people in a group goes out as one message (batch_posts). A
    group's daily digest due in the same tick (`calendar`: (name, group id, post), taken
    out of the list when used) heads that group's first such message. A batch PostgreSQL
    rolls back as a deadlock's victim (ticking processes lock cases, groups and timers of
    overlapping batches) runs again."""
    counts: Counter = Counter()
    calendar = calendar if calendar is not None else []
    while True:
        for attempt in range(DEADLOCK_RETRIES):
            left = list(calendar)  # what the batch takes is taken only if it commits
            try:
                batch, jobs = _timer_batch(app, now, left)
                break
            except OperationalError as exc:
                if not is_deadlock(exc) or attempt == DEADLOCK_RETRIES - 1:
                    raise
                log.warning("timer batch chosen as a deadlock victim; running it again")
                pytime.sleep(0.05 * (attempt + 1))
        calendar[:] = left
        counts.update(batch)
        if len(jobs) < BATCH:
            return counts


def _timer_batch(app: Application, now: datetime, calendar: list) -> tuple[Counter, list]:
    """One batch of due timers in one transaction: (posts by kind, the jobs taken)."""
    counts: Counter = Counter()
    with app.store.transaction() as repos:
        jobs = repos.jobs.due(now, BATCH)
        repos.cases.preload([j.case_id for j in jobs if j.case_id], lock=True)
        posts_by_group: dict[str, list] = {}
        waiting = _gathering(app, repos, jobs, now)
        for job in jobs:
            if job.id in waiting or _wait_for_morning(app, repos, job, now):
                continue
            repos.jobs.finish(job, now)
            group_id, posts = fire(app, repos, job, now)
            if posts:
                posts_by_group.setdefault(group_id, []).extend(posts)
                counts[job.kind] += len(posts)
        # every group's row locked at once, in id order, before any post is queued
        # (queue_posts locks its group too): two ticking processes whose batches
        # touch the same groups in another order would otherwise deadlock
        repos.groups.lock(sorted(posts_by_group))
        for group_id in sorted(posts_by_group):
            queue_posts(repos, _with_digest(batch_posts(posts_by_group[group_id]), group_id,
                                            calendar, counts),
                        group=repos.groups.known(group_id), now=now, config=app.config)
        replan_touched(repos, app.config, now)
    return counts, jobs


def _with_digest(posts: list, group_id: str, calendar: list, counts: Counter) -> list:
    """The group's daily digest due in this tick, if any, heads its first batched
    message (one message: the day's figures, then the cases due now for the people it
    @-mentions); the merged post keeps the digest's key, so it is made once."""
    found = next((item for item in calendar if item[0] == "digest" and item[1] == group_id),
                 None)
    first = next((p for p in posts if p.mentions and not p.urgent), None)
    if found is None or first is None:
        return posts
    calendar.remove(found)
    counts["digest"] += 1
    digest = found[2]
    merged = replace(first, text=f"{digest.text}\n\n{first.text}", key=digest.key,
                     case_id=first.case_id)
    return [merged if p is first else p for p in posts]


GATHERED = ("remind", "respond_deadline", "resolve_deadline", "nudge")


def _gathering(app: Application, repos: Repos, jobs: list[ScheduledJob], now: datetime
               ) -> set[int]:
    """The due timers that wait for others of their group falling due soon: a normal
    case's reminder, escalation or nudge waits while another of the group's is due within
    `scheduler.gather_window` of the group's first due one (so at most that long)."""
    window = app.config.scheduler.gather_window
    due = [j for j in jobs if j.kind in GATHERED and j.case_id]
    if not window or not due:
        return set()
    first: dict[str, datetime] = {}
    for job in due:
        case = repos.cases.get(job.case_id)
        if case is not None and not case.urgent:
            first[case.group_id] = min(first.get(case.group_id, job.due_at), job.due_at)
    coming = set()
    for job in repos.jobs.due_between(now, now + window, GATHERED):
        case = repos.cases.get(job.case_id)
        if case is not None and not case.urgent and case.group_id in first \
                and job.due_at <= first[case.group_id] + window:
            coming.add(case.group_id)
    return {j.id for j in due if (c := repos.cases.get(j.case_id)) is not None
            and not c.urgent and c.group_id in coming}


def _wait_for_morning(app: Application, repos: Repos, job: ScheduledJob, now: datetime
                      ) -> bool:
    """A normal case's timer due in quiet hours (planned before they were configured so,
    or before its case's timers were last planned) moves to their end instead of firing."""
    case = repos.cases.get(job.case_id) if job.case_id else None
    if case is None:
        return False
    morning = outside_quiet_hours(app.config, now, case.urgent)
    if morning == now:
        return False
    repos.jobs.plan(job.key, job.kind, morning, case_id=job.case_id)
    return True


def run_tick(app: Application, now: datetime) -> TickSummary:
    summary = TickSummary(at=now)
    for name, poll in app.pollers.items():  # feeds pulled rather than pushed
        try:
            summary.pulled += poll(now)
        except Exception:  # noqa: BLE001 - a feed failing must not stop the tick
            log.exception("poller %s failed", name)
    summary.recovered = handle_unhandled(app, now)
    calendar = due_calendar_posts(app, now)
    summary.posts.update(run_timers(app, now, calendar))
    summary.posts.update(queue_calendar_posts(app, now, calendar))
    summary.posts.update(run_hotspot_post(app, now))
    report = deliver_due(app, now)
    summary.delivered, summary.retried, summary.failed = report.sent, report.retried, report.failed
    return summary
