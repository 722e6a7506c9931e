"""Working-day arithmetic for deadlines: with `calendar.working_days` on, normal cases'
clocks stop on weekends and Chinese public holidays (with 调休 workdays counted), using
the `chinesecalendar` package's official schedule plus the config's own additions.
Years the package does not know fall back to Monday–Friday. Urgent cases never pause.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from bot.config import CalendarConfig


def is_working_day(day: date, calendar: CalendarConfig) -> bool:
    if day in calendar.workdays:
        return True
    if day in calendar.holidays:
        return False
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package has no schedule for
        return day.weekday() < 5


def add_working_time(start: datetime, span: timedelta, calendar: CalendarConfig,
                     tz: ZoneInfo) -> datetime:
    """`start + span`, counting only time on working days (in the community's zone)."""
    remaining = span
    current = start.astimezone(tz)
    for _ in range(3660):  # at most ten years of days
        midnight = datetime.combine(current.date() + timedelta(days=1), datetime.min.time(),
                                    tzinfo=tz)
        if not is_working_day(current.date(), calendar):
            current = midnight
            continue
        chunk = midnight - current
        if remaining <= chunk:
            return current + remaining
        remaining -= chunk
        current = midnight
    raise ValueError("deadline too far away")
