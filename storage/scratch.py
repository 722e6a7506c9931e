"""Throwaway databases for tests and benchmarks: a fresh PostgreSQL schema (dropped
afterwards) on the local server, or a SQLite file in a temporary folder."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_BASE = os.environ.get("TEST_POSTGRES_URL",
                         "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_BASE.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(sql)


def create_pg_schema(prefix: str = "t") -> tuple[str, str]:
    """A new empty schema: (a SQLAlchemy URL whose search_path is it, its name)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE SCHEMA "{schema}"')
    return f"{PG_BASE}?options=-csearch_path%3D{schema}", schema


def drop_pg_schema(schema: str) -> None:
    _admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def scratch_database(backend: str, folder: Path, prefix: str = "t") -> Iterator[str]:
    """The URL of a fresh, empty database: a SQLite file in `folder`, or a PostgreSQL
    schema that is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{Path(folder) / f'{prefix}.db'}"
        return
    url, schema = create_pg_schema(prefix)
    try:
        yield url
    finally:
        drop_pg_schema(schema)
