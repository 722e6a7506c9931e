"""Linli (邻里议事): the Flask application factory.

`create_app(config)` builds the bot (storage, dispatcher, channels) and returns a Flask
app with the bridge endpoint, the health check and, when enabled, the WeCom callbacks
(`/wecom/aibot`, `/wecom/app`) and the simulator page.
The scheduler is started by the CLI (`serve`, `demo`), not by the factory, so tests and
WSGI workers decide for themselves.

The one rule: a module imports only what stands below it, and no two modules import
each other, directly or around a circle (imports inside functions and under
TYPE_CHECKING included). From the top:

    entry points        bot/cli.py, bot/wsgi.py, bot/__main__.py
    the factory         bot/__init__.py: the only code that imports the channels and the
                        handlers and wires them together
    channels            bot/channels/ (HTTP, long connection, senders)
    scheduler           scheduler/ (the tick, timers, calendar posts)
    services            bot/ingest.py, bot/outbox.py, bot/application.py (the holder)
    handlers            bot/handlers/ (one module per capability)
    dispatcher          bot/dispatcher.py (commands, listeners, the handlers' Context)
    domain, nlp         bot/domain/ (the rules), bot/nlp/ (the classifier)
    storage             storage/ (models, repositories, migrations)
    foundation          bot/config.py (schema), bot/texts.py, bot/events.py (messages
                        and ports), bot/clock.py

tests/test_architecture.py checks the rule on every module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from bot.application import Clock
    from bot.channels.base import Sender
    from bot.config import Config


def create_app(config: Config | None = None, *, clock: Clock | None = None,
               senders: dict[str, Sender] | None = None, simulator: bool | None = None
               ) -> Flask:
    from flask import Flask, jsonify

    from bot.application import build_application
    from bot.channels import bridge
    from bot.channels import simulator as simulator_channel
    from bot.config import load_config

    config = config or load_config()
    bot = build_application(config, clock=clock, senders=senders)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = bridge.MAX_BODY + 1024
    app.extensions["linli"] = bot
    if config.channels.bridge.enabled:
        app.register_blueprint(bridge.create_blueprint())
    wecom = config.channels
    if wecom.wecom_aibot.enabled and wecom.wecom_aibot.mode == "http":
        from bot.channels import wecom_aibot

        app.register_blueprint(wecom_aibot.create_blueprint())
    if wecom.wecom_app.enabled:
        from bot.channels import wecom_app

        app.register_blueprint(wecom_app.create_blueprint(bot))
    if simulator if simulator is not None else config.channels.simulator.enabled:
        app.register_blueprint(simulator_channel.create_blueprint())

    @app.get("/healthz")
    def health():
        with bot.store.transaction() as repos:
            outbox = repos.outbox.count_by_state()
        return jsonify({"ok": True, "outbox": outbox})

    @app.errorhandler(500)
    def internal_error(_exc):
        return jsonify({"ok": False, "error": "internal error"}), 500

    @app.errorhandler(413)
    def too_large(_exc):
        return jsonify({"ok": False, "error": "body too large"}), 413

    return app
