"""Fast-forward (the demo's clock jump): run every tick between now and a later time, as
the running scheduler would have, moving the app's clock to each tick first.

Ticks fall every `scheduler.tick_seconds` from the start, and the last one at the
target. A tick with nothing due changes nothing, so besides the first tick (a calendar
post may be catching up) only the ticks at or just after something falls due are run —
a timer, a post held for quiet hours or waiting for a retry, a calendar post (the daily
digest at 18:00 …) — and the outcome is the one of running them all: a day is a
handful of ticks, not 1,440.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from scheduler.calendar_posts import next_calendar_due
from scheduler.tick import TickSummary, run_tick

if TYPE_CHECKING:
    from bot.application import Application

# A guard against a loop that never ends (a post retried every few seconds for weeks).
MAX_TICKS = 100_000


@dataclass
class FastForward:
    start: datetime
    end: datetime
    ticks: list[TickSummary] = field(default_factory=list)

    def line(self, tz) -> str:
        planned: dict[str, int] = {}
        for tick in self.ticks:
            for kind, n in tick.posts.items():
                planned[kind] = planned.get(kind, 0) + n
        posts = ", ".join(f"{k} {v}" for k, v in sorted(planned.items())) or "nothing due"
        return (f"fast-forward {self.start.astimezone(tz).isoformat(timespec='seconds')} -> "
                f"{self.end.astimezone(tz).isoformat(timespec='seconds')}: "
                f"{len(self.ticks)} ticks; {posts}; "
                f"delivered {sum(t.delivered for t in self.ticks)} posts")


def next_due(app: Application, after: datetime) -> datetime | None:
    """The earliest time something is due: a pending timer or post (possibly already
    due), or the next calendar post after `after`."""
    with app.store.transaction() as repos:
        found = [repos.jobs.next_due(), repos.outbox.next_attempt()]
    found.append(next_calendar_due(app, after))
    return min((when for when in found if when is not None), default=None)


def fast_forward(app: Application, target: datetime, advance: Callable[[datetime], object]
                 ) -> FastForward:
    """Run the ticks from the app's current time up to `target`; `advance(t)` moves the
    app's clock to `t` before the tick at `t`."""
    start = app.now()
    step = timedelta(seconds=app.config.scheduler.tick_seconds)
    result = FastForward(start=start, end=target)
    at = start
    while at < target and len(result.ticks) < MAX_TICKS:
        # the first tick always runs: a calendar post may be in its catch-up window
        due = next_due(app, at) if result.ticks else start
        at = target if due is None else min(target, max(at + step, _on_grid(start, step, due)))
        advance(at)
        result.ticks.append(run_tick(app, at))
    return result


def _on_grid(start: datetime, step: timedelta, when: datetime) -> datetime:
    """The first tick (start + n·step) at or after `when`."""
    return start + step * max(0, math.ceil((when - start) / step))
