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
