"""The running bot: config, storage, dispatcher, classifiers, senders and the clocks.

A plain holder, built once by the factory (`bot.build_application`) and shared by the
channels, the outbox worker and the scheduler. It holds services; the work itself lives
in `bot.ingest`, `bot.outbox` and `scheduler.tick`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.config import Config
from bot.dispatcher import Dispatcher
from bot.domain.groups import community_of
from storage.repositories import Store

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.events import MediaFetcher, Sender
    from bot.nlp import Classifier
    from storage.media_files import MediaFiles

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
    media_files: MediaFiles | None = None  # the media folder (photos)
    media_fetcher: MediaFetcher | None = None  # fetches photos (HTTP, base64, AES)
    # extra work the tick runs (e.g. pulling the WeCom archive feed): name -> fn(now)
    pollers: dict[str, Callable[[datetime], int]] = field(default_factory=dict)
    _classifiers: dict[str, Classifier] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock()

    def classifier(self, community_id: str) -> Classifier:
        """The classifier with the community's extra lexicon."""
        if community_id not in self._classifiers:
            extra = community_of(self.config, community_id).lexicon or {}
            self._classifiers[community_id] = _classifier_for(
                json.dumps(extra, sort_keys=True, ensure_ascii=False))
        return self._classifiers[community_id]

    def warm(self) -> None:
        """Load what the first message would otherwise wait for (jieba's dictionary, the
        model, each community's classifier): a server calls it before it listens, and a
        pre-forking server before it forks, so the workers share the loaded pages."""
        for community in self.config.communities:
            self.classifier(community.id).classify("楼道灯坏了")

    def sender_for(self, channel: str) -> Sender | None:
        return self.senders.get(channel)


@lru_cache(maxsize=16)
def _classifier_for(extra_json: str) -> Classifier:
    """One classifier per distinct lexicon per process (building one loads jieba)."""
    from bot.nlp import Classifier, default_classifier

    extra = json.loads(extra_json)
    return Classifier(extra_lexicon=extra) if extra else default_classifier()

