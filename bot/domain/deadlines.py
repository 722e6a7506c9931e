"""Response and resolution deadlines of a case, from the SLA in config."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import Config, Deadline
from bot.domain.workdays import add_working_time


def deadline_after(config: Config, start: datetime, span: timedelta, urgent: bool) -> datetime:
    """start + span; on the working-day calendar for normal cases when it is on."""
    if urgent or not config.calendar.working_days:
        return start + span
    return add_working_time(start, span, config.calendar, config.tz)


def deadline_for(config: Config, category: str | None, urgent: bool) -> Deadline:
    """The SLA for a case: a per-category override wins for normal cases, else the
    urgent or the normal one."""
    if category and category in config.sla.categories and not urgent:
        return config.sla.categories[category]
    return config.sla.urgent if urgent else config.sla.normal


def case_deadlines(config: Config, category: str, urgent: bool,
                   opened_at: datetime) -> tuple[datetime, datetime]:
    """(respond_by, resolve_by) for a case opened at `opened_at`."""
    sla = deadline_for(config, category, urgent)
    return (deadline_after(config, opened_at, sla.respond, urgent),
            deadline_after(config, opened_at, sla.resolve, urgent))


def is_overdue(respond_by: datetime, resolve_by: datetime, acknowledged: bool,
               now: datetime) -> bool:
    return (not acknowledged and now > respond_by) or now > resolve_by
