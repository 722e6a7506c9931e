"""Quiet hours (default 22:00–07:00): non-urgent posts wait until they end, and the
non-urgent work that would post (a case's reminders, escalations, nudges …) is planned
for their end instead of during them, so it is decided, worded and sent in the morning."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Config


def quiet_until(now: datetime, quiet: tuple[time, time], tz: ZoneInfo) -> datetime | None:
    """The end of the quiet period `now` falls in, or None outside quiet hours."""
    start, end = quiet
    if start == end:
        return None
    local = now.astimezone(tz)
    t = local.timetz().replace(tzinfo=None)
    day = local.date()
    if start < end:  # e.g. 12:00–14:00
        inside = start <= t < end
        end_day = day
    else:  # wraps midnight, e.g. 22:00–07:00
        inside = t >= start or t < end
        end_day = day + timedelta(days=1) if t >= start else day
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=tz)


def outside_quiet_hours(config: Config, when: datetime, urgent: bool) -> datetime:
    """When work due at `when` may speak: at once when urgent, else not before the end
    of the quiet hours `when` falls in."""
    if urgent:
        return when
    return quiet_until(when, config.schedules.quiet_hours, config.tz) or when
