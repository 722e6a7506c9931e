"""Storage on SQLite and PostgreSQL: migrations, dedupe key, outbox idempotency and
claims, roster sync and chat-set roles, timezone round trips, WAL on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text

from storage.db import make_engine, make_session_factory, migrate
from storage.repositories import Store
from tests.conftest import TZ

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=TZ)


@pytest.fixture
def store(db_url):
    engine = make_engine(db_url)
    migrate(engine)
    with Store(make_session_factory(engine)).transaction() as repos:
        repos.communities.upsert("c1", "测试小区")
        repos.groups.upsert("g1", community_id="c1", name="测试群", channel="bridge",
                            webhook_key="", now=NOW)
    yield Store(make_session_factory(engine))
    engine.dispose()


def test_migration_creates_tables_and_is_repeatable(db_url):
    engine = make_engine(db_url)
    migrate(engine)
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"communities", "groups", "members", "member_roles", "inbound_messages",
            "outbound_messages", "cases", "case_complainants", "case_events",
            "alembic_version"} <= tables
    engine.dispose()


def test_sqlite_uses_wal(sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def _inbound(msg_id, **extra):
    return dict(channel="bridge", msg_id=msg_id, group_id="g1", sender_id="u1",
                sender_name="", text="hi", payload={}, sent_at=NOW, received_at=NOW,
                status="received", **extra)


def test_inbound_dedupe_per_channel(store):
    with store.transaction() as repos:
        assert repos.inbound.add(**_inbound("m1")) is not None
        assert repos.inbound.add(**_inbound("m1")) is None
    with store.transaction() as repos:
        assert repos.inbound.add(**_inbound("m1")) is None
        other = _inbound("m1")
        other["channel"] = "wecom"
        assert repos.inbound.add(**other) is not None


def test_datetimes_come_back_aware_utc(store):
    with store.transaction() as repos:
        row_id = repos.inbound.add(**_inbound("m-tz")).id
    with store.transaction() as repos:
        row = repos.inbound.get(row_id)
        assert row.sent_at == NOW and row.sent_at.tzinfo is not None
        assert row.sent_at.astimezone(UTC).hour == 1


def _post(key, now=NOW, group="g1"):
    return dict(idempotency_key=key, group_id=group, channel="bridge", kind="notice",
                text=key, mentions=[], state="pending", attempts=0, next_attempt_at=now,
                created_at=now)


def test_outbox_idempotency_and_group_heads(store):
    with store.transaction() as repos:
        assert repos.outbox.add(**_post("a")) is not None
        assert repos.outbox.add(**_post("a")) is None
        repos.outbox.add(**_post("b"))
        heads = repos.outbox.heads_due(NOW)
        assert [h.idempotency_key for h in heads] == ["a"]


def test_claim_is_exclusive_and_leases(store):
    with store.transaction() as repos:
        out_id = repos.outbox.add(**_post("c")).id
    with store.transaction() as repos:
        assert repos.outbox.claim(out_id, NOW, timedelta(minutes=2))
    with store.transaction() as repos:
        assert not repos.outbox.claim(out_id, NOW, timedelta(minutes=2))
        assert repos.outbox.heads_due(NOW) == []
    # the worker died: after the lease the post is due again
    with store.transaction() as repos:
        later = NOW + timedelta(minutes=3)
        assert [h.id for h in repos.outbox.heads_due(later)] == [out_id]
        assert repos.outbox.claim(out_id, later, timedelta(minutes=2))
        assert repos.outbox.get(out_id).attempts == 2


def test_next_due_timer_and_post(store):
    """What fast-forward asks: when the earliest pending timer and post fall due."""
    with store.transaction() as repos:
        assert repos.jobs.next_due() is None and repos.outbox.next_attempt() is None
        repos.jobs.plan("t-late", "remind", NOW + timedelta(hours=3))
        repos.jobs.plan("t-soon", "remind", NOW + timedelta(hours=1))
        repos.jobs.plan("t-gone", "remind", NOW + timedelta(minutes=5))
        repos.jobs.cancel(["t-gone"])
        repos.outbox.add(**_post("later", now=NOW + timedelta(hours=2)))
        sent = repos.outbox.add(**_post("sent", now=NOW))
        repos.outbox.mark_sent(sent.id, NOW)
    with store.transaction() as repos:
        due, attempt = repos.jobs.next_due(), repos.outbox.next_attempt()
        assert due == NOW + timedelta(hours=1) and due.tzinfo is not None
        assert attempt == NOW + timedelta(hours=2) and attempt.tzinfo is not None


def test_roster_sync_replaces_config_roles(store):
    from bot.domain.roles import apply_roster

    with store.transaction() as repos:
        apply_roster(repos, "c1", "u-a", "阿王", ["repair"], NOW)
    with store.transaction() as repos:
        apply_roster(repos, "c1", "u-a", "王师傅", ["cleaning"], NOW)
        member = repos.members.by_external("c1", "u-a")
        assert member.name == "王师傅" and member.role_codes == {"cleaning"}
        assert [(e.old_roles, e.new_roles, e.source, e.actor_id)
                for e in repos.members.role_events("c1", member.id)] == [
            (["repair"], ["cleaning"], "config", None), (["resident"], ["repair"], "config", None)]


def test_roster_sync_keeps_chat_roles_until_the_file_changes(store):
    from bot.domain.roles import apply_roster, set_in_chat

    with store.transaction() as repos:
        apply_roster(repos, "c1", "u-boss", "书记", ["moderator"], NOW)
        apply_roster(repos, "c1", "u-a", "阿王", ["repair"], NOW)
        boss, member = (repos.members.by_external("c1", u) for u in ("u-boss", "u-a"))
        assert set_in_chat(repos, boss, member, "grid_worker", NOW) is not None
        assert set_in_chat(repos, boss, member, "grid_worker", NOW) is None
    with store.transaction() as repos:                       # a restart, the same file
        assert apply_roster(repos, "c1", "u-a", "王师傅", ["repair"], NOW) is None
        member = repos.members.by_external("c1", "u-a")
        assert member.role_codes == {"grid_worker"}
        assert [m.external_id for m in repos.members.with_roles("c1", ["grid_worker"])] == ["u-a"]
    with store.transaction() as repos:                       # the file changed for u-a
        change = apply_roster(repos, "c1", "u-a", "王师傅", ["cleaning"], NOW)
        assert (change.old, change.new) == (("grid_worker",), ("cleaning",))
        assert repos.members.by_external("c1", "u-a").role_codes == {"cleaning"}


def test_unknown_member_is_a_resident(store):
    with store.transaction() as repos:
        member = repos.members.ensure("c1", "u-new", "新邻居", NOW)
        assert member.role_codes == {"resident"}
        assert repos.members.ensure("c1", "u-new", "新邻居", NOW).id == member.id


def test_lease_one_holder_at_a_time(store):
    ttl = timedelta(seconds=30)
    with store.transaction() as repos:
        assert repos.leases.acquire("ws:bot", "proc-a", NOW, ttl)
    with store.transaction() as repos:
        assert not repos.leases.acquire("ws:bot", "proc-b", NOW + timedelta(seconds=10), ttl)
        assert repos.leases.acquire("ws:bot", "proc-a", NOW + timedelta(seconds=10), ttl)
    with store.transaction() as repos:
        assert not repos.leases.acquire("ws:bot", "proc-b", NOW + timedelta(seconds=39), ttl)
        assert repos.leases.acquire("ws:bot", "proc-b", NOW + timedelta(seconds=41), ttl)
    with store.transaction() as repos:
        repos.leases.release("ws:bot", "proc-b")
        assert repos.leases.acquire("ws:bot", "proc-c", NOW + timedelta(seconds=42), ttl)


def test_one_vocabulary_of_case_states_and_topic_steps():
    from bot import texts
    from storage.models import ACTIVE_STEPS, FINISHED_STATES, OPEN_STATES, TOPIC_STEPS

    assert set(texts.STATE_LABELS) == set(OPEN_STATES) | set(FINISHED_STATES)
    assert not set(OPEN_STATES) & set(FINISHED_STATES)
    assert tuple(texts.TOPIC_STEP_LABELS) == TOPIC_STEPS
    assert set(ACTIVE_STEPS) < set(TOPIC_STEPS)


def _jobs(store) -> dict[str, tuple]:
    from storage.models import ScheduledJob

    with store.transaction() as repos:
        return {j.key: (j.due_at, j.state, j.done_at)
                for j in repos.session.query(ScheduledJob).all()}


def test_plan_all_keeps_the_rules_of_plan(store):
    """One INSERT … ON CONFLICT DO UPDATE and one UPDATE: a new timer is pending; one at
    another time is moved (pending again, not done); one that fired at this very time
    stays done; a cancelled one wanted again at the same time is pending; a stale one
    still pending is cancelled, a stale one done stays done."""
    from storage.models import ScheduledJob

    t1, t2 = NOW + timedelta(hours=1), NOW + timedelta(hours=2)
    with store.transaction() as repos:
        repos.jobs.plan_all({"k:a": ("remind", t1), "k:b": ("remind", t1),
                             "k:c": ("remind", t1), "k:d": ("remind", t1),
                             "k:e": ("remind", t1)}, [], fresh=True)
    assert {v[1] for v in _jobs(store).values()} == {"pending"}
    with store.transaction() as repos:
        held = {j.key: j for j in repos.session.query(ScheduledJob).all()}
        repos.jobs.finish(held["k:b"], t1)
        repos.jobs.finish(held["k:c"], t1)
        repos.jobs.finish(held["k:e"], t1)
        repos.jobs.cancel(["k:d"])
    with store.transaction() as repos:
        repos.jobs.plan_all({"k:a": ("remind", t2), "k:b": ("remind", t1),
                             "k:c": ("remind", t2), "k:d": ("remind", t1)},
                            ["k:e", "k:gone"])
    jobs = _jobs(store)
    assert jobs["k:a"] == (t2, "pending", None)  # moved
    assert jobs["k:b"] == (t1, "done", t1)  # fired at this very time: stays done
    assert jobs["k:c"] == (t2, "pending", None)  # fired, wanted again later
    assert jobs["k:d"] == (t1, "pending", None)  # cancelled, wanted again
    assert jobs["k:e"] == (t1, "done", t1)  # stale but done: left
    with store.transaction() as repos:
        repos.jobs.plan_all({}, ["k:a"])
    assert _jobs(store)["k:a"][1] == "cancelled"


def test_plan_all_brings_held_objects_in_line(store):
    """A timer the session holds as an object shows the planned row afterwards, with no
    change left to write."""
    from storage.models import ScheduledJob

    t1, t2 = NOW + timedelta(hours=1), NOW + timedelta(hours=2)
    with store.transaction() as repos:
        repos.jobs.plan_all({"h:a": ("remind", t1), "h:b": ("remind", t1)}, [], fresh=True)
    with store.transaction() as repos:
        held = {j.key: j for j in repos.session.query(ScheduledJob).all()}
        repos.jobs.plan_all({"h:a": ("remind", t2)}, ["h:b"])
        assert (held["h:a"].due_at, held["h:a"].state) == (t2, "pending")
        assert held["h:b"].state == "cancelled"
        assert not repos.session.dirty
    jobs = _jobs(store)
    assert (jobs["h:a"][:2], jobs["h:b"][1]) == ((t2, "pending"), "cancelled")


def test_column_changes_flush_as_one_update(store):
    """Plain column changes of stored rows go out as one UPDATE each (storage.session),
    leave the objects clean, and a row gone meanwhile is a StaleDataError as with the
    unit of work."""
    from sqlalchemy import delete
    from sqlalchemy.orm.exc import StaleDataError

    from storage.models import Member

    with store.transaction() as repos:
        member = repos.members.ensure("c1", "u-flush", "老王", NOW)
    with store.transaction() as repos:
        member = repos.members.ensure("c1", "u-flush", "老王", NOW)
        member.name, member.roster_roles = "王师傅", "staff"
        repos.session.flush()
        assert not repos.session.dirty
        assert repos.session.execute(text(
            "SELECT name, roster_roles FROM members WHERE external_id = 'u-flush'")
        ).one() == ("王师傅", "staff")
    with pytest.raises(StaleDataError), store.transaction() as repos:
        member = repos.members.ensure("c1", "u-flush", "老王", NOW)
        repos.session.execute(delete(Member.__table__).where(Member.__table__.c.id == member.id))
        member.name = "又改了"
        repos.session.flush()


def test_journal_commits_without_waiting_for_the_disk_on_postgresql(store):
    """The hot path's journal (answered only after the handling commits) sets
    synchronous_commit off for its own transaction, in the INSERT itself; the next
    transaction waits for the disk again."""
    from storage.repositories.messages import journal_row

    engine = store._bind
    fields = {"channel": "bridge", "msg_id": "m-async", "group_id": "g1", "sender_id": "u1",
              "sender_name": "", "text": "你好", "payload": {}, "sent_at": NOW,
              "received_at": NOW, "status": "received"}
    if engine.dialect.name != "postgresql":  # SQLite: the same insert, no setting to make
        with engine.begin() as conn:
            assert journal_row(conn, fields, flushed_by_next=True) is not None
            assert journal_row(conn, fields, flushed_by_next=True) is None  # a duplicate
        return
    with engine.begin() as conn:
        assert conn.execute(text("SHOW synchronous_commit")).scalar() == "on"
        assert journal_row(conn, fields, flushed_by_next=True) is not None
        assert conn.execute(text("SHOW synchronous_commit")).scalar() == "off"
        assert journal_row(conn, fields, flushed_by_next=True) is None  # a duplicate
    with engine.begin() as conn:
        assert conn.execute(text("SHOW synchronous_commit")).scalar() == "on"


def test_cases_read_in_plain_sql_match_the_orm(store):
    """A case read by id (storage.repositories.cases: plain SQL made into objects) is
    what the ORM's loading gives: its complainants in order with their roles, its
    timeline with each actor and their roles, nothing left to write; held objects stay."""
    from storage.models import Case, CaseComplainant, CaseEvent, Member
    from storage.repositories.cases import _WHOLE_CASE

    with store.transaction() as repos:
        zhang = repos.members.ensure("c1", "u-zhang", "张阿姨", NOW)
        wang = repos.members.ensure("c1", "u-wang", "王师傅", NOW)
        repos.members.replace_roles(wang, ["staff", "grid_worker"], "config")
        case = repos.cases.add(Case(
            community_id="c1", group_id="g1", category="lighting", text="灯坏了",
            complainant_id=zhang.id, opened_at=NOW, respond_by=NOW, resolve_by=NOW,
            updated_at=NOW))
        repos.cases.add_complainant(case, zhang, NOW)
        repos.cases.add_complainant(case, wang, NOW + timedelta(minutes=1))
        repos.cases.add_event(case, "opened", zhang, NOW, note="灯坏了")
        repos.cases.add_event(case, "progress", wang, NOW, note="马上到")
        case_id = case.id

    def seen(c, events):
        return ([(x.member_id, x.member.name, sorted(x.member.role_codes))
                 for x in c.complainants],
                [(e.kind, e.actor.name, sorted(e.actor.role_codes)) for e in events])

    with store.transaction() as repos:
        orm = repos.session.get(Case, case_id, options=_WHOLE_CASE)
        expected = seen(orm, list(repos.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))))
    with store.transaction() as repos:
        case = repos.cases.get(case_id)
        assert seen(case, repos.cases.events(case_id)) == expected
        assert repos.cases.latest_event(case_id, "progress").note == "马上到"
        assert not repos.session.dirty and not repos.session.new
        assert all(isinstance(x, CaseComplainant) and x.case is case for x in case.complainants)
    with store.transaction() as repos:  # the sender held first: taken as held
        sender = repos.members.ensure("c1", "u-zhang", "张阿姨", NOW)
        case = repos.cases.get(case_id)
        assert case.complainants[0].member is sender
        assert seen(case, repos.cases.events(case_id)) == expected
        assert repos.session.get(Member, sender.id) is sender
