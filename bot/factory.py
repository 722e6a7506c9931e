"""The wiring of `bot/__init__.py`: the one place that imports the channels and the
handlers and puts the bot together.

- `build_application(config)`: engine, migrations, the handlers on a dispatcher, the
  senders, the clocks, the roster of the config: everything but HTTP (the CLI's `tick`
  and `report` use it alone);
- `make_senders`: the outbound channel of every group channel (`bridge`, `wecom`, and
  `wecom_app` when the self-built app is enabled, `wecom_archive` when the archive feed
  is: its posts are relayed to staff);
- `create_app(config)`: the Flask app with the channels' blueprints;
- `start_long_connection(app)`: the WeCom AI bot's long connection, with the `wecom`
  sender pushing through it.
"""

from __future__ import annotations

import hmac
from typing import Any

import requests
from flask import Flask, jsonify, request

from bot import desk
from bot.application import Application
from bot.channels import bridge, open311, wecom_aibot, wecom_app, wecom_archive, wecom_webhook
from bot.channels import simulator as simulator_channel
from bot.channels.media_fetch import HttpMediaFetcher
from bot.channels.wecom_webhook import WecomSender
from bot.channels.wecom_ws import LongConnection
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.config_file import load_config
from bot.dispatcher import Dispatcher
from bot.doctor import database_checks
from bot.domain.groups import sync_roster
from bot.events import Sender
from bot.handlers import register_all
from storage.db import make_engine, make_session_factory, migrate
from storage.media_files import MediaFiles
from storage.repositories import Store


def make_senders(config: Config, store: Store, clock: Clock, wall_clock: Clock
                 ) -> dict[str, Sender]:
    """The senders by group channel: `bridge` and `wecom` always (WeCom groups may use
    the webhook alone), `wecom_app` when the self-built app is enabled."""
    channels = config.channels
    senders: dict[str, Sender] = {
        bridge.CHANNEL: bridge.BridgeSender(channels.bridge, wall_clock),
        wecom_webhook.CHANNEL: WecomSender(channels.wecom_webhook, clock, channels.wecom_aibot,
                                           store=store),
    }
    client = None
    if channels.wecom_app.enabled:
        client = wecom_app.make_client(channels.wecom_app, wall_clock)
        senders[wecom_app.CHANNEL] = wecom_app.WecomAppSender(channels.wecom_app, client)
    if channels.wecom_archive.enabled:  # customer groups: relayed to staff
        senders[wecom_archive.CHANNEL] = wecom_archive.ArchiveSender(
            config, store, client, senders[wecom_webhook.CHANNEL])
    return senders


def build_application(config: Config, *, clock: Clock | None = None,
                      senders: dict[str, Sender] | None = None,
                      http: requests.Session | None = None,
                      archive_sdk: wecom_archive.ArchiveSdk | None = None) -> Application:
    """Engine, migrations, roster sync, handlers and senders: everything but HTTP.
    `clock`: the app's clock; the system's time in the configured zone by default.
    `http`: the session photos are fetched with (tests pass one); `archive_sdk`: the
    会话内容存档 SDK (default: Tencent's, loaded when first needed)."""
    engine = make_engine(config.database.url)
    migrate(engine)
    store = Store(make_session_factory(engine))
    dispatcher = Dispatcher()
    register_all(dispatcher)
    wall_clock = SystemClock(config.tz)
    clock = clock or wall_clock
    if senders is None:
        senders = make_senders(config, store, clock, wall_clock)
    app = Application(config=config, store=store, dispatcher=dispatcher, senders=senders,
                      clock=clock, wall_clock=wall_clock, engine=engine,
                      media_files=MediaFiles(config.media.dir),
                      media_fetcher=HttpMediaFetcher(http, config.media.fetch_timeout_seconds))
    with store.transaction() as repos:
        sync_roster(repos, config, app.now())
    if config.channels.wecom_archive.enabled:  # pulled by the tick and msgaudit_notify
        puller = wecom_archive.ArchivePuller(app, config.channels.wecom_archive, archive_sdk)
        app.pollers[wecom_archive.POLLER] = puller.pull
    return app


# The largest body each channel's endpoint accepts (one guard for all, in create_app).
BODY_LIMITS = {"bridge": bridge.MAX_BODY, "wecom_aibot": wecom_aibot.MAX_BODY,
               "wecom_app": wecom_app.MAX_BODY, "desk": desk.MAX_BODY}
DEFAULT_MAX_BODY = 64 * 1024  # the simulator and anything else


def create_app(config: Config | None = None, *, clock: Clock | None = None,
               senders: dict[str, Sender] | None = None, simulator: bool | None = None,
               http: requests.Session | None = None,
               archive_sdk: wecom_archive.ArchiveSdk | None = None) -> Flask:
    config = config or load_config()
    bot = build_application(config, clock=clock, senders=senders, http=http,
                            archive_sdk=archive_sdk)
    app = Flask("bot")
    app.config["MAX_CONTENT_LENGTH"] = DEFAULT_MAX_BODY
    app.extensions["linli"] = bot
    channels = config.channels
    if channels.bridge.enabled:
        app.register_blueprint(bridge.create_blueprint())
    if channels.wecom_aibot.enabled and channels.wecom_aibot.mode == "http":
        app.register_blueprint(wecom_aibot.create_blueprint())
    if channels.wecom_app.enabled:
        app.register_blueprint(wecom_app.create_blueprint(bot))
    if config.open311.enabled:
        app.register_blueprint(open311.create_blueprint())
    if simulator if simulator is not None else channels.simulator.enabled:
        app.register_blueprint(simulator_channel.create_blueprint())
    if config.desk.enabled:
        app.register_blueprint(desk.create_blueprint(_oauth_lookup(config, bot)))

    @app.get("/healthz")
    def health():
        """Liveness: the process answers; nothing about its internals."""
        return jsonify({"ok": True})

    @app.get("/healthz/ready")
    def ready():
        """Readiness for a load balancer or monitor: database, migrations, outbox."""
        token = config.health.ready_token
        given = request.args.get("token") or request.headers.get(
            "Authorization", "").removeprefix("Bearer ").strip()
        if token and not hmac.compare_digest(given.encode(), token.encode()):
            return jsonify({"ok": False, "error": "token required"}), 401
        checks = database_checks(bot.engine, bot.now())
        ok = all(c.ok for c in checks)
        return jsonify({"ok": ok, "checks": {c.name: {"ok": c.ok, "detail": c.detail}
                                            for c in checks}}), 200 if ok else 503

    @app.errorhandler(404)
    def not_found(_exc):
        if config.desk.enabled and request.path.startswith("/desk/"):
            return desk.not_found()
        return jsonify({"ok": False, "error": "not found"}), 404

    @app.errorhandler(405)
    def wrong_method(_exc):
        return jsonify({"ok": False, "error": "method not allowed"}), 405

    @app.errorhandler(500)
    def internal_error(_exc):
        return jsonify({"ok": False, "error": "internal error"}), 500

    @app.before_request
    def limit_body():
        """One body-size guard for every channel: each blueprint's limit, checked on the
        declared length before anything is read, and enforced while reading (413)."""
        limit = BODY_LIMITS.get(request.blueprint or "", DEFAULT_MAX_BODY)
        request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            return too_large(None)
        return None

    @app.errorhandler(413)
    def too_large(_exc):
        if request.blueprint == "desk":
            return desk.too_large()
        limit = BODY_LIMITS.get(request.blueprint or "", DEFAULT_MAX_BODY)
        return jsonify({"ok": False, "error": f"body larger than {limit} bytes"}), 413

    return app


def _oauth_lookup(config: Config, bot: Application) -> desk.UseridFromCode | None:
    """企业微信网页授权 for the desk: code -> userid through the self-built app's API
    (None when the app is not enabled)."""
    if not config.channels.wecom_app.enabled:
        return None
    client = wecom_app.make_client(config.channels.wecom_app, bot.wall_clock)
    return lambda code: wecom_app.userid_from_code(client, code)


def start_long_connection(app: Application, **options: Any) -> LongConnection:
    """Start the AI bot's long connection and let the `wecom` sender push through it."""
    client = LongConnection(app, **options).start()
    sender = app.senders.get(wecom_webhook.CHANNEL)
    if isinstance(sender, WecomSender):
        sender.pusher = client
    return client
