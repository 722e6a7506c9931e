"""`/healthz` says the process is alive and nothing more; `/healthz/ready` checks the
database, the migrations and the outbox, behind a token when one is configured; unknown
paths and methods are answered in JSON like everything else."""

from __future__ import annotations

from bot import create_app
from tests.conftest import make_config


def test_liveness_shows_no_internals(chat):
    resp = chat.client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"ok": True}


def test_readiness_checks_database_migrations_and_outbox(chat):
    chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
    resp = chat.client.get("/healthz/ready")
    body = resp.get_json()
    assert resp.status_code == 200 and body["ok"] is True
    assert set(body["checks"]) == {"database", "migrations", "outbox"}
    assert "pending" in body["checks"]["outbox"]["detail"]
    assert "password" not in str(body).lower()


def test_readiness_behind_a_token(db_url, clock):
    app = create_app(make_config(db_url, health={"ready_token": "t0ken"}), clock=clock)
    client = app.test_client()
    assert client.get("/healthz/ready").status_code == 401
    assert client.get("/healthz/ready?token=wrong").status_code == 401
    assert client.get("/healthz/ready?token=t0ken").status_code == 200
    assert client.get("/healthz/ready",
                      headers={"Authorization": "Bearer t0ken"}).status_code == 200
    assert client.get("/healthz").status_code == 200  # liveness needs no token


def test_unknown_paths_and_methods_answer_json(chat):
    resp = chat.client.get("/no/such/page")
    assert resp.status_code == 404 and resp.get_json() == {"ok": False, "error": "not found"}
    resp = chat.client.get("/bridge/messages")
    assert resp.status_code == 405 and resp.get_json()["ok"] is False
