"""config.yaml loading: the shipped file validates, errors name their key path,
${ENV} substitution, $BOT_CONFIG and $BOT_DATABASE_URL, and check-config's exit codes."""

from __future__ import annotations

import subprocess
import sys
from datetime import time, timedelta

import pytest
import yaml

from bot.config import ConfigError, parse_duration
from bot.config_file import config_from_dict, load_config
from tests.conftest import REPO, demo_config_dict


def _problems(raw, environ=None):
    with pytest.raises(ConfigError) as err:
        config_from_dict(raw, environ or {})
    return dict(err.value.problems)


def test_shipped_config_is_valid():
    cfg = load_config(str(REPO / "config.yaml"), environ={})
    com = cfg.communities[0]
    assert com.id == "sunshine" and com.groups[0].id == "g-1"
    assert {m.name for m in com.members} >= {"王师傅", "陈经理", "赵网格", "李书记", "刘主任"}
    assert cfg.sla.urgent.respond == timedelta(minutes=30)
    assert cfg.sla.normal.resolve == timedelta(hours=72)
    assert cfg.feedback.rating_timeout == timedelta(days=3)
    assert cfg.schedules.daily_digest == time(18, 0)
    assert cfg.schedules.quiet_hours == (time(22, 0), time(7, 0))
    assert cfg.timezone == "Asia/Shanghai"


def test_interfaces_example_minimal_config():
    raw = yaml.safe_load("""
communities:
  - id: sunshine
    name: 阳光小区
""")
    cfg = config_from_dict(raw, {})
    assert cfg.database.url == "sqlite:///linli.db"
    assert cfg.channels.bridge.enabled is True


def test_unknown_routing_category_names_path():
    raw = demo_config_dict()
    raw["communities"][0]["routing"]["water_leek"] = ["repair"]
    assert _problems(raw)["communities[0].routing.water_leek"] == "unknown category"


def test_unknown_role_and_bad_types_name_paths():
    raw = demo_config_dict()
    raw["communities"][0]["members"][0]["roles"] = ["plumber"]
    assert _problems(raw)["communities[0].members[0].roles[0]"] == "unknown role 'plumber'"
    raw = demo_config_dict()
    raw["sla"]["urgent"]["respond"] = "soon"
    raw["schedules"]["quiet_hours"] = ["22:00"]
    raw["channels"]["bridge"]["enabled"] = "maybe"
    problems = _problems(raw)
    assert "not a duration" in problems["sla.urgent.respond"]
    assert "two times" in problems["schedules.quiet_hours"]
    assert "channels.bridge.enabled" in problems


def test_typo_key_is_reported():
    raw = demo_config_dict()
    raw["channels"]["bridge"]["outbond_url"] = "http://x"
    assert "channels.bridge.outbond_url" in _problems(raw)


def test_duplicates_and_timezone():
    raw = demo_config_dict()
    raw["communities"][0]["members"].append({"id": "u-wang", "name": "又一个王师傅"})
    problems = _problems(raw)
    assert problems["communities[0].members[10].id"] == "duplicate member id 'u-wang'"
    raw = demo_config_dict()
    raw["timezone"] = "Mars/Olympus"
    assert "unknown timezone" in _problems(raw)["timezone"]


def test_env_substitution():
    raw = demo_config_dict()
    raw["channels"]["bridge"]["secret"] = "${MY_SECRET}"
    raw["channels"]["bridge"]["outbound_url"] = "${OUT_URL:-http://127.0.0.1:9/out}"
    cfg = config_from_dict(raw, {"MY_SECRET": "s3cr3t"})
    assert cfg.channels.bridge.secret == "s3cr3t"
    assert cfg.channels.bridge.outbound_url == "http://127.0.0.1:9/out"
    problems = _problems(raw, {})
    assert problems["channels.bridge.secret"] == "environment variable MY_SECRET is not set"


def test_database_url_from_environment():
    cfg = config_from_dict(demo_config_dict(), {"BOT_DATABASE_URL": "sqlite:////tmp/x.db"})
    assert cfg.database.url == "sqlite:////tmp/x.db"


def test_durations():
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("3d") == timedelta(days=3)
    assert parse_duration(15) == timedelta(minutes=15)
    with pytest.raises(ValueError):
        parse_duration("3 days")


def _cli(*args, env=None):
    import os

    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=60)


def test_check_config_ok_and_error(tmp_path):
    ok = _cli("check-config")
    assert ok.returncode == 0 and "OK" in ok.stdout
    raw = demo_config_dict()
    raw["communities"][0]["routing"]["water_leek"] = ["repair"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = _cli("check-config", "--config", str(bad))
    assert result.returncode == 1
    assert "communities[0].routing.water_leek: unknown category" in result.stderr
    assert "Traceback" not in result.stderr
    via_env = _cli("check-config", env={"BOT_CONFIG": str(bad)})
    assert via_env.returncode == 1 and "water_leek" in via_env.stderr


def test_check_config_missing_file_and_bad_yaml(tmp_path):
    missing = _cli("check-config", "--config", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("communities: [\n", encoding="utf-8")
    result = _cli("check-config", "--config", str(broken))
    assert result.returncode == 1 and "not valid YAML" in result.stderr
