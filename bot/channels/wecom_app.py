"""A WeCom self-built app (自建应用): private 1:1 chats with staff and moderators, and
member-change events of external customer groups.

Inbound, ``/wecom/app`` (XML callbacks through wechatpy, receive id = CorpID):
- ``GET`` URL verification answers the decrypted echostr;
- ``POST``: a bad signature is refused with 401 (checked before the XML is parsed);
  otherwise the callback is answered with an empty 200 at once (WeCom waits 5 s and
  retries anything else) and the work happens on a background worker. An authentic
  callback we cannot read (fields of the wrong type: nested or repeated elements, ids
  too long) is logged and ignored, still with the empty 200. A text message from member
  U is journalled first (dedupe on ``MsgId``) as an `IncomingMessage` of channel
  ``wecom_app`` in the private "group" ``wecom-app:U`` (registered with channel
  ``wecom_app`` in U's community, see `bot.domain.groups`), then dispatched; the
  answers go out through the outbox and `WecomAppSender`.
- ``change_external_chat`` events (``UnknownMessage._data`` in wechatpy): on
  ``add_member`` the group's roster is fetched (``externalcontact/groupchat/get``,
  ``need_name=1``) and its members upserted into the group's community; on
  ``del_member`` nothing is deleted (the history stays), it is only logged.
- ``msgaudit_notify`` (会话内容存档 has new data): the archive poller the factory
  registered (`bot.channels.wecom_archive`) runs on the background worker.

Outbound, `WecomAppSender`: ``message/send`` (text, ``touser``) through
`wechatpy.enterprise.WeChatClient` pointed at ``api_base``; the access token is cached
by wechatpy's session storage and fetched from ``{api_base}/cgi-bin/gettoken``.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, request
from requests import RequestException
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import APILimitedException, WeChatClientException

from bot.channels.payloads import MAX_ID, MAX_MSG_ID, MAX_NAME, PayloadError, string
from bot.channels.wecom_crypto import (
    CallbackCrypto,
    CallbackRejected,
    reject,
    verify_url_response,
)
from bot.channels.wecom_parts import send_parts
from bot.clock import Clock
from bot.domain.groups import (
    APP_CHANNEL,
    community_for_new_group,
    community_of_member,
    ensure_private_group,
    private_group_id,
    userid_of,
)
from bot.events import DeliveryResult, IncomingMessage
from bot.ingest import handle, journal
from bot.outbox import deliver_due

if TYPE_CHECKING:
    from bot.application import Application
    from bot.config import WecomAppConfig
    from storage.models import Group, OutboundMessage

log = logging.getLogger(__name__)

CHANNEL = APP_CHANNEL
ARCHIVE_POLLER = "wecom_archive"  # the application's poller pulling the archive feed
MAX_BODY = 1024 * 1024
RATE_PER_MINUTE = 20  # WeCom drops app messages beyond ~30/min per member, silently
TEXT_LIMIT = 2048  # message/send text content, in UTF-8 bytes


# --- the API client ------------------------------------------------------------------------------

class WecomAppClient(WeChatClient):
    """wechatpy's enterprise client pointed at `api_base` (gettoken included)."""

    def __init__(self, corp_id: str, secret: str, api_base: str, wall_clock: Clock,
                 timeout: float = 10.0, **kwargs: Any):
        super().__init__(corp_id, secret, timeout=timeout, **kwargs)
        self.API_BASE_URL = api_base.rstrip("/") + "/cgi-bin/"
        self.wall_clock = wall_clock

    def fetch_access_token(self):
        # wechatpy hard-codes the real host for gettoken and sends it without a timeout.
        res = self._http.get(self.API_BASE_URL + "gettoken", timeout=self.timeout,
                             params={"corpid": self.corp_id, "corpsecret": self.secret})
        return self._handle_token(res)

    def _handle_token(self, res):
        result = self._decode_result(res)
        if not isinstance(result, dict) or int(result.get("errcode", 0) or 0) != 0 \
                or "access_token" not in result:
            errcode = result.get("errcode") if isinstance(result, dict) else None
            errmsg = result.get("errmsg") if isinstance(result, dict) else "no JSON"
            raise WeChatClientException(errcode, errmsg, client=self, request=res.request,
                                        response=res)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(self.wall_clock().timestamp()) + expires_in
        return result


def userid_from_code(client: WecomAppClient, code: str) -> str | None:
    """企业微信网页授权 (the desk's sign-in): the userid an OAuth code stands for, from
    `GET /cgi-bin/auth/getuserinfo`; None for someone outside the corp, a used or wrong
    code, or WeCom unreachable."""
    try:
        result = client.get("auth/getuserinfo", params={"code": code[:512]})
    except (WeChatClientException, RequestException) as exc:
        log.warning("desk OAuth: getuserinfo failed: %s", exc)
        return None
    userid = result.get("userid") or result.get("UserId") if isinstance(result, dict) else None
    return str(userid)[:MAX_ID] if userid else None


def make_client(cfg: WecomAppConfig, wall_clock: Clock) -> WecomAppClient:
    return WecomAppClient(cfg.corp_id, cfg.secret, cfg.api_base, wall_clock,
                          timeout=cfg.timeout_seconds)


class WecomAppSender:
    """Delivers outbox rows of private ``wecom-app:USERID`` groups via message/send."""

    def __init__(self, config: WecomAppConfig, client: WecomAppClient):
        self.config = config
        self.client = client

    def rate_limit(self, group: Group | None) -> int | None:
        return RATE_PER_MINUTE

    def send(self, post: OutboundMessage, group: Group | None) -> DeliveryResult:
        """A long text goes in parts (`bot.channels.wecom_parts`), resuming after the
        parts already out."""
        userid = userid_of(post.group_id)
        return send_parts(post.text, TEXT_LIMIT,
                          lambda part, _last: self._send_one(userid, part),
                          post.parts_sent or 0)

    def _send_one(self, userid: str, content: str) -> DeliveryResult:
        try:
            answer = self.client.message.send(
                self.config.agent_id, userid,
                msg={"msgtype": "text", "text": {"content": content}, "safe": 0})
        except APILimitedException:
            return DeliveryResult(ok=False, error="app 45009 rate limited", retry_after=60.0)
        except WeChatClientException as exc:
            return DeliveryResult(ok=False, error=f"app errcode {exc.errcode} {exc.errmsg}"[:300])
        except Exception as exc:  # noqa: BLE001 - network errors: retry later
            return DeliveryResult(ok=False, error=f"{type(exc).__name__}")
        invalid = str((answer or {}).get("invaliduser") or "")
        if userid in invalid.split("|"):
            log.error("wecom app cannot reach %s (invaliduser): outside the app's visible "
                      "range?", userid)
            return DeliveryResult(ok=False, error=f"app invaliduser {userid}", permanent=True)
        return DeliveryResult(ok=True)


# --- inbound: the worker and the handlers ---------------------------------------------------------

class CallbackWorker:
    """Runs callback work off the request, in arrival order (one thread)."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wecom-app")
        self._pending: list[Future] = []
        self._lock = threading.Lock()

    def submit(self, fn, *args) -> None:
        future = self._pool.submit(self._safe, fn, *args)
        with self._lock:
            self._pending = [f for f in self._pending if not f.done()] + [future]

    @staticmethod
    def _safe(fn, *args) -> None:
        try:
            fn(*args)
        except Exception:  # noqa: BLE001 - logged; the journal keeps the message
            log.exception("wecom app callback work failed")

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait for the work submitted so far (tests, shutdown)."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.result(timeout)


def text_fields(data: dict[str, Any]) -> tuple[str, str, str]:
    """(userid, MsgId, Content) of a text message's XML fields, checked: each must be
    plain text (xmltodict turns nested elements into objects and repeated ones into
    lists), the ids within the stored columns' lengths; else PayloadError."""
    userid = string(data, "FromUserName", required=True,
                    limit=MAX_ID - len(private_group_id("")))
    msg_id = string(data, "MsgId", required=True, limit=MAX_MSG_ID)
    content = string(data, "Content", limit=MAX_BODY)
    return userid, msg_id, content


def receive_text(app: Application, data: dict[str, Any]) -> int | None:
    """Journal a member's text message in their private group; the inbound id, or None
    for a duplicate (fast: runs inside the callback request). Fields of the wrong type
    raise PayloadError before anything is stored."""
    userid, msg_id, content = text_fields(data)
    now = app.now()
    with app.store.transaction() as repos:
        community = community_of_member(repos, app.config, userid)
        ensure_private_group(repos, userid, community.id, now)
    msg = IncomingMessage(channel=CHANNEL, msg_id=msg_id, group_id=private_group_id(userid),
                          sender_id=userid, text=content, sent_at=now,
                          raw={"AgentID": str(data.get("AgentID"))[:32]})
    return journal(app, msg)


def handle_and_deliver(app: Application, inbound_id: int) -> None:
    handle(app, inbound_id, inline=False)
    deliver_due(app)


@dataclass(frozen=True)
class RosterChange:
    """A change_external_chat event, its fields checked."""

    chat_id: str
    change: str  # create | update | dismiss
    detail: str  # add_member | del_member | …
    count: str  # MemChangeCnt, for the log

    @property
    def members_joined(self) -> bool:
        return self.change == "create" or (self.change == "update" and
                                           self.detail == "add_member")


def roster_change(data: dict[str, Any]) -> RosterChange:
    """The fields of a change_external_chat event; PayloadError when one is of the wrong
    type (checked inside the callback request, before any work is queued)."""
    return RosterChange(chat_id=string(data, "ChatId", required=True, limit=MAX_ID),
                        change=string(data, "ChangeType"),
                        detail=string(data, "UpdateDetail"),
                        count=string(data, "MemChangeCnt", cut=16) or "?")


def update_roster(app: Application, client: WecomAppClient, event: RosterChange) -> int:
    """Upsert the members of a customer group when members joined; returns how many."""
    chat_id = event.chat_id
    if event.detail == "del_member":
        log.info("customer group %s: %s member(s) left; history kept", chat_id, event.count)
        return 0
    if not event.members_joined:
        return 0
    answer = client.post("externalcontact/groupchat/get",
                         data={"chat_id": chat_id, "need_name": 1})
    chat = answer.get("group_chat") if isinstance(answer, dict) else None
    members = chat.get("member_list") if isinstance(chat, dict) else None
    if not isinstance(members, list):
        log.warning("customer group %s: groupchat/get answered no member list", chat_id)
        return 0
    now = app.now()
    count = 0
    with app.store.transaction() as repos:
        group = repos.groups.get(chat_id)
        community_id = group.community_id if group else \
            community_for_new_group(app.config, chat_id).id
        for member in members:
            try:
                userid = string(member, "userid", required=True, limit=MAX_ID)
                name = string(member, "group_nickname", cut=MAX_NAME) or \
                    string(member, "name", cut=MAX_NAME)
            except (PayloadError, AttributeError):
                log.warning("customer group %s: a member entry of the wrong shape skipped",
                            chat_id)
                continue
            repos.members.upsert_from_platform(community_id, userid, name, now)
            count += 1
    log.info("customer group %s: roster updated, %s members", chat_id, count)
    return count


# --- the blueprint -------------------------------------------------------------------------------

def _crypto(app: Application) -> CallbackCrypto:
    cfg = app.config.channels.wecom_app
    return CallbackCrypto(cfg.token, cfg.encoding_aes_key, cfg.corp_id,
                          wall_clock=app.wall_clock)


def _reject(status: int, reason: str):
    return reject("app", status, reason)


def worker_of(flask_app) -> CallbackWorker:
    return flask_app.extensions["wecom_app_worker"]


def create_blueprint(app: Application) -> Blueprint:
    bp = Blueprint("wecom_app", __name__)
    state: dict[str, Any] = {}

    def client() -> WecomAppClient:
        sender = app.senders.get(CHANNEL)
        if isinstance(sender, WecomAppSender):
            return sender.client
        if "client" not in state:
            state["client"] = make_client(app.config.channels.wecom_app, app.wall_clock)
        return state["client"]

    @bp.record_once
    def _attach(setup_state):
        setup_state.app.extensions["wecom_app_worker"] = CallbackWorker()

    @bp.get("/wecom/app")
    def verify_url():
        return verify_url_response(_crypto(app), "app", request.args)

    @bp.post("/wecom/app")
    def callback():
        from wechatpy.enterprise import parse_message
        from wechatpy.messages import UnknownMessage

        args = request.args
        try:
            xml = _crypto(app).decrypt_xml(request.get_data(cache=False),
                                           args.get("msg_signature", ""),
                                           args.get("timestamp", ""), args.get("nonce", ""))
        except CallbackRejected as exc:
            return _reject(exc.status, str(exc))
        # Authentic from here on: WeCom wants an empty 200 whatever happens (anything
        # else is retried), so a message we cannot read is logged and ignored.
        try:
            message = parse_message(xml)
        except Exception as exc:  # noqa: BLE001 - unparsable inner XML (wechatpy)
            log.warning("wecom app callback unreadable, ignored: %s", type(exc).__name__)
            return Response("", status=200)
        data = dict(message._data) if message is not None else {}
        try:
            kind = string(data, "MsgType").lower()
            if kind == "text":
                inbound_id = receive_text(app, data)
                if inbound_id is not None:
                    worker_of(current_app).submit(handle_and_deliver, app, inbound_id)
            elif isinstance(message, UnknownMessage) and \
                    string(data, "Event").lower() == "change_external_chat":
                worker_of(current_app).submit(update_roster, app, client(),
                                              roster_change(data))
            elif string(data, "Event").lower() == "msgaudit_notify" and \
                    ARCHIVE_POLLER in app.pollers:  # new 会话内容存档 data is ready
                worker_of(current_app).submit(app.pollers[ARCHIVE_POLLER], app.now())
        except PayloadError as exc:
            log.warning("wecom app callback of the wrong shape ignored: %s", exc)
        return Response("", status=200)

    return bp
