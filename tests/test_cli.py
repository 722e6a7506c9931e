"""The command line of interfaces.md, run as a user would: tick, serve, classify."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import yaml

from tests.conftest import REPO, demo_config_dict


def _config_file(tmp_path, **bridge) -> str:
    raw = demo_config_dict()
    raw["database"] = {"url": f"sqlite:///{tmp_path / 'cli.db'}"}
    raw["channels"]["bridge"] = {"enabled": True, "secret": "", "outbound_url": "", **bridge}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return str(path)


def _cli(*args, **kw):
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_CONFIG", "BOT_DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=env, **kw)


def test_tick_prints_one_summary_line_and_is_repeatable(tmp_path):
    cfg = _config_file(tmp_path)
    first = _cli("tick", "--config", cfg, "--at", "2026-11-23T18:00:00+08:00")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tick 2026-11-23T18:00:00+08:00:")
    second = _cli("tick", "--config", cfg, "--at", "2026-11-23T18:00")
    assert second.returncode == 0 and "delivered 0 posts" in second.stdout


def test_tick_rejects_bad_time(tmp_path):
    result = _cli("tick", "--config", _config_file(tmp_path), "--at", "tomorrow")
    assert result.returncode == 2 and "ISO-8601" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_answers_and_stops(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--config",
                             _config_file(tmp_path), "--host", "127.0.0.1", "--port", str(port)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(150):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("serve did not answer")
        assert json.loads(body)["ok"] is True
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/bridge/messages", method="POST",
            data=json.dumps({"msg_id": "s-1", "group_id": "g-1", "sender_id": "u-zhang",
                             "text": "5号楼电梯坏了，困住人了"}).encode(),
            headers={"Content-Type": "application/json"})
        answer = json.loads(urllib.request.urlopen(req, timeout=10).read())
        assert "已受理 #1" in answer["replies"][0]["text"]
        # the simulator is not served by `serve` unless enabled
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            raise AssertionError("simulator page should be off")
        except urllib.error.HTTPError as err:
            assert err.code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_with_bad_config_exits_1(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("communities: []\n", encoding="utf-8")
    result = _cli("serve", "--config", str(bad))
    assert result.returncode == 1 and "communities" in result.stderr


def _seed_month(tmp_path) -> str:
    """Two November cases (one resolved and rated) in a fresh database; the config path."""
    from datetime import datetime

    from bot import create_app
    from tests.conftest import TZ, Chat, FrozenClock, make_config

    cfg_path = _config_file(tmp_path)
    clock = FrozenClock(datetime(2026, 11, 10, 9, 0, tzinfo=TZ))
    app = create_app(make_config(f"sqlite:///{tmp_path / 'cli.db'}", secret=""), clock=clock)
    try:
        chat = Chat(app.test_client(), clock, secret="")
        chat.say("u-zhang", "3号楼2单元楼道灯坏了 我电话13812345678")
        first = chat.last["replies"][0]["case_id"]
        chat.say("u-gao", "9号楼下水道堵了，污水往外冒")
        clock.advance(hours=2)
        chat.say("u-wang", f"/办结 #{first}")
        chat.say("u-zhang", "满意")
    finally:
        app.extensions["linli"].engine.dispose()
    return cfg_path


def test_report_markdown_csv_and_xlsx(tmp_path):
    cfg = _seed_month(tmp_path)
    md = _cli("report", "--config", cfg, "--period", "2026-11")
    assert md.returncode == 0, md.stderr
    assert "# 阳光小区 2026-11 社情民意月报" in md.stdout
    assert "| 受理 | 2 |" in md.stdout and "| 满意率 | 100%（1/1） |" in md.stdout
    assert "张阿姨" not in md.stdout and "13812345678" not in md.stdout
    out_csv = tmp_path / "r.csv"
    assert _cli("report", "--config", cfg, "--period", "2026-11", "--format", "csv",
                "--out", str(out_csv)).returncode == 0
    rows = out_csv.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("社区,工单,类别") and len(rows) == 3
    out_xlsx = tmp_path / "r.xlsx"
    assert _cli("report", "--config", cfg, "--period", "2026-11", "--format", "xlsx",
                "--out", str(out_xlsx)).returncode == 0
    from openpyxl import load_workbook

    book = load_workbook(out_xlsx)
    assert book.sheetnames == ["阳光小区汇总", "阳光小区趋势", "阳光小区明细"]
    assert book["阳光小区汇总"]["B2"].value == 2
    assert book["阳光小区明细"].max_row == 3
    empty = _cli("report", "--config", cfg, "--period", "2026-10")
    assert empty.returncode == 0 and "| 受理 | 0 |" in empty.stdout


def test_report_bad_arguments(tmp_path):
    cfg = _config_file(tmp_path)
    bad = _cli("report", "--config", cfg, "--period", "2026-13")
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr
    no_out = _cli("report", "--config", cfg, "--period", "2026-11", "--format", "xlsx")
    assert no_out.returncode == 2 and "--out" in no_out.stderr
