"""The bridge channel exactly as interfaces.md says: answers, signatures, dedupe, size,
and asynchronous posts to the outbound URL with retries, in order per group."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from bot.channels.bridge import MAX_BODY, sign
from bot.events import Outgoing
from bot.outbox import deliver_due, queue_posts
from scheduler.tick import run_tick
from tests.conftest import SECRET


def test_chatter_gets_ok_and_no_reply(chat):
    assert chat.say("u-zhang", "大家早上好") == []
    assert chat.last == {"ok": True, "replies": []}


def test_complaint_answered_inline_with_out_objects(chat):
    replies = chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了，晚上黑漆漆的")
    assert len(replies) == 2                   # the answer to the resident, the staff ping
    out, ping = chat.last["replies"]
    assert set(out) == {"msg_id", "group_id", "text", "mentions", "kind", "case_id", "topic_id"}
    assert out["msg_id"].startswith("out-") and out["group_id"] == "g-1"
    assert out["kind"] == "reply" and isinstance(out["case_id"], int) and out["topic_id"] is None
    assert out["text"].startswith("已受理 #") and out["mentions"] == []
    assert ping["kind"] == "ping" and ping["case_id"] == out["case_id"]
    assert "u-wang" in ping["mentions"] and "@王师傅" in ping["text"]


def test_inline_replies_are_not_sent_again_to_outbound(chat, bot, receiver, clock):
    chat.say("u-zhang", "5号楼电梯又坏了，老人上不去楼")
    report = deliver_due(bot, clock())
    assert report.sent == 0 and receiver.posts == []


def test_duplicate_delivery_does_nothing_twice(chat, bot):
    payload = chat.payload("u-zhang", "2号楼楼道灯不亮了", msg_id="dup-1")
    first = chat.post(payload).get_json()
    second = chat.post(payload).get_json()
    assert [r["kind"] for r in first["replies"]] == ["reply", "ping"]
    assert second == {"ok": True, "duplicate": True, "replies": []}
    with bot.store.transaction() as repos:
        assert len(repos.cases.open_in_community("sunshine")) == 1


def test_same_msg_id_in_another_group_is_not_a_duplicate(chat):
    """Dedupe is by channel + group + msg_id ("a msg_id already seen in that group",
    interfaces.md): a bridge whose ids are unique per group loses nothing."""
    chat.post(chat.payload("u-zhang", "早", msg_id="x-1"))
    again = chat.post(chat.payload("u-zhang", "早", msg_id="x-1", group_id="g-2")).get_json()
    assert "duplicate" not in again


def test_malformed_json_is_400(chat):
    resp = chat.post(b"{not json")
    assert resp.status_code == 400
    assert resp.get_json() == {"ok": False, "error": "malformed JSON"}


def test_missing_field_is_400_naming_it(chat):
    payload = chat.payload("u-zhang", "hi")
    del payload["group_id"]
    resp = chat.post(payload)
    assert resp.status_code == 400 and "group_id" in resp.get_json()["error"]


def test_wrong_type_is_400(chat):
    for bad in ({"text": 12}, {"mentions": "u-1"}, {"quote": "x"}, {"sent_at": "yesterday"},
                {"sent_at": "2026-11-21T09:00:00"}, {"sender_name": 5}):
        resp = chat.post({**chat.payload("u-zhang", "hi"), **bad})
        assert resp.status_code == 400, bad
        assert resp.get_json()["ok"] is False


def test_non_object_body_is_400(chat):
    assert chat.post(b"[1, 2]").status_code == 400


def test_oversize_body_is_413(chat):
    payload = chat.payload("u-zhang", "长" * (MAX_BODY // 2))
    resp = chat.post(payload)
    assert resp.status_code == 413
    assert resp.get_json()["ok"] is False


def test_body_just_under_limit_is_accepted(chat):
    payload = chat.payload("u-zhang", "")
    room = MAX_BODY - len(json.dumps(payload).encode()) - 10
    payload["text"] = "a" * room
    assert chat.post(payload).status_code == 200


def test_missing_signature_is_401(chat):
    resp = chat.post(chat.payload("u-zhang", "hi"), secret="")
    assert resp.status_code == 401 and resp.get_json()["ok"] is False


def test_wrong_signature_is_401(chat):
    resp = chat.post(chat.payload("u-zhang", "hi"), secret="another-secret")
    assert resp.status_code == 401


def test_stale_and_future_timestamps_are_401(chat):
    assert chat.post(chat.payload("u-zhang", "hi"), ts=time.time() - 301).status_code == 401
    assert chat.post(chat.payload("u-zhang", "hi"), ts=time.time() + 301).status_code == 401
    assert chat.post(chat.payload("u-zhang", "hi"), ts=time.time() - 250).status_code == 200


def test_signature_over_other_body_is_401(chat):
    body = json.dumps(chat.payload("u-zhang", "hi")).encode()
    ts = str(int(time.time()))
    resp = chat.client.post("/bridge/messages", data=body, headers={
        "Content-Type": "application/json", "X-Bot-Timestamp": ts,
        "X-Bot-Signature": sign(SECRET, ts, body + b" ")})
    assert resp.status_code == 401


def test_bad_timestamp_header_is_401(chat):
    resp = chat.post(chat.payload("u-zhang", "hi"), headers={"X-Bot-Timestamp": "soon"})
    assert resp.status_code == 401


def test_unsigned_requests_accepted_when_no_secret(db_url, clock):
    from bot import create_app
    from tests.conftest import Chat, make_config

    app = create_app(make_config(db_url, secret=""), clock=clock)
    try:
        chat = Chat(app.test_client(), clock, secret="")
        assert chat.post(chat.payload("u-zhang", "早上好")).status_code == 200
    finally:
        app.extensions["linli"].engine.dispose()


def test_unknown_group_is_registered_under_first_community(chat, bot):
    chat.say("u-new", "大家好", group_id="g-new", group_name="新建楼栋群")
    with bot.store.transaction() as repos:
        group = repos.groups.get("g-new")
        assert group.community_id == "sunshine" and group.name == "新建楼栋群"
        member = repos.members.by_external("sunshine", "u-new")
        assert member.role_codes == {"resident"}


def _queue(bot, clock, texts_, group="g-1", kind="notice"):
    with bot.store.transaction() as repos:
        grp = repos.groups.get(group)
        posts = [Outgoing(text=t, kind=kind, key=f"test:{group}:{t}") for t in texts_]
        queue_posts(repos, posts, group=grp, now=clock(), config=bot.config)


def test_later_posts_go_to_outbound_url_signed(bot, receiver, clock):
    _queue(bot, clock, ["通知一"])
    assert deliver_due(bot, clock()).sent == 1
    assert [p["text"] for p in receiver.posts] == ["通知一"]
    post, headers = receiver.posts[0], receiver.headers[0]
    assert post["kind"] == "notice" and post["group_id"] == "g-1"
    assert post["msg_id"].startswith("out-") and post["mentions"] == []
    assert headers["X-Bot-Signature"] == sign(SECRET, headers["X-Bot-Timestamp"], headers["_raw"])


def test_failed_delivery_retries_with_backoff_in_order(bot, receiver, clock):
    _queue(bot, clock, ["第一条", "第二条"])
    receiver.fail_next = 2
    report = deliver_due(bot, clock())
    assert report.sent == 0 and report.retried == 1 and receiver.posts == []
    # not due again before the backoff
    assert deliver_due(bot, clock() + timedelta(seconds=2)).sent == 0
    assert receiver.posts == []
    # second failure, then success: both posts arrive once each, in order
    deliver_due(bot, clock() + timedelta(seconds=6))
    assert receiver.posts == []
    report = deliver_due(bot, clock() + timedelta(minutes=1))
    assert report.sent == 2
    assert [p["text"] for p in receiver.posts] == ["第一条", "第二条"]
    assert deliver_due(bot, clock() + timedelta(hours=1)).sent == 0


def test_one_groups_failure_does_not_hold_another(bot, receiver, clock):
    with bot.store.transaction() as repos:
        repos.groups.register("g-2", community_id="sunshine", name="二号群", channel="bridge",
                              now=clock())
    _queue(bot, clock, ["一群的"])
    _queue(bot, clock, ["二群的"], group="g-2")
    receiver.fail_next = 1
    report = deliver_due(bot, clock())
    assert report.sent == 1 and report.retried == 1


def test_unreachable_receiver_is_retried_not_lost(bot, clock, receiver):
    receiver.close()
    _queue(bot, clock, ["稍后送达"])
    assert deliver_due(bot, clock()).retried == 1
    with bot.store.transaction() as repos:
        row = repos.outbox.recent_in_group("g-1", 1)[0]
        assert row.state == "pending" and row.attempts == 1 and row.last_error


def test_tick_delivers_pending_posts(bot, receiver, clock):
    _queue(bot, clock, ["定时消息"])
    summary = run_tick(bot, clock())
    assert summary.delivered == 1 and receiver.posts[0]["text"] == "定时消息"
    assert "delivered 1 posts" in summary.line(bot.config.tz)


def test_rate_limited_receiver_gets_the_post_later_exactly_once(bot, receiver, clock):
    _queue(bot, clock, ["限流后送达"])
    receiver.fail_next, receiver.fail_status, receiver.retry_after = 1, 429, "120"
    assert deliver_due(bot, clock()).retried == 1
    assert deliver_due(bot, clock() + timedelta(seconds=119)).sent == 0   # Retry-After kept
    assert deliver_due(bot, clock() + timedelta(seconds=121)).sent == 1
    assert deliver_due(bot, clock() + timedelta(hours=1)).sent == 0
    assert [p["text"] for p in receiver.posts] == ["限流后送达"]


def test_a_post_to_another_group_goes_through_the_outbox(chat, bot, receiver, clock):
    """Only answers in the conversation come back inline; a post a handler aims at
    another group is delivered later to that group."""
    with bot.store.transaction() as repos:
        repos.groups.register("g-staff", community_id="sunshine", name="维修调度群",
                              channel="bridge", now=clock())

    def tell_staff(ctx, args):
        ctx.reply("收到")
        ctx.replies.append(Outgoing(text="转给维修群", kind="notice", group_id="g-staff"))

    object.__setattr__(bot.dispatcher.find("帮助")[0], "callback", tell_staff)
    assert chat.say("u-zhang", "/帮助") == ["收到"]
    assert deliver_due(bot, clock()).sent == 1
    assert [(p["group_id"], p["text"]) for p in receiver.posts] == [("g-staff", "转给维修群")]
