"""Operating it without losing data: `backup` and `restore` (a round trip through the
real CLI on SQLite; the pg_dump lines on PostgreSQL) and `doctor`'s one line per check."""

from __future__ import annotations

import yaml

from bot import create_app
from bot.cli import main as cli_main
from bot.config_file import load_config
from tests.conftest import Chat, demo_config_dict


def _config_file(tmp_path, db_url: str, secret: str = "s3cret",
                 outbound_url: str = "http://127.0.0.1:9/out") -> str:
    raw = demo_config_dict()
    raw["database"] = {"url": db_url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": secret,
                                 "outbound_url": outbound_url}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return str(path)


def _open_cases(config_path: str) -> list[str]:
    app = create_app(load_config(config_path))
    with app.extensions["linli"].store.transaction() as repos:
        return [c.text for c in repos.cases.open_in_community("sunshine")]


def _say(config_path, clock, text):
    app = create_app(load_config(config_path), clock=clock)
    chat = Chat(app.test_client(), clock, secret="s3cret")
    assert chat.say("u-zhang", text)


def test_backup_and_restore_round_trip(tmp_path, clock, capsys):
    path = _config_file(tmp_path, f"sqlite:///{tmp_path / 'live.db'}")
    _say(path, clock, "3号楼2单元楼道灯坏了三天了")
    out = tmp_path / "copy.db"
    assert cli_main(["backup", "--config", path, "--out", str(out)]) == 0
    assert "pages" in capsys.readouterr().out
    _say(path, clock, "5号楼电梯又坏了")
    assert len(_open_cases(path)) == 2
    assert cli_main(["restore", str(out), "--config", path]) == 0
    assert _open_cases(path) == ["3号楼2单元楼道灯坏了三天了"]
    # an existing --out is never overwritten; a damaged file is never restored
    assert cli_main(["backup", "--config", path, "--out", str(out)]) == 1
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert cli_main(["restore", str(junk), "--config", path]) == 1
    assert "not a SQLite database" in capsys.readouterr().err


def test_postgres_backup_names_pg_dump(tmp_path, capsys):
    path = _config_file(tmp_path, "postgresql+psycopg://linli@127.0.0.1:5432/linli")
    assert cli_main(["backup", "--config", path, "--out", "x.dump"]) == 2
    assert "pg_dump --format=custom --file=x.dump 'postgresql://linli@127.0.0.1:5432/linli'" \
        in capsys.readouterr().err
    assert cli_main(["restore", "x.dump", "--config", path]) == 2
    assert "pg_restore" in capsys.readouterr().err


def test_doctor_one_line_per_check_and_exit_code(tmp_path, clock, capsys):
    path = _config_file(tmp_path, f"sqlite:///{tmp_path / 'live.db'}")
    _say(path, clock, "3号楼2单元楼道灯坏了三天了")  # the server migrated the database
    assert cli_main(["doctor", "--config", path]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["config", "database", "migrations", "outbox",
                                                   "bridge", "media", "clock"]
    assert all(line.startswith("OK") for line in lines)
    unsigned = _config_file(tmp_path, f"sqlite:///{tmp_path / 'live.db'}", secret="")
    assert cli_main(["doctor", "--config", unsigned]) == 1
    assert "PROBLEM bridge" in capsys.readouterr().out
    nowhere = _config_file(tmp_path, "sqlite:////nonexistent/dir/x.db")
    assert cli_main(["doctor", "--config", nowhere]) == 1
    assert "PROBLEM database    cannot connect" in capsys.readouterr().out
