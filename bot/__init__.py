"""Linli (邻里议事): the factory.

`create_app(config)` builds the bot (storage, dispatcher, channels) and returns a Flask
app with the bridge endpoint, the health check and, when enabled, the WeCom callbacks
(`/wecom/aibot`, `/wecom/app`) and the simulator page; `build_application(config)` builds
the bot without HTTP; `start_long_connection(app)` connects the WeCom AI bot. They live
in `bot/factory.py`, loaded on first use, so that importing a module below (bot.config,
bot.nlp …) does not load Flask, the channels and the handlers.
The scheduler is started by the CLI (`serve`, `demo`), not by the factory, so tests and
WSGI workers decide for themselves.

The one rule: a module imports only what stands below it, and no two modules import
each other, directly or around a circle (imports inside functions and under
TYPE_CHECKING included). From the top:

    entry points        bot/cli.py, bot/wsgi.py, bot/__main__.py
    the factory         bot/__init__.py and bot/factory.py: the only code that imports
                        the channels and the handlers and wires them together
    channels            bot/channels/ (HTTP, long connection, senders)
    scheduler           scheduler/ (the tick, timers, calendar posts)
    services            bot/ingest.py, bot/outbox.py, bot/application.py (the holder),
                        bot/config_file.py (reading config.yaml), bot/exports.py,
                        bot/doctor.py (the deployment checks)
    handlers            bot/handlers/ (one module per capability)
    dispatcher          bot/dispatcher.py (commands, listeners, the handlers' Context)
    domain, nlp         bot/domain/ (the rules), bot/nlp/ (the classifier)
    storage             storage/ (models, repositories, migrations)
    foundation          bot/config.py (schema), bot/texts/, bot/events.py (messages
                        and ports), bot/clock.py, bot/privacy.py (masking, safe names)

tests/test_architecture.py checks the rule on every module.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_application", "create_app", "start_long_connection"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from bot import factory

        return getattr(factory, name)
    raise AttributeError(f"module 'bot' has no attribute {name!r}")
