"""Engines, sessions and schema migration.

`make_engine` turns on WAL, foreign keys and a busy timeout for SQLite; `migrate` runs
Alembic's `upgrade head` programmatically so every start brings the schema up to date.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker

from storage.session import Session

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for any SQLAlchemy URL, tuned for SQLite when it is one."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_connect(dbapi_conn, _record) -> None:
    """WAL, foreign keys, a busy timeout; and transactions driven by SQLAlchemy.

    pysqlite's own implicit BEGIN breaks SAVEPOINTs (used for dedupe and idempotent
    inserts), so it is turned off and `_sqlite_begin` emits BEGIN IMMEDIATE instead:
    writers queue on the busy timeout rather than failing on a lock upgrade.
    """
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration."""
    command.upgrade(alembic_config(engine), "head")


def is_deadlock(exc: BaseException) -> bool:
    """PostgreSQL chose this transaction as a deadlock's victim (SQLSTATE 40P01): it was
    rolled back whole and may simply run again."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "40P01"
