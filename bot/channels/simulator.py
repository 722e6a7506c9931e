"""The group-chat simulator (demo only): a page at `/` showing one group, where you speak
as anyone on the roster, see the bot's answers and later posts appear, and fast-forward
the clock to run the scheduled work as of a chosen time.

Messages typed here go through the same `receive` path as the bridge (channel
"simulator"); the app's clock is a `bot.clock.SimulatedClock` that fast-forward moves
ahead.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request

from bot.domain.roles import role_label
from bot.events import IncomingMessage, Quote
from bot.ingest import receive
from scheduler.tick import run_tick

PAGE = Path(__file__).with_name("simulator.html")
CHANNEL = "simulator"
HISTORY = 200


def _bad(message: str, status: int = 400):
    return jsonify({"ok": False, "error": message}), status


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
                     "roles": [role_label(r) for r in sorted(m.role_codes)]}
                    for m in repos.members.in_community(com.id)]
        now = bot.now().astimezone(bot.config.tz)
        return jsonify({"ok": True, "groups": groups, "members": members,
                        "now": now.isoformat(timespec="seconds")})

    @bp.get("/simulator/api/messages")
    def messages():
        bot = current_app.extensions["linli"]
        group_id = request.args.get("group_id", "")
        tz = bot.config.tz
        with bot.store.transaction() as repos:
            items = [{"type": "in", "id": m.msg_id, "seq": m.id, "at": m.sent_at,
                      "sender_id": m.sender_id, "sender_name": m.sender_name or m.sender_id,
                      "text": m.text}
                     for m in repos.inbound.recent_in_group(group_id, HISTORY)]
            items += [{"type": "out", "id": o.public_id, "seq": o.id, "at": o.created_at,
                       "text": o.text, "kind": o.kind, "state": o.state,
                       "mentions": o.mentions, "case_id": o.case_id}
                      for o in repos.outbox.recent_in_group(group_id, HISTORY)]
        items.sort(key=lambda i: (i["at"], i["type"] == "out", i["seq"]))
        for item in items:
            item["at"] = item["at"].astimezone(tz).strftime("%m-%d %H:%M")
        return jsonify({"ok": True, "messages": items[-HISTORY:]})

    @bp.post("/simulator/api/say")
    def say():
        bot = current_app.extensions["linli"]
        data = request.get_json(silent=True) or {}
        text = str(data.get("text", "")).strip()
        group_id = str(data.get("group_id", "")).strip()
        sender_id = str(data.get("sender_id", "")).strip()
        if not (text and group_id and sender_id):
            return _bad("group_id, sender_id and text are required")
        quote = data.get("quote") if isinstance(data.get("quote"), dict) else None
        msg = IncomingMessage(
            channel=CHANNEL, msg_id=f"sim-{uuid.uuid4().hex}", group_id=group_id,
            sender_id=sender_id, sender_name=str(data.get("sender_name", "")), text=text,
            sent_at=bot.now(),
            quote=Quote(str(quote.get("msg_id", "")), str(quote.get("text", ""))) if quote
            else None)
        result = receive(bot, msg)
        return jsonify({"ok": True, "replies": result.replies})

    @bp.post("/simulator/api/tick")
    def tick():
        bot = current_app.extensions["linli"]
        data = request.get_json(silent=True) or {}
        at = bot.now()
        if data.get("at"):
            try:
                at = datetime.fromisoformat(str(data["at"]))
            except ValueError:
                return _bad("at must be a time like 2026-11-21T18:00")
            if at.tzinfo is None:
                at = at.replace(tzinfo=bot.config.tz)
            advance = getattr(bot.clock, "advance_to", None)
            if advance is not None and not advance(at):
                return _bad("只能快进，不能回到过去")
        summary = run_tick(bot, at)
        return jsonify({"ok": True, "summary": summary.line(bot.config.tz),
                        "now": bot.now().astimezone(bot.config.tz).isoformat(timespec="seconds")})

    return bp
