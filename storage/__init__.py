"""Persistence: SQLAlchemy models, repositories (the only code that queries) and Alembic
migrations. SQLite (WAL) by default; PostgreSQL through ``postgresql+psycopg://``."""
