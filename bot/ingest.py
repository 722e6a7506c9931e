"""The path of every incoming message: store it first (dedupe + journal), then act.

1. One transaction journals the message (one INSERT … ON CONFLICT DO NOTHING; the group
   from the process's cache); a (channel, group, msg_id) seen before is a duplicate and
   nothing happens twice. It commits before anything acts on the message, so a handler
   that crashes the process cannot lose it.
2. A second transaction runs the dispatcher and writes the state changes and every post
   they cause (the outbox) together; it takes the message as journalled (not read back)
   and marks it handled only if it is still 'received' (else another worker handled it
   and this one's work is rolled back).
3. If a handler fails, its work is rolled back, the message is marked failed with the
   error in the log (with its msg_id), and the group gets a short apology, never a trace.

A message journalled but never handled (the process died between 1 and 2) is picked up
again by `handle_unhandled`, which the tick runs.

Photos (`IncomingMessage.images`) of a new message are fetched, checked and written
after it is journalled (outside any transaction), then recorded as kept or refused with
a logged reason (`bot.domain.media`); a bad photo never stops the message. After the
dispatch, the photos go to the case the message opened or named
(`attach_to_message_case`); a photo sent alone is the photo listener's.

`perform` takes the same path for a command someone did not type but tapped (a card's
button): a refusal comes back to the caller instead of being posted. A message's `via`
(voice, card) is kept in the journal and written on every timeline event it causes.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot import texts
from bot.dispatcher import REFUSED, Context
from bot.domain.groups import community_of, register_group
from bot.domain.media import attach_to_message_case, prepare_photos, record_photos
from bot.domain.timers import replan_touched
from bot.events import IncomingMessage, Outgoing, Quote, wire_format
from bot.outbox import queue_posts
from storage.models import InboundMessage

if TYPE_CHECKING:
    from bot.application import Application

log = logging.getLogger(__name__)


@dataclass
class ReceiveResult:
    duplicate: bool = False
    replies: list[dict] = field(default_factory=list)


def receive(app: Application, msg: IncomingMessage, *, inline: bool = True) -> ReceiveResult:
    """Journal, keep its photos, dispatch and answer one message; replies come back
    inline (or, `inline=False`, all go out through the outbox)."""
    if not msg.images:  # one pooled connection for both transactions
        with app.store.one_connection():
            inbound_id = journal(app, msg, answered_after_handling=True)
            if inbound_id is None:
                return ReceiveResult(duplicate=True)
            return ReceiveResult(replies=handle(app, inbound_id, inline=inline, msg=msg))
    inbound_id = journal(app, msg, answered_after_handling=True)
    if inbound_id is None:
        return ReceiveResult(duplicate=True)
    store_photos(app, inbound_id, msg)  # fetched with no connection held
    return ReceiveResult(replies=handle(app, inbound_id, inline=inline, msg=msg))


def store_photos(app: Application, inbound_id: int, msg: IncomingMessage) -> None:
    """Fetch the message's photos (no transaction open) and keep or refuse each."""
    cfg = app.config.media
    label = f"{msg.channel}/{msg.msg_id}"
    if app.media_fetcher is None or app.media_files is None:
        log.warning("message %s has %d photo(s) but no media store is configured",
                    label, len(msg.images))
        return
    fetcher = app.media_fetcher
    if len(msg.images) == 1:
        fetched = [fetcher.fetch(msg.images[0], cfg.max_bytes)]
    else:  # side by side: a message's photos take one download's time, not nine
        with ThreadPoolExecutor(max_workers=min(4, len(msg.images))) as pool:
            fetched = list(pool.map(lambda ref: fetcher.fetch(ref, cfg.max_bytes),
                                    msg.images))
    now = app.now()
    try:
        kept = prepare_photos(app.media_files, cfg, fetched, label=label, now=now)
    except OSError:  # the media folder is not writable: the message still goes on
        log.exception("photos of message %s could not be written", label)
        return
    with app.store.transaction() as repos:
        record_photos(repos, kept, inbound_id=inbound_id, group_id=msg.group_id, now=now)


def journal(app: Application, msg: IncomingMessage, *, answered_after_handling: bool = False
            ) -> int | None:
    """Store the message (registering an unknown group); None for a duplicate.
    `answered_after_handling`: the sender gets its answer only after `handle` commits
    (then this commit need not wait for the disk on PostgreSQL: that one does)."""
    now = app.now()
    fields = {**_fields(msg), "received_at": now, "status": "received"}
    inbound_id = app.store.journal(fields, flushed_by_next=answered_after_handling)
    if inbound_id is not False and inbound_id is not None:
        return inbound_id
    with app.store.transaction() as repos:  # a new group, or a duplicate
        if inbound_id is False:  # the group is not known to this process yet
            if repos.groups.known(msg.group_id) is None:
                register_group(repos, app.config, msg.group_id, name=msg.group_name,
                               inbound_channel=msg.channel, now=now, private=msg.private)
            inbound_id = repos.inbound.journal(**fields,
                                               flushed_by_next=answered_after_handling)
        if inbound_id is None:
            seen = repos.inbound.by_msg_id(msg.channel, msg.group_id, msg.msg_id)
            if seen is not None and (seen.text, seen.sender_id) != (msg.text, msg.sender_id):
                log.warning("msg_id conflict: %s/%s/%s arrived again with another body; "
                            "kept the first", msg.channel, msg.group_id, msg.msg_id)
        return inbound_id


def _fields(msg: IncomingMessage) -> dict:
    return {"channel": msg.channel, "msg_id": msg.msg_id, "group_id": msg.group_id,
            "sender_id": msg.sender_id, "sender_name": msg.sender_name, "text": msg.text,
            "payload": _payload(msg), "sent_at": msg.sent_at}


def _payload(msg: IncomingMessage) -> dict:
    payload = {"mentions": list(msg.mentions), "group_name": msg.group_name,
               "quote": {"msg_id": msg.quote.msg_id, "text": msg.quote.text}
               if msg.quote else None}
    if msg.category:
        payload["category"] = msg.category
    if msg.images:
        payload["images"] = len(msg.images)  # how many photos came with it
    if msg.via:
        payload["via"] = msg.via
    return payload


def _message_from_row(row) -> IncomingMessage:
    quote = (row.payload or {}).get("quote")
    return IncomingMessage(
        channel=row.channel, msg_id=row.msg_id, group_id=row.group_id,
        sender_id=row.sender_id, text=row.text, sent_at=row.sent_at,
        sender_name=row.sender_name, group_name=(row.payload or {}).get("group_name", ""),
        mentions=tuple((row.payload or {}).get("mentions") or ()),
        quote=Quote(**quote) if quote else None,
        category=(row.payload or {}).get("category"),
        via=(row.payload or {}).get("via", ""))


class _HandledElsewhere(Exception):
    """Another worker marked the message handled first: this one's work is undone."""


def handle(app: Application, inbound_id: int, *, inline: bool,
           msg: IncomingMessage | None = None,
           refusals: list[str] | None = None) -> list[dict]:
    """Dispatch a journalled message; returns the replies in wire format. `msg`: the
    message as just journalled (then it is not read back). `refusals`: a refused
    command's answer is put there instead of being posted."""
    try:
        with app.store.transaction() as repos:
            if msg is None:
                row = repos.inbound.get(inbound_id)
                if row is None or row.status != "received":
                    return []
                msg = _message_from_row(row)
            else:
                row = InboundMessage(id=inbound_id, **_fields(msg), status="received")
            repos.tag_events(msg.via)
            group = repos.groups.known(msg.group_id)
            community = community_of(app.config, group.community_id)
            member = repos.members.ensure(community.id, msg.sender_id, msg.sender_name,
                                          msg.sent_at, group_id=group.id)
            ctx = Context(config=app.config, classifier=app.classifier(community.id),
                          repos=repos, msg=msg, inbound=row, group=group,
                          community=community, member=member, now=msg.sent_at,
                          wall_now=app.wall_clock())
            app.dispatcher.dispatch(ctx)
            if (row.payload or {}).get("images"):
                attach_to_message_case(repos, inbound_id=row.id, member=member,
                                       touched_case_ids=repos.cases.touched_ids(),
                                       answer_case_ids=[r.case_id for r in ctx.replies],
                                       now=msg.sent_at)
            if refusals is not None and REFUSED in ctx.memo:
                refusals.append(str(ctx.memo[REFUSED]))
                ctx.replies = []
            replan_touched(repos, app.config, msg.sent_at)
            posts = queue_posts(repos, ctx.replies, group=group, in_reply_to=inbound_id,
                                now=app.now(), inline=inline, config=app.config)
            if not repos.inbound.mark_handled(inbound_id):
                raise _HandledElsewhere
            return [wire_format(p) for p in posts if p.state == "inline" or not inline]
    except _HandledElsewhere:
        log.warning("inbound id=%s was handled by another worker first", inbound_id)
        return []
    except Exception as exc:  # noqa: BLE001 - any handler failure becomes an apology
        log.exception("handler failed for inbound id=%s", inbound_id)
        return _apologise(app, inbound_id, exc, inline=inline)


def _apologise(app: Application, inbound_id: int, exc: Exception, *, inline: bool) -> list[dict]:
    with app.store.transaction() as repos:
        row = repos.inbound.get(inbound_id)
        log.error("message %s/%s failed: %s: %s", row.channel, row.msg_id,
                  type(exc).__name__, exc)
        repos.inbound.mark(row.id, "failed", f"{type(exc).__name__}: {exc}")
        group = repos.groups.get(row.group_id)
        posts = queue_posts(repos, [Outgoing(text=texts.INTERNAL_ERROR)], group=group,
                            in_reply_to=row.id, now=app.now(), inline=inline,
                            config=app.config)
        return [wire_format(p) for p in posts]


@dataclass
class Performed:
    duplicate: bool = False
    refusal: str = ""  # the command was not carried out: why (nothing was posted)


def perform(app: Application, msg: IncomingMessage) -> Performed:
    """Act on a command as if its sender had typed it (a tap on a card): journalled
    and dispatched like any message, so the same rules, timeline events and posts
    follow; a refusal (not allowed, bad arguments, a rule saying no) comes back instead
    of being posted, so the tapper sees it privately, not the group."""
    inbound_id = journal(app, msg)
    if inbound_id is None:
        return Performed(duplicate=True)
    refusals: list[str] = []
    handle(app, inbound_id, inline=False, refusals=refusals)
    return Performed(refusal=refusals[0] if refusals else "")


def handle_unhandled(app: Application, now: datetime, grace: timedelta = timedelta(minutes=1)
                     ) -> int:
    """Handle messages journalled but never handled (after a crash); their answers go
    out through the outbox. Returns how many were handled."""
    with app.store.transaction() as repos:
        ids = [row.id for row in repos.inbound.unhandled(received_before=now - grace)]
    for inbound_id in ids:
        handle(app, inbound_id, inline=False)
    return len(ids)
