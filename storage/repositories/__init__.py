"""Repositories: the only code that runs queries.

`Store.transaction()` opens one unit of work and yields `Repos`, whose attributes group
the queries by table. Everything a message causes (state changes and the posts about
them) is written through one `Repos` and committed together.

The repositories live in modules by table; this package re-exports every public name,
so `from storage.repositories import Repos` works everywhere.
"""

from storage.repositories.cases import CaseRepo
from storage.repositories.corrections import CorrectionRepo, QuestionRepo
from storage.repositories.desk import BoardFilter, BoardPage, CaseScope, DeskRepo
from storage.repositories.hotspots import HotspotRepo
from storage.repositories.media import ArchiveRepo, MediaRepo
from storage.repositories.messages import InboundRepo, OutboxRepo, WebhookHealthRepo
from storage.repositories.people import CommunityRepo, GroupRepo, MemberRepo
from storage.repositories.store import Repos, Store
from storage.repositories.timers import JobRepo, LeaseRepo
from storage.repositories.topics import TopicRepo

__all__ = [
    "CommunityRepo",
    "GroupRepo",
    "MemberRepo",
    "InboundRepo",
    "OutboxRepo",
    "WebhookHealthRepo",
    "CaseRepo",
    "TopicRepo",
    "JobRepo",
    "LeaseRepo",
    "CorrectionRepo",
    "QuestionRepo",
    "HotspotRepo",
    "DeskRepo",
    "BoardFilter",
    "BoardPage",
    "CaseScope",
    "MediaRepo",
    "ArchiveRepo",
    "Store",
    "Repos",
]
