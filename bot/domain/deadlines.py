"""Response and resolution deadlines of a case, from the SLA in config."""

from __future__ import annotations

from datetime import datetime

from bot.config import Config


def case_deadlines(config: Config, category: str, urgent: bool,
                   opened_at: datetime) -> tuple[datetime, datetime]:
    """(respond_by, resolve_by) for a case opened at `opened_at`."""
    sla = config.deadline_for(category, urgent)
    return opened_at + sla.respond, opened_at + sla.resolve


def is_overdue(respond_by: datetime, resolve_by: datetime, acknowledged: bool,
               now: datetime) -> bool:
    return (not acknowledged and now > respond_by) or now > resolve_by
