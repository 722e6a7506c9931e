"""The simulator's API: roster, speaking as anyone, the merged timeline, fast-forward."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import create_app
from bot.clock import SimulatedClock
from tests.conftest import make_config


@pytest.fixture
def sim(sqlite_url):
    clock = SimulatedClock()
    app = create_app(make_config(sqlite_url), clock=clock, simulator=True)
    yield app.test_client(), clock
    app.extensions["linli"].engine.dispose()


def test_page_and_state(sim):
    client, _ = sim
    page = client.get("/")
    assert page.status_code == 200 and "群聊模拟器" in page.get_data(as_text=True)
    state = client.get("/simulator/api/state").get_json()
    assert state["groups"][0] == {"id": "g-1", "name": "阳光小区议事群", "community_id": "sunshine"}
    names = {m["name"]: m["roles"] for m in state["members"]["sunshine"]}
    assert names["王师傅"] == ["物业维修"] and names["张阿姨"] == ["居民"]


def test_say_and_timeline(sim):
    client, _ = sim
    resp = client.post("/simulator/api/say", json={
        "group_id": "g-1", "sender_id": "u-zhang", "sender_name": "张阿姨",
        "text": "3号楼楼道灯坏了三天了"}).get_json()
    assert resp["replies"][0]["text"].startswith("已受理")
    timeline = client.get("/simulator/api/messages?group_id=g-1").get_json()["messages"]
    assert [m["type"] for m in timeline] == ["in", "out", "out"]     # the answer, the ping
    assert timeline[0]["sender_name"] == "张阿姨" and "@王师傅" in timeline[2]["text"]


def test_say_rejects_empty(sim):
    client, _ = sim
    resp = client.post("/simulator/api/say", json={"group_id": "g-1", "sender_id": "u-zhang"})
    assert resp.status_code == 400


def test_fast_forward_moves_clock_only_forward(sim):
    client, clock = sim
    target = (clock() + timedelta(days=1)).astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    resp = client.post("/simulator/api/tick", json={"at": target.isoformat(timespec="minutes")})
    data = resp.get_json()
    assert resp.status_code == 200 and data["summary"].startswith("tick ")
    assert clock() >= clock().__class__.now(clock().tzinfo) + timedelta(hours=23)
    back = client.post("/simulator/api/tick", json={"at": "2020-01-01T00:00"})
    assert back.status_code == 400 and "只能快进" in back.get_json()["error"]
    bad = client.post("/simulator/api/tick", json={"at": "tomorrow"})
    assert bad.status_code == 400


def test_simulator_off_by_default(sqlite_url):
    app = create_app(make_config(sqlite_url))
    try:
        assert app.test_client().get("/").status_code == 404
    finally:
        app.extensions["linli"].engine.dispose()
