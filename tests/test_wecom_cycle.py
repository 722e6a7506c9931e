"""The whole case cycle over WeCom, as over the bridge: a complaint that @s the AI bot
opens a case and names the routed staff; claim, resolve and rating in the group; the
reminder and the escalation from `run_tick` reach the group through the webhook (which
@s by userid), or through the long connection's push when it is up."""

from __future__ import annotations

from datetime import datetime

from bot import start_long_connection, texts
from scheduler.tick import run_tick
from tests.conftest import _ENGINES, TZ
from tests.fake_wecom import (
    FAST,
    GOOD_KEY,
    WECOM_GROUP,
    AibotPeer,
    wait_for,
    wecom_config,
)


def at(hhmm: str, day: int = 24) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 11, day, hours, minutes, tzinfo=TZ)


def _make(db_url, clock, **kwargs):
    from bot import create_app

    flask_app = create_app(wecom_config(db_url, **kwargs), clock=clock)
    _ENGINES.append(flask_app.extensions["linli"].engine)
    return flask_app, flask_app.extensions["linli"]


def _case(bot, case_id):
    with bot.store.transaction() as repos:
        case = repos.cases.get(case_id)
        return case, [e.kind for e in repos.cases.events(case_id)]


def _webhook_texts(qyapi):
    return [p["body"] for p in qyapi.webhook_posts]


def test_complaint_claim_resolve_rating_over_the_ai_bot(db_url, clock, qyapi):
    flask_app, bot = _make(db_url, clock, api_base=qyapi.url)
    try:
        peer = AibotPeer(flask_app.test_client())
        opened = peer.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
        assert opened.startswith("已受理 #") and opened.endswith("@王师傅")
        n = int(opened.split("#")[1].split()[0])

        clock.set(at("10:20"))
        claimed = peer.say("u-wang", f"/接单 #{n}")
        assert claimed == texts.case_acknowledged(n, "王师傅") + "\n@张阿姨"

        clock.set(at("13:00"))
        resolved = peer.say("u-wang", f"#{n} 已修好")
        assert "已办结" in resolved and "满意" in resolved and "@张阿姨" in resolved
        assert _case(bot, n)[0].state == "resolved"

        assert peer.say("u-zhang", "满意") == texts.case_rated(n, "满意")
        case, events = _case(bot, n)
        assert case.state == "closed" and case.rating == "satisfied"
        assert events == ["opened", "acknowledged", "resolved", "rated"]
        assert qyapi.webhook_posts == []                      # everything was answered inline
    finally:
        bot.engine.dispose()


def test_reminder_and_escalation_from_tick_go_through_the_webhook(db_url, clock, qyapi):
    flask_app, bot = _make(db_url, clock, api_base=qyapi.url)
    try:
        peer = AibotPeer(flask_app.test_client())
        n = int(peer.say("u-zhang", "3号楼2单元楼道灯坏了三天了").split("#")[1].split()[0])
        run_tick(bot, at("12:00"))
        [reminder] = _webhook_texts(qyapi)
        assert reminder["msgtype"] == "text" and reminder["text"]["mentioned_list"] == ["u-wang"]
        assert f"#{n}" in reminder["text"]["content"]
        run_tick(bot, at("14:05"))
        escalation = _webhook_texts(qyapi)[-1]
        assert "超过签收期限" in escalation["text"]["content"]
        assert escalation["text"]["mentioned_list"] == ["u-zhao", "u-li"]
        assert all(p["key"] == GOOD_KEY for p in qyapi.webhook_posts)
        assert _case(bot, n)[0].tier == 2
        run_tick(bot, at("14:05"))                            # the same instant: nothing new
        assert len(qyapi.webhook_posts) == 2
    finally:
        bot.engine.dispose()


def test_over_the_long_connection_escalation_is_pushed(db_url, clock, qyapi, ws):
    """A group with no webhook key: everything goes over the long connection."""
    flask_app, bot = _make(db_url, clock, api_base=qyapi.url, ws_url=ws.url,
                           mode="websocket", webhook_key="")
    conn = start_long_connection(bot, **FAST)
    try:
        assert conn.wait_connected(5)
        req_id = ws.inject(AibotPeer(None).message("u-zhang", "3号楼2单元楼道灯坏了三天了"))
        assert wait_for(lambda: ws.responses_to(req_id))
        content = ws.responses_to(req_id)[0]["body"]["stream"]["content"]
        assert content.startswith("已受理 #") and "@王师傅" in content
        run_tick(bot, at("14:05"))
        pushes = [p for p in ws.pushes if "超过签收期限" in p["markdown"]["content"]]
        assert len(pushes) == 1 and pushes[0]["chatid"] == WECOM_GROUP
        assert pushes[0]["markdown"]["content"].endswith("@赵网格 @李书记")
        assert qyapi.webhook_posts == []
    finally:
        conn.stop()
        bot.engine.dispose()


def test_with_both_pings_use_the_webhook_and_other_posts_the_push(db_url, clock, qyapi, ws):
    flask_app, bot = _make(db_url, clock, api_base=qyapi.url, ws_url=ws.url,
                           mode="websocket")
    conn = start_long_connection(bot, **FAST)
    try:
        assert conn.wait_connected(5)
        req_id = ws.inject(AibotPeer(None).message("u-zhang", "3号楼2单元楼道灯坏了三天了"))
        assert wait_for(lambda: ws.responses_to(req_id))
        run_tick(bot, at("14:05"))                            # escalation: @ people
        [escalation] = [p["body"] for p in qyapi.webhook_posts]
        assert escalation["text"]["mentioned_list"] == ["u-zhao", "u-li"]
        run_tick(bot, at("18:00"))                            # the daily digest: no @
        assert any(p["chatid"] == WECOM_GROUP and "#" in p["markdown"]["content"]
                   for p in ws.pushes)
        assert len(qyapi.webhook_posts) == 1
        conn.stop()                                           # the push is down: webhook
        clock.set(at("18:30"))
        run_tick(bot, at("18:00", day=25))
        assert len(qyapi.webhook_posts) == 2
        assert qyapi.webhook_posts[-1]["body"]["msgtype"] == "markdown"
    finally:
        conn.stop()
        bot.engine.dispose()
