"""A consistent copy of the database and its restore (`python -m bot backup` / `restore`).

SQLite: the online backup API (`sqlite3.Connection.backup`), page by page, safe while the
server runs; restore copies a backup over the live file the same way (stop the server
first).  PostgreSQL: `pg_dump` / `pg_restore` do it better than we could; `pg_commands`
gives the lines for a URL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """Why a backup or restore could not be made (a sentence for the operator)."""


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases."""
    parsed = make_url(url)
    if not parsed.get_backend_name().startswith("sqlite"):
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(parsed.database)


def _copy(source: Path, target: Path) -> int:
    """Copy one SQLite database into another with the backup API; returns the pages."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            return dst.execute("PRAGMA page_count").fetchone()[0]
        finally:
            dst.close()
    finally:
        src.close()


def backup_sqlite(url: str, out: Path) -> int:
    source = sqlite_path(url)
    if source is None:
        raise BackupError("not a SQLite database")
    if not source.exists():
        raise BackupError(f"no database file at {source}")
    if out.exists():
        raise BackupError(f"{out} exists already; choose another --out")
    return _copy(source, out)


def restore_sqlite(url: str, backup: Path) -> int:
    target = sqlite_path(url)
    if target is None:
        raise BackupError("not a SQLite database")
    if not backup.exists():
        raise BackupError(f"no backup file at {backup}")
    check = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{backup} is damaged (integrity_check failed)")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{backup} is not a SQLite database ({exc})") from exc
    finally:
        check.close()
    return _copy(backup, target)


def pg_commands(url: str, out: str) -> tuple[str, str]:
    """The pg_dump and pg_restore lines for a PostgreSQL URL."""
    parsed = make_url(url).set(drivername="postgresql")
    plain = parsed.render_as_string(hide_password=False)
    return (f"pg_dump --format=custom --file={out} '{plain}'",
            f"pg_restore --clean --if-exists --dbname='{plain}' {out}")
