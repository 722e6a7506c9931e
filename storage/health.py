"""What a health check needs to know about the database: reachable, which migration it is
at and which is the newest, and the outbox backlog.  `bot/doctor.py` and `/healthz/ready`
turn this into lines and answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select, text

from storage.db import alembic_config
from storage.models import OutboundMessage


@dataclass
class DatabaseState:
    url: str
    revision: str | None
    head: str | None
    pending: int = 0
    failed: int = 0
    oldest_pending: datetime | None = None

    @property
    def migrated(self) -> bool:
        return self.revision == self.head


def probe(engine: Engine) -> DatabaseState:
    """Connect and read the state; raises whatever the driver raises when unreachable."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        state = DatabaseState(
            url=engine.url.render_as_string(hide_password=True),
            revision=MigrationContext.configure(conn).get_current_revision(),
            head=ScriptDirectory.from_config(alembic_config(engine)).get_current_head())
        if state.migrated:
            count = select(func.count()).select_from(OutboundMessage)
            state.pending = conn.execute(
                count.where(OutboundMessage.state == "pending")).scalar_one()
            state.failed = conn.execute(
                count.where(OutboundMessage.state == "failed")).scalar_one()
            state.oldest_pending = _aware(conn.execute(
                select(func.min(OutboundMessage.created_at))
                .where(OutboundMessage.state == "pending")).scalar_one())
    return state


def _aware(value) -> datetime | None:
    """A stored time (UTC) as an aware datetime, however the driver hands it back."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
