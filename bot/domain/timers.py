"""Which timers a case or topic needs in its current state (the one place that decides
when the bot will next look at it).

- unacknowledged: reminders at the configured fractions of the response window (on the
  response clock, which pauses at night and on days off: see deadlines.py), one when a
  stopped response clock runs again (the morning list), and the response deadline;
- any open state: the resolution deadline;
- acknowledged / in progress / transferred: a nudge after `reminders.nudge_after` of
  silence (again every period while it stays silent);
- resolved: a rating reminder, and the close at the end of the rating window
  (`feedback.rating_timeout`) with the ratings given.
Timers that no longer apply are cancelled. A normal case's timer that would fall in quiet
hours is planned for their end: what it posts is decided and worded in the morning, with
the other cases due then (scheduler/tick.py sends those as one message per recipients).
"""

from __future__ import annotations

from datetime import datetime

from bot.config import Config
from bot.domain.deadlines import (
    response_clock_resumes,
    response_time_after,
    response_time_between,
)
from bot.domain.deliberation import followup_period
from bot.domain.quiet_hours import outside_quiet_hours
from storage.models import OPEN_STATES, UNACKNOWLEDGED_STATES, WORKING_STATES, Case, Topic
from storage.repositories import Repos


def timer_key(case_id: int, name: str) -> str:
    return f"case:{case_id}:{name}"


def desired_timers(config: Config, case: Case, now: datetime) -> dict[str, tuple[str, datetime]]:
    """name -> (kind, due_at) for the timers this case should have now."""
    want: dict[str, tuple[str, datetime]] = {}

    def at(when: datetime) -> datetime:
        return outside_quiet_hours(config, when, case.urgent)

    if case.state in UNACKNOWLEDGED_STATES and case.acknowledged_at is None:
        opened, due, urgent = case.opened_at, case.respond_by, case.urgent
        window = response_time_between(config, opened, due, urgent)
        resumes = response_clock_resumes(config, opened, due, urgent) \
            if config.reminders.when_clock_resumes else None
        if resumes is not None:
            resumes = at(resumes)
            want["resume"] = ("remind", resumes)
        for fraction in config.reminders.response_fractions:
            remind_at = at(response_time_after(config, opened, window * fraction, urgent))
            if resumes is not None and \
                    resumes <= remind_at < resumes + window * RESUME_REMINDER_SPACING:
                continue  # the morning reminder has just said it
            want[f"remind{int(fraction * 100)}"] = ("remind", remind_at)
        want["respond"] = ("respond_deadline", at(due))
    if case.state in OPEN_STATES:
        want["resolve"] = ("resolve_deadline", at(case.resolve_by))
    if case.state in WORKING_STATES:
        period = config.reminders.nudge_after
        silent_periods = max(0, int((now - case.updated_at) / period))
        want["nudge"] = ("nudge", at(case.updated_at + period * (silent_periods + 1)))
    if case.state == "resolved" and case.resolved_at is not None:
        want["rate_remind"] = ("rating_reminder",
                               at(case.resolved_at + config.reminders.rating_reminder_after))
        want["rate_close"] = ("rating_timeout",
                              at(case.resolved_at + config.feedback.rating_timeout))
    return want


# A fraction reminder within this share of the response window after the reminder sent
# when the clock resumes is left out (two reminders minutes apart say nothing new).
RESUME_REMINDER_SPACING = 0.1

ALL_TIMERS = ("resume", "respond", "resolve", "nudge", "rate_remind", "rate_close")


def replan(repos: Repos, config: Config, case: Case, now: datetime) -> None:
    want = desired_timers(config, case, now)
    stale = [timer_key(case.id, n) for n in ALL_TIMERS if n not in want]
    stale += [timer_key(case.id, f"remind{int(f * 100)}")
              for f in config.reminders.response_fractions if f"remind{int(f * 100)}" not in want]
    repos.jobs.plan_all({timer_key(case.id, name): timer for name, timer in want.items()},
                        stale, case_id=case.id, fresh=repos.cases.is_new(case.id))


def topic_timers(config: Config, topic: Topic, now: datetime
                 ) -> dict[str, tuple[str, datetime]]:
    """name -> (kind, due_at) for a topic in its current step."""
    d = config.deliberation
    want: dict[str, tuple[str, datetime]] = {}
    if topic.step == "announced" and topic.meeting_at:
        want["announce_remind"] = ("topic_announce_reminder",
                                   topic.meeting_at - d.announce_reminder_before)
    if topic.step == "discussing" and topic.discussion_ends_at:
        want["discussion_end"] = ("topic_discussion_end", topic.discussion_ends_at)
    if topic.step == "voting" and topic.vote_ends_at:
        remind_at = topic.vote_ends_at - d.vote_reminder_before
        if remind_at > topic.updated_at:
            want[f"vote{topic.poll}_remind"] = ("topic_vote_reminder", remind_at)
        want[f"vote{topic.poll}_close"] = ("topic_vote_close", topic.vote_ends_at)
    if topic.step == "publicity" and topic.publicity_ends_at:
        start = topic.publicity_ends_at - d.publicity
        want["publicity_mid"] = ("topic_publicity_midway", start + d.publicity / 2)
        want["publicity_end"] = ("topic_publicity_end", topic.publicity_ends_at)
    if topic.step == "supervision":
        period = followup_period(d, topic)
        periods = max(0, int((now - topic.updated_at) / period))
        want["followup"] = ("topic_followup", topic.updated_at + period * (periods + 1))
    if topic.step == "done" and topic.rating_ends_at:
        want["rating_close"] = ("topic_rating_close", topic.rating_ends_at)
    return want


TOPIC_TIMERS = ("announce_remind", "discussion_end", "publicity_mid", "publicity_end",
                "followup", "rating_close")


def replan_topic(repos: Repos, config: Config, topic: Topic, now: datetime) -> None:
    want = topic_timers(config, topic, now)
    stale = [f"topic:{topic.id}:{n}" for n in TOPIC_TIMERS if n not in want]
    stale += [f"topic:{topic.id}:vote{topic.poll}_{n}" for n in ("remind", "close")
              if f"vote{topic.poll}_{n}" not in want]
    repos.jobs.plan_all({f"topic:{topic.id}:{name}": timer for name, timer in want.items()},
                        stale, topic_id=topic.id)


def replan_touched(repos: Repos, config: Config, now: datetime) -> None:
    """Re-plan the timers of every case and topic changed in this transaction."""
    for case in repos.cases.touched():
        replan(repos, config, case, now)
    for topic in repos.topics.touched():
        replan_topic(repos, config, topic, now)
