"""Time, read in one place: nothing else in bot/, scheduler/ or storage/ asks the system
for the time (tests/test_architecture.py checks).

A clock is any callable returning an aware `datetime`. The running bot has two
(`Application.clock` and `Application.wall_clock`):

- the app's clock: the time of the business — when a message counts as sent, deadlines,
  ticks, reports. Tests freeze it; the demo's `SimulatedClock` fast-forwards it.
- the wall clock: real time for the transport — signature windows of the bridge and of
  WeCom callbacks, the WeCom access token's expiry, the long connection's lease — which
  the other side checks against its own real clock, so it never fast-forwards.

Both read the system clock through `SystemClock`, in Asia/Shanghai or the configured
timezone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], datetime]


class SystemClock:
    """The system's time in a timezone."""

    def __init__(self, tz: tzinfo = SHANGHAI) -> None:
        self.tz = tz

    def __call__(self) -> datetime:
        return datetime.now(self.tz)

    def now(self) -> datetime:
        return self()


class SimulatedClock(SystemClock):
    """The system's time plus an offset that only grows (the demo's fast-forward).
    `start`: where the clock begins (tests pin a day); the system's time by default."""

    def __init__(self, tz: tzinfo = SHANGHAI, start: datetime | None = None) -> None:
        super().__init__(tz)
        self._offset = timedelta(0) if start is None else start - super().__call__()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        return super().__call__() + self._offset

    def advance_to(self, when: datetime) -> bool:
        """Move the clock to `when` if that is ahead; False when it is in the past."""
        with self._lock:
            delta = when - super().__call__()
            if delta <= self._offset:
                return False
            self._offset = delta
            return True

