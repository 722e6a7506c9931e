"""The WeCom self-built app: XML callbacks through wechatpy (answered empty at once),
private moderator commands (/档案) answered through message/send with a cached access
token, assignments messaged privately to staff, and customer-group member changes
updating the roster — against a fake qyapi on loopback; authentic callbacks of the wrong
shape answered with an empty 200 and ignored, forged ones refused before parsing."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from wechatpy.enterprise.crypto import PrpCrypto

from bot import texts
from bot.channels.wecom_app import worker_of
from bot.channels.wecom_crypto import signature
from bot.outbox import deliver_due
from scheduler.tick import run_tick
from tests.conftest import TZ, Chat
from tests.fake_wecom import AGENT_ID, CORP_ID, TOKEN


@pytest.fixture
def group_chat(wecom, clock):
    return Chat(wecom.test_client(), clock)


def _private(peer, wecom, userid, text, **kwargs):
    resp = peer.post(peer.text_xml(userid, text, **kwargs))
    assert resp.status_code == 200 and resp.get_data() == b""
    worker_of(wecom).wait_idle()
    return resp


def _to(qyapi, userid):
    """The texts messaged to a member (case cards, sent to pinged staff, left out)."""
    return [m["text"]["content"] for m in qyapi.app_messages
            if m["touser"] == userid and m["msgtype"] == "text"]


def test_url_verification_uses_the_corp_id(peer):
    enc = PrpCrypto(peer.crypto.key).encrypt("echo-123", CORP_ID)
    enc = enc.decode() if isinstance(enc, bytes) else enc
    ts = str(int(time.time()))
    query = {"msg_signature": signature(TOKEN, ts, "n", enc), "timestamp": ts, "nonce": "n",
             "echostr": enc}
    resp = peer.client.get("/wecom/app", query_string=query)
    assert resp.status_code == 200 and resp.get_data() == b"echo-123"
    assert peer.client.get("/wecom/app", query_string={**query, "nonce": "m"}).status_code == 401


def test_history_in_the_private_chat(wecom, peer, group_chat, qyapi):
    group_chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
    group_chat.say("u-gao", "3号楼电梯又坏了，老人上不去楼")
    _private(peer, wecom, "u-li", "/档案 @张阿姨")
    [answer] = _to(qyapi, "u-li")
    assert answer.startswith("📁 张阿姨 的诉求档案")
    assert "共反映 1 件：进行中 1 件" in answer and "#1 " in answer
    assert "附近同类、仍在办理的工单" in answer and "#2 " in answer     # same building
    [sent] = [m for m in qyapi.app_messages if m["touser"] == "u-li"]
    assert sent["agentid"] == AGENT_ID and sent["msgtype"] == "text"
    _private(peer, wecom, "u-li", "/history 张阿姨")
    assert len(_to(qyapi, "u-li")) == 2
    assert qyapi.token_fetches == 1                          # the access token is cached


def test_history_is_refused_in_groups_and_to_residents(wecom, peer, group_chat, qyapi,
                                                       receiver):
    group_chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
    assert group_chat.say("u-li", "/档案 @张阿姨") == [texts.HISTORY_PRIVATE_ONLY]
    _private(peer, wecom, "u-gao", "/档案 @张阿姨")
    [answer] = _to(qyapi, "u-gao")
    assert answer.startswith("抱歉，/档案 只有") and "诉求档案" not in answer


def test_callbacks_are_answered_at_once_and_deduplicated(wecom, wbot, peer, qyapi):
    qyapi.app_delay = 1.5                                     # a slow message/send
    xml = peer.text_xml("u-li", "/帮助", msg_id="424242")
    start = time.monotonic()
    assert peer.post(xml).status_code == 200
    assert time.monotonic() - start < 1.0
    assert peer.post(xml).status_code == 200                  # WeCom's retry
    worker_of(wecom).wait_idle()
    assert len(_to(qyapi, "u-li")) == 1
    with wbot.store.transaction() as repos:
        assert len(repos.inbound.recent_in_group("wecom-app:u-li", 10)) == 1
        assert repos.groups.get("wecom-app:u-li").channel == "wecom_app"


def test_a_bad_signature_is_refused(wecom, wbot, peer):
    resp = peer.post(peer.text_xml("u-li", "/帮助"), bad_signature=True)
    assert resp.status_code == 401
    worker_of(wecom).wait_idle()
    with wbot.store.transaction() as repos:
        assert repos.groups.get("wecom-app:u-li") is None


def test_assignment_is_messaged_privately(wecom, wbot, group_chat, qyapi, clock):
    group_chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
    case_id = group_chat.last["replies"][0]["case_id"]
    replies = group_chat.say("u-zhao", f"/指派 #{case_id} @王师傅")
    assert replies[0].startswith(f"#{case_id}") and "@王师傅" in replies[0]
    assert all(r["group_id"] == "g-1" for r in group_chat.last["replies"])
    deliver_due(wbot, clock())
    # the new case's ping reached 王师傅 as a card, then the assignment did
    ping, dm = [m for m in qyapi.app_messages if m["touser"] == "u-wang"]
    assert ping["template_card"]["main_title"]["title"] == f"新工单 #{case_id}"
    card = dm["template_card"]
    assert card["main_title"]["title"].startswith(f"📌 您被指派处理工单 #{case_id}")
    assert {"keyname": "来自", "value": "阳光小区议事群"} in card["horizontal_content_list"]
    assert [b["text"] for b in card["button_list"]] == ["签收", "转办", "查看"]


def test_an_insult_in_a_discussion_is_flagged_to_the_moderators_privately(
        wecom, wbot, group_chat, qyapi, clock):
    group_chat.say("u-gao", "/议题 3号楼加装电梯")
    group_chat.say("u-li", "/开始 T1")
    assert group_chat.say("u-xiaosun", "你懂个屁") == []       # the group hears nothing
    deliver_due(wbot, clock())
    for moderator in ("u-li", "u-zhao"):                       # 李书记, 赵网格
        [note] = _to(qyapi, moderator)
        assert note == texts.insult_flagged_privately("阳光小区议事群", 1, "3号楼加装电梯",
                                                      "孙女士")
        assert "屁" not in note
    assert _to(qyapi, "u-xiaosun") == []


def test_customer_group_member_changes_update_the_roster(wecom, wbot, peer, qyapi):
    qyapi.group_chats["wrExt-1"] = {
        "chat_id": "wrExt-1", "name": "阳光小区业主群", "member_list": [
            {"userid": "wmResident1", "type": 2, "name": "陈阿姨", "group_nickname": ""},
            {"userid": "u-wang", "type": 1, "name": "Wang", "group_nickname": "王工"}]}
    assert peer.post(peer.external_chat_xml("wrExt-1", "add_member")).status_code == 200
    worker_of(wecom).wait_idle()
    with wbot.store.transaction() as repos:
        assert repos.members.by_external("sunshine", "wmResident1").name == "陈阿姨"
        assert repos.members.by_external("sunshine", "u-wang").name == "王师傅"  # config wins
        before = len(repos.members.in_community("sunshine"))
    assert peer.post(peer.external_chat_xml("wrExt-1", "del_member")).status_code == 200
    worker_of(wecom).wait_idle()
    with wbot.store.transaction() as repos:
        assert len(repos.members.in_community("sunshine")) == before  # history stays


def test_calendar_posts_are_not_sent_to_private_chats(wecom, wbot, peer, qyapi, receiver):
    _private(peer, wecom, "u-li", "/帮助")
    run_tick(wbot, datetime(2026, 11, 30, 9, 1, tzinfo=TZ))   # Monday: 议题征集
    assert any(p["kind"] == "topic" for p in receiver.posts)  # the bridge group gets it
    assert len(_to(qyapi, "u-li")) == 1                       # the private chat does not


def test_a_long_private_message_resumes_after_the_parts_out(wecom, wbot, qyapi, clock):
    """The app sender keeps the one partly-sent rule: the text stays as queued, the parts
    out are stored, and the retry sends only the rest."""
    from datetime import timedelta

    from bot.channels.wecom_app import TEXT_LIMIT
    from bot.channels.wecom_parts import split_utf8
    from bot.domain.groups import ensure_private_group
    from bot.events import Outgoing
    from bot.outbox import queue_posts

    text = "\n".join(f"第{i}件：3号楼2单元楼道灯坏了，已请王师傅处理。" for i in range(200))
    parts = [p.strip("\n") for p in split_utf8(text, TEXT_LIMIT)]
    assert len(parts) >= 4
    with wbot.store.transaction() as repos:
        group = ensure_private_group(repos, "u-li", "sunshine", clock())
        [post] = queue_posts(repos, [Outgoing(text=text, key="test:long-dm")], group=group,
                             now=clock(), config=wbot.config)
        out_id = post.id
    qyapi.app_fail_45009, qyapi.app_fail_after = 1, 2           # part 3 is refused
    assert deliver_due(wbot, clock()).retried == 1
    assert _to(qyapi, "u-li") == parts[:2]
    with wbot.store.transaction() as repos:
        row = repos.outbox.get(out_id)
        assert (row.state, row.text, row.parts_sent) == ("pending", text, 2)
    assert deliver_due(wbot, clock() + timedelta(seconds=61)).sent == 1
    assert _to(qyapi, "u-li") == parts                        # each part once, in order
    with wbot.store.transaction() as repos:
        row = repos.outbox.get(out_id)
        assert (row.state, row.text, row.parts_sent) == ("sent", text, len(parts))


# --- XML fields of the wrong shape (hardening #6) and the signature first (#7) ---------------

def _xml(fields: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>{fields}"
            f"<CreateTime>{int(time.time())}</CreateTime><AgentID>{AGENT_ID}</AgentID></xml>")


TEXT = "<MsgType>text</MsgType>"
WRONG_XML = [
    _xml(TEXT + "<FromUserName><a>u-li</a></FromUserName><Content>/帮助</Content>"
         "<MsgId>1</MsgId>"),                                      # nested: an object
    _xml(TEXT + "<FromUserName>u-li</FromUserName><Content>/帮助</Content>"
         "<Content>/帮助</Content><MsgId>2</MsgId>"),              # repeated: a list
    _xml(TEXT + "<FromUserName>u-li</FromUserName><Content><b>x</b></Content>"
         "<MsgId>3</MsgId>"),
    _xml(TEXT + "<FromUserName>u-li</FromUserName><Content>/帮助</Content>"
         "<MsgId><n>4</n></MsgId>"),
    _xml(TEXT + "<FromUserName>u-li</FromUserName><Content>/帮助</Content>"
         f"<MsgId>{'9' * 201}</MsgId>"),                           # longer than the column
    _xml(TEXT + f"<FromUserName>{'u' * 129}</FromUserName><Content>/帮助</Content>"
         "<MsgId>5</MsgId>"),
    _xml(TEXT + "<Content>/帮助</Content><MsgId>6</MsgId>"),      # no sender
    _xml("<MsgType><t>text</t></MsgType><FromUserName>u-li</FromUserName>"
         "<Content>/帮助</Content><MsgId>7</MsgId>"),
    _xml("<MsgType>event</MsgType><Event>change_external_chat</Event>"
         "<ChatId><x>wrExt-1</x></ChatId><ChangeType>update</ChangeType>"
         "<UpdateDetail>add_member</UpdateDetail><FromUserName>sys</FromUserName>"),
    _xml("<MsgType>event</MsgType><Event>change_external_chat</Event>"
         "<ChatId>wrExt-1</ChatId><ChangeType>update</ChangeType>"
         "<UpdateDetail><d>add_member</d></UpdateDetail><FromUserName>sys</FromUserName>"),
    _xml("<MsgType>event</MsgType><Event>change_external_chat</Event>"
         "<ChatId>wrExt-1</ChatId><ChangeType>update</ChangeType><ChangeType>x</ChangeType>"
         "<UpdateDetail>add_member</UpdateDetail><FromUserName>sys</FromUserName>"),
    "<notxml>",
]


@pytest.mark.parametrize("xml", WRONG_XML, ids=range(len(WRONG_XML)))
def test_an_authentic_callback_of_the_wrong_shape_gets_an_empty_200(wecom, wbot, peer,
                                                                   qyapi, xml, caplog):
    qyapi.group_chats["wrExt-1"] = {"chat_id": "wrExt-1", "member_list": [
        {"userid": "wmNew", "name": "新邻居"}]}
    resp = peer.post(xml)
    assert resp.status_code == 200 and resp.get_data() == b""
    worker_of(wecom).wait_idle()
    assert qyapi.app_messages == []
    assert "Traceback" not in caplog.text and "work failed" not in caplog.text
    with wbot.store.transaction() as repos:
        assert repos.inbound.recent_in_group("wecom-app:u-li", 5) == []
        assert repos.members.by_external("sunshine", "wmNew") is None
    _private(peer, wecom, "u-li", "/帮助")                   # the app still works
    assert len(_to(qyapi, "u-li")) == 1


def test_a_deeply_nested_xml_body_with_a_bad_signature_is_refused_before_parsing(
        wecom, wbot, peer, monkeypatch):
    import xmltodict

    def no_parsing(*_args, **_kwargs):
        raise AssertionError("the body was parsed before its signature was checked")

    monkeypatch.setattr(xmltodict, "parse", no_parsing)
    deep = "<a>" * 100_000 + "</a>" * 100_000
    query = {"msg_signature": "0" * 40, "timestamp": str(int(time.time())), "nonce": "n"}
    for body, status in [(f"<xml><Encrypt>QUJD</Encrypt>{deep}</xml>", 401),
                         (deep, 400)]:
        resp = peer.client.post("/wecom/app", data=body.encode(), content_type="text/xml",
                                query_string=query)
        assert resp.status_code == status, resp.get_data(as_text=True)
    with wbot.store.transaction() as repos:
        assert repos.groups.get("wecom-app:u-li") is None


def test_a_signature_with_non_ascii_characters_is_unauthorised(wecom, peer):
    """Found by scripts/probe.py: compare_digest raised on a non-ASCII str (a 500)."""
    query = {"msg_signature": "签名", "timestamp": str(int(time.time())), "nonce": "n",
             "echostr": "QUJD"}
    assert peer.client.get("/wecom/app", query_string=query).status_code == 401
    resp = peer.client.post("/wecom/app", data=b"<xml><Encrypt>QUJD</Encrypt></xml>",
                            content_type="text/xml", query_string=query)
    assert resp.status_code == 401
