"""Response and resolution deadlines of a case, from the SLA in config.

A normal case's clocks are not wall clocks:
- the response clock runs only on working days (with `calendar.working_days` on) and
  stops during quiet hours (with `sla.pause_in_quiet_hours` on, the default): a
  complaint at 21:52 with `respond: 4h` has 8 minutes before 22:00 and the rest from
  07:00, so it is due at 10:52;
- the resolution clock (days, not hours: `resolve: 72h` stays three days) runs on
  working days only, and a resolution deadline that would fall in quiet hours moves to
  their end (nobody is expected to finish a repair at 03:00, nor told at once that they
  did not).
Urgent cases' clocks never pause.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import CalendarConfig, Config, Deadline
from bot.domain.quiet_hours import quiet_until
from bot.domain.workdays import (
    Quiet,
    add_running_time,
    first_resume,
    running_time_between,
)


def deadline_for(config: Config, category: str | None, urgent: bool) -> Deadline:
    """The SLA for a case: a per-category override wins for normal cases, else the
    urgent or the normal one."""
    if category and category in config.sla.categories and not urgent:
        return config.sla.categories[category]
    return config.sla.urgent if urgent else config.sla.normal


def _calendar(config: Config) -> CalendarConfig | None:
    return config.calendar if config.calendar.working_days else None


def _response_clock(config: Config, urgent: bool
                    ) -> tuple[CalendarConfig | None, Quiet | None] | None:
    """(working-day calendar, quiet hours) the response clock pauses on; None: a wall
    clock."""
    if urgent:
        return None
    quiet = config.schedules.quiet_hours if config.sla.pause_in_quiet_hours else None
    calendar = _calendar(config)
    if calendar is None and (quiet is None or quiet[0] == quiet[1]):
        return None
    return calendar, quiet


def response_time_after(config: Config, start: datetime, span: timedelta, urgent: bool
                        ) -> datetime:
    """`start + span` on the response clock."""
    clock = _response_clock(config, urgent)
    if clock is None:
        return start + span
    return add_running_time(start, span, *clock, config.tz)


def response_time_between(config: Config, start: datetime, end: datetime, urgent: bool
                          ) -> timedelta:
    """How long the response clock runs between two instants."""
    clock = _response_clock(config, urgent)
    if clock is None:
        return max(end - start, timedelta(0))
    return running_time_between(start, end, *clock, config.tz)


def response_clock_resumes(config: Config, start: datetime, end: datetime, urgent: bool
                           ) -> datetime | None:
    """When the response clock, stopped between `start` and `end`, first runs again
    (07:00 after an evening complaint); None when it runs straight through."""
    clock = _response_clock(config, urgent)
    if clock is None:
        return None
    return first_resume(start, end, *clock, config.tz)


def resolution_time_after(config: Config, start: datetime, span: timedelta, urgent: bool
                          ) -> datetime:
    """`start + span` on the resolution clock (see the module docstring)."""
    if urgent:
        return start + span
    calendar = _calendar(config)
    due = start + span if calendar is None else add_running_time(start, span, calendar,
                                                                 None, config.tz)
    quiet = config.schedules.quiet_hours
    if config.sla.pause_in_quiet_hours and quiet_until(due, quiet, config.tz):
        due = add_running_time(due, timedelta(0), calendar, quiet, config.tz)
    return due


def case_deadlines(config: Config, category: str, urgent: bool,
                   opened_at: datetime) -> tuple[datetime, datetime]:
    """(respond_by, resolve_by) for a case opened at `opened_at`."""
    sla = deadline_for(config, category, urgent)
    return (response_time_after(config, opened_at, sla.respond, urgent),
            resolution_time_after(config, opened_at, sla.resolve, urgent))


def is_overdue(respond_by: datetime, resolve_by: datetime, acknowledged: bool,
               now: datetime) -> bool:
    return (not acknowledged and now > respond_by) or now > resolve_by
