"""The running bot: config, storage, dispatcher, classifiers, senders and the clock.

Built once by `build_application` (the web app factory and the CLI both use it) and
shared by the channels, the outbox worker and the scheduler. It holds services; the
work itself lives in `bot.ingest`, `bot.outbox` and `scheduler.tick`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.clock import Clock, SystemClock
from bot.config import CommunityConfig, Config
from bot.dispatcher import Dispatcher
from storage.db import make_engine, make_session_factory, migrate
from storage.repositories import Store

if TYPE_CHECKING:
    from bot.channels.base import Sender
    from bot.nlp import Classifier

log = logging.getLogger(__name__)

@dataclass
class Application:
    config: Config
    store: Store
    dispatcher: Dispatcher
    senders: dict[str, Sender]
    clock: Clock  # the business time (see bot.clock)
    wall_clock: Clock  # real time for signatures, tokens and leases
    engine: object = None
    _classifiers: dict[str, Classifier] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock()

    def community(self, community_id: str) -> CommunityConfig:
        for com in self.config.communities:
            if com.id == community_id:
                return com
        return self.config.communities[0]

    def community_for_new_group(self) -> CommunityConfig:
        """Groups not in the config are registered under the first community."""
        return self.config.communities[0]

    def classifier(self, community_id: str) -> Classifier:
        """The classifier with the community's extra lexicon."""
        if community_id not in self._classifiers:
            extra = self.community(community_id).lexicon or {}
            self._classifiers[community_id] = _classifier_for(
                json.dumps(extra, sort_keys=True, ensure_ascii=False))
        return self._classifiers[community_id]

    def sender_for(self, channel: str) -> Sender | None:
        return self.senders.get(channel)


@lru_cache(maxsize=16)
def _classifier_for(extra_json: str) -> Classifier:
    """One classifier per distinct lexicon per process (building one loads jieba)."""
    from bot.nlp import Classifier, default_classifier

    extra = json.loads(extra_json)
    return Classifier(extra_lexicon=extra) if extra else default_classifier()


def build_application(config: Config, *, clock: Clock | None = None,
                      senders: dict[str, Sender] | None = None) -> Application:
    """`clock`: the app's clock; the system's time in the configured zone by default."""
    """Engine, migrations, roster sync, handlers and senders: everything but HTTP."""
    from bot.channels.bridge import BridgeSender
    from bot.channels.wecom_webhook import wecom_senders
    from bot.handlers import register_all
    from bot.roster import sync_roster

    engine = make_engine(config.database.url)
    migrate(engine)
    store = Store(make_session_factory(engine))
    dispatcher = Dispatcher()
    register_all(dispatcher)
    wall_clock = SystemClock(config.tz)
    clock = clock or wall_clock
    if senders is None:
        senders = {"bridge": BridgeSender(config.channels.bridge, wall_clock),
                   **wecom_senders(config, store, clock, wall_clock)}
    app = Application(config=config, store=store, dispatcher=dispatcher, senders=senders,
                      clock=clock, wall_clock=wall_clock, engine=engine)
    sync_roster(app)
    return app
