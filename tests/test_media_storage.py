"""Storage of photos and of the archive feed's position, on SQLite and PostgreSQL: the
migration creates both tables; photos attach to a case and are counted before/after
(refused ones never); the archive cursor never moves backwards and survives a new
engine; the media folder stores one file per content, atomically."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect

from bot.config import MediaConfig
from bot.domain.media import ImageRefused, clean_image, photo_counts, sniff
from storage.db import make_engine, make_session_factory, migrate
from storage.media_files import MediaFiles
from storage.models import Case
from storage.repositories import Store
from tests.fake_media import has_gps, image_bytes, jpeg_with_gps

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=TZ)


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine):
    store = Store(make_session_factory(engine))
    with store.transaction() as repos:
        repos.communities.upsert("c1", "测试小区")
        repos.groups.upsert("g1", community_id="c1", name="测试群", channel="bridge",
                            webhook_key="", now=NOW)
        member = repos.members.ensure("c1", "u1", "张阿姨", NOW)
        repos.inbound.add(channel="bridge", msg_id="m1", group_id="g1", sender_id="u1",
                          text="灯坏了", payload={}, sent_at=NOW, received_at=NOW)
        repos.session.flush()
    with store.transaction() as repos:
        case = Case(community_id="c1", group_id="g1", category="facility", text="灯坏了",
                    complainant_id=member.id, opened_at=NOW, respond_by=NOW,
                    resolve_by=NOW, updated_at=NOW)
        repos.session.add(case)
    return store


def test_the_migration_creates_the_media_tables(engine):
    tables = set(inspect(engine).get_table_names())
    assert {"media", "archive_cursors"} <= tables


def test_photos_attach_and_count_before_and_after(store):
    with store.transaction() as repos:
        inbound = repos.inbound.recent_in_group("g1", 1)[0]
        rows = [repos.media.add(inbound_id=inbound.id, group_id="g1", status=status,
                                created_at=NOW) for status in ("stored", "stored", "refused")]
        assert repos.media.attach(rows[:1], 1, "before") == 1
        assert repos.media.attach(rows[1:], 1, "after") == 1  # the refused one is not
    with store.transaction() as repos:
        assert photo_counts(repos, 1) == (1, 1)
        assert [m.status for m in repos.media.of_message(inbound.id)] == \
            ["stored", "stored", "refused"]


def test_the_archive_cursor_only_moves_forward_and_is_kept(store, engine):
    with store.transaction() as repos:
        assert repos.archive.position("ww1") == 0
        repos.archive.advance("ww1", 41, NOW)
        repos.archive.advance("ww1", 40, NOW + timedelta(seconds=1))
        repos.archive.advance("ww2", 3, NOW)
    other = make_engine(engine.url.render_as_string(hide_password=False))
    fresh = Store(make_session_factory(other))
    with fresh.transaction() as repos:
        assert repos.archive.position("ww1") == 41
        assert repos.archive.position("ww2") == 3
        repos.archive.advance("ww1", 2**40, NOW)  # seq is a 64-bit number
    with fresh.transaction() as repos:
        assert repos.archive.position("ww1") == 2**40
    other.dispose()


def test_media_files_are_one_per_content_and_leave_no_partial_files(tmp_path):
    files = MediaFiles(tmp_path)
    first = files.write(b"abc", "ff" * 32, "jpg", NOW)
    assert files.write(b"abc", "ff" * 32, "jpg", NOW) == first == f"2026/11/{'ff' * 32}.jpg"
    assert files.read(first) == b"abc"
    assert [p.name for p in tmp_path.rglob("*")
            if p.is_file()] == [f"{'ff' * 32}.jpg"]


def test_clean_image_checks_content_and_removes_exif():
    cfg = MediaConfig(max_bytes=50_000, max_pixels=100_000)
    clean = clean_image(jpeg_with_gps(), cfg)
    assert clean.type == "jpeg" and not has_gps(clean.data)
    assert sniff(image_bytes("WEBP")) == "webp"
    with pytest.raises(ImageRefused, match="too large: 400x400 pixels"):
        clean_image(image_bytes("PNG", size=(400, 400)), cfg)
    with pytest.raises(ImageRefused, match="type gif not allowed"):
        clean_image(image_bytes("GIF"), cfg)
