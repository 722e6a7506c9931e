"""The group-chat simulator (demo only): a page at `/` showing one group, where you speak
as anyone on the roster (a resident by default), quote a message, see the bot's answers
and later posts appear, and fast-forward the clock.

Messages typed here go through the same `receive` path as the bridge (channel
"simulator"), quotes included (`quote.msg_id` as the bridge sends it); the app's clock
is a `bot.clock.SimulatedClock`. Fast-forward (`scheduler.fast_forward`) moves that clock
tick by tick and runs each tick's scheduled work on the way, so nothing between now and
the target (a reminder, the 18:00 digest) is skipped.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request

from bot import texts
from bot.domain.roles import effective_roles, role_label
from bot.events import IncomingMessage, Quote
from bot.ingest import receive
from scheduler.fast_forward import fast_forward
from scheduler.tick import run_tick

PAGE = Path(__file__).with_name("simulator.html")
CHANNEL = "simulator"
HISTORY = 200


def _bad(message: str, status: int = 400):
    return jsonify({"ok": False, "error": message}), status


def _moment(when: datetime, tz) -> dict:
    local = when.astimezone(tz)
    return {"iso": local.isoformat(timespec="seconds"), "day": texts.day_label(local),
            "time": texts.time_label(local)}


def _body() -> dict:
    """The JSON object of the request ({} for anything else: the checks then say what is
    missing)."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _quote(data: dict) -> Quote | None:
    quote = data.get("quote")
    if not isinstance(quote, dict):
        return None
    msg_id, text = str(quote.get("msg_id") or ""), str(quote.get("text") or "")
    return Quote(msg_id, text) if (msg_id or text) else None


def create_blueprint() -> Blueprint:
    bp = Blueprint("simulator", __name__)

    @bp.get("/")
    def page() -> Response:
        return Response(PAGE.read_text(encoding="utf-8"), mimetype="text/html")

    @bp.get("/simulator/api/state")
    def state():
        bot = current_app.extensions["linli"]
        with bot.store.transaction() as repos:
            groups, members = [], {}
            for com in bot.config.communities:
                for g in repos.groups.in_community(com.id, include_private=False):
                    groups.append({"id": g.id, "name": g.name, "community_id": com.id})
                members[com.id] = [
                    {"id": m.external_id, "name": m.name,
                     "roles": [role_label(r) for r in sorted(m.role_codes)],
                     "resident": effective_roles(m.role_codes) == {"resident"}}
                    for m in repos.members.in_community(com.id)]
        return jsonify({"ok": True, "groups": groups, "members": members,
                        "now": _moment(bot.now(), bot.config.tz),
                        "daily_digest": bot.config.schedules.daily_digest.strftime("%H:%M")})

    @bp.get("/simulator/api/messages")
    def messages():
        bot = current_app.extensions["linli"]
        group_id = request.args.get("group_id", "")
        with bot.store.transaction() as repos:
            items = [{"type": "in", "id": m.msg_id, "seq": m.id, "at": m.sent_at,
                      "sender_id": m.sender_id, "sender_name": m.sender_name or m.sender_id,
                      "text": m.text, "quote": (m.payload or {}).get("quote")}
                     for m in repos.inbound.recent_in_group(group_id, HISTORY)]
            # a post shows when the group saw it: delivered (a post held for quiet hours
            # at their end), or queued while it still waits
            items += [{"type": "out", "id": o.public_id, "seq": o.id,
                       "at": o.delivered_at or o.created_at,
                       "text": o.text, "kind": o.kind, "label": texts.post_kind_label(o.kind),
                       "state": o.state, "mentions": o.mentions, "case_id": o.case_id}
                      for o in repos.outbox.recent_in_group(group_id, HISTORY)]
        items.sort(key=lambda i: (i["at"], i["type"] == "out", i["seq"]))
        for item in items:
            item["at"] = _moment(item["at"], bot.config.tz)
        return jsonify({"ok": True, "messages": items[-HISTORY:]})

    @bp.post("/simulator/api/say")
    def say():
        bot = current_app.extensions["linli"]
        data = _body()
        text = str(data.get("text", "")).strip()
        group_id = str(data.get("group_id", "")).strip()
        sender_id = str(data.get("sender_id", "")).strip()
        if not (text and group_id and sender_id):
            return _bad("group_id, sender_id and text are required")
        msg = IncomingMessage(
            channel=CHANNEL, msg_id=f"sim-{uuid.uuid4().hex}", group_id=group_id,
            sender_id=sender_id, sender_name=str(data.get("sender_name", "")), text=text,
            sent_at=bot.now(), quote=_quote(data))
        result = receive(bot, msg)
        return jsonify({"ok": True, "replies": result.replies})

    @bp.post("/simulator/api/tick")
    def tick():
        """Fast-forward to `at` (local time, ISO) or by `hours`, running every tick on the
        way; with neither, one tick now."""
        bot = current_app.extensions["linli"]
        data = _body()
        tz, start = bot.config.tz, bot.now()
        try:
            target = _target(data, start, tz)
        except ValueError as exc:
            return _bad(str(exc))
        advance = getattr(bot.clock, "advance_to", None)
        if target is None:
            log_line = run_tick(bot, start).line(tz)
        elif advance is None:
            return _bad(texts.CLOCK_FIXED)
        elif target <= start:
            return _bad(texts.CLOCK_ONLY_FORWARD)
        else:
            run = fast_forward(bot, target, advance)
            log_line = run.line(tz)
        now = bot.now()
        return jsonify({"ok": True, "summary": log_line, "now": _moment(now, tz),
                        "status": texts.fast_forwarded(
                            now.astimezone(tz),
                            _new_posts(bot, str(data.get("group_id", "")), start))})

    return bp


MAX_HOURS = 366 * 24


def _target(data: dict, now: datetime, tz) -> datetime | None:
    """The time to fast-forward to: `at` (naive = local), or now + `hours`; at most a
    year ahead."""
    if data.get("at"):
        try:
            at = datetime.fromisoformat(str(data["at"]))
        except ValueError:
            raise ValueError(texts.FAST_FORWARD_TIME_UNREADABLE) from None
        target = at.replace(tzinfo=tz) if at.tzinfo is None else at
    elif data.get("hours") is not None:
        hours = data["hours"]
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) \
                or not math.isfinite(hours) or hours <= 0:
            raise ValueError(texts.CLOCK_ONLY_FORWARD)
        if hours > MAX_HOURS:
            raise ValueError(texts.FAST_FORWARD_TOO_FAR)
        target = now + timedelta(hours=hours)
    else:
        return None
    if target - now > timedelta(hours=MAX_HOURS):
        raise ValueError(texts.FAST_FORWARD_TOO_FAR)
    return target


def _new_posts(bot, group_id: str, since: datetime) -> list[tuple[str, int]]:
    """What the bot posted in the group on its own since `since`: (label, count), the
    most frequent first, then in the order they came."""
    with bot.store.transaction() as repos:
        posts = reversed(repos.outbox.recent_in_group(group_id, HISTORY))
        kinds = Counter(texts.post_kind_label(o.kind) for o in posts
                        if o.in_reply_to is None and o.created_at > since)
    return sorted(kinds.items(), key=lambda kv: -kv[1])
