"""`Store.transaction()` opens one unit of work and yields `Repos`, whose attributes
group the queries by table."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy.orm import Session, sessionmaker

from storage.repositories.base import EVENT_VIA, ProcessCache
from storage.repositories.cards import CardRepo
from storage.repositories.cases import CaseRepo
from storage.repositories.corrections import CorrectionRepo, QuestionRepo
from storage.repositories.desk import DeskRepo
from storage.repositories.hotspots import HotspotRepo
from storage.repositories.media import ArchiveRepo, MediaRepo
from storage.repositories.messages import (
    InboundRepo,
    OutboxRepo,
    WebhookHealthRepo,
    journal_row,
)
from storage.repositories.people import CommunityRepo, GroupRepo, MemberRepo
from storage.repositories.timers import JobRepo, LeaseRepo
from storage.repositories.topics import TopicRepo


class Store:
    """Owns the session factory; hands out transactions.

    On SQLite every transaction is a writer (BEGIN IMMEDIATE), so the threads of one
    process take turns on a lock instead of sleeping in SQLite's busy handler; other
    processes still wait on the busy timeout.
    """

    def __init__(self, session_factory: sessionmaker[Session]):
        self._sessions = session_factory
        self.cache = ProcessCache()
        self._bind = session_factory.kw.get("bind")
        self._turns = threading.RLock() if self._bind is not None and \
            self._bind.dialect.name == "sqlite" else nullcontext()
        self._held = threading.local()  # this thread's connection in `one_connection`

    @contextmanager
    def one_connection(self) -> Iterator[None]:
        """Every transaction of this thread in the block (`journal`, `transaction`) on
        one pooled connection: one checkout and one liveness check (pool_pre_ping) for a
        message's journal and its handling instead of one each. Each transaction still
        begins and commits on its own."""
        if self._bind is None or getattr(self._held, "conn", None) is not None:
            yield
            return
        with self._bind.connect() as conn:
            self._held.conn = conn
            try:
                yield
            finally:
                self._held.conn = None

    def journal(self, fields: dict, *, flushed_by_next: bool = False) -> int | None | bool:
        """The hot path's journal: the message's row in one transaction of one statement
        on a plain connection (no session), when its group is known to this process.
        The inbound id; None for a duplicate; False when the group is not cached (then
        `transaction()` and `InboundRepo.journal` do it, registering the group)."""
        if fields["group_id"] not in self.cache.groups or self._bind is None:
            return False
        held = getattr(self._held, "conn", None)
        if held is not None and not held.in_transaction():
            with self._turns, held.begin():
                return journal_row(held, fields, flushed_by_next=flushed_by_next)
        with self._turns, self._bind.begin() as conn:
            return journal_row(conn, fields, flushed_by_next=flushed_by_next)

    @contextmanager
    def transaction(self) -> Iterator[Repos]:
        with self._turns:
            held = getattr(self._held, "conn", None)
            if held is not None and held.in_transaction():
                held = None  # a transaction inside another: its own connection, as before
            session = self._sessions() if held is None else self._sessions(bind=held)
            try:
                yield Repos(session, self.cache)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()


class Repos:
    def __init__(self, session: Session, cache: ProcessCache | None = None):
        self.session = session
        cache = cache if cache is not None else ProcessCache()
        self.communities = CommunityRepo(session)
        self.groups = GroupRepo(session, cache)
        self.members = MemberRepo(session, cache)
        self.inbound = InboundRepo(session)
        self.outbox = OutboxRepo(session)
        self.webhooks = WebhookHealthRepo(session)
        self.cases = CaseRepo(session)
        self.jobs = JobRepo(session)
        self.leases = LeaseRepo(session)
        self.topics = TopicRepo(session)
        self.corrections = CorrectionRepo(session)
        self.questions = QuestionRepo(session)
        self.hotspots = HotspotRepo(session)
        self.desk = DeskRepo(session)
        self.media = MediaRepo(session)
        self.archive = ArchiveRepo(session)
        self.cards = CardRepo(session)

    def tag_events(self, via: str | None) -> None:
        """Every timeline event written in this unit of work records how the message
        causing it came (``data["input"]``: ``voice``, ``card``); None: nothing is."""
        if via:
            self.session.info[EVENT_VIA] = via
        else:
            self.session.info.pop(EVENT_VIA, None)

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name
