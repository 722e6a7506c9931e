"""A new user's first minutes, in a real browser on a phone-sized screen (390×844):
`python -m bot demo` starts, the simulator page opens with a resident as the sender, the
first complaint opens a case and the repairman is pinged; a neighbour quotes the bot's
answer and gets the case's progress; +1天 runs every tick on the way (an escalation, the
18:00 digest). The header fits in two rows, labels and times are Chinese and 24-hour,
刘大爷 and 刘主任 have different avatars, emoji render in colour or are left out.
Playwright drives Debian's headless chromium.

The screenshot lands in test-artifacts/simulator.png (and docs/simulator.png with
UPDATE_SCREENSHOT=1). Without chromium the test skips outside CI and fails under CI.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import REPO

ARTIFACTS = REPO / "test-artifacts"


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed under CI (.ci/run installs it with apt)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo_server(tmp_path):
    port = _free_port()
    env = {**os.environ, "BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
           "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "demo", "--port", str(port)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "healthz", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("demo exited early:\n" + proc.stdout.read())
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("demo did not answer within 60 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


HEADER_BOXES = """() => {
  const header = document.querySelector("header");
  const leaves = [...header.querySelectorAll("*")].filter(e =>
      (e.children.length === 0 || ["SELECT", "BUTTON"].includes(e.tagName)) &&
      e.tagName !== "OPTION" && e.getClientRects().length > 0);
  const box = header.getBoundingClientRect();
  return {header: {top: box.top, height: box.height},
          scrollWidth: document.documentElement.scrollWidth,
          boxes: leaves.map(e => { const r = e.getBoundingClientRect();
                                   return {tag: e.tagName, id: e.id, top: r.top,
                                           bottom: r.bottom, left: r.left, right: r.right}; })};
}"""

# Colourful pixels in a PNG, counted by the browser itself (no image library needed).
COLOURFUL_PIXELS = """async (dataUrl) => {
  const img = new Image(); img.src = dataUrl; await img.decode();
  const c = document.createElement("canvas"); c.width = img.width; c.height = img.height;
  const ctx = c.getContext("2d"); ctx.drawImage(img, 0, 0);
  const px = ctx.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]) > 80) n++;
  }
  return n;
}"""

EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50\u23F0-\u23FA]")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _rows(boxes: list[dict]) -> list[list[dict]]:
    """Group boxes into rows: a box whose middle lies below every box of the current row
    starts a new one."""
    rows: list[list[dict]] = []
    for box in sorted(boxes, key=lambda b: (b["top"] + b["bottom"]) / 2):
        middle = (box["top"] + box["bottom"]) / 2
        if rows and middle < max(b["bottom"] for b in rows[-1]):
            rows[-1].append(box)
        else:
            rows.append([box])
    return rows


def _send(page, sender: str | None, text: str) -> None:
    if sender is not None:
        page.select_option("#sender", sender)
    page.fill("#text", text)
    page.press("#text", "Enter")


def test_resident_complains_in_the_simulator(demo_server):
    executable = _chromium()
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    state = json.load(urllib.request.urlopen(demo_server + "simulator/api/state"))
    roster = {m["id"]: m for m in state["members"]["sunshine"]}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--lang=en-US"])  # an English browser still shows Chinese, 24-hour times
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, locale="en-US")
            page.goto(demo_server)
            expect(page.locator("#group")).to_contain_text("阳光小区议事群")
            expect(page.locator("#now")).to_have_text(re.compile(r"^\d+月\d+日 周. \d\d:\d\d$"))

            # the header fits a phone in two rows, nothing sticking out sideways
            layout = page.evaluate(HEADER_BOXES)
            rows = _rows(layout["boxes"])
            assert len(rows) <= 2, [[b["tag"] + "#" + b["id"] for b in row] for row in rows]
            assert layout["header"]["height"] <= 100, layout["header"]
            assert layout["scrollWidth"] <= 390
            assert all(b["left"] >= 0 and b["right"] <= 390 for b in layout["boxes"]), layout

            # the fast-forward picker offers Chinese days and 24-hour times
            page.click("#ffopen")
            options = page.locator("#fftime option").all_inner_texts()
            assert "18:00" in options and all(TIME.match(t) for t in options), options
            expect(page.locator("#ffday option").first).to_contain_text("（今天）")
            page.click("#ffclose")
            expect(page.locator("#ffpanel")).to_be_hidden()

            # a newcomer speaks as a resident: the first complaint opens a case
            default = page.locator("#sender").input_value()
            assert roster[default]["resident"], roster[default]
            _send(page, None, "3号楼2单元楼道灯坏了三天了，晚上老人上下楼看不见")
            bot_replies = page.locator(".msg.bot .bubble")
            expect(bot_replies.last).to_contain_text("@王师傅", timeout=10_000)  # the ping
            expect(bot_replies.last).to_contain_text("前签收")
            expect(bot_replies.filter(has_text="已受理 #")).to_have_count(1)    # the answer
            answer = page.locator(".msg.bot", has_text="已受理 #1")
            expect(page.locator(".msg.mine .bubble").last).to_contain_text("楼道灯坏了")

            # a neighbour quotes the bot's answer and asks: the quote goes out as the
            # bridge's quote.msg_id and the bot answers about that case
            page.select_option("#sender", "u-xiaosun")
            answer.locator(".quote-link").click()
            expect(page.locator("#quotebar")).to_contain_text("已受理 #1")
            with page.expect_request(lambda r: r.url.endswith("/simulator/api/say")) as sent:
                _send(page, None, "这个现在怎么样了")
            quote = sent.value.post_data_json["quote"]
            assert quote["msg_id"] == answer.get_attribute("data-id")
            assert quote["msg_id"].startswith("out-")
            asked = page.locator(".msg.mine", has_text="这个现在怎么样了")
            expect(asked.locator(".quoted")).to_contain_text("邻里助手：已受理 #1")
            expect(page.locator(".msg.bot .bubble").last).to_contain_text(
                "#1 公共设施损坏", timeout=10_000)
            expect(page.locator(".msg.bot .bubble").last).to_contain_text("目前状态")
            expect(page.locator("#quotebar")).to_be_hidden()

            _send(page, "u-laoliu", "/工单")
            expect(page.locator(".msg.bot .bubble").last).to_contain_text("进行中的工单（1件）")
            _send(page, "u-liu", "大家好，我是街道的刘主任")
            expect(page.locator(".msg.mine", has_text="我是街道的刘主任")).to_be_visible()

            # 刘大爷 and 刘主任 look different
            def avatar(name):
                box = page.locator(".msg", has=page.locator(".name", has_text=name)).first
                return box.locator(".avatar").evaluate(
                    "e => [e.textContent, getComputedStyle(e).backgroundColor]")
            assert avatar("刘大爷") != avatar("刘主任")
            assert avatar("刘大爷")[0] != avatar("刘主任")[0]

            # +1天 runs every tick on the way: the case climbs a tier, the 18:00 digest
            before = page.locator("#now").inner_text()
            page.click("#plus1d")
            expect(page.locator("#status")).to_contain_text("已快进到", timeout=30_000)
            assert page.locator("#now").inner_text() != before
            escalation = page.locator(".msg.bot", has_text="已升级到居民区")
            expect(escalation.first).to_contain_text("@赵网格", timeout=10_000)
            digest = page.locator(".msg.bot", has_text="工单日报").filter(
                has=page.locator(".meta", has_text="18:00"))
            expect(digest.first).to_contain_text("进度汇总")
            status = page.locator("#status").inner_text()
            assert "进度汇总" in status and not re.search("[A-Za-z]", status), status

            # no English kind tags, times in 24-hour form
            metas = page.locator(".meta").all_inner_texts()
            assert metas and not any(re.search("[A-Za-z]", m) for m in metas), metas
            times = page.locator(".meta").evaluate_all(
                "els => els.map(e => [...e.childNodes].filter(n => n.nodeType === 3)"
                ".map(n => n.textContent).join('').replace('待发送 · ', ''))")
            assert all(TIME.match(t) for t in times), times
            tags = page.locator(".meta .tag").all_inner_texts()
            assert "超时升级" in tags and "进度汇总" in tags, tags

            # emoji either render (in colour) or are left out
            bubble = digest.first.locator(".bubble")
            if EMOJI.search(bubble.inner_text()):
                png = base64.b64encode(bubble.screenshot()).decode()
                colourful = page.evaluate(COLOURFUL_PIXELS, "data:image/png;base64," + png)
                assert colourful >= 30, f"emoji shown without colour ({colourful} pixels)"

            page.screenshot(path=str(ARTIFACTS / "simulator.png"))
            if os.environ.get("UPDATE_SCREENSHOT") == "1":
                shutil.copy(ARTIFACTS / "simulator.png", REPO / "docs" / "simulator.png")
        finally:
            browser.close()
