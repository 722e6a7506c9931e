"""The desk's analytics pages behind the desk's sign-in: /desk/stats (figures and the
charts' data, ECharts served from the project), /desk/hotspots (the one-click actions,
with CSRF, reaching the group) and /desk/exports (the same workbook as the CLI's)."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from bot import exports
from bot.domain.desk import issue_link
from scheduler.tick import run_tick
from tests.conftest import make_config


@pytest.fixture
def config(db_url, receiver):
    return make_config(db_url, outbound_url=receiver.url,
                       desk={"enabled": True, "secret": "s" * 32})


def sign_in(app, bot, external_id: str):
    client = app.test_client()
    with bot.store.transaction() as repos:
        member = repos.members.by_external("sunshine", external_id)
        link = issue_link(repos, member, bot.wall_clock(), 10)
    resp = client.post("/desk/login", data={"t": link.token})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _repeat_at_building(chat, clock, n=3):
    ids = []
    for i in range(n):
        chat.say(f"r-{i}", "3号楼楼道灯坏了，晚上黑乎乎的")
        ids.append(chat.last["replies"][0]["case_id"])
        clock.advance(days=4)  # past the 72 h duplicate window: a new case each time
    return ids


def test_stats_page_figures_and_charts(app, bot, chat, clock):
    chat.say("r-zhang", "3号楼2单元楼道灯坏了")
    first = chat.last["replies"][0]["case_id"]
    clock.advance(hours=1)
    chat.say("u-wang", f"/接单 #{first}")
    clock.advance(hours=2)
    chat.say("u-wang", f"/办结 #{first}")
    chat.say("r-zhang", "满意")
    chat.say("r-gao", "9号楼下水道堵了，污水往外冒")
    assert app.test_client().get("/desk/stats").status_code == 401
    client = sign_in(app, bot, "u-li")
    resp = client.get("/desk/stats")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "100%（1/1）" in html  # 满意率
    assert "50%（1/2）" in html  # 解决率
    assert "1小时" in html  # mean time to acknowledge
    data = json.loads(re.search(r'id="stats-data">(.*?)</script>', html, re.S).group(1))
    assert data["week"]["opened"] == [2] and data["week"]["resolution"] == [50.0]
    assert sorted(data["category"]["labels"]) == ["公共设施损坏", "管道堵塞"]
    assert "/desk/static/vendor/echarts.min.js" in html and "cdn" not in html.lower()
    script = client.get("/desk/static/vendor/echarts.min.js")
    assert script.status_code == 200 and b"Apache" in script.data[:400]
    assert client.get("/desk/static/insights.js").status_code == 200
    assert "按承办人" in html and "王师傅" in html and "按层级" in html
    assert client.get("/desk/stats?months=12").status_code == 200
    staff = sign_in(app, bot, "u-wang")
    assert staff.get("/desk/stats").status_code == 403


def test_hotspot_actions_reach_the_group(app, bot, chat, clock, receiver):
    ids = _repeat_at_building(chat, clock)
    client = sign_in(app, bot, "u-li")
    html = client.get("/desk/hotspots").get_data(as_text=True)
    assert "3号楼" in html and all(f"#{i}" in html for i in ids)
    key = re.search(r'name="key" value="([^"]+)"', html).group(1)
    form = {"community": "sunshine", "key": key}
    assert client.post("/desk/hotspots/topic", data=form).status_code == 403  # no CSRF
    resp = client.post("/desk/hotspots/topic", data={**form, "csrf": csrf_of(html)})
    assert resp.status_code == 302
    with bot.store.transaction() as repos:
        (topic,) = repos.topics.linked_to_cases(ids)
        assert repos.topics.linked_case_ids(topic.id) == ids
        assert repos.members.get(topic.proposer_id).external_id == "u-li"
        topic_id = topic.id
    page = client.get("/desk/hotspots").get_data(as_text=True)
    assert f"T{topic_id}" in page and "已发起议题" in page  # the flash, then the link
    resp = client.post("/desk/hotspots/checkup", data={**form, "csrf": csrf_of(page)})
    assert resp.status_code == 302
    again = client.post("/desk/hotspots/checkup", data={**form, "csrf": csrf_of(page)})
    assert again.status_code == 302
    assert "已经安排过排查" in client.get("/desk/hotspots").get_data(as_text=True)
    run_tick(bot, clock() + timedelta(minutes=1))
    topic_posts = [p for p in receiver.posts if p.get("topic_id") == topic_id]
    assert len(topic_posts) == 1 and topic_posts[0]["group_id"] == "g-1"
    checkups = [p for p in receiver.posts if "未诉先办" in p["text"] and p.get("case_id")]
    assert len(checkups) == 1 and "u-wang" in checkups[0]["mentions"]
    staff = sign_in(app, bot, "u-wang")
    assert staff.get("/desk/hotspots").status_code == 403


def test_exports_page_and_files_match_the_cli_writer(app, bot, chat, clock):
    chat.say("r-zhang", "3号楼2单元楼道灯坏了 13812345678")
    client = sign_in(app, bot, "u-li")
    assert "导出月报" in client.get("/desk/exports").get_data(as_text=True)
    resp = client.get("/desk/exports/report.xlsx?period=2026-11")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(resp.data))
    with bot.store.transaction() as repos:
        reports = exports.monthly_reports(repos, bot.config, 2026, 11, bot.now())
    same = load_workbook(io.BytesIO(exports.to_xlsx(reports, bot.config.tz)))
    assert book.sheetnames == same.sheetnames
    for name in book.sheetnames:
        assert [[c.value for c in r] for r in book[name].iter_rows()] == \
            [[c.value for c in r] for r in same[name].iter_rows()]
    csv_text = client.get("/desk/exports/report.csv?period=2026-11").get_data(as_text=True)
    assert csv_text.startswith("\ufeff社区,工单") and "13812345678" not in csv_text
    page = client.get("/desk/exports/report.html?period=2026-11").get_data(as_text=True)
    assert "@media print" in page and "13812345678" not in page
    bad = client.get("/desk/exports/report.xlsx?period=2026-13")
    assert bad.status_code == 302
    assert client.get("/desk/exports/report.pdf").status_code == 404
