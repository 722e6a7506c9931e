"""One tick: everything due at `now`, run once. `python -m bot tick --at T` and the
APScheduler job both call `run_tick`; running it twice for the same instant posts
nothing new (planned posts carry unique idempotency keys)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.ingest import handle_unhandled
from bot.outbox import deliver_due

if TYPE_CHECKING:
    from bot.application import Application


@dataclass
class TickSummary:
    at: datetime
    recovered: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0

    def line(self, tz) -> str:
        return (f"tick {self.at.astimezone(tz).isoformat(timespec='seconds')}: "
                f"recovered {self.recovered} messages, delivered {self.delivered} posts, "
                f"{self.retried} to retry, {self.failed} failed")


def run_tick(app: Application, now: datetime) -> TickSummary:
    summary = TickSummary(at=now)
    summary.recovered = handle_unhandled(app, now)
    report = deliver_due(app, now)
    summary.delivered, summary.retried, summary.failed = report.sent, report.retried, report.failed
    return summary
