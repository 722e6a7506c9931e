"""Quiet hours (default 22:00–07:00): non-urgent posts wait until they end."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


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
