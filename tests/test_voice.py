"""Voice messages: the bridge's `voice_text` and the AI bot's `voice` (speech already
written as text) are heard like typed text, marked as voice in the journal and in the
case's timeline (/工单 #N shows 🎤语音), and asked about more readily when the classifier is
unsure (`cases.voice_ask_band`, wider than `cases.ask_band`)."""

from __future__ import annotations

from bot import texts
from tests.conftest import _ENGINES
from tests.fake_wecom import AibotPeer, wecom_config

# The shipped model gives this about 0.15: below the typed band (0.2), inside the voice one.
UNSURE = "我家马桶水箱一直有水声 是自己找人修还是物业管"


def _inbound(app, group_id="g-1"):
    bot = app.extensions["linli"]
    with bot.store.transaction() as repos:
        return [(row.text, (row.payload or {}).get("via"))
                for row in reversed(repos.inbound.recent_in_group(group_id, 50))]


def test_voice_text_opens_a_case_marked_voice(chat, app):
    replies = chat.say("u-zhang", "", voice_text="3号楼2单元楼道灯坏了三天了")
    assert replies[0].startswith("已受理 #1")
    [detail] = chat.say("u-li", "/工单 #1")
    assert "受理（🎤语音）" in detail
    chat.say("u-wang", "/接单 #1")
    [detail] = chat.say("u-li", "/工单 #1")
    assert "签收（🎤语音）" not in detail and "签收" in detail      # typed: no mark
    assert _inbound(app)[0] == ("3号楼2单元楼道灯坏了三天了", "voice")


def test_voice_text_is_the_text_even_beside_a_caption(chat):
    """A bridge that also fills `text` (a placeholder like [语音]) still gets the words."""
    replies = chat.say("u-zhang", "[语音]", voice_text="5号楼电梯又坏了")
    assert replies[0].startswith("已受理 #1 电梯")
    payload = chat.payload("u-gao", "", voice_text="7号楼楼道灯坏了好几天了")
    del payload["text"]                                            # no text field at all
    resp = chat.post(payload)
    assert resp.status_code == 200
    assert resp.get_json()["replies"][0]["text"].startswith("已受理 #2")


def test_a_voice_message_in_the_unsure_band_gets_the_question(chat):
    assert chat.say("u-zhang", UNSURE) == []                       # typed: below the band
    asked = chat.say("u-gao", "", voice_text=UNSURE)
    assert asked == [texts.ASK_IF_COMPLAINT + "\n@高先生"]
    replies = chat.say("u-gao", "是")
    assert replies[0].startswith("已受理 #1")


def test_the_voice_band_is_configurable(db_url, clock, receiver):
    from bot import create_app
    from tests.conftest import Chat, make_config

    config = make_config(db_url, outbound_url=receiver.url,
                         cases={"voice_ask_band": [0.2, 0.5]})
    flask_app = create_app(config, clock=clock)
    _ENGINES.append(flask_app.extensions["linli"].engine)
    try:
        chat = Chat(flask_app.test_client(), clock)
        assert chat.say("u-gao", "", voice_text=UNSURE) == []      # as narrow as typed
    finally:
        flask_app.extensions["linli"].engine.dispose()


def test_voice_text_of_the_wrong_type_is_refused(chat):
    resp = chat.post(chat.payload("u-zhang", "", voice_text=["3号楼"]))
    assert resp.status_code == 400 and "voice_text" in resp.get_json()["error"]


def test_an_ai_bot_voice_message_is_marked_voice(db_url, clock, qyapi):
    from bot import create_app

    flask_app = create_app(wecom_config(db_url, api_base=qyapi.url), clock=clock)
    _ENGINES.append(flask_app.extensions["linli"].engine)
    try:
        peer = AibotPeer(flask_app.test_client())
        body = peer.message("u-zhang", "", chatid=None)
        body["msgtype"] = "voice"
        body["voice"] = {"content": "3号楼2单元楼道灯坏了三天了"}
        del body["text"]
        reply = peer.read(peer.post(body))
        assert reply["stream"]["content"].startswith("已受理 #1")
        assert _inbound(flask_app, "u-zhang") == [("3号楼2单元楼道灯坏了三天了", "voice")]
    finally:
        flask_app.extensions["linli"].engine.dispose()
