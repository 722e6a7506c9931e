"""WeCom template cards (模板卡片): the card JSON of a stored card spec, the taps WeCom
reports (``template_card_event``, from the self-built app's XML callback or the AI bot's
JSON one) and what a tap does.

- `template_card(spec)`: the ``template_card`` object of ``message/send`` (app) and of
  ``aibot_send_msg`` (AI bot push): ``button_interaction`` with ``main_title``,
  ``quote_area``, ``horizontal_content_list`` and ``button_list``; ``vote_interaction``
  with a single-choice ``checkbox`` and ``submit_button``. Lengths are cut to WeCom's
  limits (title 36, desc 44, field value 30 characters) [mem: check on a real tenant].
- `run_tap(app, tap)`: `bot.domain.cards.plan_tap` checks and records the tap, then the
  command it stands for runs as the tapper through `bot.ingest.perform` (the same rules,
  timeline event and group post as typing it); the answer says what the card shows now,
  or why the tap was refused (shown on the card and privately, never in the group).
  After a 签收 by tap, the staff member gets the card to finish with (办结 / 查看).
- `updated_card(...)`: the AI bot's card-update reply for the tapper
  (``{"response_type": "update_template_card", "userids": [...], "template_card"}``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.domain.cards import Tap, done_label, follow_up, plan_tap, tap_outcome
from bot.events import IncomingMessage
from bot.ingest import perform
from bot.outbox import queue_posts
from bot.texts import reach

if TYPE_CHECKING:
    from bot.application import Application

CARD_CHANNEL = "card"  # the journal's channel of a tap
TITLE_MAX, DESC_MAX, VALUE_MAX, KEY_NAME_MAX, BUTTON_MAX = 36, 44, 30, 5, 10


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def template_card(spec: dict[str, Any]) -> dict[str, Any]:
    """The WeCom ``template_card`` of a stored card spec (`bot.domain.cards`)."""
    card: dict[str, Any] = {
        "card_type": spec["type"], "source": {"desc": reach.CARD_SOURCE},
        "main_title": {"title": _cut(spec.get("title", ""), TITLE_MAX)},
        "task_id": spec["task_id"]}
    if spec.get("desc"):
        card["main_title"]["desc"] = _cut(spec["desc"], DESC_MAX)
    if spec["type"] == "vote_interaction":
        card["checkbox"] = {"question_key": "vote", "mode": 0, "option_list": [
            {"id": o["id"], "text": _cut(o["text"], 11)} for o in spec.get("options", [])]}
        card["submit_button"] = {"text": spec["submit"]["text"], "key": spec["submit"]["key"]}
        return card
    if spec.get("quote"):
        card["quote_area"] = {"type": 0, "quote_text": _cut(spec["quote"], 60)}
    if spec.get("fields"):
        card["horizontal_content_list"] = [
            {"keyname": _cut(k, KEY_NAME_MAX), "value": _cut(v, VALUE_MAX)}
            for k, v in spec["fields"]]
    card["button_list"] = [{"text": b["text"], "style": b.get("style", 1), "key": b["key"]}
                           for b in spec.get("buttons", [])]
    return card


@dataclass(frozen=True)
class TapAnswer:
    retry: bool = False  # WeCom's retry of a callback already handled: do nothing
    ok: bool = False
    label: str = ""  # what the card says now (who did what, or that it was refused)
    refusal: str = ""  # why it was refused, said privately


def run_tap(app: Application, tap: Tap) -> TapAnswer:
    now = app.now()
    with app.store.transaction() as repos:
        plan = plan_tap(repos, tap, now)
        group = repos.groups.get(plan.group_id) if plan.group_id else None
        member = repos.members.by_external(group.community_id, tap.userid) if group else None
        name = member.name if member is not None else ""
    if plan.retry:
        return TapAnswer(retry=True)
    if plan.refusal:
        return TapAnswer(label=reach.TAP_REFUSED, refusal=plan.refusal)
    msg = IncomingMessage(channel=CARD_CHANNEL,
                          msg_id=f"tap:{tap.task_id}:{tap.key}:{tap.userid}"[:200],
                          group_id=plan.group_id, sender_id=tap.userid, sender_name=name,
                          text=plan.command, sent_at=now, via="card")
    result = perform(app, msg)
    if result.duplicate:
        return TapAnswer(retry=True)
    answer = TapAnswer(label=reach.TAP_REFUSED, refusal=result.refusal) if result.refusal \
        else TapAnswer(ok=True, label=done_label(plan, name or tap.userid, now))
    with app.store.transaction() as repos:
        tap_outcome(repos, plan.card, tap, answer.refusal or answer.label)
        after = follow_up(repos, app.config, plan, tap.userid, now) if answer.ok else []
        if after:
            queue_posts(repos, after, group=repos.groups.get(after[0].group_id), now=now,
                        config=app.config)
    return answer


def updated_card(tap: Tap, answer: TapAnswer) -> dict[str, Any]:
    """The AI bot's reply to a tap: the tapper's card now says what happened (a single
    button that does nothing more)."""
    card = {"card_type": "button_interaction", "source": {"desc": reach.CARD_SOURCE},
            "main_title": {"title": _cut(answer.label, TITLE_MAX)}, "task_id": tap.task_id,
            "button_list": [{"text": _cut(answer.label, BUTTON_MAX), "style": 2,
                             "key": f"done-{secrets.token_hex(6)}"}]}
    if answer.refusal:
        card["main_title"]["desc"] = _cut(answer.refusal, DESC_MAX)
    return {"response_type": "update_template_card", "userids": [tap.userid],
            "template_card": card}


def selected_options(selected: Any) -> tuple[str, ...]:
    """The option ids of a vote card's ``selected_items`` (JSON or xmltodict shapes:
    ``{"selected_item": [{"question_key", "option_ids": {"option_id": [...]}}]}``)."""
    items = selected.get("selected_item") or selected.get("SelectedItem") \
        if isinstance(selected, dict) else selected
    if isinstance(items, dict):
        items = [items]
    found: list[str] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        ids = item.get("option_ids") or item.get("OptionIds") or {}
        ids = ids.get("option_id") or ids.get("OptionId") if isinstance(ids, dict) else ids
        ids = [ids] if isinstance(ids, str) else ids
        found.extend(i for i in ids or [] if isinstance(i, str))
    return tuple(found[:10])
