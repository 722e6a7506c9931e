"""APScheduler wiring for `serve` and `demo`: the tick every minute and the outbox
delivery every few seconds, both in one background scheduler, each never overlapping
itself."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

from bot.outbox import deliver_due
from scheduler.tick import run_tick

if TYPE_CHECKING:
    from bot.application import Application

log = logging.getLogger(__name__)


def start_scheduler(app: Application) -> BackgroundScheduler:
    settings = app.config.scheduler
    sched = BackgroundScheduler(timezone=app.config.tz)

    def tick_job() -> None:
        summary = run_tick(app, app.now())
        log.info(summary.line(app.config.tz))

    def delivery_job() -> None:
        deliver_due(app)

    sched.add_job(tick_job, "interval", seconds=settings.tick_seconds, id="tick",
                  max_instances=1, coalesce=True)
    sched.add_job(delivery_job, "interval", seconds=settings.delivery_seconds,
                  id="delivery", max_instances=1, coalesce=True)
    sched.start()
    return sched
