"""`python -m bot doctor`: is this deployment fit to run?  One line per check — config,
database, migrations, each enabled channel, clock and timezone, outbox — each `OK` or
`PROBLEM` with what to do; the exit code says whether any check failed (for scripts).
`database_checks` also answers `GET /healthz/ready`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select, text

from bot.config import Config
from storage.db import alembic_config, make_engine
from storage.models import OutboundMessage

BACKLOG_WARN = 500
OLDEST_WARN = timedelta(minutes=30)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'OK     ' if self.ok else 'PROBLEM'} {self.name:<11} {self.detail}"


def run_checks(config: Config, config_path: str, now: datetime) -> list[Check]:
    checks = [Check("config", True, f"{config_path}: {len(config.communities)} communities, "
                    f"{sum(len(c.groups) for c in config.communities)} groups")]
    engine = make_engine(config.database.url)
    try:
        checks.extend(database_checks(engine, now))
    finally:
        engine.dispose()
    checks.extend(_channels(config))
    hours = now.astimezone(config.tz).utcoffset() / timedelta(hours=1)
    checks.append(Check("clock", now.tzinfo is not None and now.year >= 2024,
                        f"{now.astimezone(config.tz):%Y-%m-%d %H:%M} {config.timezone} "
                        f"(UTC{hours:+g})"))
    return checks


def database_checks(engine: Engine, now: datetime) -> list[Check]:
    """Database reachable, migrations current, outbox backlog (also /healthz/ready)."""
    checks = []
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            checks.append(Check("database", True,
                                engine.url.render_as_string(hide_password=True)))
            current = MigrationContext.configure(conn).get_current_revision()
            head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
            checks.append(Check("migrations", current == head,
                                f"at {current}, newest {head}" + (
                                    "" if current == head else
                                    " — start the server once (it migrates) or run serve")))
            if current == head:
                checks.append(_outbox(conn, now))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is the answer
        checks.append(Check("database", False, f"cannot connect: {exc.__class__.__name__}: "
                            f"{str(exc).splitlines()[0][:160]}"))
    return checks


def _outbox(conn, now: datetime) -> Check:
    pending = conn.execute(select(func.count()).select_from(OutboundMessage)
                           .where(OutboundMessage.state == "pending")).scalar_one()
    failed = conn.execute(select(func.count()).select_from(OutboundMessage)
                          .where(OutboundMessage.state == "failed")).scalar_one()
    oldest = conn.execute(select(func.min(OutboundMessage.created_at))
                          .where(OutboundMessage.state == "pending")).scalar_one()
    age = (now - _aware(oldest)) if oldest else timedelta(0)
    ok = pending < BACKLOG_WARN and age < OLDEST_WARN
    return Check("outbox", ok, f"{pending} pending, {failed} failed, oldest pending "
                 f"{int(age.total_seconds() // 60)} min" + ("" if ok else
                                                           " — is a channel down?"))


def _aware(value) -> datetime:
    """A stored time (UTC) as an aware datetime, however the driver hands it back."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _channels(config: Config) -> list[Check]:
    ch, checks = config.channels, []
    if ch.bridge.enabled:
        missing = [k for k in ("secret", "outbound_url") if not getattr(ch.bridge, k)]
        checks.append(Check("bridge", not missing, "enabled" + (
            f"; set channels.bridge.{' and '.join(missing)} (unsigned requests are accepted "
            "and later posts go nowhere without them)" if missing else ", signed, posting to "
            + ch.bridge.outbound_url)))
    if ch.wecom_aibot.enabled:
        checks.append(Check("wecom_aibot", True, f"mode {ch.wecom_aibot.mode}"))
    if ch.wecom_app.enabled:
        checks.append(Check("wecom_app", True, f"corp {ch.wecom_app.corp_id}, agent "
                            f"{ch.wecom_app.agent_id}"))
    hooks = [g.id for c in config.communities for g in c.groups
             if g.channel == "wecom" and not g.webhook_key]
    if hooks:
        checks.append(Check("webhooks", False, "WeCom groups without webhook_key (the bot "
                            f"cannot @-mention there): {', '.join(hooks)}"))
    if ch.simulator.enabled:
        checks.append(Check("simulator", False, "enabled: anyone can speak as anyone; turn "
                            "channels.simulator off on a public server"))
    if not checks:
        checks.append(Check("channels", False, "no channel is enabled"))
    return checks
