"""One-tap cards over WeCom, through the real paths: a fake qyapi on loopback receives the
staff's private case cards (self-built app) and the card updates; encrypted
``template_card_event`` callbacks POSTed to ``/wecom/app`` act as the typed command would
(the same group post, the same timeline event), once per person and button, and refuse
on the card (and privately) whoever may not act. In WeCom groups the AI bot shows the
rating request and the vote as cards; a tap records the rating or the vote exactly as the
typed words do, and a bystander's tap is refused on their own card."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot import start_long_connection, texts
from bot.channels.wecom_app import worker_of
from bot.outbox import deliver_due
from tests.conftest import _ENGINES, TZ, Chat
from tests.fake_wecom import (
    AGENT_ID,
    FAST,
    WECOM_GROUP,
    AibotPeer,
    AppPeer,
    wait_for,
    wecom_config,
)


def at(hhmm: str, day: int = 24) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 11, day, hours, minutes, tzinfo=TZ)


@pytest.fixture
def wecom_options() -> dict:
    return {"aibot": False}  # staff cards through the self-built app only


@pytest.fixture
def group(wecom, clock):
    return Chat(wecom.test_client(), clock)


def _cards(qyapi, userid):
    return [m["template_card"] for m in qyapi.app_messages
            if m["touser"] == userid and m["msgtype"] == "template_card"]


def _texts(qyapi, userid):
    return [m["text"]["content"] for m in qyapi.app_messages
            if m["touser"] == userid and m["msgtype"] == "text"]


def _card_about(qyapi, userid, case_id):
    [card] = [c for c in _cards(qyapi, userid) if f"#{case_id}" in c["main_title"]["title"]]
    return card


def _button(card, label):
    return next(b["key"] for b in card["button_list"] if b["text"] == label)


def _tap(peer, wecom, userid, card, label, **kwargs):
    xml = peer.card_event_xml(userid, card["task_id"], _button(card, label), **kwargs)
    resp = peer.post(xml)
    assert resp.status_code == 200 and resp.get_data() == b""
    worker_of(wecom).wait_idle()
    return xml


def _events(bot, case_id):
    with bot.store.transaction() as repos:
        return [(e.kind, e.actor.name if e.actor else "", (e.data or {}).get("input"))
                for e in repos.cases.events(case_id)]


def _group_posts(receiver, group_id="g-1"):
    return [p["text"] for p in receiver.posts if p["group_id"] == group_id]


def test_a_new_case_reaches_pinged_staff_as_a_card(wecom, wbot, group, qyapi, clock):
    group.say("u-zhang", "5号楼电梯又坏了，电话13812345678")
    deliver_due(wbot, clock())
    card = _card_about(qyapi, "u-wang", 1)
    assert card["card_type"] == "button_interaction"
    assert card["main_title"]["title"] == "新工单 #1"
    assert [b["text"] for b in card["button_list"]] == ["签收", "转办", "查看"]
    fields = {f["keyname"]: f["value"] for f in card["horizontal_content_list"]}
    assert fields["类别"] == "电梯" and fields["位置"] == "5号楼"
    assert fields["签收期限"] == "11-24 14:00" and fields["来自"] == "阳光小区议事群"
    quote = card["quote_area"]["quote_text"]
    assert "138****5678" in quote and "13812345678" not in quote      # masked
    assert len({c["task_id"] for c in _cards(qyapi, "u-wang")}) == len(_cards(qyapi, "u-wang"))
    assert _cards(qyapi, "u-zhang") == []                           # residents get none


def test_a_card_refused_for_rate_is_retried_in_order(wecom, wbot, group, qyapi, clock):
    from datetime import timedelta

    group.say("u-zhang", "5号楼电梯又坏了")
    group.say("u-zhang", "7号楼电梯也坏了，按钮没反应")
    qyapi.app_fail_45009 = 1                                   # WeCom: too many, wait
    deliver_due(wbot, clock())
    assert _cards(qyapi, "u-wang") == []
    clock.set(clock() + timedelta(seconds=61))
    deliver_due(wbot, clock())
    titles = [c["main_title"]["title"] for c in _cards(qyapi, "u-wang")]
    assert titles == ["新工单 #1", "新工单 #2"]                   # once each, in order


def test_an_overdue_case_reaches_the_next_tier_as_a_card_once(wecom, wbot, group, qyapi,
                                                               clock):
    from scheduler.tick import run_tick

    group.say("u-zhang", "5号楼电梯又坏了")
    run_tick(wbot, at("14:05"))                                 # past the 签收 deadline
    run_tick(wbot, at("14:05"))                                 # the same instant again
    for userid in ("u-zhao", "u-li"):                           # tier 2: 居民区
        [card] = [c for c in _cards(qyapi, userid) if "#1" in c["main_title"]["title"]]
        assert card["main_title"]["title"] == "升级 #1"
    with wbot.store.transaction() as repos:
        assert len(repos.cards.taps(repos.cards.by_task(card["task_id"]))) == 0


def test_a_tap_on_sign_acts_as_the_claim_command(wecom, wbot, group, peer, qyapi, receiver,
                                                 clock):
    group.say("u-zhang", "5号楼电梯又坏了")
    group.say("u-zhang", "7号楼电梯也坏了，按钮没反应")
    deliver_due(wbot, clock())
    typed = group.say("u-wang", "/接单 #2")                     # typed, for comparison
    before = len(receiver.posts)
    _tap(peer, wecom, "u-wang", _card_about(qyapi, "u-wang", 1), "签收",
         response_code="rc-1")
    [post] = _group_posts(receiver)[before:]
    assert post == typed[0].replace("#2", "#1")                 # the same group post
    assert _events(wbot, 1)[-1] == ("acknowledged", "王师傅", "card")
    assert _events(wbot, 2)[-1][:2] == ("acknowledged", "王师傅")
    [update] = qyapi.card_updates
    assert update == {"userids": ["u-wang"], "agentid": AGENT_ID, "response_code": "rc-1",
                      "button": {"replace_name": "王师傅已签收 11-24 10:00"}}
    assert _texts(qyapi, "u-wang") == []                        # nothing else privately


def test_a_second_tap_is_refused_and_a_retry_changes_nothing(wecom, wbot, group, peer, qyapi,
                                                             receiver, clock):
    group.say("u-zhang", "5号楼电梯又坏了")
    deliver_due(wbot, clock())
    card = _card_about(qyapi, "u-wang", 1)
    first = _tap(peer, wecom, "u-wang", card, "签收")
    posts, events = len(receiver.posts), _events(wbot, 1)
    assert peer.post(first).status_code == 200                   # WeCom's retry
    worker_of(wecom).wait_idle()
    assert len(qyapi.card_updates) == 1 and _texts(qyapi, "u-wang") == []
    _tap(peer, wecom, "u-wang", card, "签收")                    # tapped again, later
    assert qyapi.card_updates[-1]["button"]["replace_name"] == "未能操作"
    assert _texts(qyapi, "u-wang") == ["卡片操作未完成：您已经点过这个按钮了。"]
    assert len(receiver.posts) == posts and _events(wbot, 1) == events


def test_a_resident_tapping_a_staff_card_is_refused_on_the_card(wecom, wbot, group, peer,
                                                                qyapi, receiver, clock):
    group.say("u-zhang", "5号楼电梯又坏了")
    deliver_due(wbot, clock())
    posts = len(receiver.posts)
    _tap(peer, wecom, "u-zhang", _card_about(qyapi, "u-wang", 1), "签收")
    [update] = qyapi.card_updates
    assert update["userids"] == ["u-zhang"] and update["button"]["replace_name"] == "未能操作"
    assert _texts(qyapi, "u-zhang") == ["卡片操作未完成：这张卡片是发给别人的，您不能替他操作。"]
    assert len(receiver.posts) == posts                          # not in the group
    with wbot.store.transaction() as repos:
        assert repos.cases.get(1).state == "open"


def test_a_tap_the_command_refuses_is_answered_privately(wecom, wbot, group, peer, qyapi,
                                                         receiver, clock):
    """转办 is for grid workers and moderators: 王师傅's tap gets the command's own refusal,
    privately; 赵网格's gets the usage line (a unit must be named), privately too."""
    group.say("u-zhang", "5号楼电梯又坏了")
    group.say("u-zhao", "/升级 #1")                             # tier 2: the grid worker
    deliver_due(wbot, clock())
    posts = len(receiver.posts)
    _tap(peer, wecom, "u-wang", _card_about(qyapi, "u-wang", 1), "转办")
    [refusal] = _texts(qyapi, "u-wang")
    assert refusal.startswith("卡片操作未完成：") and "/转办" in refusal
    card = _card_about(qyapi, "u-zhao", 1)
    assert card["main_title"]["title"] == "升级 #1"
    _tap(peer, wecom, "u-zhao", card, "转办")
    [usage] = _texts(qyapi, "u-zhao")
    assert usage.startswith("卡片操作未完成：") and "/转办 #编号 单位" in usage
    assert len(receiver.posts) == posts                          # nothing in the group
    with wbot.store.transaction() as repos:
        assert repos.cases.get(1).transferred_to is None


def test_view_sends_the_case_privately(wecom, wbot, group, peer, qyapi, receiver, clock):
    group.say("u-zhang", "5号楼电梯又坏了")
    deliver_due(wbot, clock())
    posts = len(receiver.posts)
    _tap(peer, wecom, "u-wang", _card_about(qyapi, "u-wang", 1), "查看")
    [detail] = _texts(qyapi, "u-wang")
    assert detail.startswith("工单 #1") and "进展记录" in detail
    assert qyapi.card_updates[-1]["button"]["replace_name"].startswith("王师傅详情已发给您")
    assert len(receiver.posts) == posts


def test_the_rating_result_comes_as_a_card(wecom, wbot, group, peer, qyapi, clock):
    group.say("u-zhang", "5号楼电梯又坏了")
    deliver_due(wbot, clock())
    _tap(peer, wecom, "u-wang", _card_about(qyapi, "u-wang", 1), "签收")
    clock.set(at("12:00"))
    group.say("u-wang", "/办结 #1 换了按钮")
    group.say("u-zhang", "满意")
    deliver_due(wbot, clock())
    card = _cards(qyapi, "u-wang")[-1]
    assert card["main_title"]["title"] == "#1 居民评价：满意"
    assert [b["text"] for b in card["button_list"]] == ["查看"]
    _tap(peer, wecom, "u-wang", card, "查看")
    [detail] = _texts(qyapi, "u-wang")
    assert detail.startswith("工单 #1") and "满意" in detail


def test_finish_by_tap_once(wecom, wbot, group, peer, qyapi, receiver, clock):
    group.say("u-zhang", "5号楼电梯又坏了")
    deliver_due(wbot, clock())
    _tap(peer, wecom, "u-wang", _card_about(qyapi, "u-wang", 1), "签收")
    deliver_due(wbot, clock())
    working = _cards(qyapi, "u-wang")[-1]
    assert [b["text"] for b in working["button_list"]] == ["办结", "查看"]
    _tap(peer, wecom, "u-zhang", working, "办结")                # not his card
    assert _texts(qyapi, "u-zhang") == ["卡片操作未完成：这张卡片是发给别人的，您不能替他操作。"]
    clock.set(at("12:00"))
    before = len(receiver.posts)
    _tap(peer, wecom, "u-wang", working, "办结")
    [asked] = _group_posts(receiver)[before:]
    assert asked == texts.case_resolved(1, "王师傅", "") + "\n@张阿姨"   # as /办结 #1
    _tap(peer, wecom, "u-wang", working, "办结")                 # again: refused
    assert _texts(qyapi, "u-wang")[-1] == "卡片操作未完成：您已经点过这个按钮了。"
    assert len(_group_posts(receiver)) == before + 1
    assert [k for k, _, _ in _events(wbot, 1)] == ["opened", "acknowledged", "resolved"]
    with wbot.store.transaction() as repos:
        assert repos.cases.get(1).state == "resolved"


def test_a_voice_message_to_the_app_is_taken_as_text(wecom, wbot, group, peer, qyapi):
    group.say("u-zhang", "5号楼电梯又坏了")
    assert peer.post(peer.voice_xml("u-li", "/档案 @张阿姨")).status_code == 200
    assert peer.post(peer.voice_xml("u-li", "")).status_code == 200   # no transcription
    worker_of(wecom).wait_idle()
    [answer] = _texts(qyapi, "u-li")
    assert answer.startswith("📁 张阿姨 的诉求档案")
    with wbot.store.transaction() as repos:
        [row] = repos.inbound.recent_in_group("wecom-app:u-li", 10)
        assert row.payload["via"] == "voice"


# --- group cards: the AI bot ------------------------------------------------------------

def _aibot(db_url, clock, qyapi, **kwargs):
    from bot import create_app

    flask_app = create_app(wecom_config(db_url, api_base=qyapi.url, **kwargs), clock=clock)
    bot = flask_app.extensions["linli"]
    _ENGINES.append(bot.engine)
    bot.classifier(bot.config.communities[0].id)  # loaded before any long connection
    return flask_app, bot


def _rating_card(peer):
    assert peer.last["msgtype"] == "stream_with_template_card"
    return peer.last["template_card"]


def _group_tap(peer, userid, card, key, **kwargs):
    return peer.read(peer.post(peer.card_event(userid, card["task_id"], key, **kwargs)))


def _resolved_group_complaint(peer, clock):
    """Case #1 with two complainants, resolved: the rating request is a card."""
    peer.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
    peer.say("u-gao", "3号楼2单元楼道灯坏了，晚上黑乎乎的")
    peer.say("u-wang", "/接单 #1")
    clock.set(at("13:00"))
    resolved = peer.say("u-wang", "/办结 #1")
    assert "已办结" in resolved
    return _rating_card(peer)


def test_rating_card_taps_count_like_typed_ratings(db_url, clock, qyapi):
    flask_app, bot = _aibot(db_url, clock, qyapi)
    try:
        peer = AibotPeer(flask_app.test_client())
        card = _resolved_group_complaint(peer, clock)
        assert card["card_type"] == "button_interaction"
        assert card["main_title"]["title"] == "#1 已办结，请您评价"
        labels = [b["text"] for b in card["button_list"]]
        assert labels == ["满意", "基本满意", "不满意"]
        keys = {b["text"]: b["key"] for b in card["button_list"]}

        # a bystander (not a complainant) is refused on their own card, not in the group
        posts = len(qyapi.webhook_posts)
        refused = _group_tap(peer, "u-xiaosun", card, keys["满意"])
        assert refused["response_type"] == "update_template_card"
        assert refused["userids"] == ["u-xiaosun"]
        assert refused["template_card"]["main_title"]["title"] == "未能操作"
        deliver_due(bot, clock())
        assert len(qyapi.webhook_posts) == posts

        done = _group_tap(peer, "u-zhang", card, keys["满意"])
        assert done["userids"] == ["u-zhang"]
        assert done["template_card"]["main_title"]["title"] == "张阿姨已评价：满意"
        again = _group_tap(peer, "u-zhang", card, keys["满意"])
        assert again["template_card"]["main_title"]["desc"] == "您已经点过这个按钮了。"
        with bot.store.transaction() as repos:
            case = repos.cases.get(1)
            assert case.state == "resolved"                     # 高先生 has not rated yet
            rated = [e for e in repos.cases.events(1) if e.kind == "rated"]
            assert [(e.actor.name, e.data.get("input")) for e in rated] == [("张阿姨", "card")]
        _group_tap(peer, "u-gao", card, keys["基本满意"])
        deliver_due(bot, clock())
        with bot.store.transaction() as repos:
            case = repos.cases.get(1)
            assert (case.state, case.rating) == ("closed", "basic")
        # the group heard each rating as it hears typed ones
        said = [p["body"].get("markdown", p["body"].get("text"))["content"]
                for p in qyapi.webhook_posts]
        assert said[-1] == texts.case_rated_all(1, "基本满意", "基本满意")
    finally:
        bot.engine.dispose()


def test_a_typed_rating_and_a_tap_record_the_same(db_url, clock, qyapi):
    """满意 typed by one complainant, tapped by the other: one rating each, same kind."""
    flask_app, bot = _aibot(db_url, clock, qyapi)
    try:
        peer = AibotPeer(flask_app.test_client())
        card = _resolved_group_complaint(peer, clock)
        key = next(b["key"] for b in card["button_list"] if b["text"] == "满意")
        peer.say("u-gao", "满意")
        _group_tap(peer, "u-zhang", card, key)
        with bot.store.transaction() as repos:
            rated = [(e.actor.name, e.data.get("rating"), e.data.get("input"))
                     for e in repos.cases.events(1) if e.kind == "rated"]
            assert repos.cases.get(1).rating == "satisfied"
        assert [r[0] for r in rated] == ["高先生", "张阿姨"]
        assert rated[0][1] == rated[1][1] and [r[2] for r in rated] == [None, "card"]
    finally:
        bot.engine.dispose()


def test_vote_card_counts_the_vote(db_url, clock, qyapi):
    flask_app, bot = _aibot(db_url, clock, qyapi)
    try:
        peer = AibotPeer(flask_app.test_client())
        peer.say("u-gao", "/议题 3号楼加装电梯")
        opened = peer.say("u-li", "/表决 T1 同意 反对 2天")
        assert "表决" in opened
        card = peer.last["template_card"]
        assert card["card_type"] == "vote_interaction"
        options = {o["text"]: o["id"] for o in card["checkbox"]["option_list"]}
        assert list(options) == ["同意", "反对"]
        submit = card["submit_button"]["key"]
        done = _group_tap(peer, "u-zhang", card, submit, selected=[options["同意"]])
        assert done["template_card"]["main_title"]["title"] == "张阿姨已投票：同意"
        again = _group_tap(peer, "u-zhang", card, submit, selected=[options["反对"]])
        assert again["template_card"]["main_title"]["title"] == "未能操作"
        forged = _group_tap(peer, "u-gao", card, submit, selected=["同意"])  # not an id
        assert forged["template_card"]["main_title"]["title"] == "未能操作"
        with bot.store.transaction() as repos:
            assert repos.topics.tally(repos.topics.get(1)) == {"同意": 1}
    finally:
        bot.engine.dispose()


def test_a_forged_task_or_key_is_refused(db_url, clock, qyapi):
    flask_app, bot = _aibot(db_url, clock, qyapi)
    try:
        peer = AibotPeer(flask_app.test_client())
        card = _resolved_group_complaint(peer, clock)
        guessed = _group_tap(peer, "u-zhang", {"task_id": card["task_id"]}, "satisfied")
        assert guessed["template_card"]["main_title"]["desc"] == "这张卡片已经失效了。"
        other = _group_tap(peer, "u-zhang", {"task_id": "linli-0"}, "x")
        assert other["template_card"]["main_title"]["title"] == "未能操作"
        with bot.store.transaction() as repos:
            assert repos.cases.get(1).rating is None
    finally:
        bot.engine.dispose()


def test_over_the_long_connection_the_tap_updates_the_card(db_url, clock, qyapi, ws):
    flask_app, bot = _aibot(db_url, clock, qyapi, ws_url=ws.url, mode="websocket")
    conn = start_long_connection(bot, **FAST)
    try:
        assert conn.wait_connected(5)
        talk = AibotPeer(None)

        def say(userid, text):
            req_id = ws.inject(talk.message(userid, text))
            assert wait_for(lambda: ws.responses_to(req_id))
            return ws.responses_to(req_id)[0]["body"]

        say("u-zhang", "3号楼2单元楼道灯坏了三天了")
        say("u-wang", "/接单 #1")
        answer = say("u-wang", "/办结 #1")
        assert answer["msgtype"] == "stream_with_template_card"
        card = answer["template_card"]
        key = next(b["key"] for b in card["button_list"] if b["text"] == "不满意")
        req_id = ws.inject_event(talk.card_event("u-zhang", card["task_id"], key))
        assert wait_for(lambda: ws.responses_to(req_id))
        [frame] = ws.responses_to(req_id)
        assert frame["cmd"] == "aibot_respond_update_msg"
        assert frame["body"]["template_card"]["main_title"]["title"] == "张阿姨已评价：不满意"
        with bot.store.transaction() as repos:
            assert repos.cases.get(1).state == "reopened"     # 不满意 reopens, as typed
        # the reopening @s people: it goes out through the group's webhook
        assert wait_for(lambda: any("#1" in str(p["body"]) for p in qyapi.webhook_posts))
    finally:
        conn.stop()
        bot.engine.dispose()


def test_a_card_post_is_pushed_as_a_card_and_falls_back_to_text(db_url, clock, qyapi, ws):
    """A rating request that goes out through the outbox (not as an answer) is pushed as a
    card while the long connection is up; when the push refuses the card, as text."""
    flask_app, bot = _aibot(db_url, clock, qyapi, ws_url=ws.url, mode="websocket",
                            webhook_key="")
    conn = start_long_connection(bot, **FAST)
    try:
        assert conn.wait_connected(5)
        for userid, text in (("u-zhang", "3号楼2单元楼道灯坏了三天了"), ("u-wang", "/接单 #1")):
            req_id = ws.inject(AibotPeer(None).message(userid, text))
            assert wait_for(lambda req_id=req_id: ws.responses_to(req_id))
        from bot.events import Outgoing
        from bot.outbox import queue_posts

        with bot.store.transaction() as repos:
            case_group = repos.groups.get(WECOM_GROUP)
            queue_posts(repos, [Outgoing(text="#1 已办结，请评价", kind="rating_request",
                                         case_id=1, key="test-rating-1")],
                        group=case_group, now=clock(), config=bot.config)
            queue_posts(repos, [Outgoing(text="#1 请评价（文字）", kind="rating_request",
                                         case_id=1, key="test-rating-2")],
                        group=case_group, now=clock(), config=bot.config)
        ws.refuse_cards = 1                                   # the second push is refused
        deliver_due(bot, clock())
        cards = [p for p in ws.pushes if p.get("msgtype") == "template_card"]
        [push] = cards
        assert push["chatid"] == WECOM_GROUP
        assert push["template_card"]["main_title"]["title"] == "#1 已办结，请您评价"
        assert ws.pushes[-1]["markdown"]["content"] == "#1 请评价（文字）"
    finally:
        conn.stop()
        bot.engine.dispose()


def test_the_whole_case_cycle_by_taps(db_url, clock, qyapi, ws):
    """A resident @s the AI bot; 王师傅 signs and finishes by tapping his private cards;
    the resident rates by tapping the group's card; 王师傅 gets the result as a card."""
    flask_app, bot = _aibot(db_url, clock, qyapi, ws_url=ws.url, mode="websocket", app=True)
    conn = start_long_connection(bot, **FAST)
    app_peer = AppPeer(flask_app.test_client())
    try:
        assert conn.wait_connected(5)
        req_id = ws.inject(AibotPeer(None).message("u-zhang", "3号楼2单元楼道灯坏了三天了"))
        assert wait_for(lambda: ws.responses_to(req_id))
        deliver_due(bot, clock())
        card = _card_about(qyapi, "u-wang", 1)

        clock.set(at("10:20"))
        _tap(app_peer, flask_app, "u-wang", card, "签收")
        signed = [p["body"]["text"] for p in qyapi.webhook_posts if "text" in p["body"]]
        assert signed[-1]["content"] == texts.case_acknowledged(1, "王师傅") + "\n@张阿姨"
        assert signed[-1]["mentioned_list"] == ["u-zhang"]
        working = _cards(qyapi, "u-wang")[-1]
        assert working["main_title"]["title"] == "#1 已签收，修好后点“办结”"

        clock.set(at("13:00"))
        _tap(app_peer, flask_app, "u-wang", working, "办结")
        rating = [p for p in ws.pushes if p.get("msgtype") == "template_card"]
        assert [p["template_card"]["main_title"]["title"] for p in rating] == \
            ["#1 已办结，请您评价"]
        # the text went through the webhook too: it @s the complainant
        assert qyapi.webhook_posts[-1]["body"]["text"]["mentioned_list"] == ["u-zhang"]

        clock.set(at("15:00"))
        key = next(b["key"] for b in rating[0]["template_card"]["button_list"]
                   if b["text"] == "满意")
        req_id = ws.inject_event(AibotPeer(None).card_event(
            "u-zhang", rating[0]["template_card"]["task_id"], key))
        assert wait_for(lambda: ws.responses_to(req_id))
        assert wait_for(lambda: _cards(qyapi, "u-wang")[-1]["main_title"]["title"]
                        == "#1 居民评价：满意")
        with bot.store.transaction() as repos:
            case = repos.cases.get(1)
            assert (case.state, case.rating) == ("closed", "satisfied")
            timeline = [(e.kind, (e.data or {}).get("input")) for e in repos.cases.events(1)]
        assert timeline == [("opened", None), ("acknowledged", "card"), ("resolved", "card"),
                            ("rated", "card")]
    finally:
        conn.stop()
        worker_of(flask_app).wait_idle()
        bot.engine.dispose()


# --- storage, on both databases ---------------------------------------------------------

def test_taps_are_stored_once_per_person_and_button(db_url):
    from storage.db import make_engine, make_session_factory, migrate
    from storage.repositories import Store

    engine = make_engine(db_url)
    migrate(engine)
    store = Store(make_session_factory(engine))
    now = at("10:00")
    try:
        with store.transaction() as repos:
            card = repos.cards.add(task_id="linli-t1", kind="rating", group_id="g-1",
                                   recipient="", case_id=1, buttons={"k1": "satisfied",
                                                                     "k2": "basic"},
                                   created_at=now)
            assert repos.cards.record_tap(card, "u-a", "k1", "e1", now) is not None
            assert repos.cards.record_tap(card, "u-a", "k1", "e2", now) is None  # again
            assert repos.cards.record_tap(card, "u-b", "k1", "e3", now) is not None
            assert repos.cards.record_tap(card, "u-a", "k2", "e4", now) is not None
            repos.outbox.add(idempotency_key="card-row", group_id="g-1", channel="wecom",
                             kind="rating_request", text="请评价", mentions=[],
                             state="pending", attempts=0, next_attempt_at=now,
                             created_at=now, card={"title": "#1 已办结，请您评价",
                                                   "buttons": [{"key": "k1"}]})
        with store.transaction() as repos:
            card = repos.cards.by_task("linli-t1")
            assert card.buttons == {"k1": "satisfied", "k2": "basic"}
            assert [(t.userid, t.button_key, t.event) for t in repos.cards.taps(card)] == \
                [("u-a", "k1", "e1"), ("u-b", "k1", "e3"), ("u-a", "k2", "e4")]
            assert repos.cards.by_task("linli-t2") is None
            [row] = [r for r in repos.outbox.recent_in_group("g-1", 5)
                     if r.idempotency_key == "card-row"]
            assert row.card["title"] == "#1 已办结，请您评价"
    finally:
        engine.dispose()


def test_taps_of_the_wrong_shape_are_ignored_or_refused(wecom, wbot, group, peer, qyapi,
                                                       clock, db_url):
    group.say("u-zhang", "5号楼电梯又坏了")
    deliver_due(wbot, clock())
    card = _card_about(qyapi, "u-wang", 1)
    xml = peer.card_event_xml("u-wang", card["task_id"], _button(card, "签收"))
    nested = xml.replace(f"<TaskId><![CDATA[{card['task_id']}]]></TaskId>",
                         "<TaskId><a>1</a><a>2</a></TaskId>")
    assert nested != xml
    resp = peer.post(nested)
    assert resp.status_code == 200 and resp.get_data() == b""      # authentic: empty 200
    worker_of(wecom).wait_idle()
    assert qyapi.card_updates == []
    with wbot.store.transaction() as repos:
        assert repos.cases.get(1).state == "open"


def test_an_ai_bot_tap_of_the_wrong_shape_is_a_400(db_url, clock, qyapi):
    flask_app, bot = _aibot(db_url, clock, qyapi)
    try:
        peer = AibotPeer(flask_app.test_client())
        body = peer.card_event("u-zhang", "linli-x", "k")
        body["event"]["template_card_event"]["task_id"] = ["linli-x"]
        assert peer.post(body).status_code == 400
        del body["event"]["template_card_event"]["event_key"]
        body["event"]["template_card_event"]["task_id"] = "linli-x"
        assert peer.post(body).status_code == 400
    finally:
        bot.engine.dispose()
