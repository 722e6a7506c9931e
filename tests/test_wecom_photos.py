"""Photos from the WeCom AI bot: a mixed (text + image) group message whose image URL
serves ciphertext (AES-256-CBC with the bot's EncodingAESKey, IV = key[:16], PKCS#7 to
32 bytes — encrypted here independently of the bot's code) is decrypted, cleaned and
attached to the case the text opened; a wrong key or a dead URL refuses the photo while
the text is still handled; a single-chat image alone goes to the sender's fresh case;
the long connection's per-image ``aeskey`` is used when present."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.channels.wecom_aibot import parse_callback
from bot.config import MediaConfig
from tests.conftest import running_app
from tests.fake_media import has_gps, jpeg_with_gps
from tests.fake_wecom import AES_KEY, AibotPeer, wecom_config

BOT_KEY = base64.b64decode(AES_KEY + "=")


def encrypt_like_wecom(data: bytes, key: bytes) -> bytes:
    pad = 32 - len(data) % 32
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return enc.update(data + bytes([pad]) * pad) + enc.finalize()


@pytest.fixture
def wecom(db_url, clock, qyapi, tmp_path):
    config = wecom_config(db_url, api_base=qyapi.url)
    yield from running_app(config.model_copy(update={
        "media": MediaConfig(dir=str(tmp_path / "media"))}), clock)


@pytest.fixture
def peer(wecom):
    return AibotPeer(wecom.test_client())


def mixed(peer: AibotPeer, userid: str, text: str, url: str, **kwargs) -> dict:
    body = peer.message(userid, text, **kwargs)
    body["msgtype"] = "mixed"
    content = body.pop("text")["content"]
    body["mixed"] = {"msg_item": [{"msgtype": "text", "text": {"content": content}},
                                  {"msgtype": "image", "image": {"url": url}}]}
    return body


def _photos(bot):
    with bot.store.transaction() as repos:
        stored = [(m.case_id, m.kind, m.path) for m in repos.media.for_case(1)]
        refused = []
        for row in repos.inbound.recent_in_group("wrchat-1", 50) + \
                repos.inbound.recent_in_group("u-zhang", 50):
            refused += [m.reason for m in repos.media.of_message(row.id)
                        if m.status == "refused"]
        return stored, refused


def test_mixed_message_image_is_decrypted_with_the_bot_key_and_attached(
        wecom, peer, images, tmp_path):
    bot = wecom.extensions["linli"]
    url = images.put("/aibot/img1", encrypt_like_wecom(jpeg_with_gps(), BOT_KEY))
    reply = peer.read(peer.post(mixed(peer, "u-zhang", "3号楼2单元楼道灯坏了", url)))
    assert "已受理 #1" in reply["stream"]["content"]
    stored, refused = _photos(bot)
    assert refused == []
    [(case_id, kind, path)] = stored
    assert (case_id, kind) == (1, "before")
    data = (tmp_path / "media" / path).read_bytes()
    assert data[:3] == b"\xff\xd8\xff" and not has_gps(data)


def test_a_photo_encrypted_with_another_key_is_refused_and_the_text_handled(
        wecom, peer, images):
    bot = wecom.extensions["linli"]
    url = images.put("/aibot/img2", encrypt_like_wecom(jpeg_with_gps(), os.urandom(32)))
    reply = peer.read(peer.post(mixed(peer, "u-zhang", "3号楼2单元楼道灯坏了", url)))
    assert "已受理 #1" in reply["stream"]["content"]
    stored, refused = _photos(bot)
    assert stored == [] and len(refused) == 1
    assert refused[0].startswith(("cannot decrypt", "not an image", "unreadable"))


def test_a_dead_image_url_is_refused_and_the_text_handled(wecom, peer, images):
    bot = wecom.extensions["linli"]
    reply = peer.read(peer.post(mixed(peer, "u-zhang", "3号楼2单元楼道灯坏了",
                                      images.base + "/gone")))
    assert "已受理 #1" in reply["stream"]["content"]
    assert _photos(bot) == ([], ["unreachable: HTTP 404 from " + images.base + "/gone"])


def test_a_single_chat_image_alone_joins_the_senders_fresh_case(wecom, peer, images,
                                                                clock):
    bot = wecom.extensions["linli"]
    peer.say("u-zhang", "3号楼2单元楼道灯坏了", chatid=None)
    clock.advance(minutes=3)
    url = images.put("/aibot/img3", encrypt_like_wecom(jpeg_with_gps(), BOT_KEY))
    body = peer.message("u-zhang", "", chatid=None)
    body["msgtype"] = "image"
    body.pop("text")
    body["image"] = {"url": url}
    reply = peer.read(peer.post(body))
    assert reply["stream"]["content"] == "收到1张问题照片，已放进工单 #1，谢谢！"
    assert [k for _, k, _ in _photos(bot)[0]] == ["before"]


def test_the_long_connection_per_image_aeskey_is_used():
    own = os.urandom(32)
    body = {"msgid": "m1", "chattype": "group", "chatid": "c1", "msgtype": "mixed",
            "from": {"userid": "u1"},
            "mixed": {"msg_item": [
                {"msgtype": "text", "text": {"content": "@bot 灯坏了"}},
                {"msgtype": "image", "image": {
                    "url": "http://127.0.0.1:9/x",
                    "aeskey": base64.b64encode(own).decode().rstrip("=")}}]}}
    msg = parse_callback(body, now=None, media_key=BOT_KEY)
    assert msg.text == "灯坏了"
    [ref] = msg.images
    assert ref.aes_key == own and ref.url == "http://127.0.0.1:9/x"
