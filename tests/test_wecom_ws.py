"""The AI bot's long connection against a fake WebSocket server on loopback: subscribe,
heartbeats, callbacks in and `aibot_respond_msg` out, pushes, reconnecting after a drop,
backing off on errcode 45009, one connection per bot across processes (the lease), and
garbled frames or message bodies of the wrong shape ignored without dropping the link."""

from __future__ import annotations

import time

import pytest

from bot import start_long_connection
from bot.channels.wecom_webhook import PushUnavailable
from bot.channels.wecom_ws import LongConnection
from tests.conftest import _ENGINES
from tests.fake_wecom import (
    FAST,
    WECOM_GROUP,
    AibotPeer,
    wait_for,
    wecom_config,
)


@pytest.fixture
def wbot(db_url, clock, qyapi, ws):
    from bot import create_app

    flask_app = create_app(wecom_config(db_url, api_base=qyapi.url, ws_url=ws.url,
                                        mode="websocket"), clock=clock)
    bot = flask_app.extensions["linli"]
    _ENGINES.append(bot.engine)
    yield bot
    bot.engine.dispose()


@pytest.fixture
def client(wbot):
    conn = start_long_connection(wbot, **FAST)
    assert conn.wait_connected(5)
    yield conn
    conn.stop()


def _message(userid, text, **kwargs):
    return AibotPeer(None).message(userid, text, **kwargs)


def test_subscribes_and_sends_heartbeats(client, ws):
    assert ws.subscribes == [{"bot_id": "bot-1", "secret": "bot-secret"}]
    assert client.connected and client.holds_lease
    assert wait_for(lambda: ws.pings >= 2)
    assert ws.connections == 1                                # acked pings keep the link


def test_message_callbacks_are_answered_with_respond_msg(client, ws, wbot):
    body = _message("u-zhang", "3号楼2单元楼道灯坏了三天了", msgid="ws-1")
    req_id = ws.inject(body)
    assert wait_for(lambda: ws.responses_to(req_id))
    [frame] = ws.responses_to(req_id)
    stream = frame["body"]["stream"]
    assert frame["cmd"] == "aibot_respond_msg" and frame["body"]["msgtype"] == "stream"
    assert stream["finish"] is True and stream["content"].startswith("已受理 #")
    again = ws.inject(body)                                   # WeCom redelivers the msgid
    assert wait_for(lambda: ws.responses_to(again))
    assert ws.responses_to(again)[0]["body"]["stream"]["content"] == stream["content"]
    with wbot.store.transaction() as repos:
        assert len(repos.cases.open_in_community("sunshine")) == 1
        assert repos.groups.get(WECOM_GROUP).channel == "wecom"


def test_push_sends_markdown_to_the_chat_and_waits_for_the_ack(client, ws):
    assert client.push_markdown(WECOM_GROUP, "今日汇总") == (0, "ok")
    assert ws.pushes == [{"chatid": WECOM_GROUP, "msgtype": "markdown",
                          "markdown": {"content": "今日汇总"}}]


def test_reconnects_after_the_server_drops_the_connection(client, ws):
    ws.drop()
    assert wait_for(lambda: ws.connections == 2 and client.connected)
    assert len(ws.subscribes) == 2
    assert client.push_markdown(WECOM_GROUP, "又连上了") == (0, "ok")


def test_unanswered_heartbeats_drop_the_link_and_it_comes_back(client, ws):
    ws.answer_pings = False
    assert wait_for(lambda: ws.connections >= 2, timeout=5)
    ws.answer_pings = True
    assert wait_for(lambda: client.connected)


def test_subscribe_refused_with_45009_backs_off(wbot, ws):
    ws.subscribe_errors = [45009]
    conn = start_long_connection(wbot, **FAST)
    try:
        assert conn.wait_connected(5) and wait_for(lambda: len(ws.subscribes) == 1)
        assert ws.connections == 2
        assert ws.connection_times[1] - ws.connection_times[0] >= FAST["backoff_max"] - 0.05
    finally:
        conn.stop()


def test_only_one_process_connects_per_bot(wbot, ws, client):
    other = LongConnection(wbot, holder="another-process", **FAST).start()
    try:
        time.sleep(1.0)
        assert ws.connections == 1 and not other.connected and not other.holds_lease
        client.stop()                                        # releases the lease
        assert wait_for(lambda: other.connected)
        assert ws.connections == 2
    finally:
        other.stop()


def test_stop_closes_and_releases_the_lease(wbot, ws):
    conn = start_long_connection(wbot, **FAST)
    assert conn.wait_connected(5)
    conn.stop()
    assert not conn.connected
    with pytest.raises(PushUnavailable):
        conn.push_markdown(WECOM_GROUP, "x")
    with wbot.store.transaction() as repos:
        assert repos.leases.acquire(conn.lease_name, "someone-else", conn.wall_clock(),
                                    conn.lease_ttl)


# --- frames of the wrong shape (hardening #6) ------------------------------------------------

GARBLED_FRAMES = [
    "not json at all",
    "[1, 2, 3]",
    '"a string"',
    "[" * 5000 + "]" * 5000,
    '{"cmd": "aibot_msg_callback", "headers": "r-1", "body": "3号楼灯坏了"}',
    '{"cmd": "aibot_msg_callback", "headers": {"req_id": ["r"]}, "body": [1]}',
    '{"cmd": "aibot_event_callback", "headers": {"req_id": "e-1"}, "body": {"event": "x"}}',
    '{"cmd": "aibot_event_callback", "headers": {"req_id": "e-2"}, "body": "y"}',
    '{"headers": {"req_id": 5}, "errcode": "abc", "errmsg": {"x": 1}}',
    '{"headers": null, "errcode": 1e400}',
    '{"cmd": ["aibot_msg_callback"], "headers": {"req_id": "r-2"}, "body": {}}',
]

WRONG_BODIES = [
    {"from": "u-zhang"},
    {"text": "3号楼楼道灯坏了"},
    {"msgtype": "mixed", "mixed": "3号楼楼道灯坏了"},
    {"msgtype": "mixed", "mixed": {"msg_item": [{"msgtype": "text", "text": ["x"]}]}},
    {"chatid": ["x"]},
    {"msgid": {"id": 1}},
]


def test_garbled_frames_and_wrong_bodies_are_ignored_and_the_link_stays(client, ws, wbot):
    for text in GARBLED_FRAMES:
        ws.send_raw(text)
    wrong = []
    for changes in WRONG_BODIES:
        body = _message("u-zhang", "3号楼2单元楼道灯坏了三天了")
        body.update(changes)
        wrong.append(ws.inject(body))
    ok = ws.inject(_message("u-zhang", "5号楼电梯又坏了，老人上不去楼", msgid="ws-ok"))
    assert wait_for(lambda: ws.responses_to(ok))
    assert ws.responses_to(ok)[0]["body"]["stream"]["content"].startswith("已受理 #")
    assert all(ws.responses_to(r) == [] for r in wrong)
    assert ws.connections == 1 and client.connected        # never dropped
    with wbot.store.transaction() as repos:
        [case] = repos.cases.open_in_community("sunshine")
        assert "电梯" in case.text


def test_frame_fields_of_the_wrong_type_are_read_safely():
    from bot.channels.wecom_ws import errcode_of, req_id_of

    assert errcode_of({"errcode": "abc"}) == -1 and errcode_of({"errcode": 1e400}) == -1
    assert errcode_of({}) == 0 and errcode_of({"errcode": "45009"}) == 45009
    assert req_id_of({"headers": "x"}) == "" and req_id_of({"headers": {"req_id": 5}}) == ""
