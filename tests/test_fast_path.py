"""The fast path stays fast: how many SQL statements the common messages take.

Counted with SQLAlchemy's engine events on the real app (BEGIN and SAVEPOINT counted,
COMMIT not), on SQLite and PostgreSQL. A change that adds a read or a write to the path
of a plain complaint, a chatter line, a staff reply or a command fails here; raise a
limit only with a reason. Also: a role change in one process is seen by the next
message in another (nothing about roles is kept between messages), and the process's
group cache does not outlive a change of the group by the config.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from mix import StatementCounter  # noqa: E402

from bot.events import IncomingMessage  # noqa: E402
from bot.ingest import receive  # noqa: E402

# (SQLite, PostgreSQL): PostgreSQL's journal sets synchronous_commit off for its own
# transaction inside its INSERT (one disk flush per message, not two), and it locks the
# group row before queueing posts to deliver (per-group order; answers given inline in
# the HTTP response need no lock); SQLite's BEGIN IMMEDIATE is a statement,
# PostgreSQL's BEGIN is counted too
LIMITS = {
    "complaint": (15, 15),  # journal 2; member (and the group's live topics) 1; duplicate
    #                         checks 3 (own open case, same problem, a resolved one back);
    #                         case, complainant, roster, event 4; timers 1; outbox 2;
    #                         handled 1
    "chatter": (5, 5),  # journal 2; member (and the group's live topics) 1; handled 1
    "staff": (12, 12),  # + the case in one statement; the case, its event, timers 2 (one
    #                     INSERT … ON CONFLICT DO UPDATE, one UPDATE of the stale)
    "command": (6, 6),
    "first_seen": (7, 7),  # chatter of a sender never seen before: + the member's INSERT
    #                        … ON CONFLICT DO NOTHING RETURNING id, the live topics asked
}


class Sender:
    def __init__(self, bot, clock):
        self.bot, self.clock, self.n = bot, clock, 0
        self.counter = StatementCounter(bot.engine)

    def say(self, sender_id: str, text: str, name: str = "居民"):
        self.n += 1
        self.clock.advance(seconds=30)
        msg = IncomingMessage(channel="bridge", msg_id=f"fp-{self.n}", group_id="g-1",
                              sender_id=sender_id, sender_name=name, text=text,
                              sent_at=self.clock())
        with self.counter.counting() as seen:
            result = receive(self.bot, msg)
        return result, list(seen)


def _limit(bot, kind: str) -> int:
    return LIMITS[kind][0 if bot.engine.dialect.name == "sqlite" else 1]


@pytest.fixture
def talk(bot, clock):
    sender = Sender(bot, clock)
    yield sender
    sender.counter.close()


def _check(bot, kind: str, seen: list[str]) -> None:
    limit = _limit(bot, kind)
    shown = "\n".join(" ".join(s.split())[:120] for s in seen)
    assert len(seen) <= limit, f"{kind}: {len(seen)} statements > {limit}:\n{shown}"


def test_statements_per_message(bot, talk):
    talk.say("u-zhang", "大家好")  # the sender is known from now on
    talk.say("u-laoliu", "大家好")
    result, seen = talk.say("u-zhang", "3号楼2单元楼道灯坏了好几天了", "张阿姨")
    case_id = next(r["case_id"] for r in result.replies if r.get("case_id"))
    _check(bot, "complaint", seen)
    result, seen = talk.say("u-laoliu", "今天天气不错")
    assert result.replies == []
    _check(bot, "chatter", seen)
    result, seen = talk.say("u-wang", f"#{case_id} 收到，马上安排", "王师傅")
    assert result.replies, "the staff reply was answered"
    _check(bot, "staff", seen)
    result, seen = talk.say("u-laoliu", "/帮助")
    assert result.replies
    _check(bot, "command", seen)
    # the complaint's timers are planned once and not again for untouched cases
    _result, seen = talk.say("u-laoliu", "好的")
    assert not any("scheduled_jobs" in s for s in seen)
    _result, seen = talk.say("u-newcomer", "大家好")  # a sender never seen before
    _check(bot, "first_seen", seen)


def test_role_change_seen_by_another_process(config, clock, talk):
    """Two apps on one database stand for two worker processes: a /角色 change made
    through one is obeyed by the very next message through the other."""
    from bot import build_application

    other = build_application(config, clock=clock)

    def help_in_other(n: int) -> str:
        clock.advance(seconds=5)
        msg = IncomingMessage(channel="bridge", msg_id=f"fp-other-{n}", group_id="g-1",
                              sender_id="u-laoliu", sender_name="刘大爷", text="/帮助",
                              sent_at=clock())
        return receive(other, msg).replies[0]["text"]

    try:
        before = help_in_other(1)
        _result, _seen = talk.say("u-li", "/角色 @刘大爷 网格员", "李书记")
        after = help_in_other(2)
        assert before != after  # a grid worker is shown more commands
        talk.say("u-li", "/角色 @刘大爷 居民", "李书记")
        assert help_in_other(3) == before
    finally:
        other.engine.dispose()


def test_group_cache_follows_the_config(bot):
    with bot.store.transaction() as repos:
        cached = repos.groups.known("g-1")
        assert cached is not None
        repos.groups.upsert("g-1", community_id=cached.community_id, name="新名字",
                            channel=cached.channel, webhook_key="k-new", now=bot.now())
    with bot.store.transaction() as repos:
        assert repos.groups.known("g-1").webhook_key == "k-new"


def test_three_delivering_processes_keep_each_groups_order(db_url, receiver, tmp_path):
    """Posts queued in three groups, then three `python -m bot tick` processes at once
    deliver them (claims in one UPDATE … RETURNING each): every post arrives once, and
    each group's posts arrive in the order of their outbox ids."""
    import os
    import subprocess
    from collections import defaultdict

    import yaml

    from bot import build_application
    from bot.events import Outgoing
    from bot.outbox import queue_posts
    from tests.conftest import REPO, TZ, demo_config_dict, make_config

    at = datetime(2026, 11, 24, 10, 0, tzinfo=TZ)
    bot = build_application(make_config(db_url, outbound_url=receiver.url), clock=lambda: at)
    try:
        with bot.store.transaction() as repos:
            for group in ("g-2", "g-3"):
                repos.groups.register(group, community_id="sunshine", name=group,
                                      channel="bridge", now=at)
        for round_ in range(8):
            for group in ("g-1", "g-2", "g-3"):
                with bot.store.transaction() as repos:
                    queue_posts(repos, [Outgoing(text=f"{group} 第{round_}条", kind="notice",
                                                 key=f"order:{group}:{round_}")],
                                group=repos.groups.get(group), now=at, config=bot.config)
    finally:
        bot.engine.dispose()
    raw = demo_config_dict()
    raw["database"] = {"url": db_url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": "", "outbound_url": receiver.url}
    cfg = tmp_path / "tick.yaml"
    cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    cmd = [sys.executable, "-m", "bot", "tick", "--config", str(cfg), "--at", at.isoformat()]
    env = {**os.environ, "BOT_DATABASE_URL": db_url}
    procs = [subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    ids = [p["msg_id"] for p in receiver.posts]
    assert len(ids) == 24 and len(set(ids)) == 24, outs
    by_group = defaultdict(list)
    for post in receiver.posts:
        by_group[post["group_id"]].append(post["text"])
    assert by_group == {g: [f"{g} 第{r}条" for r in range(8)] for g in ("g-1", "g-2", "g-3")}
