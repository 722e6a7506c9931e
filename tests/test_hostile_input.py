"""Hostile input on the bridge gets a 4xx, never a 500 and never a poison message: NUL
bytes, overlong ids, lone surrogates, absurd times, deep JSON, huge timestamps, the wrong
content type — and a bounded hypothesis fuzz of the whole body, on both databases."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.bridge import signed_headers
from tests.conftest import SECRET

FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _post_raw(chat, body: bytes, content_type: str = "application/json", ts=None):
    import time

    headers = {"Content-Type": content_type,
               **signed_headers(SECRET, body, time.time() if ts is None else ts)}
    return chat.client.post("/bridge/messages", data=body, headers=headers)


def test_nul_bytes_are_removed_and_stored_safely(chat, bot):
    replies = chat.say("u-zhang", "3号楼\x00电梯坏了", sender_name="张\x00阿姨")
    assert replies
    with bot.store.transaction() as repos:
        case = repos.cases.get(chat.last["replies"][0]["case_id"])
        assert "\x00" not in case.text and "\x00" not in case.complainants[0].member.name


@pytest.mark.parametrize(("field", "size"), [("msg_id", 201), ("group_id", 129),
                                             ("sender_id", 129)])
def test_overlong_ids_are_refused(chat, field, size):
    payload = chat.payload("u-zhang", "电梯坏了")
    payload[field] = "x" * size
    resp = chat.post(payload)
    assert resp.status_code == 400 and field in resp.get_json()["error"]


def test_overlong_names_are_cut(chat):
    resp = chat.post(chat.payload("u-zhang", "你好", sender_name="名" * 500,
                                  group_name="群" * 500))
    assert resp.status_code == 200


def test_lone_surrogate_is_refused(chat):
    body = json.dumps(chat.payload("u-zhang", "\ud800电梯坏了")).encode()
    resp = _post_raw(chat, body)
    assert resp.status_code == 400 and "Unicode" in resp.get_json()["error"]


@pytest.mark.parametrize("sent_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                     "2026-11-20T10:00:00+23:59", "2030-01-01T00:00:00+08:00"])
def test_absurd_times_are_refused(chat, sent_at):
    resp = chat.post(chat.payload("u-zhang", "电梯坏了", sent_at=sent_at))
    assert resp.status_code == 400 and "sent_at" in resp.get_json()["error"]


def test_deep_json_is_refused(chat):
    resp = _post_raw(chat, b"[" * 50_000 + b"]" * 50_000)
    assert resp.status_code == 400


def test_huge_timestamp_is_unauthorised(chat):
    body = json.dumps(chat.payload("u-zhang", "电梯坏了")).encode()
    resp = chat.client.post("/bridge/messages", data=body, headers={
        "Content-Type": "application/json", "X-Bot-Timestamp": "9" * 400,
        "X-Bot-Signature": "00"})
    assert resp.status_code == 401


def test_only_json_is_accepted(chat):
    body = json.dumps(chat.payload("u-zhang", "电梯坏了")).encode()
    assert _post_raw(chat, body, content_type="text/plain").status_code == 415


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) |
    st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)


@FUZZ
@given(extra=st.dictionaries(st.sampled_from(["msg_id", "group_id", "sender_id", "text",
                                              "sent_at", "sender_name", "group_name",
                                              "mentions", "quote", "images", "voice_text"]),
                             _json_values, max_size=6))
def test_fuzzed_payloads_never_500(chat, extra):
    payload = chat.payload("u-fuzz", "3号楼电梯坏了")
    payload.update(extra)
    try:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
    except (TypeError, ValueError):
        return
    resp = _post_raw(chat, body)
    assert resp.status_code in (200, 400), resp.get_data(as_text=True)


@FUZZ
@given(body=st.binary(max_size=300))
def test_fuzzed_bytes_never_500(chat, body):
    assert _post_raw(chat, body).status_code in (200, 400)


def test_an_extreme_offset_within_a_day_is_stored(chat):
    resp = chat.post(chat.payload("u-zhang", "你好", sent_at="2026-11-24T10:00:00+23:59"))
    assert resp.status_code == 200


def test_the_same_msg_id_in_another_group_is_another_message(chat):
    first = chat.post(chat.payload("u-zhang", "3号楼电梯坏了", msg_id="dup-1"))
    other = chat.post(chat.payload("u-zhang", "5号楼电梯坏了", msg_id="dup-1", group_id="g-2"))
    assert first.get_json()["replies"] and other.get_json()["replies"]
    assert "duplicate" not in other.get_json()


def test_a_reused_msg_id_with_another_body_is_logged(chat, caplog):
    chat.post(chat.payload("u-zhang", "3号楼电梯坏了", msg_id="dup-2"))
    again = chat.post(chat.payload("u-zhang", "完全不同的内容", msg_id="dup-2"))
    assert again.get_json() == {"ok": True, "duplicate": True, "replies": []}
    assert "msg_id conflict" in caplog.text


def test_an_overlong_command_argument_gets_the_usage_line(chat):
    chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
    case_id = chat.last["replies"][0]["case_id"]
    reply = chat.say("u-wang", f"/进展 #{case_id} " + "很长" * 40_000)[0]
    assert "内容太长了" in reply and len(reply) < 300
    assert "已记录" not in reply


def test_one_body_size_guard_for_every_channel(chat):
    """The bridge takes 256 KiB, anything unknown 64 KiB: both refused in the same JSON."""
    big = b"{" + b" " * (300 * 1024) + b"}"
    resp = _post_raw(chat, big)
    assert resp.status_code == 413 and resp.get_json() == {
        "ok": False, "error": "body larger than 262144 bytes"}
    resp = chat.client.post("/no/such/endpoint", data=b"x" * (70 * 1024))
    assert resp.status_code == 413 and resp.get_json()["ok"] is False


def test_a_signature_with_non_ascii_characters_is_unauthorised(chat):
    """Found by scripts/probe.py: compare_digest raised on a non-ASCII str (a 500)."""
    import time

    body = json.dumps(chat.payload("u-zhang", "电梯坏了")).encode()
    resp = chat.client.post("/bridge/messages", data=body, headers={
        "Content-Type": "application/json", "X-Bot-Timestamp": str(int(time.time())),
        "X-Bot-Signature": "é" * 64})
    assert resp.status_code == 401
