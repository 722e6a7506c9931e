"""Photos through the bridge: kept clean (no EXIF, no GPS) in the media folder, refused
with a reason when they are not what they claim (type by content, size, md5, an
unreachable URL) while the words are still handled, and attached to the right case:
the one the message opened, the complainant's photo sent alone minutes later, the staff
member's fix as the `after` picture; `/工单 #N` counts them."""

from __future__ import annotations

import base64
import hashlib
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import make_config
from tests.fake_media import has_gps, image_bytes, jpeg_with_gps

COMPLAINT = "3号楼2单元楼道灯坏了，晚上黑漆漆的"


@pytest.fixture
def media_dir(tmp_path):
    return tmp_path / "media"


@pytest.fixture
def config(db_url, receiver, media_dir):
    return make_config(db_url, outbound_url=receiver.url,
                       media={"dir": str(media_dir), "max_bytes": 100_000})


def _media(bot, case_id=None):
    with bot.store.transaction() as repos:
        if case_id is not None:
            return [(m.kind, m.path) for m in repos.media.for_case(case_id)]
        rows = []
        for row in repos.inbound.recent_in_group("g-1", 100):
            rows += [(m.status, m.reason, m.case_id, m.kind) for m in
                     repos.media.of_message(row.id)]
        return rows


def _b64(data: bytes) -> dict:
    return {"base64": base64.b64encode(data).decode(), "md5": hashlib.md5(data).hexdigest()}


def test_url_photo_with_a_complaint_is_kept_without_exif_and_attached(
        chat, bot, images, media_dir):
    original = jpeg_with_gps()
    assert has_gps(original)
    url = images.put("/photos/leak.jpg", original)
    replies = chat.say("u-zhang", COMPLAINT, images=[{"url": url + "?sign=abc"}])
    assert any("已受理 #1" in r for r in replies)
    [(kind, path)] = _media(bot, 1)
    assert kind == "before"
    stored = (media_dir / path).read_bytes()
    assert stored[:3] == b"\xff\xd8\xff" and not has_gps(stored)
    assert b"LinliPhone" not in stored
    with Image.open(BytesIO(stored)) as img:
        assert img.size == (48, 64)  # turned upright by the orientation it dropped
    detail = "\n".join(chat.say("u-zhang", "/工单 #1"))
    assert "照片：处理前 1 张，处理后 0 张" in detail


def test_base64_photo_with_matching_md5_is_kept(chat, bot):
    png = image_bytes("PNG")
    replies = chat.say("u-zhang", COMPLAINT, images=[_b64(png)])
    assert any("已受理 #1" in r for r in replies)
    assert [k for k, _ in _media(bot, 1)] == ["before"]


def test_md5_mismatch_is_refused_and_the_words_still_open_the_case(chat, bot, caplog):
    item = _b64(image_bytes("PNG"))
    item["md5"] = "0" * 32
    replies = chat.say("u-zhang", COMPLAINT, images=[item])
    assert any("已受理 #1" in r for r in replies)
    assert _media(bot) == [("refused", "md5 mismatch", None, "")]
    assert "refused: md5 mismatch" in caplog.text


@pytest.mark.parametrize("body, reason", [
    (b"%PDF-1.4 not a picture at all" * 10, "not an image"),
    (image_bytes("GIF"), "type gif not allowed"),
    (jpeg_with_gps(size=(900, 900), color=None) + b"\0" * 120_000, "too large"),
    (b"\xff\xd8\xff\xe0 broken jpeg", "unreadable jpeg"),
], ids=["pdf-named-jpg", "gif", "too-large", "broken-jpeg"])
def test_a_bad_photo_is_refused_with_a_reason_and_the_text_handled(
        chat, bot, images, body, reason):
    url = images.put("/photo.jpg", body)  # the name says jpg; the content decides
    replies = chat.say("u-zhang", COMPLAINT, images=[{"url": url}])
    assert chat.last["ok"] is True and any("已受理 #1" in r for r in replies)
    [(status, why, case_id, _)] = _media(bot)
    assert status == "refused" and why.startswith(reason) and case_id is None
    assert _media(bot, 1) == []


def test_an_unreachable_url_is_refused_and_logged_without_its_query(chat, bot, images,
                                                                     caplog):
    url = images.base + "/missing.jpg?sign=SECRET"
    replies = chat.say("u-zhang", COMPLAINT, images=[{"url": url}])
    assert any("已受理 #1" in r for r in replies)
    [(status, why, _, _)] = _media(bot)
    assert status == "refused" and why.startswith("unreachable: HTTP 404")
    assert "SECRET" not in caplog.text and "missing.jpg" in caplog.text


@pytest.mark.parametrize("images_field, problem", [
    ("a.jpg", "images must be a list"),
    (["a.jpg"], "images[0] must be an object"),
    ([{}], "images[0] needs either url or base64"),
    ([{"base64": "AAAA"}], "images[0].md5 is required"),
    ([{"url": 7}], "images[0].url must be a string"),
])
def test_malformed_images_are_a_400(chat, images_field, problem):
    resp = chat.post(chat.payload("u-zhang", COMPLAINT, images=images_field))
    assert resp.status_code == 400
    assert problem in resp.get_json()["error"]


def test_a_photo_alone_after_a_complaint_joins_that_case(chat, bot, clock):
    chat.say("u-zhang", COMPLAINT)
    clock.advance(minutes=4)
    replies = chat.say("u-zhang", "", images=[_b64(image_bytes("JPEG"))])
    assert replies == ["收到1张问题照片，已放进工单 #1，谢谢！"]
    assert [k for k, _ in _media(bot, 1)] == ["before"]


def test_a_photo_alone_with_no_text_field_is_accepted(chat, bot, clock):
    chat.say("u-zhang", COMPLAINT)
    payload = chat.payload("u-zhang", "", images=[_b64(image_bytes("JPEG"))])
    del payload["text"]
    resp = chat.post(payload)
    assert resp.status_code == 200
    assert [k for k, _ in _media(bot, 1)] == ["before"]


def test_a_photo_alone_long_after_or_from_someone_else_stays_with_the_message(
        chat, bot, clock):
    chat.say("u-zhang", COMPLAINT)
    assert chat.say("u-laoliu", "", images=[_b64(image_bytes("JPEG"))]) == []
    clock.advance(minutes=11)
    assert chat.say("u-zhang", "", images=[_b64(image_bytes("PNG"))]) == []
    assert _media(bot, 1) == []
    assert [(s, c) for s, _, c, _ in _media(bot)] == [("stored", None), ("stored", None)]


def test_the_staff_fix_photo_is_the_after_picture_and_cases_count_them(chat, bot, clock):
    chat.say("u-zhang", COMPLAINT, images=[_b64(image_bytes("JPEG"))])
    clock.advance(hours=1)
    chat.say("u-wang", "/接单 #1")
    clock.advance(hours=1)
    replies = chat.say("u-wang", "/办结 #1 灯换好了", images=[_b64(image_bytes("PNG"))])
    assert replies, "the resolve is answered"
    clock.advance(minutes=2)
    alone = chat.say("u-wang", "", images=[_b64(image_bytes("JPEG", size=(40, 40)))])
    assert alone == ["收到1张完工照片，已放进工单 #1，谢谢！"]
    assert sorted(k for k, _ in _media(bot, 1)) == ["after", "after", "before"]
    detail = "\n".join(chat.say("u-zhang", "/工单 #1"))
    assert "照片：处理前 1 张，处理后 2 张" in detail


def test_a_plain_word_fix_with_a_photo_is_after(chat, bot, clock):
    chat.say("u-zhang", COMPLAINT)
    clock.advance(hours=1)
    chat.say("u-wang", "#1 收到")
    clock.advance(hours=1)
    chat.say("u-wang", "#1 已经修好了", images=[_b64(image_bytes("PNG"))])
    assert [k for k, _ in _media(bot, 1)] == ["after"]


def test_the_same_photo_twice_is_one_file(chat, bot, media_dir):
    item = _b64(image_bytes("PNG"))
    chat.say("u-zhang", COMPLAINT, images=[item, item])
    assert len(_media(bot, 1)) == 2
    assert len([p for p in Path(media_dir).rglob("*.png")]) == 1


def test_a_photo_alone_quoting_the_bots_post_joins_that_case(chat, bot, clock):
    chat.say("u-zhang", COMPLAINT)
    opened = chat.last["replies"][0]
    clock.advance(hours=2)  # long after: the quote names the case
    replies = chat.say("u-laoliu", "", images=[_b64(image_bytes("PNG"))],
                       quote={"msg_id": opened["msg_id"], "text": opened["text"]})
    assert replies == ["收到1张问题照片，已放进工单 #1，谢谢！"]
    assert [k for k, _ in _media(bot, 1)] == ["before"]


def test_a_photo_alone_quoting_the_bot_without_a_case_gets_a_short_answer(chat, bot):
    chat.say("u-zhang", "/帮助")
    helped = chat.last["replies"][0]
    replies = chat.say("u-zhang", "", images=[_b64(image_bytes("PNG"))],
                       quote={"msg_id": helped["msg_id"], "text": helped["text"][:20]})
    assert replies == ["收到照片，谢谢！如需报修，请再用一句话说说是哪里、什么问题。"]
