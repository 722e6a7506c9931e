"""One-tap cards (模板卡片): which posts get one, what a card holds, and what a tap on it
does.

Cards are planned where posts are queued (`bot.outbox.queue_posts` calls `plan_cards`),
so they travel through the outbox like every post (retries, order); a channel that
cannot show a card sends the post's text instead. A card is planned only where its
channel is configured:
- the self-built app (``channels.wecom_app.enabled``): a case ping or escalation in a
  group is also sent privately to each pinged staff member as a case card (签收 / 转办 /
  查看); a private post about a case (an assignment, a rating result) becomes a card;
- the AI bot (``channels.wecom_aibot.enabled``): in a WeCom group the rating request
  becomes a rating card (满意 / 基本满意 / 不满意) and the opening of a vote a vote card,
  shown in the bot's answer to the message that caused it, or pushed over the long
  connection (the webhook cannot carry buttons: a post going that way stays text).

The card spec stored on the outbox row is platform-neutral (type, task id, title,
fields, buttons with their keys); `bot.channels.wecom_cards` renders it for WeCom.
Task ids and button keys are random (unguessable) and stored (`storage.models.Card`).

A tap (`plan_tap`) is allowed once per person and button, only to the card's recipient
for a private card; it becomes the command the person would have typed (`/接单 #N`,
`/评价 #N 满意`, `/投票 T3 同意` …), run by `bot.ingest.perform` as that person, so
the same rules, timeline events and group posts follow.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot import texts
from bot.domain.categories import category_label
from bot.domain.groups import (
    APP_CHANNEL,
    APP_GROUP_PREFIX,
    ensure_private_group,
    private_group_id,
    userid_of,
)
from bot.domain.roles import is_staff_like
from bot.domain.webhook_health import WECOM_CHANNEL
from bot.events import Outgoing
from bot.texts import reach

if TYPE_CHECKING:
    from bot.config import Config
    from storage.models import Card, Case, Group
    from storage.repositories import Repos

CASE_KINDS = ("ping", "escalation")
RESULT_KIND = "notice"  # a private post about a rated case: the result card
RATING_ACTIONS = ("satisfied", "basic", "unsatisfied")
OPTION_PREFIX = "option:"


def app_cards(config: Config) -> bool:
    return config.channels.wecom_app.enabled


def group_cards(config: Config) -> bool:
    """The AI bot can show a card in its groups: in its answer to a message (both modes),
    and pushed over its long connection."""
    return config.channels.wecom_aibot.enabled


# --- planning ----------------------------------------------------------------------------

def plan_cards(repos: Repos, config: Config, posts: list[Outgoing], *, group: Group,
               now: datetime, in_reply_to: int | None) -> list[Outgoing]:
    """The posts with their cards attached, and a private case card for each staff member
    a group ping or escalation mentions (appended, so the posts' own keys stay)."""
    if not (app_cards(config) or group_cards(config)):
        return posts
    out: list[Outgoing] = []
    extra: list[Outgoing] = []
    private = {(p.group_id, p.case_id) for p in posts
               if p.group_id and p.group_id.startswith(APP_GROUP_PREFIX)}
    for index, post in enumerate(posts):
        if post.key and repos.outbox.exists(post.key):
            out.append(post)  # planned before (a tick run again): stored once, no new card
            continue
        target = repos.groups.get(post.group_id) if post.group_id else group
        if post.card is None:
            post = replace(post, card=_card_for(repos, config, post, target, now))
        out.append(post)
        if app_cards(config) and post.kind in CASE_KINDS and post.case_id \
                and target.channel != APP_CHANNEL:
            key = post.key or f"reply:{in_reply_to}:{index}"
            extra.extend(_private_case_cards(repos, config, post, target, now, key, private))
    return out + extra


def _card_for(repos: Repos, config: Config, post: Outgoing, target: Group, now: datetime
              ) -> dict[str, Any] | None:
    if target.channel == APP_CHANNEL and app_cards(config) and post.case_id:
        case = repos.cases.get(post.case_id)
        if case is None:
            return None
        if post.kind in CASE_KINDS:  # a handler's own private post: its first line heads
            return case_card(repos, config, case, userid_of(target.id), post.kind, now,
                             title=post.text.strip().split("\n")[0])
        if post.kind == RESULT_KIND and case.rating:
            return result_card(repos, config, case, userid_of(target.id), now)
    if target.channel == WECOM_CHANNEL and group_cards(config):
        if post.kind == "rating_request" and post.case_id:
            case = repos.cases.get(post.case_id)
            return rating_card(repos, case, target, now) if case else None
        if post.kind == "vote" and post.topic_id:
            topic = repos.topics.get(post.topic_id)
            if topic is not None and topic.step == "voting" and topic.vote_ends_at:
                return vote_card(repos, config, topic, target, now)
    return None


def _private_case_cards(repos: Repos, config: Config, post: Outgoing, target: Group,
                        now: datetime, key: str, private: set) -> list[Outgoing]:
    case = repos.cases.get(post.case_id)
    if case is None:
        return []
    origin = repos.groups.get(case.group_id) or target
    out = []
    for mention in post.mentions:
        member = repos.members.by_external(target.community_id, mention.member_id)
        if member is None or not is_staff_like(member.role_codes):
            continue
        chat = ensure_private_group(repos, member.external_id, target.community_id, now)
        card_key = f"{key}:card:{member.external_id}"[:200]
        if (chat.id, case.id) in private or repos.outbox.exists(card_key):
            continue  # the handler already wrote to them about this case, or a run before
        private.add((chat.id, case.id))
        text = reach.case_card_text(case.id, category_label(case.category),
                                    texts.place(case.location), case.text,
                                    origin.name or origin.id, case.urgent,
                                    post.kind == "escalation")
        out.append(Outgoing(text=text, kind=post.kind, case_id=case.id, group_id=chat.id,
                            key=card_key,
                            urgent=post.urgent,
                            card=case_card(repos, config, case, member.external_id,
                                           post.kind, now)))
    return out


def _new_card(repos: Repos, kind: str, group_id: str, recipient: str, now: datetime,
              actions: dict[str, str], case_id: int | None = None,
              topic_id: int | None = None) -> tuple[Card, dict[str, str]]:
    """Store a card with a random task id and one random key per action; returns the
    card and {action: key}."""
    keys = {action: f"{action.split(':')[0][:12]}-{secrets.token_hex(8)}"
            for action in actions}
    card = repos.cards.add(task_id=f"linli-{secrets.token_hex(16)}", kind=kind,
                           group_id=group_id, recipient=recipient, case_id=case_id,
                           topic_id=topic_id, buttons={keys[a]: a for a in actions},
                           created_at=now)
    return card, keys


def _case_fields(config: Config, case: Case, origin: Group) -> list[list[str]]:
    local = case.resolve_by.astimezone(config.tz)
    respond = case.respond_by.astimezone(config.tz)
    deadline = [reach.CARD_FIELD_RESPOND_BY, texts.clock(respond)] \
        if case.acknowledged_at is None else [reach.CARD_FIELD_RESOLVE_BY, texts.clock(local)]
    return [[reach.CARD_FIELD_CATEGORY, category_label(case.category)],
            [reach.CARD_FIELD_PLACE, texts.place(case.location) or reach.CARD_NO_PLACE],
            deadline,
            [reach.CARD_FIELD_GROUP, origin.name or origin.id]]


def case_card(repos: Repos, config: Config, case: Case, userid: str, kind: str,
              now: datetime, title: str = "") -> dict[str, Any]:
    """A staff member's private card about a case: 签收 / 转办 / 查看."""
    origin = repos.groups.get(case.group_id)
    card, keys = _new_card(repos, "case", case.group_id, userid, now,
                           dict.fromkeys(reach.CASE_BUTTONS, ""), case_id=case.id)
    return {"type": "button_interaction", "task_id": card.task_id,
            "title": title or reach.case_card_title(case.id, case.urgent,
                                                    kind == "escalation"),
            "quote": reach.case_card_quote(case.text),
            "fields": _case_fields(config, case, origin),
            "buttons": [{"key": keys[a], "text": label, "style": 1 if a == "claim" else 2}
                        for a, label in reach.CASE_BUTTONS.items()]}


def working_card(repos: Repos, config: Config, case: Case, userid: str, now: datetime
                 ) -> dict[str, Any]:
    """After a 签收 by tap: the card to finish with, 办结 / 查看."""
    origin = repos.groups.get(case.group_id)
    card, keys = _new_card(repos, "working", case.group_id, userid, now,
                           dict.fromkeys(reach.WORKING_BUTTONS, ""), case_id=case.id)
    return {"type": "button_interaction", "task_id": card.task_id,
            "title": reach.working_card_title(case.id),
            "quote": reach.case_card_quote(case.text),
            "fields": _case_fields(config, case, origin),
            "buttons": [{"key": keys[a], "text": label, "style": 1 if a == "resolve" else 2}
                        for a, label in reach.WORKING_BUTTONS.items()]}


def follow_up(repos: Repos, config: Config, plan: TapPlan, userid: str, now: datetime
              ) -> list[Outgoing]:
    """What a tap that worked brings next, privately: after 签收, the card to finish
    with (办结 / 查看)."""
    if plan.action != "claim" or plan.card is None or plan.card.case_id is None:
        return []
    case = repos.cases.get(plan.card.case_id)
    if case is None:
        return []
    return [Outgoing(text=reach.working_card_text(case.id), kind=RESULT_KIND,
                     case_id=case.id, group_id=private_group_id(userid),
                     key=f"working:{plan.card.task_id}:{userid}"[:200],
                     card=working_card(repos, config, case, userid, now))]


def result_card(repos: Repos, config: Config, case: Case, userid: str, now: datetime
                ) -> dict[str, Any]:
    """After 办结 and the rating: the result, with 查看 for the timeline."""
    origin = repos.groups.get(case.group_id)
    card, keys = _new_card(repos, "result", case.group_id, userid, now, {"view": ""},
                           case_id=case.id)
    label = texts.RATING_LABELS.get(case.rating, case.rating or "")
    return {"type": "button_interaction", "task_id": card.task_id,
            "title": reach.result_card_title(case.id, label),
            "quote": reach.case_card_quote(case.text),
            "fields": _case_fields(config, case, origin)[:2],
            "buttons": [{"key": keys["view"], "text": reach.CASE_BUTTONS["view"],
                         "style": 2}]}


def rating_card(repos: Repos, case: Case, group: Group, now: datetime) -> dict[str, Any]:
    """The group's rating card: 满意 / 基本满意 / 不满意 (complainants only may tap)."""
    card, keys = _new_card(repos, "rating", group.id, "", now,
                           dict.fromkeys(RATING_ACTIONS, ""), case_id=case.id)
    return {"type": "button_interaction", "task_id": card.task_id,
            "title": reach.rating_card_title(case.id),
            "desc": reach.rating_card_desc(category_label(case.category),
                                           texts.place(case.location)),
            "buttons": [{"key": keys[a], "text": texts.RATING_LABELS[a],
                         "style": 1 if a != "unsatisfied" else 2} for a in RATING_ACTIONS]}


def vote_card(repos: Repos, config: Config, topic, group: Group, now: datetime
              ) -> dict[str, Any]:
    """The group's vote card: one option, then 投票."""
    options = list(topic.options or [])
    actions = {"vote": ""} | {f"{OPTION_PREFIX}{o}": "" for o in options}
    card, keys = _new_card(repos, "vote", group.id, "", now, actions, topic_id=topic.id)
    return {"type": "vote_interaction", "task_id": card.task_id,
            "title": reach.vote_card_title(topic.id, topic.title),
            "desc": reach.vote_card_desc(topic.vote_ends_at.astimezone(config.tz)),
            "options": [{"id": keys[f"{OPTION_PREFIX}{o}"], "text": o} for o in options],
            "submit": {"key": keys["vote"], "text": reach.VOTE_SUBMIT}}


# --- taps ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tap:
    """A tap as the platform reported it."""

    task_id: str
    key: str
    userid: str
    event: str  # what tells a retry of the same callback (its time, its msgid)
    selected: tuple[str, ...] = ()  # chosen option ids (vote cards)


@dataclass(frozen=True)
class TapPlan:
    card: Card | None = None
    refusal: str = ""  # refused before anything was done
    retry: bool = False  # the platform's retry of a tap already handled
    action: str = ""
    command: str = ""  # what the tap does, as the member would type it
    group_id: str = ""  # where the command runs
    word: str = ""  # the rating or option chosen


def plan_tap(repos: Repos, tap: Tap, now: datetime) -> TapPlan:
    """Check a tap (the card exists, the key is one of its buttons, the tapper is the
    recipient of a private card, first tap of this button by this person), record it
    and say which command it stands for."""
    card = repos.cards.by_task(tap.task_id)
    action = card.buttons.get(tap.key) if card is not None else None
    if card is None or not action or action.startswith(OPTION_PREFIX):
        return TapPlan(card=card, refusal=reach.TAP_EXPIRED)
    if card.recipient and card.recipient != tap.userid:
        return TapPlan(card=card, refusal=reach.TAP_NOT_YOURS)
    word = ""
    if action == "vote":
        chosen = [card.buttons.get(o, "") for o in tap.selected]
        chosen = [c.removeprefix(OPTION_PREFIX) for c in chosen if c.startswith(OPTION_PREFIX)]
        if len(chosen) != 1:
            return TapPlan(card=card, refusal=reach.TAP_EXPIRED)
        word = chosen[0]
    seen = repos.cards.tap_of(card, tap.userid, tap.key)
    if seen is not None:
        return TapPlan(card=card, retry=seen.event == tap.event,
                       refusal="" if seen.event == tap.event else reach.TAP_ALREADY)
    if repos.cards.record_tap(card, tap.userid, tap.key, tap.event[:64], now) is None:
        return TapPlan(card=card, retry=True)  # a concurrent retry recorded it first
    if action in RATING_ACTIONS:
        word = texts.RATING_LABELS[action]
    where = private_group_id(tap.userid) if action == "view" else card.group_id
    command = reach.tap_command("rate" if action in RATING_ACTIONS else action,
                                card.case_id, card.topic_id, word)
    return TapPlan(card=card, action=action, word=word, group_id=where, command=command)


def tap_outcome(repos: Repos, card: Card, tap: Tap, text: str) -> None:
    """Store what the card now says to this person after their tap."""
    row = repos.cards.tap_of(card, tap.userid, tap.key)
    if row is not None:
        row.outcome = text[:300]


def done_label(plan: TapPlan, name: str, at: datetime) -> str:
    """What the card says after a tap that worked: who did what."""
    if plan.action in RATING_ACTIONS:
        return reach.rated_on_card(name, plan.word)
    if plan.action == "vote":
        return reach.voted_on_card(name, plan.word)
    return reach.tap_done(reach.TAP_DONE.get(plan.action, ""), name, at)
