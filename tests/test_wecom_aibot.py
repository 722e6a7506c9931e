"""The WeCom AI bot's HTTP callback with real encrypted traffic built with wechatpy: URL
verification, messages (the @bot prefix, quotes, 1:1 chats), the encrypted stream
reply, retried callbacks, bad signatures and stale timestamps, events; payloads of the
wrong shape (400, nothing stored) and the signature checked before any parsing."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.wecom_crypto import CallbackCrypto, CallbackRejected, signature
from tests.conftest import _ENGINES
from tests.fake_wecom import (
    AES_KEY,
    CORP_ID,
    TOKEN,
    WECOM_GROUP,
    AibotPeer,
    wecom_config,
)


@pytest.fixture
def wecom(db_url, clock, qyapi):
    from bot import create_app

    flask_app = create_app(wecom_config(db_url, api_base=qyapi.url), clock=clock)
    _ENGINES.append(flask_app.extensions["linli"].engine)
    yield flask_app
    flask_app.extensions["linli"].engine.dispose()


@pytest.fixture
def peer(wecom):
    return AibotPeer(wecom.test_client())


@pytest.fixture
def wbot(wecom):
    return wecom.extensions["linli"]


def _counts(bot):
    with bot.store.transaction() as repos:
        return (len(repos.inbound.recent_in_group(WECOM_GROUP, 100)),
                len(repos.cases.open_in_community("sunshine")))


# --- crypto -----------------------------------------------------------------------------------

def test_crypto_round_trip_long_cjk_and_receive_id():
    crypto = CallbackCrypto(TOKEN, AES_KEY, "")
    payload = {"msgtype": "stream", "stream": {"id": "s", "finish": True,
                                                "content": "楼道灯坏了" * 1200}}
    env = crypto.encrypt_json(payload, nonce="abc", timestamp=str(int(time.time())))
    assert env["msgsignature"] == signature(TOKEN, env["timestamp"], "abc", env["encrypt"])
    body = json.dumps({"encrypt": env["encrypt"]}).encode()
    assert crypto.decrypt_json(body, env["msgsignature"], env["timestamp"], "abc") == payload
    with pytest.raises(CallbackRejected, match="decrypt"):
        CallbackCrypto(TOKEN, AES_KEY, CORP_ID).decrypt(env["encrypt"])  # wrong receive id
    with pytest.raises(CallbackRejected, match="signature"):
        crypto.decrypt_json(body, "f" * 40, env["timestamp"], "abc")
    with pytest.raises(CallbackRejected, match="window"):
        old = str(int(time.time()) - 3600)
        crypto.verify(signature(TOKEN, old, "abc", "x"), old, "abc", "x")


def test_config_needs_the_credentials_of_the_chosen_mode():
    from bot.config import ConfigError
    from bot.config_file import config_from_dict

    def problems(aibot: dict) -> list:
        raw = {"communities": [{"id": "c", "name": "小区"}],
               "channels": {"wecom_aibot": {"enabled": True, **aibot}}}
        try:
            config_from_dict(raw, environ={})
        except ConfigError as exc:
            return exc.problems
        return []

    assert problems({"token": "t"})[0][0] == "channels.wecom_aibot"
    assert "bot_id" in problems({"mode": "websocket"})[0][1]
    assert problems({"mode": "websocket", "bot_id": "b", "secret": "s"}) == []
    assert problems({"token": "t", "encoding_aes_key": AES_KEY}) == []


# --- URL verification -------------------------------------------------------------------------

def test_url_verification_answers_the_plaintext_at_once(peer):
    start = time.monotonic()
    resp = peer.client.get("/wecom/aibot", query_string=peer.echo_query("5927782489442352469"))
    assert time.monotonic() - start < 1.0
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    assert resp.get_data() == b"5927782489442352469"


def test_url_verification_with_a_bad_signature_is_refused(peer):
    resp = peer.client.get("/wecom/aibot", query_string=peer.echo_query("x", token="other"))
    assert resp.status_code == 401


# --- messages ---------------------------------------------------------------------------------

def test_complaint_opens_a_case_and_the_answer_is_an_encrypted_stream(peer, wbot):
    content = peer.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
    assert content.startswith("已受理 #") and "@王师傅" in content
    with wbot.store.transaction() as repos:
        group = repos.groups.get(WECOM_GROUP)
        assert group.channel == "wecom"
        [row] = repos.inbound.recent_in_group(WECOM_GROUP, 5)
        assert row.channel == "wecom_aibot" and row.sender_id == "u-zhang"
        assert row.text == "3号楼2单元楼道灯坏了三天了"             # the @bot prefix is gone
        [case] = repos.cases.open_in_community("sunshine")
        assert case.group_id == WECOM_GROUP and case.complainants[0].member.external_id == \
            "u-zhang"


def test_a_retried_callback_gets_the_same_answer_and_changes_nothing(peer, wbot):
    payload = peer.message("u-zhang", "5号楼电梯又坏了，老人上不去楼", msgid="retry-1")
    first = peer.read(peer.post(payload))
    second = peer.read(peer.post(payload))
    assert first == second and first["stream"]["content"].startswith("已受理 #")
    assert _counts(wbot) == (1, 1)


def test_bad_signature_is_refused_and_nothing_is_processed(peer, wbot):
    body, query = peer.encrypt(peer.message("u-zhang", "2号楼楼道灯不亮了"))
    resp = peer.client.post("/wecom/aibot", data=body, content_type="application/json",
                            query_string={**query, "msg_signature": "0" * 40})
    assert resp.status_code == 401
    stale = str(int(time.time()) - 3600)
    assert peer.post(peer.message("u-zhang", "2号楼楼道灯不亮了"), ts=stale).status_code == 401
    resp = peer.client.post("/wecom/aibot", data=b"{oops", query_string=query,
                            content_type="application/json")
    assert resp.status_code == 400
    assert _counts(wbot) == (0, 0)


def test_events_refreshes_and_lone_group_images_are_answered_empty(peer, wbot):
    event = {"msgid": "ev-1", "aibotid": "bot-1", "chattype": "single",
             "from": {"userid": "u-zhang"}, "msgtype": "event",
             "event": {"eventtype": "enter_chat"}}
    assert peer.read(peer.post(event)) is None
    refresh = {"msgid": "st-1", "msgtype": "stream", "stream": {"id": "linli-x"},
               "from": {"userid": "u-zhang"}, "chattype": "group", "chatid": WECOM_GROUP}
    assert peer.read(peer.post(refresh)) is None
    assert _counts(wbot) == (0, 0)
    # a photo alone with no case nearby is kept with its message, quietly (its
    # unreachable URL refuses the photo, not the message: tests/test_wecom_photos.py)
    image = {**peer.message("u-zhang", ""), "msgtype": "image",
             "image": {"url": "http://127.0.0.1:9/a.jpg"}}
    assert peer.read(peer.post(image)) is None
    assert _counts(wbot) == (1, 0)


def test_chatter_gets_an_empty_answer(peer):
    assert peer.say("u-zhang", "大家早上好") == ""


def test_commands_work_after_the_bot_mention(peer):
    assert "/报修" in peer.say("u-zhang", "/帮助")


def test_one_to_one_chat_uses_the_userid_as_group(peer, wbot):
    content = peer.say("u-gao", "/报修 7号楼门禁坏了", chatid=None)
    assert content.startswith("已受理 #")
    with wbot.store.transaction() as repos:
        group = repos.groups.get("u-gao")
        assert group.channel == "wecom" and group.name == "私聊:u-gao"


def test_a_group_first_seen_is_registered_as_wecom(peer, wbot):
    peer.say("u-zhang", "大家好", chatid="wrchat-new")
    with wbot.store.transaction() as repos:
        group = repos.groups.get("wrchat-new")
        assert group.channel == "wecom" and group.community_id == "sunshine"


def test_staff_quoting_the_bot_names_the_case(peer, wbot):
    opened = peer.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
    peer.say("u-zhang", "8号楼垃圾好几天没人清了")                  # another open case
    peer.say("u-wang", "好的马上过去", quote=opened)
    case_id = int(opened.split("#")[1].split()[0])
    with wbot.store.transaction() as repos:
        assert repos.cases.get(case_id).state == "acknowledged"


# --- payloads of the wrong shape (hardening #6) and the signature first (#7) -----------------

def _text_message(peer, **changes):
    body = peer.message("u-zhang", "3号楼2单元楼道灯坏了三天了")
    body.update(changes)
    return body


WRONG_SHAPES = [
    {"from": "u-zhang"},                                          # not an object
    {"from": {"userid": 42}},
    {"from": None},
    {"text": "3号楼楼道灯坏了"},                                    # text not an object
    {"text": {"content": ["3号楼楼道灯坏了"]}},
    {"msgtype": "mixed", "mixed": "3号楼楼道灯坏了"},               # mixed not an object
    {"msgtype": "mixed", "mixed": {"msg_item": "3号楼"}},
    {"msgtype": "mixed", "mixed": {"msg_item": [1, 2]}},
    {"msgtype": "mixed", "mixed": {"msg_item": [{"msgtype": "text", "text": "灯坏了"}]}},
    {"msgtype": "voice", "voice": ["灯坏了"]},
    {"quote": "已受理 #1"},
    {"quote": {"msgtype": "text", "text": 7}},
    {"msgid": 12345},
    {"msgid": "m" * 201},
    {"chatid": {"id": WECOM_GROUP}},
    {"chatid": "c" * 129},
    {"msgtype": ["text"]},
    {"text": {"content": "\ud800 3号楼楼道灯坏了"}},                   # a lone surrogate
]


@pytest.mark.parametrize("changes", WRONG_SHAPES, ids=range(len(WRONG_SHAPES)))
def test_a_message_of_the_wrong_shape_is_refused_with_400(peer, wbot, changes):
    resp = peer.post(_text_message(peer, **changes))
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.get_json()["ok"] is False and "field" in resp.get_json()["error"]
    assert _counts(wbot) == (0, 0)
    with wbot.store.transaction() as repos:
        assert repos.inbound.recent_in_group("u-zhang", 5) == []
    assert peer.say("u-zhang", "3号楼2单元楼道灯坏了三天了").startswith("已受理 #")


def test_events_of_the_wrong_shape_are_answered_empty(peer, wbot):
    event = {"msgid": "ev-2", "msgtype": "event", "from": "u-zhang", "event": "enter_chat"}
    assert peer.read(peer.post(event)) is None
    assert _counts(wbot) == (0, 0)


def test_nul_characters_in_a_message_are_removed(peer, wbot):
    assert peer.say("u-zhang", "3号楼2单元\x00楼道灯坏了三天了").startswith("已受理 #")
    with wbot.store.transaction() as repos:
        [row] = repos.inbound.recent_in_group(WECOM_GROUP, 5)
        assert "\x00" not in row.text


def _forbid_parsing(monkeypatch):
    """Make any JSON or XML parsing in the callback crypto fail the test."""
    import bot.channels.wecom_crypto as crypto_module

    class NoParsing:
        @staticmethod
        def loads(*_args, **_kwargs):
            raise AssertionError("the body was parsed before its signature was checked")

        dumps = staticmethod(json.dumps)
        JSONDecodeError = json.JSONDecodeError

    monkeypatch.setattr(crypto_module, "json", NoParsing)


def test_a_deeply_nested_body_with_a_bad_signature_is_refused_before_parsing(
        peer, wbot, monkeypatch):
    body, query = peer.encrypt(peer.message("u-zhang", "2号楼楼道灯不亮了"))
    encrypt = json.loads(body)["encrypt"]
    deep = (b'{"encrypt": "' + encrypt.encode() + b'", "x": ' + b"[" * 200_000 +
            b"]" * 200_000 + b"}")
    no_encrypt = b"[" * 200_000 + b"]" * 200_000
    _forbid_parsing(monkeypatch)
    bad = {**query, "msg_signature": "0" * 40}
    for data, params, status in [(deep, bad, 401), (no_encrypt, bad, 400),
                                 (deep, {}, 401), (no_encrypt, query, 400)]:
        resp = peer.client.post("/wecom/aibot", data=data, query_string=params,
                                content_type="application/json")
        assert resp.status_code == status, (status, resp.get_data(as_text=True))
    assert _counts(wbot) == (0, 0)


def test_an_authentic_deeply_nested_envelope_is_a_400(peer, wbot):
    body, query = peer.encrypt(peer.message("u-zhang", "2号楼楼道灯不亮了"))
    deep = body[:-1] + b', "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    resp = peer.client.post("/wecom/aibot", data=deep, query_string=query,
                            content_type="application/json")
    assert resp.status_code == 400 and _counts(wbot) == (0, 0)


def test_an_escaped_slash_in_the_ciphertext_is_read():
    crypto = CallbackCrypto(TOKEN, AES_KEY, "")
    env = crypto.encrypt_json({"msgtype": "event"}, nonce="abc",
                              timestamp=str(int(time.time())))
    body = json.dumps({"encrypt": env["encrypt"]}).replace("/", "\\/").encode()
    assert crypto.decrypt_json(body, env["msgsignature"], env["timestamp"], "abc") == \
        {"msgtype": "event"}


_json_leaves = (st.none() | st.booleans() | st.integers() | st.text(max_size=20))
_json_values = st.recursive(_json_leaves, lambda inner: st.lists(inner, max_size=3) |
                            st.dictionaries(st.text(max_size=8), inner, max_size=3),
                            max_leaves=8)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(changes=st.dictionaries(
    st.sampled_from(["msgid", "msgtype", "from", "chatid", "chattype", "text", "mixed",
                     "voice", "quote", "event"]), _json_values, max_size=4))
def test_fuzzed_callbacks_never_500(peer, changes):
    resp = peer.post(_text_message(peer, **changes))
    assert resp.status_code in (200, 400), resp.get_data(as_text=True)


def test_a_signature_with_non_ascii_characters_is_unauthorised(peer, wbot):
    """Found by scripts/probe.py: compare_digest raised on a non-ASCII str (a 500)."""
    body, query = peer.encrypt(peer.message("u-zhang", "2号楼楼道灯不亮了"))
    resp = peer.client.post("/wecom/aibot", data=body, content_type="application/json",
                            query_string={**query, "msg_signature": "签名" * 20})
    assert resp.status_code == 401
    echo = {**peer.echo_query("x"), "msg_signature": "é" * 40}
    assert peer.client.get("/wecom/aibot", query_string=echo).status_code == 401
    assert _counts(wbot) == (0, 0)
