"""WeCom 会话内容存档 (the official full-text feed) for customer groups (客户群) of
residents on personal WeChat, where no bot can read or post.

Inbound, `ArchivePuller.pull` (on the ``msgaudit_notify`` event of the self-built app's
callback and on every tick): under a lease (one puller across processes) it asks the
SDK for the messages after the last ``seq`` stored in the database
(`storage.models.ArchiveCursor`), and for each one:
1. decrypts ``encrypt_random_key`` with the tenant's RSA private key (PKCS#1 v1.5,
   `cryptography`; the ``publickey_ver`` must be the configured `key_version`);
2. lets the SDK's ``DecryptData`` open ``encrypt_chat_msg`` with that random key;
3. maps it (`map_message`): only ``action: send`` messages of the customer groups in
   the config (groups with ``channel: wecom_archive``; id = the ``roomid``) become an
   `IncomingMessage` (channel ``wecom_archive``, msg_id = ``msgid``, sender = ``from``:
   an internal userid for staff, an external userid ``wm…``/``wo…`` for residents, time
   = ``msgtime``); text, and images (downloaded through the SDK, checked against their
   ``md5sum``) with their ``mixed`` text; voice, files and the rest are skipped (the feed
   has no transcript), and so is every other chat (internal and 1:1 chats are never read);
4. feeds it through the same ingest path as every channel (`bot.ingest.receive`, every
   answer through the outbox: a msgid seen before is a duplicate), then stores its seq.
A message that cannot be decrypted or read is logged (seq and msgid, never a key) and
passed over. A restart resumes after the stored seq.

Outbound, `ArchiveSender`: the official APIs cannot post into a customer group unattended
(群发 needs the owner to confirm by hand), so a post for such a group goes to the people
responsible for it, prefixed with the group's name (`texts.archive_relay`): privately
through the self-built app's ``message/send`` (the case's assignee, else the roles its
tier is routed to, plus the staff a post mentions; `notify_userids` when that is nobody),
and, when ``staff_webhook_key`` is set, to an internal staff group through its webhook,
@-mentioning them. Residents in the customer group see nothing from the bot.

The SDK is Tencent's C library, loaded through `pyweworkfinance` (imported lazily, so the
rest of the bot runs without it) behind the small `ArchiveSdk` protocol; tests pass a
fake. Its logger prints the secret at DEBUG level: it is held at WARNING here.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bot import texts
from bot.channels.payloads import MAX_ID, MAX_MSG_ID, PayloadError, string
from bot.channels.wecom_aibot import truncate_utf8
from bot.domain.cases import responsible
from bot.domain.groups import community_of
from bot.domain.roles import is_staff_like
from bot.events import DeliveryResult, ImageRef, IncomingMessage
from bot.ingest import receive
from bot.outbox import deliver_due

if TYPE_CHECKING:
    from bot.application import Application
    from bot.channels.wecom_app import WecomAppClient
    from bot.channels.wecom_webhook import WecomSender
    from bot.config import Config, WecomArchiveConfig
    from storage.models import Group, OutboundMessage

log = logging.getLogger(__name__)

CHANNEL = "wecom_archive"
POLLER = CHANNEL  # its name among the application's pollers
LEASE_TTL = timedelta(minutes=5)
TEXT_LIMIT = 2048  # message/send and webhook text, in UTF-8 bytes
MAX_IMAGES = 9
MAX_TEXT = 256 * 1024


class ArchiveError(Exception):
    """The feed cannot be read now (SDK missing or failing, a key that does not fit)."""


# --- the SDK --------------------------------------------------------------------------------------

class ArchiveSdk(Protocol):
    """What the puller needs of Tencent's SDK (GetChatData, DecryptData, GetMediaData)."""

    def get_chat_data(self, seq: int, limit: int, timeout: int) -> list[dict[str, Any]]:
        """Entries ``{seq, msgid, publickey_ver, encrypt_random_key, encrypt_chat_msg}``
        after `seq`, oldest first."""
        ...

    def decrypt_data(self, random_key: str, encrypt_chat_msg: str) -> dict[str, Any]: ...

    def get_media_data(self, sdkfileid: str, max_bytes: int) -> bytes: ...


class TencentSdk:
    """`ArchiveSdk` over `pyweworkfinance` (Tencent's libWeWorkFinanceSdk_C for Linux x86
    and arm)."""

    def __init__(self, cfg: WecomArchiveConfig):
        try:
            from pyweworkfinance import WeWorkFinance
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise ArchiveError("pyweworkfinance is not installed "
                               "(pip install pyweworkfinance)") from exc
        logging.getLogger("pyweworkfinance").setLevel(logging.WARNING)  # DEBUG logs secrets
        try:
            self._sdk = WeWorkFinance(cfg.corp_id, cfg.secret, dll_path=cfg.sdk_library or None,
                                      default_timeout=cfg.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - a missing or foreign library, Init failing
            raise ArchiveError(f"the archive SDK cannot start: {type(exc).__name__}") from None

    def get_chat_data(self, seq: int, limit: int, timeout: int) -> list[dict[str, Any]]:
        answer = self._sdk.get_chat_data(seq=seq, limit=limit, timeout=timeout)
        return [asdict(item) for item in answer.chatdata]

    def decrypt_data(self, random_key: str, encrypt_chat_msg: str) -> dict[str, Any]:
        return self._sdk.decrypt_data(random_key, encrypt_chat_msg)

    def get_media_data(self, sdkfileid: str, max_bytes: int) -> bytes:
        data, index = b"", None
        while True:
            part = self._sdk.get_media_data(sdkfileid, index_buf=index)
            data += part.data
            if part.is_finish or len(data) > max_bytes:
                return data
            index = part.outindexbuf


# --- the random key ----------------------------------------------------------------------------

class RandomKeys:
    """Opens ``encrypt_random_key`` with the tenant's RSA private key (PKCS#1 v1.5)."""

    def __init__(self, pem: str, version: int):
        try:
            key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
        except (ValueError, TypeError):
            raise ArchiveError("private_key is not a readable PEM private key") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ArchiveError("private_key is not an RSA key")
        self._key = key
        self.version = version

    def __repr__(self) -> str:
        return f"RandomKeys(version={self.version})"

    def open(self, encrypt_random_key: str, version: int) -> str:
        if version != self.version:
            raise ArchiveError(f"publickey_ver {version}, configured key_version "
                               f"{self.version}")
        try:
            sealed = base64.b64decode(encrypt_random_key, validate=True)
            return self._key.decrypt(sealed, padding.PKCS1v15()).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise ArchiveError("encrypt_random_key does not open with this key") from None


# --- mapping ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArchivedMessage:
    message: IncomingMessage
    files: tuple[tuple[str, str, int], ...] = ()  # (sdkfileid, md5sum, filesize)


def archive_rooms(config: Config) -> dict[str, str]:
    """roomid -> name of the customer groups read through the archive."""
    return {group.id: group.name or group.id for com in config.communities
            for group in com.groups if group.channel == CHANNEL}


def _image_file(image: dict[str, Any]) -> tuple[str, str, int] | None:
    fileid = string(image, "sdkfileid", limit=4096)
    if not fileid:
        return None
    size = image.get("filesize")
    return fileid, string(image, "md5sum", limit=64), size if isinstance(size, int) else 0


def _mixed(data: dict[str, Any]) -> tuple[str, list[tuple[str, str, int]]]:
    items = (data.get("mixed") or {}).get("item") if isinstance(data.get("mixed"), dict) \
        else None
    words, files = [], []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("content"), str):
            continue
        try:
            content = json.loads(item["content"])
        except (json.JSONDecodeError, RecursionError):
            continue
        if not isinstance(content, dict):
            continue
        if item.get("type") == "text":
            words.append(string(content, "content", limit=MAX_TEXT))
        elif item.get("type") == "image" and (found := _image_file(content)):
            files.append(found)
    return "\n".join(w for w in words if w).strip(), files


def map_message(data: dict[str, Any], rooms: dict[str, str]) -> ArchivedMessage | None:
    """A decrypted archive message -> the message of a configured customer group; None
    for anything else (other chats, recalls, voice, files …). PayloadError for a message
    of the wrong shape."""
    if data.get("action") != "send":
        return None
    roomid = string(data, "roomid", limit=MAX_ID)
    if roomid not in rooms:
        return None
    kind = string(data, "msgtype")
    text, files = "", []
    if kind == "text":
        text = string(data.get("text") if isinstance(data.get("text"), dict) else {},
                      "content", limit=MAX_TEXT)
    elif kind == "image":
        found = _image_file(data.get("image") if isinstance(data.get("image"), dict) else {})
        files = [found] if found else []
    elif kind == "mixed":
        text, files = _mixed(data)
    else:
        return None
    if not text.strip() and not files:
        return None
    msgtime = data.get("msgtime")
    if not isinstance(msgtime, int):
        raise PayloadError("field msgtime must be an integer (milliseconds)")
    message = IncomingMessage(
        channel=CHANNEL, msg_id=string(data, "msgid", required=True, limit=MAX_MSG_ID),
        group_id=roomid, sender_id=string(data, "from", required=True, limit=MAX_ID),
        text=text, sent_at=datetime.fromtimestamp(msgtime / 1000, UTC),
        group_name=rooms[roomid], raw={"msgtype": kind})
    return ArchivedMessage(message, tuple(files[:MAX_IMAGES]))


# --- the puller -----------------------------------------------------------------------------------

class ArchivePuller:
    def __init__(self, app: Application, cfg: WecomArchiveConfig,
                 sdk: ArchiveSdk | None = None):
        self.app = app
        self.cfg = cfg
        self.sdk = sdk
        self.keys = RandomKeys(cfg.private_key, cfg.key_version)
        self.holder = f"archive-{uuid.uuid4().hex[:12]}"
        self._running = threading.Lock()

    @property
    def lease(self) -> str:
        return f"wecom_archive:{self.cfg.corp_id}"

    def pull(self, now: datetime | None = None) -> int:
        """Read everything new; returns how many messages were taken in (not counting
        duplicates and skipped ones). Never raises: a failing SDK is logged."""
        if not self._running.acquire(blocking=False):
            return 0  # a pull of this process is under way
        try:
            with self.app.store.transaction() as repos:
                if not repos.leases.acquire(self.lease, self.holder, self.app.wall_clock(),
                                            LEASE_TTL):
                    return 0
            try:
                return self._pull_all()
            except ArchiveError as exc:
                log.error("wecom archive: cannot read the feed: %s", exc)
                return 0
            except Exception as exc:  # noqa: BLE001 - the SDK raises its own errors
                log.error("wecom archive: GetChatData failed: %s %s", type(exc).__name__,
                          getattr(exc, "err_code", ""))
                return 0
            finally:
                with self.app.store.transaction() as repos:
                    repos.leases.release(self.lease, self.holder)
                deliver_due(self.app)
        finally:
            self._running.release()

    def _sdk(self) -> ArchiveSdk:
        if self.sdk is None:
            self.sdk = TencentSdk(self.cfg)
        return self.sdk

    def _pull_all(self) -> int:
        taken = 0
        rooms = archive_rooms(self.app.config)
        while True:
            with self.app.store.transaction() as repos:
                seq = repos.archive.position(self.cfg.corp_id)
            entries = self._sdk().get_chat_data(seq, self.cfg.batch, self.cfg.timeout_seconds)
            entries = sorted((e for e in entries if isinstance(e, dict)
                              and isinstance(e.get("seq"), int) and e["seq"] > seq),
                             key=lambda e: e["seq"])
            for entry in entries:
                taken += self._take(entry, rooms)
                with self.app.store.transaction() as repos:
                    repos.archive.advance(self.cfg.corp_id, entry["seq"], self.app.now())
            if len(entries) < self.cfg.batch:
                return taken

    def _take(self, entry: dict[str, Any], rooms: dict[str, str]) -> int:
        where = f"seq={entry.get('seq')} msgid={str(entry.get('msgid'))[:64]!r}"
        try:
            version = int(entry.get("publickey_ver") or self.keys.version)
            random_key = self.keys.open(str(entry.get("encrypt_random_key", "")), version)
            plain = self._sdk().decrypt_data(random_key, str(entry.get("encrypt_chat_msg", "")))
            found = map_message(plain if isinstance(plain, dict) else {}, rooms)
        except (ArchiveError, PayloadError) as exc:
            log.error("wecom archive: message %s passed over: %s", where, exc)
            return 0
        except Exception as exc:  # noqa: BLE001 - DecryptData's own errors
            log.error("wecom archive: message %s passed over: DecryptData failed (%s)",
                      where, type(exc).__name__)
            return 0
        if found is None:
            return 0
        message = found.message
        if found.files:
            message = _with_images(message, self._images(found.files, where))
        return 0 if receive(self.app, message, inline=False).duplicate else 1

    def _images(self, files, where: str) -> tuple[ImageRef, ...]:
        limit = self.app.config.media.max_bytes
        refs = []
        for fileid, md5, size in files:
            if size > limit:
                log.warning("wecom archive: photo of message %s too large (%d bytes); "
                            "not downloaded", where, size)
                continue
            try:
                refs.append(ImageRef(data=self._sdk().get_media_data(fileid, limit), md5=md5))
            except Exception as exc:  # noqa: BLE001 - GetMediaData's own errors
                log.warning("wecom archive: photo of message %s not downloaded: %s", where,
                            type(exc).__name__)
        return tuple(refs)


def _with_images(message: IncomingMessage, images: tuple[ImageRef, ...]) -> IncomingMessage:
    return replace(message, images=images)


# --- the sender --------------------------------------------------------------------------------

class ArchiveSender:
    """Posts for customer groups, relayed to the responsible staff (see the module)."""

    def __init__(self, config: Config, store, app_client: WecomAppClient | None,
                 webhook: WecomSender | None):
        self.config = config
        self.cfg = config.channels.wecom_archive
        self.store = store
        self.app_client = app_client
        self.webhook = webhook

    def rate_limit(self, group: Group | None) -> int | None:
        return 20

    def recipients(self, post: OutboundMessage, group: Group | None) -> list[str]:
        """The internal userids a post for a customer group goes to."""
        found: list[str] = []
        with self.store.transaction() as repos:
            community = community_of(self.config, group.community_id) if group else \
                self.config.communities[0]
            people = [repos.members.by_external(community.id, m) for m in post.mentions]
            case = repos.cases.get(post.case_id) if post.case_id else None
            if case is not None:
                people += responsible(repos, community, case)
            for member in people:
                if member is not None and is_staff_like(member.role_codes) \
                        and member.external_id not in found:
                    found.append(member.external_id)
        return found or list(self.cfg.notify_userids)

    def send(self, post: OutboundMessage, group: Group | None) -> DeliveryResult:
        """Two steps, remembered in `parts_sent` so a retry repeats neither: 1 = the
        private messages are out, 2 = the staff group's webhook post too."""
        userids = self.recipients(post, group)
        if not userids and not self.cfg.staff_webhook_key:
            log.warning("wecom archive relay: post %s for %s names nobody responsible and "
                        "no staff webhook is set (notify_userids): not relayed",
                        post.public_id, post.group_id)
        text = truncate_utf8(texts.archive_relay(group.name if group else post.group_id,
                                                 post.text), TEXT_LIMIT)
        done = post.parts_sent or 0
        if done < 1 and self.app_client is not None and userids:
            result = self._private(userids, text)
            if not result.ok:
                return result
        if self.cfg.staff_webhook_key and done < 2 and self.webhook is not None:
            body = {"msgtype": "text", "text": {"content": text, "mentioned_list": userids}}
            _, result = self.webhook._post(self.cfg.staff_webhook_key, body)
            if not result.ok:
                return DeliveryResult(ok=False, error=result.error, parts_sent=1,
                                      retry_after=result.retry_after,
                                      permanent=result.permanent)
        return DeliveryResult(ok=True, parts_sent=2)

    def _private(self, userids: list[str], text: str) -> DeliveryResult:
        from wechatpy.exceptions import APILimitedException, WeChatClientException

        try:
            answer = self.app_client.message.send(
                self.config.channels.wecom_app.agent_id, "|".join(userids),
                msg={"msgtype": "text", "text": {"content": text}, "safe": 0})
        except APILimitedException:
            return DeliveryResult(ok=False, error="app 45009 rate limited", retry_after=60.0)
        except WeChatClientException as exc:
            return DeliveryResult(ok=False, error=f"app errcode {exc.errcode}"[:300])
        except requests.RequestException as exc:
            return DeliveryResult(ok=False, error=type(exc).__name__)
        invalid = str((answer or {}).get("invaliduser") or "")
        if invalid:
            log.warning("wecom archive relay: app cannot reach %s", invalid[:200])
        return DeliveryResult(ok=True, parts_sent=1)
