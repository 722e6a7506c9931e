"""Alembic environment: runs against the engine handed over in config.attributes,
or against $BOT_DATABASE_URL / the config file's database when run from the alembic CLI."""

from alembic import context

from storage.models import Base

config = context.config


def _engine():
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from bot.config_file import load_config
    from storage.db import make_engine

    return make_engine(load_config().database.url)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
