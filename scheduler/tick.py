"""One tick: everything due at `now`, run once. `python -m bot tick --at T` and the
APScheduler job both call `run_tick`; running it twice for the same instant posts
nothing new, and two processes ticking at once post nothing twice: a timer is taken
once (SKIP LOCKED on PostgreSQL, one writer at a time on SQLite) and every planned post
carries a unique key, written in the same transaction as the change it announces.
Reminders, escalations and nudges due in the same tick for the same people in a group
go out as one message listing the cases; a normal case's timers wait for the end of
quiet hours (they are planned for it), so the morning's are worded and sent together.
"""

from __future__ import annotations

import logging
import time as pytime
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError

from bot.domain.quiet_hours import outside_quiet_hours
from bot.domain.timers import replan_touched
from bot.ingest import handle_unhandled
from bot.outbox import batch_posts, deliver_due, queue_posts
from scheduler.calendar_posts import run_calendar_posts
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
    posts: Counter = field(default_factory=Counter)
    delivered: int = 0
    retried: int = 0
    failed: int = 0

    def line(self, tz) -> str:
        planned = ", ".join(f"{k} {v}" for k, v in sorted(self.posts.items())) or "nothing due"
        return (f"tick {self.at.astimezone(tz).isoformat(timespec='seconds')}: {planned}; "
                f"recovered {self.recovered} messages, delivered {self.delivered} posts, "
                f"{self.retried} to retry, {self.failed} failed")


DEADLOCK_RETRIES = 5


def run_timers(app: Application, now: datetime) -> Counter:
    """Fire every due timer, in batches, each batch in one transaction; what falls due
    together for the same people in a group goes out as one message (batch_posts). A
    batch PostgreSQL rolls back as a deadlock's victim (ticking processes lock cases,
    groups and timers of overlapping batches) runs again."""
    counts: Counter = Counter()
    while True:
        for attempt in range(DEADLOCK_RETRIES):
            try:
                batch, jobs = _timer_batch(app, now)
                break
            except OperationalError as exc:
                if not is_deadlock(exc) or attempt == DEADLOCK_RETRIES - 1:
                    raise
                log.warning("timer batch chosen as a deadlock victim; running it again")
                pytime.sleep(0.05 * (attempt + 1))
        counts.update(batch)
        if len(jobs) < BATCH:
            return counts


def _timer_batch(app: Application, now: datetime) -> tuple[Counter, list]:
    """One batch of due timers in one transaction: (posts by kind, the jobs taken)."""
    counts: Counter = Counter()
    with app.store.transaction() as repos:
        jobs = repos.jobs.due(now, BATCH)
        repos.cases.preload([j.case_id for j in jobs if j.case_id], lock=True)
        posts_by_group: dict[str, list] = {}
        for job in jobs:
            if _wait_for_morning(app, repos, job, now):
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
            queue_posts(repos, batch_posts(posts_by_group[group_id]),
                        group=repos.groups.known(group_id), now=now, config=app.config)
        replan_touched(repos, app.config, now)
    return counts, jobs


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
    summary.recovered = handle_unhandled(app, now)
    summary.posts.update(run_timers(app, now))
    summary.posts.update(run_calendar_posts(app, now))
    report = deliver_due(app, now)
    summary.delivered, summary.retried, summary.failed = report.sent, report.retried, report.failed
    return summary
