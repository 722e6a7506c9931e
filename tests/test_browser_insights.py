"""The 三率 page in a real browser (Playwright, Debian's headless chromium): signed in with
a one-time link, its ECharts charts draw on canvas (pixels that are not blank) at a
desktop size and at a phone's 390×844, with nothing sticking out sideways; on the hot
spots page one click proposes a topic; screenshots go to docs/ with UPDATE_SCREENSHOT=1.
Without chromium the test skips outside CI."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from bot import create_app
from bot.domain.desk import issue_link
from tests.conftest import SECRET, Chat, make_config

DOCS = Path(__file__).resolve().parents[1] / "docs"

CANVAS_INK = """() => Array.from(document.querySelectorAll('[data-chart] canvas')).map(c => {
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) ink++; }
  return ink;
})"""


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed under CI")
    pytest.skip("chromium is not installed (apt-get install chromium)")


@pytest.fixture
def served(sqlite_url, receiver, clock):
    config = make_config(sqlite_url, outbound_url=receiver.url,
                         desk={"enabled": True, "secret": "s" * 32})
    app = create_app(config, clock=clock)
    chat = Chat(app.test_client(), clock, secret=SECRET)
    for week in range(4):  # four weeks of cases, some acknowledged and resolved
        for n, text in enumerate(["3号楼楼道灯坏了", "5号楼电梯坏了", "9号楼下水道堵了"]):
            chat.say(f"r-{week}-{n}", text)
            case_id = chat.last["replies"][0]["case_id"]
            if n != 2:
                clock.advance(hours=1 + n)
                chat.say("u-wang", f"/接单 #{case_id}")
            if n == 0:
                chat.say("u-wang", f"/办结 #{case_id}")
        clock.advance(days=7)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    bot = app.extensions["linli"]
    yield f"http://127.0.0.1:{server.server_port}", bot
    server.shutdown()
    bot.engine.dispose()


@pytest.mark.parametrize("size", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_stats_charts_draw(served, size):
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    base, bot = served
    with bot.store.transaction() as repos:
        member = repos.members.by_external("sunshine", "u-li")
        token = issue_link(repos, member, bot.wall_clock(), 10).token
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update"])
        try:
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"{base}/desk/login?t={token}")
            page.click("#enter")
            page.goto(f"{base}/desk/stats")
            page.wait_for_selector("[data-drawn='1'] canvas", timeout=timedelta(
                seconds=20).total_seconds() * 1000)
            ink = page.evaluate(CANVAS_INK)
            assert len(ink) == 5 and all(n > 500 for n in ink), ink
            assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
            assert all(r.startswith(base) for r in requests), requests  # no CDN
            if os.environ.get("UPDATE_SCREENSHOT"):
                name = "desk-stats-phone.png" if size[0] < 500 else "desk-stats.png"
                page.screenshot(path=str(DOCS / name), full_page=size[0] < 500)
            # 未诉先办: 3号楼's lights four weeks running; one click proposes a topic
            page.goto(f"{base}/desk/hotspots")
            spot = page.locator(".hotspot", has_text="3号楼")
            spot.locator("button", has_text="发起议题").click()
            page.wait_for_selector(".flash")
            assert "已发起议题" in page.inner_text(".flash")
            assert page.locator(".hotspot", has_text="3号楼").locator(
                "text=已在议题").count() == 1
            if os.environ.get("UPDATE_SCREENSHOT") and size[0] < 500:
                page.screenshot(path=str(DOCS / "desk-hotspots.png"))
        finally:
            browser.close()
