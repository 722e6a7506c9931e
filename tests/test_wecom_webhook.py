"""The 消息推送 webhook sender against a fake qyapi on loopback: text with mentioned_list
or markdown, byte limits and safe splitting, 45009 (retry, never resending a delivered
part), 93000 (permanent, logged without the key, shown by /统计), the rate limit."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest

from bot import texts
from bot.channels.wecom_parts import split_utf8
from bot.channels.wecom_webhook import (
    MARKDOWN_LIMIT,
    TEXT_LIMIT,
    key_fingerprint,
    redact,
)
from bot.events import Mention, Outgoing
from bot.outbox import deliver_due, queue_posts
from tests.conftest import _ENGINES, Chat
from tests.fake_wecom import (
    BAD_KEY,
    GOOD_KEY,
    WECOM_GROUP,
    WECOM_GROUP_NAME,
    wecom_config,
)


def _app(db_url, clock, qyapi, **kwargs):
    from bot import create_app

    flask_app = create_app(wecom_config(db_url, api_base=qyapi.url, aibot=False, **kwargs),
                           clock=clock)
    _ENGINES.append(flask_app.extensions["linli"].engine)
    return flask_app


@pytest.fixture
def wecom(db_url, clock, qyapi):
    flask_app = _app(db_url, clock, qyapi)
    yield flask_app
    flask_app.extensions["linli"].engine.dispose()


@pytest.fixture
def wbot(wecom):
    return wecom.extensions["linli"]


def queue(bot, *posts: Outgoing, group_id: str = WECOM_GROUP) -> list[int]:
    for post in posts:
        post.key = post.key or f"test:{uuid.uuid4().hex}"
    with bot.store.transaction() as repos:
        group = repos.groups.get(group_id)
        rows = queue_posts(repos, list(posts), group=group, now=bot.now(), config=bot.config)
        return [r.id for r in rows]


def row(bot, out_id):
    with bot.store.transaction() as repos:
        r = repos.outbox.get(out_id)
        repos.session.expunge(r)
        return r


# --- splitting --------------------------------------------------------------------------------

@pytest.mark.parametrize("limit", [7, 16, 100, TEXT_LIMIT])
def test_split_is_lossless_and_on_character_boundaries(limit):
    text = ("3号楼漏水😀\n" * 50) + "没有换行的一长段文字" * 40
    parts = split_utf8(text, limit)
    assert "".join(parts) == text
    assert all(len(p.encode("utf-8")) <= limit for p in parts)
    assert split_utf8("短", 2048) == ["短"] and split_utf8("", 10) == []


def test_split_prefers_line_ends():
    text = "第一行内容\n" + "二" * 600                       # a newline early on is not used
    assert len(split_utf8(text, 1000)[0].encode()) >= 997
    lines = "\n".join(f"#{i} 楼道灯坏了，请尽快处理" for i in range(200))
    assert all(p.endswith("\n") for p in split_utf8(lines, 2048)[:-1])


def test_redact_hides_keys():
    assert GOOD_KEY not in redact(f"POST /cgi-bin/webhook/send?key={GOOD_KEY} failed")
    assert redact("x", GOOD_KEY) == "x"


# --- sending ----------------------------------------------------------------------------------

def test_mentions_go_as_text_with_mentioned_list(wbot, qyapi, clock):
    queue(wbot, Outgoing(text="#3 已超过签收期限", kind="escalation",
                         mentions=[Mention("u-zhao", "赵网格"), Mention("u-li", "李书记")]))
    assert deliver_due(wbot, clock()).sent == 1
    [post] = qyapi.webhook_posts
    assert post["key"] == GOOD_KEY
    assert post["body"]["msgtype"] == "text"
    assert post["body"]["text"]["mentioned_list"] == ["u-zhao", "u-li"]
    assert post["body"]["text"]["content"] == "#3 已超过签收期限\n@赵网格 @李书记"


def test_posts_without_mentions_go_as_markdown(wbot, qyapi, clock):
    queue(wbot, Outgoing(text="今日汇总：新增 2 件", kind="digest"))
    deliver_due(wbot, clock())
    assert qyapi.webhook_posts[0]["body"] == {"msgtype": "markdown",
                                              "markdown": {"content": "今日汇总：新增 2 件"}}


def test_long_posts_are_split_within_the_byte_limits_in_order(wbot, qyapi, clock):
    lines = [f"第{i}行：3号楼2单元楼道灯坏了，请物业尽快处理。" for i in range(300)]
    queue(wbot, Outgoing(text="\n".join(lines), kind="report"),
          Outgoing(text="\n".join(lines[:120]), kind="ping",
                   mentions=[Mention("u-wang", "王师傅")]))
    assert deliver_due(wbot, clock()).sent == 2
    assert qyapi.oversize == []
    markdown = [p["body"]["markdown"]["content"] for p in qyapi.webhook_posts
                if p["body"]["msgtype"] == "markdown"]
    text = [p["body"]["text"] for p in qyapi.webhook_posts if p["body"]["msgtype"] == "text"]
    assert len(markdown) >= 4 and all(len(m.encode()) <= MARKDOWN_LIMIT for m in markdown)
    assert "\n".join(markdown) == "\n".join(lines)
    assert len(text) >= 3 and all(len(t["content"].encode()) <= TEXT_LIMIT for t in text)
    # the mentions go with the last part, where the @name tags are
    assert [t.get("mentioned_list") for t in text][-1] == ["u-wang"]
    assert all("mentioned_list" not in t for t in text[:-1])
    assert text[-1]["content"].endswith("@王师傅")


def test_45009_is_retried_after_a_minute(wbot, qyapi, clock):
    qyapi.fail_45009 = 1
    [out_id] = queue(wbot, Outgoing(text="#5 请尽快签收", kind="reminder"))
    report = deliver_due(wbot, clock())
    assert report.retried == 1 and qyapi.webhook_posts == []
    pending = row(wbot, out_id)
    assert pending.state == "pending" and "45009" in pending.last_error
    assert pending.next_attempt_at - clock() >= timedelta(seconds=60)
    assert deliver_due(wbot, clock() + timedelta(seconds=30)).sent == 0
    assert deliver_due(wbot, clock() + timedelta(seconds=61)).sent == 1
    assert len(qyapi.webhook_posts) == 1


def test_a_failed_part_is_retried_without_resending_the_parts_before(wbot, qyapi, clock):
    lines = [f"第{i}行：5号楼电梯故障，维修中。" for i in range(400)]
    text = "\n".join(lines)
    qyapi.fail_45009, qyapi.fail_45009_after = 1, 1         # part 2 hits the rate limit
    [out_id] = queue(wbot, Outgoing(text=text, kind="report"))
    assert deliver_due(wbot, clock()).retried == 1
    assert len(qyapi.webhook_posts) == 1
    first = qyapi.webhook_posts[0]["body"]["markdown"]["content"]
    pending = row(wbot, out_id)
    assert pending.state == "pending" and text.startswith(first)
    assert pending.text == text and pending.parts_sent == 1  # the text as queued, 1 part out
    assert deliver_due(wbot, clock() + timedelta(seconds=61)).sent == 1
    contents = [p["body"]["markdown"]["content"] for p in qyapi.webhook_posts]
    assert contents.count(first) == 1
    assert "\n".join(contents) == text                      # every part once, in order
    done = row(wbot, out_id)
    assert done.state == "sent" and done.text == text
    assert done.parts_sent == len(split_utf8(text, MARKDOWN_LIMIT)) == len(contents)


def test_a_push_cut_short_resumes_where_it_stopped(wbot, qyapi, clock):
    """The group sender's two routes count the same parts: a push that fails after part 1
    falls back to the webhook from part 2; a retry goes on after what is out."""
    wbot.sender_for("wecom").pusher = pusher = StubPusher(fail_from=1, errcode=45009)
    lines = [f"第{i}行：3号楼停水通知，请大家提前储水。" for i in range(400)]
    text = "\n".join(lines)
    parts = [p.strip("\n") for p in split_utf8(text, MARKDOWN_LIMIT)]
    assert len(parts) >= 4
    qyapi.fail_45009, qyapi.fail_45009_after = 1, 1         # the webhook stops after part 2
    [out_id] = queue(wbot, Outgoing(text=text, kind="notice"))
    assert deliver_due(wbot, clock()).retried == 1
    assert [c for _, c in pusher.pushes] == parts[:2]          # part 1 out, part 2 refused
    assert [p["body"]["markdown"]["content"] for p in qyapi.webhook_posts] == parts[1:2]
    pending = row(wbot, out_id)
    assert pending.text == text and pending.parts_sent == 2
    pusher.errcode = 0                                       # the push works again
    assert deliver_due(wbot, clock() + timedelta(seconds=61)).sent == 1
    delivered = [c for c in pusher.accepted] + \
        [p["body"]["markdown"]["content"] for p in qyapi.webhook_posts]
    assert sorted(delivered) == sorted(parts)                 # each part exactly once
    assert pusher.accepted[1:] == parts[2:]                  # the retry sent only the rest
    assert row(wbot, out_id).parts_sent == len(parts)


def test_a_bad_key_fails_permanently_logged_without_the_key(db_url, clock, qyapi, caplog):
    flask_app = _app(db_url, clock, qyapi, webhook_key=BAD_KEY)
    bot = flask_app.extensions["linli"]
    try:
        caplog.set_level(logging.DEBUG)
        [out_id] = queue(bot, Outgoing(text="#7 已超过办结期限", kind="escalation",
                                       mentions=[Mention("u-li", "李书记")]))
        report = deliver_due(bot, clock())
        assert report.failed == 1
        failed = row(bot, out_id)
        assert failed.state == "failed" and "93000" in failed.last_error
        assert key_fingerprint(BAD_KEY) in failed.last_error
        assert BAD_KEY not in failed.last_error and BAD_KEY not in caplog.text
        assert "93000" in caplog.text
        # the answer is stored as the group's webhook health: a fact, with since when
        with bot.store.transaction() as repos:
            fact = repos.webhooks.get(WECOM_GROUP)
            assert (fact.state, fact.kind, fact.key_fingerprint) == \
                ("failing", "invalid_key", key_fingerprint(BAD_KEY))
            assert fact.since == clock() and BAD_KEY not in fact.detail
        # /统计 (asked in the bridge group of the same community) shows the dead robot
        clock.advance(hours=2)
        chat = Chat(flask_app.test_client(), clock)
        reply = chat.say("u-li", "/统计")[0]
        assert reply.endswith(texts.wecom_webhook_dead(WECOM_GROUP_NAME, "11-24 10:00"))
    finally:
        bot.engine.dispose()


def test_stats_has_no_warning_while_the_key_works(wecom, wbot, qyapi, clock):
    queue(wbot, Outgoing(text="hello"))
    deliver_due(wbot, clock())
    reply = Chat(wecom.test_client(), clock).say("u-li", "/统计")[0]
    assert "企业微信群机器人失效" not in reply


def test_twenty_posts_a_minute_a_backlog_is_merged_not_dropped(wbot, qyapi, clock):
    assert wbot.sender_for("wecom").rate_limit(None) == 20
    queue(wbot, *[Outgoing(text=f"第{i}条提醒", kind="reminder") for i in range(30)])
    deliver_due(wbot, clock())
    deliver_due(wbot, clock() + timedelta(seconds=61))
    assert 1 <= len(qyapi.webhook_posts) <= 20
    contents = "\n".join(p["body"]["markdown"]["content"] for p in qyapi.webhook_posts)
    assert all(f"第{i}条提醒" in contents for i in range(30))   # nothing dropped


def test_group_without_key_and_without_long_connection_fails_permanently(wbot, qyapi, clock):
    with wbot.store.transaction() as repos:
        repos.groups.register("wrchat-nokey", community_id="sunshine", name="无钥匙群",
                              channel="wecom", now=clock())
    [out_id] = queue(wbot, Outgoing(text="hi"), group_id="wrchat-nokey")
    assert deliver_due(wbot, clock()).failed == 1
    assert "no webhook_key" in row(wbot, out_id).last_error


class StubPusher:
    connected = True

    def __init__(self, errcode=0, fail_from=0):
        """Answers `errcode` to every push after the first `fail_from` ones."""
        self.pushes, self.accepted = [], []
        self.errcode, self.fail_from = errcode, fail_from

    def push_markdown(self, chatid, content):
        self.pushes.append((chatid, content))
        if self.errcode and len(self.pushes) > self.fail_from:
            return self.errcode, "refused"
        self.accepted.append(content)
        return 0, "ok"


def test_after_93000_pings_go_through_the_push_when_it_is_up(db_url, clock, qyapi):
    flask_app = _app(db_url, clock, qyapi, webhook_key=BAD_KEY)
    bot = flask_app.extensions["linli"]
    try:
        bot.sender_for("wecom").pusher = pusher = StubPusher()
        ping = Outgoing(text="#8 请签收", kind="reminder", mentions=[Mention("u-wang", "王师傅")])
        queue(bot, ping)
        assert deliver_due(bot, clock()).failed == 1         # the webhook is tried first
        assert pusher.pushes == []
        queue(bot, Outgoing(text="#9 请签收", kind="reminder",
                            mentions=[Mention("u-wang", "王师傅")]))
        assert deliver_due(bot, clock()).sent == 1           # the dead key is skipped
        assert pusher.pushes == [(WECOM_GROUP, "#9 请签收\n@王师傅")]
    finally:
        bot.engine.dispose()


def test_a_failed_push_falls_back_to_the_webhook(wbot, qyapi, clock):
    wbot.sender_for("wecom").pusher = pusher = StubPusher(errcode=93006)
    queue(wbot, Outgoing(text="今日汇总", kind="digest"))
    assert deliver_due(wbot, clock()).sent == 1
    assert len(pusher.pushes) == 1
    assert qyapi.webhook_posts[0]["body"]["markdown"]["content"] == "今日汇总"


def test_webhook_health_is_stored_and_read_not_guessed(wecom, wbot, qyapi, clock):
    """A webhook that stops answering is 'failing, unreachable' from its first bad answer
    (/统计 and doctor say so, with since when); its next good answer makes it ok."""
    from bot.doctor import run_checks

    qyapi.webhook_down = 2
    queue(wbot, Outgoing(text="#3 请尽快处理", kind="reminder"))
    assert deliver_due(wbot, clock()).retried == 1
    clock.advance(minutes=1)
    assert deliver_due(wbot, clock()).retried == 1             # still down: since stays
    with wbot.store.transaction() as repos:
        fact = repos.webhooks.get(WECOM_GROUP)
        assert (fact.state, fact.kind) == ("failing", "unreachable")
        assert fact.since == clock() - timedelta(minutes=1) and fact.checked_at == clock()
        assert "502" in fact.detail
    chat = Chat(wecom.test_client(), clock)
    assert chat.say("u-li", "/统计")[0].endswith(
        texts.wecom_webhook_failing(WECOM_GROUP_NAME, "11-24 10:00"))
    hook = {c.name: c for c in run_checks(wbot.config, "test.yaml", clock())}["hook health"]
    assert not hook.ok
    assert f"{WECOM_GROUP}: unreachable since 2026-11-24 10:00" in hook.detail
    clock.advance(minutes=5)
    assert deliver_due(wbot, clock()).sent == 1
    with wbot.store.transaction() as repos:
        fact = repos.webhooks.get(WECOM_GROUP)
        assert (fact.state, fact.kind, fact.since) == ("ok", "", clock())
    assert "企业微信群机器人" not in chat.say("u-li", "/统计")[0]
    assert {c.name: c for c in run_checks(wbot.config, "test.yaml", clock())}[
        "hook health"].ok


def test_a_dead_key_is_tried_again_after_a_week(db_url, clock, qyapi):
    flask_app = _app(db_url, clock, qyapi, webhook_key=BAD_KEY)
    bot = flask_app.extensions["linli"]
    try:
        bot.sender_for("wecom").pusher = pusher = StubPusher()
        ping = dict(text="#8 请签收", kind="reminder", mentions=[Mention("u-wang", "王师傅")])
        queue(bot, Outgoing(**ping))
        assert deliver_due(bot, clock()).failed == 1 and pusher.pushes == []
        clock.advance(days=6)
        queue(bot, Outgoing(**ping))
        assert deliver_due(bot, clock()).sent == 1 and len(pusher.pushes) == 1
        clock.advance(days=2)                                # a week after the last answer
        queue(bot, Outgoing(**ping))
        assert deliver_due(bot, clock()).failed == 1 and len(pusher.pushes) == 1
        with bot.store.transaction() as repos:
            fact = repos.webhooks.get(WECOM_GROUP)
            assert fact.since == clock() - timedelta(days=8) and fact.checked_at == clock()
    finally:
        bot.engine.dispose()
