"""The desk in a real browser on a phone (390×844): `python -m bot demo` runs, two
residents complain in the group, `python -m bot desk-link u-li` gives a link; the
secretary signs in, filters the board by category, opens the case, assigns it to the
repairman and acknowledges it; the timeline shows both with her name, the page never
scrolls sideways, and the group sees the assignment. Playwright drives Debian's
headless chromium (skips without it outside CI).

Screenshots land in test-artifacts/desk-*.png (and docs/ with UPDATE_SCREENSHOT=1).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request

from tests.conftest import REPO
from tests.test_browser_demo import ARTIFACTS, _chromium, demo_server  # noqa: F401

NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


def _say(base: str, sender: str, text: str, n: int) -> None:
    body = json.dumps({"msg_id": f"browser-desk-{n}", "group_id": "g-1", "sender_id": sender,
                       "text": text}, ensure_ascii=False).encode()
    request = urllib.request.Request(base + "bridge/messages", data=body,
                                     headers={"Content-Type": "application/json"})
    assert json.load(urllib.request.urlopen(request))["ok"]


def _desk_link(base: str, tmp_path) -> str:
    env = {**os.environ, "BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    done = subprocess.run([sys.executable, "-m", "bot", "desk-link", "u-li", "--url",
                           base.rstrip("/")], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        shutil.copy(ARTIFACTS / name, REPO / "docs" / name)


def test_secretary_assigns_a_case_on_the_phone(demo_server, tmp_path):  # noqa: F811
    executable = _chromium()
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    _say(demo_server, "u-zhang", "3号楼2单元楼道灯坏了，晚上黑乎乎的", 1)
    _say(demo_server, "u-laoliu", "5号楼502天花板漏水，滴到床上了", 2)
    link = _desk_link(demo_server, tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--lang=en-US"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, locale="en-US")
            page.goto(link)
            page.click("#enter")
            cases = page.locator("ul.cases li")
            expect(cases).to_have_count(2)
            expect(page.locator("h1")).to_contain_text("共 2 件")
            assert page.evaluate(NO_SIDEWAYS)
            _shot(page, "desk-board.png")

            page.select_option("select[name=category]", "water_leak")  # filters at once
            expect(cases).to_have_count(1)
            expect(cases.first).to_contain_text("天花板漏水")
            cases.first.locator("a.title").click()

            expect(page.locator("h1")).to_contain_text("漏水")
            page.click("#act-assign summary")
            page.select_option("select[name=assignee]", label="王师傅（物业维修）")
            page.click("#do-assign")
            expect(page.locator(".flash")).to_contain_text("已完成")
            expect(page.locator("#assignee")).to_have_text("王师傅")
            page.click("#do-acknowledge")
            expect(page.locator("#state")).to_have_text("已签收")
            timeline = page.locator("#timeline")
            expect(timeline).to_contain_text("派单 · 李书记")
            expect(timeline).to_contain_text("签收 · 李书记")
            assert page.evaluate(NO_SIDEWAYS)
            _shot(page, "desk-case.png")
        finally:
            browser.close()
    messages = json.load(urllib.request.urlopen(
        demo_server + "simulator/api/messages?group_id=g-1"))["messages"]
    said = [m["text"] for m in messages if m["type"] == "out"]
    assert any("已指派给 王师傅" in t for t in said), said
    assert any("已由 李书记 签收" in t for t in said), said
