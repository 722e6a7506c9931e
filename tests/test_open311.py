"""Open311 GeoReport v2: services, requests (filters, paging, one request), filing a
request into a group through the chat's own path (the group sees the case opened), the
api_key, 400s with the GeoReport error array, and privacy (numbers masked, no name or
member id of a complainant anywhere)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot import create_app
from scheduler.tick import run_tick
from tests.conftest import _ENGINES, Chat, make_config

# GeoReport v2 service request fields (GET requests), in the spec's names
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name",
                  "service_code", "description", "agency_responsible", "service_notice",
                  "requested_datetime", "updated_datetime", "expected_datetime", "address",
                  "address_id", "zipcode", "lat", "long", "media_url"}
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group"}
BASE = "/open311/v2"


@pytest.fixture
def config(db_url, receiver):
    return make_config(db_url, outbound_url=receiver.url,
                       open311={"enabled": True, "default_group": "g-1"})


def _file(client, **fields):
    data = {"service_code": "water_leak", "description": "3号楼501天花板漏水了",
            "attribute[group_id]": "g-1", **fields}
    return client.post(f"{BASE}/requests.json", data=data)


def test_services_are_the_categories(app):
    resp = app.test_client().get(f"{BASE}/services.json")
    services = resp.get_json()
    assert resp.status_code == 200 and len(services) == 17
    assert all(set(s) == SERVICE_FIELDS for s in services)
    assert {"service_code": "elevator", "service_name": "电梯"}.items() <= services[4].items()


def test_post_files_a_case_the_group_sees(app, bot, receiver, clock):
    client = app.test_client()
    resp = _file(client, description="3号楼2单元501室天花板漏水了 联系我13812345678",
                 first_name="张", last_name="阿姨", email="z@example.com", phone="13812345678")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    (answer,) = resp.get_json()
    case_id = int(answer["service_request_id"])
    assert answer["service_notice"] and answer["account_id"] is None
    run_tick(bot, clock())
    posts = [p for p in receiver.posts if p.get("case_id") == case_id]
    assert {p["group_id"] for p in posts} == {"g-1"}
    assert any(f"已受理 #{case_id}" in p["text"] for p in posts)
    ping = next(p for p in posts if p["kind"] == "ping")
    assert "u-wang" in ping["mentions"]  # water_leak is routed to repair
    assert all("13812345678" not in p["text"] for p in posts)
    (record,) = client.get(f"{BASE}/requests/{case_id}.json").get_json()
    assert set(record) == REQUEST_FIELDS
    assert record["service_code"] == "water_leak" and record["status"] == "open"
    assert record["address"] == "3号楼2单元501室"
    assert "138****5678" in record["description"]
    dumped = json.dumps(record, ensure_ascii=False)
    for private in ("13812345678", "张", "阿姨", "z@example.com", "open311", "外部系统"):
        assert private not in dumped


def test_post_as_json_with_address_and_default_group(app, receiver, bot, clock):
    client = app.test_client()
    resp = client.post(f"{BASE}/requests.json", json={
        "service_code": "elevator", "description": "电梯按钮坏了",
        "address_string": "5号楼2单元", "lat": "31.2", "long": 121.5})
    assert resp.status_code == 201
    case_id = int(resp.get_json()[0]["service_request_id"])
    (record,) = client.get(f"{BASE}/requests/{case_id}.json").get_json()
    assert record["address"] == "5号楼2单元" and record["service_name"] == "电梯"


def test_requests_filters_and_paging(app, chat, clock):
    client = app.test_client()
    chat.say("r-zhang", "3号楼2单元楼道灯坏了", sender_name="张阿姨")
    first = chat.last["replies"][0]["case_id"]
    clock.advance(days=2)
    _file(client)
    chat.say("u-wang", f"/办结 #{first}")
    clock.advance(days=1)
    _file(client, service_code="noise", description="7号楼晚上装修太吵")

    def ids(**query):
        resp = client.get(f"{BASE}/requests.json", query_string=query)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        records = resp.get_json()
        assert all(set(r) == REQUEST_FIELDS for r in records)
        return [int(r["service_request_id"]) for r in records]

    everything = ids()
    assert len(everything) == 3 and everything[0] == first
    assert ids(status="closed") == [first]
    assert ids(status="open") == everything[1:]
    assert ids(service_code="noise") == everything[2:]
    assert ids(service_code="noise,facility") == [first, everything[2]]
    later = (clock() - timedelta(days=2)).isoformat()
    assert ids(start_date=later) == everything[1:]
    assert ids(end_date=later) == [first]
    assert ids(page_size="2") == everything[:2]
    assert ids(page_size="2", page="2") == everything[2:]
    assert ids(service_request_id=f"{everything[2]},{first}") == [everything[2], first]
    dumped = client.get(f"{BASE}/requests.json").get_data(as_text=True)
    assert "张阿姨" not in dumped and "r-zhang" not in dumped


@pytest.mark.parametrize("query", [{"status": "pending"}, {"service_code": "bogus"},
                                   {"start_date": "yesterday"},
                                   {"start_date": "2026-11-01T00:00:00"},
                                   {"page": "0"}, {"page_size": "x"},
                                   {"service_request_id": "1;drop"}])
def test_bad_queries_are_400_with_an_error_array(app, query):
    resp = app.test_client().get(f"{BASE}/requests.json", query_string=query)
    assert resp.status_code == 400
    (error,) = resp.get_json()
    assert error["code"] == 400 and error["description"]


def test_bad_posts_and_unknown_requests(app):
    client = app.test_client()
    for fields in ({"service_code": "bogus"}, {"description": "  "},
                   {"attribute[group_id]": "g-nowhere"}, {"lat": "north"}, {"long": "500"},
                   {"description": "x" * 5000}):
        resp = _file(client, **fields)
        assert resp.status_code == 400, fields
        assert resp.get_json()[0]["code"] == 400
    resp = client.post(f"{BASE}/requests.json", data=b"[1, 2", content_type="application/json")
    assert resp.status_code == 400
    missing = client.get(f"{BASE}/requests/999.json")
    assert missing.status_code == 404 and missing.get_json()[0]["code"] == 404
    assert client.get(f"{BASE}/requests/abc.json").status_code == 400


def test_api_key(db_url, receiver, clock):
    config = make_config(db_url, outbound_url=receiver.url,
                         open311={"enabled": True, "api_key": "k-311",
                                  "default_group": "g-1"})
    app = create_app(config, clock=clock)
    _ENGINES.append(app.extensions["linli"].engine)
    client = app.test_client()
    assert client.get(f"{BASE}/services.json").status_code == 401
    wrong = client.get(f"{BASE}/services.json?api_key=nope")
    assert wrong.status_code == 401 and wrong.get_json()[0]["code"] == 401
    assert client.get(f"{BASE}/services.json?api_key=k-311").status_code == 200
    assert client.get(f"{BASE}/requests.json?api_key=k-311").status_code == 200
    assert _file(client).status_code == 401
    assert _file(client, api_key="k-311").status_code == 201
    assert client.post(f"{BASE}/requests.json", json={
        "api_key": "k-311", "service_code": "noise", "description": "夜里施工",
        "attribute": {"group_id": "g-1"}}).status_code == 201
    chat = Chat(client, clock)
    assert chat.say("r-1", "/工单")  # the chat still works beside it


def test_off_unless_enabled(db_url, receiver, clock):
    config = make_config(db_url, outbound_url=receiver.url, open311={"enabled": False})
    app = create_app(config, clock=clock)
    _ENGINES.append(app.extensions["linli"].engine)
    assert app.test_client().get(f"{BASE}/services.json").status_code == 404
