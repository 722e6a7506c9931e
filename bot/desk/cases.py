"""One case (`/desk/cases/N`): its details, timeline and original messages, and the
actions the viewer may take — acknowledge, note to the group, assign, escalate,
transfer (一转), merge, extend, change category, close with a reason. Each calls the
same `bot.domain.case_actions` function as its chat command, so the case changes the
same way, the timeline names the desk user, and the group gets the same post."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Blueprint, redirect, request, url_for

from bot import texts
from bot.config import parse_duration
from bot.desk.auth import bot, current_viewer, desk_login_required, flash, page, refuse
from bot.domain import case_actions as actions
from bot.domain.categories import CATEGORIES, category_label
from bot.domain.desk import DESK_ROLES, actions_for, may_see
from bot.domain.errors import RuleError
from bot.domain.groups import community_of
from bot.domain.roles import role_label
from bot.domain.routing import tier_name
from bot.domain.timers import replan_touched
from bot.outbox import queue_posts
from bot.privacy import mask_private
from storage.models import UNACKNOWLEDGED_STATES

MAX_NOTE = 500


class FormError(Exception):
    """A form field is missing or wrong: shown on the case page."""


def _field(name: str, *, required: str = "", limit: int = MAX_NOTE) -> str:
    value = request.form.get(name, "").strip()
    if required and not value:
        raise FormError(required)
    if len(value) > limit:
        raise FormError(f"内容太长了（最多 {limit} 字）。")
    return value


@dataclass(frozen=True)
class Event:
    at: str
    label: str
    actor: str
    note: str


def _run(repos, app, member, case, action: str):
    """Parse the action's form and call its domain function; the posts it makes."""
    now = app.now()
    community = community_of(app.config, case.community_id)
    if action == "acknowledge":
        return actions.acknowledge(repos, case, member, now)
    if action == "progress":
        note = _field("note", required="请写上要告诉群里的进展。")
        return actions.progress(repos, case, member, note, now)
    if action == "assign":
        assignee_id = request.form.get("assignee", "")
        assignee = repos.members.get(int(assignee_id)) if assignee_id.isdigit() else None
        if assignee is None or assignee.community_id != case.community_id:
            raise FormError("请选择要指派的人。")
        return actions.assign(repos, app.config, case, member, assignee, now)
    if action == "escalate":
        return actions.escalate(repos, community, case, member, _field("reason"), now)
    if action == "transfer":
        unit = _field("unit", required="请写上转办的单位。", limit=100)
        return actions.transfer(repos, case, member, unit, _field("reason"), now)
    if action == "merge":
        raw = request.form.get("target", "").strip().lstrip("#＃")
        target = repos.cases.get(int(raw), case.community_id) if raw.isdigit() and \
            len(raw) < 10 else None
        if target is None or not may_see(app.config, member, target):
            raise FormError("没有找到要合并到的工单，请填写本社区的工单编号。")
        return actions.merge(repos, case, target, member, now)
    if action == "extend":
        reason = _field("reason", required="请写上延期原因。")
        try:
            by = parse_duration(_field("span", required="请写上延期多久，例如 2天。", limit=20))
        except ValueError:
            raise FormError("延期时长看不懂，请写成 2天、48小时 这样。") from None
        if by.total_seconds() <= 0:
            raise FormError("延期时长要大于零。")
        return actions.extend(repos, app.config, case, member, by, reason, now)
    if action == "recategorize":
        category = request.form.get("category", "")
        if category not in CATEGORIES:
            raise FormError("请选择类别。")
        return actions.recategorize(repos, community, case, category, member, now)
    if action == "close":
        reason = _field("reason", required="请写上关闭原因。")
        return actions.close(repos, case, member, reason, now)
    raise FormError("没有这个操作。")


def register(bp: Blueprint) -> None:
    @bp.get("/cases/<int:case_id>")
    @desk_login_required
    def case(case_id: int):
        app = bot()
        viewer = current_viewer()
        tz = app.config.tz
        with app.store.transaction() as repos:
            member = repos.members.get(viewer.member_id)
            found = repos.cases.get(case_id)
            if found is None or not may_see(app.config, member, found):
                return refuse(404, "no_case")
            community = community_of(app.config, found.community_id)
            group = repos.groups.get(found.group_id)
            assignee = repos.members.get(found.assignee_id) if found.assignee_id else None
            events = [Event(texts.clock(e.at.astimezone(tz)),
                            texts.EVENT_LABELS.get(e.kind, e.kind),
                            e.actor.name if e.actor else "系统",
                            mask_private(e.note or "")) for e in repos.cases.events(found.id)]
            names = {c.member.external_id: c.member.name for c in found.complainants}
            messages = [(texts.clock(m.sent_at.astimezone(tz)),
                         names.get(m.sender_id) or m.sender_name or m.sender_id,
                         mask_private(m.text)) for m in repos.desk.messages_of(found)]
            people = [m for m in repos.members.with_roles(found.community_id, DESK_ROLES)]
            info = {
                "id": found.id, "state": texts.state_label(found.state, found.rating),
                "category": found.category, "category_label": category_label(found.category),
                "place": texts.place(found.location), "urgent": found.urgent,
                "group_complaint": found.group_complaint, "text": mask_private(found.text),
                "group": (group.name or group.id) if group else found.group_id,
                "complainants": [c.member.name for c in found.complainants],
                "assignee": assignee.name if assignee else "",
                "tier": tier_name(community, found.tier),
                "waiting": found.state in UNACKNOWLEDGED_STATES,
                "respond_by": texts.clock(found.respond_by.astimezone(tz)),
                "resolve_by": texts.clock(found.resolve_by.astimezone(tz)),
                "transferred_to": found.transferred_to or "",
                "merged_into": found.merged_into}
            allowed = actions_for(app.config, member, found)
            people = [(m.id, m.name, "、".join(role_label(r) for r in sorted(m.role_codes)))
                      for m in people]
        return page("case.html", case=info, events=events, messages=messages,
                    allowed=allowed, people=people, categories=CATEGORIES)

    @bp.post("/cases/<int:case_id>/<action>")
    @desk_login_required
    def case_action(case_id: int, action: str):
        app = bot()
        viewer = current_viewer()
        try:
            with app.store.transaction() as repos:
                member = repos.members.get(viewer.member_id)
                found = repos.cases.get(case_id)
                if found is None or not may_see(app.config, member, found):
                    return refuse(404, "no_case")
                if action not in actions_for(app.config, member, found):
                    return refuse(403, "no_action")
                posts = _run(repos, app, member, found, action)
                held = _announce(repos, app, found, posts)
        except (FormError, RuleError) as exc:  # rolled back: nothing changed
            flash(str(exc))
            return redirect(url_for("desk.case", case_id=case_id))
        flash(f"已完成。现在是免打扰时段，群里 {texts.clock(held.astimezone(app.config.tz))} "
              "收到通知。" if held else "已完成，群里已收到通知。")
        return redirect(url_for("desk.case", case_id=case_id))


def _announce(repos, app, case, posts):
    """Re-plan the touched cases' timers and queue the posts, each in the group of the
    case it is about (as the chat command would post there). Quiet hours hold them as
    any planned post (urgent ones go at once): when they go, if held, else None."""
    now = app.now()
    replan_touched(repos, app.config, now)
    batch = uuid.uuid4().hex[:12]
    for index, post in enumerate(posts):
        post.key = f"desk:{batch}:{index}"
        if post.group_id is None:
            about = repos.cases.get(post.case_id) if post.case_id else None
            post.group_id = (about or case).group_id
    rows = queue_posts(repos, posts, group=repos.groups.get(case.group_id), now=now,
                       config=app.config)
    return max((r.next_attempt_at for r in rows if r.next_attempt_at > now), default=None)
