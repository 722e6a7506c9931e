"""The simulator's API: roster (a resident speaks by default), speaking as anyone,
quoting, the merged timeline with Chinese labels and 24-hour times, and fast-forward,
which runs every tick on the way through the app's clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot import create_app
from bot.clock import SHANGHAI, SimulatedClock
from scheduler.tick import run_tick
from tests.conftest import FrozenClock, make_config

# A Tuesday morning: no Monday 议题征集, no summary on the 1st or 16th.
START = datetime(2030, 1, 8, 9, 0, tzinfo=SHANGHAI)
COMPLAINT = "3号楼楼道灯坏了三天了"


def _sim_app(url: str, start: datetime = START):
    clock = SimulatedClock(SHANGHAI, start=start)
    return create_app(make_config(url), clock=clock, simulator=True), clock


@pytest.fixture
def sim(sqlite_url):
    app, clock = _sim_app(sqlite_url)
    yield app.test_client(), clock
    app.extensions["linli"].engine.dispose()


def say(client, sender: str, text: str, **extra) -> list[str]:
    resp = client.post("/simulator/api/say", json={
        "group_id": "g-1", "sender_id": sender, "text": text, **extra})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return [r["text"] for r in resp.get_json()["replies"]]


def timeline(client) -> list[dict]:
    return client.get("/simulator/api/messages?group_id=g-1").get_json()["messages"]


def bot_posts(client) -> list[tuple[str, str, str, str]]:
    return [(m["label"], m["at"]["day"], m["at"]["time"], m["text"])
            for m in timeline(client) if m["type"] == "out"]


def test_page_and_state(sim):
    client, _ = sim
    page = client.get("/")
    assert page.status_code == 200 and "群聊模拟器" in page.get_data(as_text=True)
    state = client.get("/simulator/api/state").get_json()
    assert state["groups"][0] == {"id": "g-1", "name": "阳光小区议事群", "community_id": "sunshine"}
    members = {m["name"]: m for m in state["members"]["sunshine"]}
    assert members["王师傅"]["roles"] == ["物业维修"] and not members["王师傅"]["resident"]
    assert members["张阿姨"]["roles"] == ["居民"] and members["张阿姨"]["resident"]
    assert not members["刘主任"]["resident"] and members["刘大爷"]["resident"]
    assert state["now"]["iso"].startswith("2030-01-08T09:00")
    assert (state["now"]["day"], state["now"]["time"]) == ("1月8日 周二", "09:00")
    assert state["daily_digest"] == "18:00"  # named on the page's fast-forward hint


def test_say_and_timeline(sim):
    client, _ = sim
    replies = say(client, "u-zhang", COMPLAINT, sender_name="张阿姨")
    assert replies[0].startswith("已受理")
    items = timeline(client)
    assert [m["type"] for m in items] == ["in", "out", "out"]     # the answer, the ping
    assert items[0]["sender_name"] == "张阿姨" and "@王师傅" in items[2]["text"]
    assert items[1]["label"] == ""  # an answer carries no label
    assert (items[0]["at"]["day"], items[0]["at"]["time"]) == ("1月8日 周二", "09:00")


def test_say_rejects_empty(sim):
    client, _ = sim
    resp = client.post("/simulator/api/say", json={"group_id": "g-1", "sender_id": "u-zhang"})
    assert resp.status_code == 400
    for body in (["not", "an", "object"], "text"):
        assert client.post("/simulator/api/say", json=body).status_code == 400
    assert client.post("/simulator/api/tick", json=[1]).status_code == 200  # one tick now


def test_quoting_the_bot_names_its_case(sim):
    client, _ = sim
    say(client, "u-zhang", COMPLAINT, sender_name="张阿姨")
    answer = [m for m in timeline(client) if m["type"] == "out"][-1]
    assert answer["id"].startswith("out-")
    # the same words from a neighbour without a quote are plain chat
    assert say(client, "u-xiaosun", "这个现在怎么样了", sender_name="孙女士") == []
    quote = {"msg_id": answer["id"], "text": answer["text"]}
    replies = say(client, "u-xiaosun", "这个现在怎么样了", sender_name="孙女士", quote=quote)
    assert len(replies) == 1 and "#1" in replies[0]
    asked = [m for m in timeline(client) if m["type"] == "in"][-1]
    assert asked["quote"] == quote  # the timeline shows what was quoted


def test_quoting_a_residents_message_files_it(sim):
    client, _ = sim
    say(client, "u-gao", "今天天气不错", sender_name="高先生")
    said = [m for m in timeline(client) if m["type"] == "in"][-1]
    replies = say(client, "u-zhao", "/立案 环境卫生", sender_name="赵网格",
                  quote={"msg_id": said["id"], "text": said["text"]})
    assert replies and replies[0].startswith("已受理 #1")
    assert "今天天气不错" in replies[1]  # the ping to staff quotes the filed words


def test_fast_forward_a_day_posts_everything_due_on_the_way(sim):
    client, clock = sim
    say(client, "u-zhang", COMPLAINT, sender_name="张阿姨")
    resp = client.post("/simulator/api/tick", json={"hours": 24, "group_id": "g-1"})
    data = resp.get_json()
    assert resp.status_code == 200, data
    assert data["now"]["day"] == "1月9日 周三" and data["now"]["time"] == "09:00"
    assert clock() >= START + timedelta(hours=24)
    posts = bot_posts(client)[2:]  # after the answer and the ping to staff
    assert [(label, day, time) for label, day, time, _text in posts] == [
        ("提醒", "1月8日 周二", "11:00"),  # 50 % of the 4 h response window
        ("提醒", "1月8日 周二", "12:12"),  # 80 %
        ("超时升级", "1月8日 周二", "13:00"),
        ("进度汇总", "1月8日 周二", "18:00"),  # the daily digest: one tick at 18:00
    ]
    assert "工单日报" in posts[-1][3]
    assert data["status"] == ("已快进到 1月9日 周三 09:00，这段时间的定时任务都已运行。"
                              "本群新消息：提醒 2 条、超时升级 1 条、进度汇总 1 条。")
    assert data["summary"].startswith("fast-forward 2030-01-08T09:00")


def test_fast_forward_equals_ticking_every_minute(sqlite_url, tmp_path):
    """What fast-forward posts, and when, is what the scheduler ticking every minute
    would have posted."""
    fast, _ = _sim_app(sqlite_url)
    slow, slow_clock = _sim_app(f"sqlite:///{tmp_path / 'every-minute.db'}")
    try:
        for app in (fast, slow):
            say(app.test_client(), "u-zhang", COMPLAINT, sender_name="张阿姨")
            say(app.test_client(), "u-laoliu", "5号楼电梯坏了，困在里面出不来",
                sender_name="刘大爷")
        hours = 10
        resp = fast.test_client().post("/simulator/api/tick", json={"hours": hours})
        assert resp.status_code == 200
        bot = slow.extensions["linli"]
        start = slow_clock()
        for n in range(1, hours * 60 + 1):
            at = start + timedelta(minutes=n)
            slow_clock.advance_to(at)
            run_tick(bot, at)
        expected = bot_posts(slow.test_client())
        assert len(expected) > 5
        assert bot_posts(fast.test_client()) == expected
    finally:
        fast.extensions["linli"].engine.dispose()
        slow.extensions["linli"].engine.dispose()


def test_fast_forward_through_the_night_delivers_held_posts_when_quiet_hours_end(
        sqlite_url):
    app, _ = _sim_app(sqlite_url, start=datetime(2030, 1, 8, 21, 50, tzinfo=SHANGHAI))
    client = app.test_client()
    try:
        say(client, "u-zhang", COMPLAINT, sender_name="张阿姨")
        assert client.post("/simulator/api/tick", json={"hours": 12}).status_code == 200
        # the first tick catches up on the 18:00 digest (a server started late); the
        # response clock stops for quiet hours (22:00-07:00) with 3 h 50 left: it runs
        # again at 07:00 with a reminder, the 50 % one comes at 08:50 and the deadline is
        # 10:50 (it was an escalation at 07:00 when the clock ran through the night)
        assert [(label, day, time) for label, day, time, _ in bot_posts(client)[2:]] == [
            ("进度汇总", "1月8日 周二", "21:51"), ("提醒", "1月9日 周三", "07:00"),
            ("提醒", "1月9日 周三", "08:50")]
        assert all(m.get("state") != "pending" for m in timeline(client))
    finally:
        app.extensions["linli"].engine.dispose()


def test_fast_forward_to_a_time(sim):
    client, clock = sim
    resp = client.post("/simulator/api/tick", json={"at": "2030-01-08T18:30", "group_id": "g-1"})
    data = resp.get_json()
    assert resp.status_code == 200 and data["now"]["time"] == "18:30"
    assert "本群没有到期的提醒或汇总" in data["status"]  # a quiet group: no digest
    assert clock() >= datetime(2030, 1, 8, 18, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize("body, words", [
    ({"at": "2020-01-01T00:00"}, "只能快进"),
    ({"at": "tomorrow"}, "时间看不懂"),
    ({"hours": -1}, "只能快进"),
    ({"hours": "x"}, "只能快进"),
    ({"hours": 24 * 400}, "最多快进一年"),
    ({"at": "2035-01-01T00:00"}, "最多快进一年"),
])
def test_fast_forward_refusals(sim, body, words):
    client, clock = sim
    resp = client.post("/simulator/api/tick", json=body)
    assert resp.status_code == 400 and words in resp.get_json()["error"]
    assert clock() < START + timedelta(minutes=1)


def test_fast_forward_needs_a_movable_clock(sqlite_url):
    app = create_app(make_config(sqlite_url), clock=FrozenClock(START), simulator=True)
    try:
        resp = app.test_client().post("/simulator/api/tick", json={"hours": 1})
        assert resp.status_code == 400 and "不能快进" in resp.get_json()["error"]
    finally:
        app.extensions["linli"].engine.dispose()


def test_simulator_off_by_default(sqlite_url):
    app = create_app(make_config(sqlite_url))
    try:
        assert app.test_client().get("/").status_code == 404
    finally:
        app.extensions["linli"].engine.dispose()
