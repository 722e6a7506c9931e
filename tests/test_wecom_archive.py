"""The 会话内容存档 channel with a fake SDK that behaves like Tencent's at the boundary:
each message's random key is sealed with the tenant's RSA public key (generated here),
and DecryptData opens the message only with the right random key. Checked: customer
group messages open cases in the mapped group through the ordinary ingest path; a msgid
read twice is one message; a new app instance resumes after the seq stored in the
database; answers go to the responsible staff privately (app message/send) and to the
staff group's webhook, never into the customer group; a message that does not decrypt
is passed over with a log line that holds no key; other chats are not read; photos come
through the SDK; the `msgaudit_notify` event and the tick both pull."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.channels.wecom_app import worker_of
from bot.channels.wecom_archive import map_message
from bot.config_file import config_from_dict
from scheduler.tick import run_tick
from tests.conftest import SECRET, demo_config_dict, running_app
from tests.fake_media import jpeg_with_gps
from tests.fake_wecom import AES_KEY, AGENT_ID, APP_SECRET, CORP_ID, GOOD_KEY, TOKEN, AppPeer

ROOM = "wrCustomerGroup1"
ROOM_NAME = "阳光小区业主群"
ZHANG = "wmResidentZhangAAAA"  # an external userid (personal WeChat)
ARCHIVE_SECRET = "archive-secret-XYZ"


def _pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def tenant_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _aes(key: bytes, data: bytes, *, decrypt: bool = False) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))
    if decrypt:
        dec = cipher.decryptor()
        plain = dec.update(data) + dec.finalize()
        if not 1 <= plain[-1] <= 16 or plain[-plain[-1]:] != bytes([plain[-1]]) * plain[-1]:
            raise ValueError("10006 decrypt failed")
        return plain[:-plain[-1]]
    pad = 16 - len(data) % 16
    enc = cipher.encryptor()
    return enc.update(data + bytes([pad]) * pad) + enc.finalize()


class FakeArchiveSdk:
    """GetChatData / DecryptData / GetMediaData over an in-memory feed."""

    def __init__(self, public_key):
        self.public_key = public_key
        self.entries: list[dict] = []
        self.asked: list[int] = []
        self.media: dict[str, bytes] = {}
        self.random_keys_seen: list[str] = []

    def add(self, message: dict, *, public_key=None, version: int = 1) -> int:
        random_key = secrets.token_hex(16)  # 32 characters, as Tencent's
        sealed = (public_key or self.public_key).encrypt(random_key.encode(),
                                                          padding.PKCS1v15())
        body = _aes(random_key.encode(), json.dumps(message, ensure_ascii=False).encode())
        seq = len(self.entries) + 1
        self.entries.append({"seq": seq, "msgid": message.get("msgid", ""),
                             "publickey_ver": version,
                             "encrypt_random_key": base64.b64encode(sealed).decode(),
                             "encrypt_chat_msg": base64.b64encode(body).decode()})
        return seq

    def get_chat_data(self, seq: int, limit: int, timeout: int) -> list[dict]:
        self.asked.append(seq)
        return [dict(e) for e in self.entries if e["seq"] > seq][:limit]

    def decrypt_data(self, random_key: str, encrypt_chat_msg: str) -> dict:
        self.random_keys_seen.append(random_key)
        plain = _aes(random_key.encode(), base64.b64decode(encrypt_chat_msg), decrypt=True)
        return json.loads(plain)

    def get_media_data(self, sdkfileid: str, max_bytes: int) -> bytes:
        return self.media[sdkfileid]


def group_message(sender: str, text: str, clock, *, msgid: str | None = None,
                  roomid: str = ROOM) -> dict:
    return {"msgid": msgid or f"arch-{secrets.token_hex(6)}", "action": "send",
            "from": sender, "tolist": ["u-wang"], "roomid": roomid,
            "msgtime": int(clock().timestamp() * 1000), "msgtype": "text",
            "text": {"content": text}}


def archive_config(db_url: str, api_base: str, tmp_path, pem: str, **archive):
    raw = demo_config_dict()
    raw["database"] = {"url": db_url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": SECRET, "outbound_url": ""}
    raw["channels"]["wecom_webhook"] = {"api_base": api_base, "timeout_seconds": 5}
    raw["channels"]["wecom_app"] = {
        "enabled": True, "corp_id": CORP_ID, "agent_id": AGENT_ID, "secret": APP_SECRET,
        "token": TOKEN, "encoding_aes_key": AES_KEY, "api_base": api_base,
        "timeout_seconds": 5}
    raw["channels"]["wecom_archive"] = {
        "enabled": True, "corp_id": CORP_ID, "secret": "${ARCHIVE_SECRET}",
        "private_key": "${ARCHIVE_KEY}", "key_version": 1, "batch": 2,
        "staff_webhook_key": GOOD_KEY, **archive}
    raw["communities"][0]["groups"].append(
        {"id": ROOM, "name": ROOM_NAME, "channel": "wecom_archive"})
    raw["media"] = {"dir": str(tmp_path / "media")}
    return config_from_dict(raw, environ={"ARCHIVE_SECRET": ARCHIVE_SECRET, "ARCHIVE_KEY": pem})


@pytest.fixture
def sdk(tenant_key):
    return FakeArchiveSdk(tenant_key.public_key())


@pytest.fixture
def make_app(db_url, qyapi, clock, tmp_path, tenant_key):
    running = []

    def make(fake_sdk, **archive):
        config = archive_config(db_url, qyapi.url, tmp_path, _pem(tenant_key), **archive)
        running.append(running_app(config, clock, archive_sdk=fake_sdk))
        return next(running[-1])

    yield make
    for app in running:
        next(app, None)  # dispose its engine


def pull(flask_app, clock) -> int:
    return flask_app.extensions["linli"].pollers["wecom_archive"](clock())


def _room_state(bot):
    with bot.store.transaction() as repos:
        inbound = repos.inbound.recent_in_group(ROOM, 100)
        cases = [(c.id, c.group_id, c.category) for c in
                 repos.cases.open_in_community("sunshine", 100)]
        posts = [(p.channel, p.state, p.kind) for p in repos.outbox.recent_in_group(ROOM, 50)]
        return [(r.channel, r.msg_id, r.sender_id) for r in inbound], cases, posts


def test_customer_group_messages_open_cases_and_answers_go_to_staff(
        make_app, sdk, qyapi, clock, caplog, tenant_key):
    caplog.set_level(logging.DEBUG)
    app = make_app(sdk)
    bot = app.extensions["linli"]
    sdk.add(group_message(ZHANG, "3号楼2单元楼道灯坏了，晚上黑漆漆的", clock))
    assert pull(app, clock) == 1
    inbound, cases, posts = _room_state(bot)
    assert [(c, s) for c, _, s in inbound] == [("wecom_archive", ZHANG)]
    assert cases == [(1, ROOM, "facility")]
    # the answer and the ping were written for the group and delivered by the relay
    assert sorted(k for _, _, k in posts) == ["ping", "reply"]
    assert {(c, s) for c, s, _ in posts} == {("wecom_archive", "sent")}
    assert {p["key"] for p in qyapi.webhook_posts} == {GOOD_KEY}  # the staff group only
    # the random key the SDK got is the one the fake sealed: RSA PKCS#1 v1.5 opened it
    assert len(sdk.random_keys_seen) == 1 and len(sdk.random_keys_seen[0]) == 32
    # nothing for the customer group itself; the relay to u-wang (repair) privately ...
    private = [m for m in qyapi.app_messages if m["touser"] == "u-wang"]
    assert private and all(m["text"]["content"].startswith(f"【{ROOM_NAME}】")
                           for m in private)
    assert any("已受理 #1" in m["text"]["content"] for m in private)
    # ... and in the staff group through its webhook, @-mentioning him
    hooks = [p for p in qyapi.webhook_posts if p["key"] == GOOD_KEY]
    assert any("已受理 #1" in p["body"]["text"]["content"] and
               p["body"]["text"]["mentioned_list"] == ["u-wang"] for p in hooks)
    assert ARCHIVE_SECRET not in caplog.text and "PRIVATE KEY" not in caplog.text
    assert sdk.random_keys_seen[0] not in caplog.text


def test_staff_words_in_the_customer_group_act_on_the_case(make_app, sdk, qyapi, clock):
    app = make_app(sdk)
    sdk.add(group_message(ZHANG, "3号楼2单元楼道灯坏了，晚上黑漆漆的", clock))
    clock.advance(minutes=30)
    sdk.add(group_message("u-wang", "#1 收到，马上去看", clock))
    assert pull(app, clock) == 2
    with app.extensions["linli"].store.transaction() as repos:
        case = repos.cases.get(1)
        assert case.state == "acknowledged" and case.assignee_id is not None


def test_a_msgid_read_twice_is_one_message(make_app, sdk, clock):
    app = make_app(sdk)
    message = group_message(ZHANG, "3号楼2单元楼道灯坏了", clock, msgid="dup-1")
    sdk.add(message)
    sdk.add(message)  # the feed hands it out again
    sdk.add(group_message(ZHANG, "5号楼电梯又坏了，困在里面出不来", clock))
    assert pull(app, clock) == 2
    inbound, cases, _ = _room_state(app.extensions["linli"])
    assert sorted(m for _, m, _ in inbound).count("dup-1") == 1
    assert len(cases) == 2


def test_a_new_instance_resumes_after_the_stored_seq(make_app, sdk, clock, tenant_key):
    first = make_app(sdk)
    for text in ("3号楼2单元楼道灯坏了", "谢谢", "大家好"):
        sdk.add(group_message(ZHANG, text, clock))
    assert pull(first, clock) == 3
    assert sdk.asked == [0, 2]  # batches of 2: after seq 0, then after seq 2
    first.extensions["linli"].engine.dispose()

    restarted_sdk = FakeArchiveSdk(tenant_key.public_key())
    restarted_sdk.entries = [dict(e) for e in sdk.entries]
    restarted_sdk.add(group_message(ZHANG, "5号楼电梯坏了，困在里面出不来", clock))
    second = make_app(restarted_sdk)  # "restart": a new app on the same database
    assert pull(second, clock) == 1
    assert restarted_sdk.asked[0] == 3
    inbound, cases, _ = _room_state(second.extensions["linli"])
    assert len(inbound) == 4 and len(cases) == 2


def test_an_undecryptable_message_is_passed_over_with_a_clean_log(
        make_app, sdk, clock, caplog):
    app = make_app(sdk)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    sdk.add(group_message(ZHANG, "3号楼灯坏了", clock, msgid="sealed-for-another"),
            public_key=other)
    sdk.add(group_message(ZHANG, "7号楼门禁坏了", clock, msgid="old-key"), version=7)
    sdk.add(group_message(ZHANG, "5号楼电梯坏了，困在里面出不来", clock))
    assert pull(app, clock) == 1
    assert "sealed-for-another" in caplog.text and "old-key" in caplog.text
    assert "publickey_ver 7" in caplog.text
    assert ARCHIVE_SECRET not in caplog.text and "PRIVATE KEY" not in caplog.text
    with app.extensions["linli"].store.transaction() as repos:
        assert repos.archive.position(CORP_ID) == 3  # not stuck on the bad ones


def test_the_app_event_and_the_tick_both_pull(make_app, sdk, clock):
    app = make_app(sdk)
    bot = app.extensions["linli"]
    sdk.add(group_message(ZHANG, "3号楼2单元楼道灯坏了", clock))
    peer = AppPeer(app.test_client())
    resp = peer.post(f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
                     "<FromUserName><![CDATA[sys]]></FromUserName>"
                     "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                     "<Event><![CDATA[msgaudit_notify]]></Event>"
                     f"<AgentID>{AGENT_ID}</AgentID></xml>")
    assert resp.status_code == 200 and resp.get_data() == b""
    worker_of(app).wait_idle()
    assert len(_room_state(bot)[1]) == 1
    sdk.add(group_message(ZHANG, "5号楼电梯坏了，困在里面出不来", clock))
    summary = run_tick(bot, clock())
    assert summary.pulled == 1 and "pulled 1 messages" in summary.line(bot.config.tz)
    assert len(_room_state(bot)[1]) == 2


def test_a_photo_from_the_feed_joins_the_senders_case(make_app, sdk, clock):
    app = make_app(sdk)
    sdk.add(group_message(ZHANG, "3号楼2单元楼道灯坏了", clock))
    clock.advance(minutes=2)
    photo = jpeg_with_gps()
    sdk.media["file-1"] = photo
    sdk.add({"msgid": "img-1", "action": "send", "from": ZHANG, "roomid": ROOM,
             "msgtime": int(clock().timestamp() * 1000), "msgtype": "image",
             "image": {"sdkfileid": "file-1", "md5sum": hashlib.md5(photo).hexdigest(),
                       "filesize": len(photo)}})
    assert pull(app, clock) == 2
    with app.extensions["linli"].store.transaction() as repos:
        assert [m.kind for m in repos.media.for_case(1)] == ["before"]


@pytest.mark.parametrize("change, read", [
    ({}, True),
    ({"roomid": "wrSomeOtherGroup"}, False),  # not a configured customer group
    ({"roomid": ""}, False),  # a 1:1 chat: never read
    ({"action": "recall"}, False),
    ({"msgtype": "voice", "voice": {"voice_size": 10}}, False),  # no transcript
])
def test_only_configured_customer_group_messages_are_read(change, read, clock):
    message = {**group_message(ZHANG, "楼道灯坏了", clock), **change}
    assert (map_message(message, {ROOM: ROOM_NAME}) is not None) is read


def test_mixed_text_and_image():
    content = {"type": "image", "content": json.dumps(
        {"sdkfileid": "f1", "md5sum": "ab", "filesize": 10})}
    message = {"msgid": "x", "action": "send", "from": ZHANG, "roomid": ROOM,
               "msgtime": 1_700_000_000_000, "msgtype": "mixed",
               "mixed": {"item": [{"type": "text", "content": json.dumps(
                   {"content": "楼道灯坏了"}, ensure_ascii=False)}, content]}}
    found = map_message(message, {ROOM: ROOM_NAME})
    assert found.message.text == "楼道灯坏了" and found.files == (("f1", "ab", 10),)


SDK_PROBE = """
import base64, logging, os, secrets, sys
import bot.factory  # what `serve` imports before the channel starts
assert "scipy" not in sys.modules, "serve must not load SciPy: the SDK aborts beside it"
from bot.channels.wecom_archive import TencentSdk
from bot.config import WecomArchiveConfig
sdk = TencentSdk(WecomArchiveConfig(corp_id="ww-test", secret="s"))
assert logging.getLogger("pyweworkfinance").level == logging.WARNING
try:
    sdk.decrypt_data(secrets.token_hex(16), base64.b64encode(os.urandom(48)).decode())
except Exception:
    print("refused")
"""


def test_tencents_sdk_loads_behind_the_protocol():
    """The real library of pyweworkfinance loads (no network is reached: Init only) in a
    process shaped like `serve`, and DecryptData refuses garbage with an error; its logger
    stays above DEBUG. In a process of its own: Tencent's library aborts the interpreter
    (free(): invalid pointer) when SciPy's native libraries were loaded before it, as the
    training tests of this suite do; `serve` never loads SciPy, and this checks that too."""
    pytest.importorskip("pyweworkfinance")
    done = subprocess.run([sys.executable, "-c", SDK_PROBE], capture_output=True, text=True,
                          cwd=str(Path(__file__).resolve().parents[1]), timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("refused")


def test_config_refuses_an_archive_that_could_answer_nobody(db_url, tmp_path, tenant_key):
    from bot.config import ConfigError

    raw_ok = archive_config(db_url, "http://127.0.0.1:9", tmp_path, _pem(tenant_key))
    assert raw_ok.channels.wecom_archive.key_version == 1
    assert "PRIVATE KEY" not in repr(raw_ok) and ARCHIVE_SECRET not in repr(raw_ok)
    raw = demo_config_dict()
    raw["database"] = {"url": db_url}
    raw["channels"]["wecom_archive"] = {"enabled": True, "corp_id": CORP_ID,
                                        "secret": "s", "private_key": _pem(tenant_key)}
    with pytest.raises(ConfigError, match="wecom_archive needs wecom_app enabled or"):
        config_from_dict(raw, environ={})
    raw["channels"]["wecom_archive"].update(private_key="not a key",
                                            staff_webhook_key=GOOD_KEY)
    with pytest.raises(ConfigError, match="private_key must be an RSA private key"):
        config_from_dict(raw, environ={})
