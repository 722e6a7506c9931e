"""Clock arithmetic for deadlines that pause: a normal case's clock can stop on days off
(with `calendar.working_days` on: weekends and Chinese public holidays, 调休 workdays
counted, from the `chinesecalendar` package's official schedule plus the config's own
additions; years the package does not know fall back to Monday–Friday) and during quiet
hours (with `sla.pause_in_quiet_hours` on). Urgent cases never pause.

Everything here walks the *running periods* of such a clock: the stretches of local
time, day by day, when it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from bot.config import CalendarConfig

MAX_DAYS = 3660  # at most ten years of days
Quiet = tuple[time, time]


def is_working_day(day: date, calendar: CalendarConfig) -> bool:
    if day in calendar.workdays:
        return True
    if day in calendar.holidays:
        return False
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package has no schedule for
        return day.weekday() < 5


def _day_periods(day: date, quiet: Quiet | None, tz: ZoneInfo
                 ) -> list[tuple[datetime, datetime]]:
    """The running periods of one local day: the whole day less its quiet hours."""
    midnight = datetime.combine(day, time.min, tzinfo=tz)
    next_midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    if quiet is None or quiet[0] == quiet[1]:
        return [(midnight, next_midnight)]
    start = datetime.combine(day, quiet[0], tzinfo=tz)
    end = datetime.combine(day, quiet[1], tzinfo=tz)
    if quiet[0] < quiet[1]:  # e.g. 12:00–14:00 inside the day
        periods = [(midnight, start), (end, next_midnight)]
    else:  # wraps midnight, e.g. 22:00–07:00: the day runs from its end to its start
        periods = [(end, start)]
    return [(a, b) for a, b in periods if a < b]


def running_periods(start: datetime, calendar: CalendarConfig | None, quiet: Quiet | None,
                    tz: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
    """The running periods from `start` on, in order (the first one clipped to `start`).

    `calendar`: skip the days that are not working days (None: every day counts);
    `quiet`: the daily quiet hours the clock stops in (None: it does not stop)."""
    day = start.astimezone(tz).date()
    for _ in range(MAX_DAYS):
        if calendar is None or is_working_day(day, calendar):
            for a, b in _day_periods(day, quiet, tz):
                if b > start:
                    yield max(a, start), b
        day += timedelta(days=1)
    raise ValueError("deadline too far away")


def add_running_time(start: datetime, span: timedelta, calendar: CalendarConfig | None,
                     quiet: Quiet | None, tz: ZoneInfo) -> datetime:
    """`start + span`, counting only running time. A span of zero gives the next instant
    the clock runs (`start` itself when it is running)."""
    remaining = span
    for a, b in running_periods(start, calendar, quiet, tz):
        if remaining <= b - a:
            return a + remaining
        remaining -= b - a
    raise ValueError("deadline too far away")  # pragma: no cover - the walk raises first


def running_time_between(start: datetime, end: datetime, calendar: CalendarConfig | None,
                         quiet: Quiet | None, tz: ZoneInfo) -> timedelta:
    """How much running time lies between two instants (zero when `end` <= `start`)."""
    total = timedelta(0)
    if end <= start:
        return total
    for a, b in running_periods(start, calendar, quiet, tz):
        if a >= end:
            break
        total += min(b, end) - a
    return total


def first_resume(start: datetime, end: datetime, calendar: CalendarConfig | None,
                 quiet: Quiet | None, tz: ZoneInfo) -> datetime | None:
    """The first instant after `start` and before `end` at which the stopped clock starts
    running again (the morning after quiet hours, the first working day after a
    weekend), or None when it runs straight through."""
    running_until = start
    for a, b in running_periods(start, calendar, quiet, tz):
        if a >= end:
            return None
        if a > running_until:
            return a
        running_until = b
    return None  # pragma: no cover - the walk raises first


def add_working_time(start: datetime, span: timedelta, calendar: CalendarConfig,
                     tz: ZoneInfo) -> datetime:
    """`start + span`, counting only time on working days (in the community's zone)."""
    return add_running_time(start, span, calendar, None, tz)
