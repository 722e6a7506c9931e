"""`python -m bot doctor`: is this deployment fit to run?  One line per check — config,
database, migrations, each enabled channel, the media folder, clock and timezone,
outbox, and the stored
health of each WeCom group's webhook — each `OK` or `PROBLEM` with what to do; the exit
code says whether any check failed (for scripts). `database_checks` also answers
`GET /healthz/ready` (a failing webhook does not make the server unready)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.config import Config
from bot.domain.webhook_health import INVALID_KEY, WECOM_CHANNEL, webhook_troubles
from storage.db import make_engine, make_session_factory
from storage.health import probe
from storage.repositories import Store

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
        if all(c.ok for c in checks if c.name in ("database", "migrations")):
            checks.extend(_webhook_health(config, engine))
    finally:
        engine.dispose()
    checks.extend(_channels(config))
    checks.append(_media(config))
    hours = now.astimezone(config.tz).utcoffset() / timedelta(hours=1)
    checks.append(Check("clock", now.tzinfo is not None and now.year >= 2024,
                        f"{now.astimezone(config.tz):%Y-%m-%d %H:%M} {config.timezone} "
                        f"(UTC{hours:+g})"))
    return checks


def database_checks(engine: Engine, now: datetime) -> list[Check]:
    """Database reachable, migrations current, outbox backlog (also /healthz/ready)."""
    try:
        state = probe(engine)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is the answer
        return [Check("database", False, f"cannot connect: {exc.__class__.__name__}: "
                      f"{str(exc).splitlines()[0][:160]}")]
    checks = [Check("database", True, state.url),
              Check("migrations", state.migrated, f"at {state.revision}, newest {state.head}"
                    + ("" if state.migrated else
                       " — start the server once (it migrates) or run serve"))]
    if state.migrated:
        age = now - state.oldest_pending if state.oldest_pending else timedelta(0)
        ok = state.pending < BACKLOG_WARN and age < OLDEST_WARN
        checks.append(Check("outbox", ok, f"{state.pending} pending, {state.failed} failed, "
                            f"oldest pending {int(age.total_seconds() // 60)} min"
                            + ("" if ok else " — is a channel down?")))
    return checks


def _webhook_health(config: Config, engine: Engine) -> list[Check]:
    """The last answer of each WeCom group's webhook, as the outbox stored it."""
    if not any(g.channel == WECOM_CHANNEL and g.webhook_key
               for c in config.communities for g in c.groups):
        return []
    with Store(make_session_factory(engine)).transaction() as repos:
        troubles = [t for c in config.communities for t in webhook_troubles(repos, c.id)]
    if not troubles:
        return [Check("hook health", True, "every WeCom webhook key answered well last time "
                      "(or was not used yet)")]
    return [Check("hook health", False, "; ".join(
        f"{t.group_id}: {t.kind} since {t.since.astimezone(config.tz):%Y-%m-%d %H:%M}"
        + (" — re-add the group robot and set its new webhook_key"
           if t.kind == INVALID_KEY else f" ({t.detail[:80]})")
        for t in troubles))]


def _media(config: Config) -> Check:
    """The media folder is writable (or can be made where it is missing); nothing is
    created."""
    folder = Path(config.media.dir).resolve()
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not (existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)):
        return Check("media", False, f"{folder} is not writable: photos could not be "
                     "kept; set media.dir")
    return Check("media", True, f"{folder}, up to {config.media.max_bytes} bytes a photo, "
                 f"{', '.join(config.media.allowed_types)}")


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
    if ch.wecom_archive.enabled:
        rooms = [g.id for c in config.communities for g in c.groups
                 if g.channel == "wecom_archive"]
        checks.append(Check("wecom_archive", bool(rooms), (
            f"corp {ch.wecom_archive.corp_id}, key version {ch.wecom_archive.key_version}, "
            f"{len(rooms)} customer group(s)") if rooms else
            "enabled, but no group has channel: wecom_archive (nothing is read)"))
    if ch.simulator.enabled:
        checks.append(Check("simulator", False, "enabled: anyone can speak as anyone; turn "
                            "channels.simulator off on a public server"))
    if not checks:
        checks.append(Check("channels", False, "no channel is enabled"))
    return checks
