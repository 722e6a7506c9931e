"""The board (`/desk/`): the cases the viewer sees, by group, building, category, state,
assignee, overdue, urgent and 群体诉求, and by text; the count of each filter value; a
page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, request

from bot import texts
from bot.desk.auth import bot, current_viewer, desk_login_required, page
from bot.domain.cases import case_is_overdue
from bot.domain.categories import CATEGORIES, category_label
from bot.domain.desk import scope_of
from bot.privacy import mask_private
from storage.models import FINISHED_STATES, OPEN_STATES, Case, Member
from storage.repositories import BoardFilter

MAX_SEARCH = 100


def board_filter(args) -> BoardFilter:
    """The filter a query string asks for (unknown values are dropped, not refused)."""
    state = args.get("state", "")
    return BoardFilter(
        group=args.get("group", "")[:128], building=args.get("building", "")[:20],
        category=args.get("category", "") if args.get("category") in CATEGORIES else "",
        state=state if state in OPEN_STATES + FINISHED_STATES else "",
        assignee=args.get("assignee", "") if args.get("assignee", "") == "none"
        or args.get("assignee", "").isdigit() else "",
        overdue=args.get("overdue") == "1", urgent=args.get("urgent") == "1",
        group_complaint=args.get("group_complaint") == "1",
        text=args.get("q", "").strip()[:MAX_SEARCH])


@dataclass(frozen=True)
class Row:
    id: int
    category: str
    place: str
    state: str
    urgent: bool
    group_complaint: bool
    overdue: bool
    assignee: str
    group: str
    opened: str
    excerpt: str


def row_of(case: Case, members: dict[int, Member], groups: dict[str, str], now: datetime,
           tz) -> Row:
    assignee = members.get(case.assignee_id) if case.assignee_id else None
    return Row(case.id, category_label(case.category), texts.place(case.location),
               texts.state_label(case.state, case.rating), case.urgent, case.group_complaint,
               case_is_overdue(case, now), assignee.name if assignee else "",
               groups.get(case.group_id, case.group_id),
               texts.clock(case.opened_at.astimezone(tz)),
               texts.excerpt(mask_private(case.text), 60))


def _page_number(raw: str | None) -> int:
    return max(1, min(int(raw), 100000)) if raw and raw.isdigit() else 1


def register(bp: Blueprint) -> None:
    @bp.get("/")
    @desk_login_required
    def board():
        app = bot()
        viewer = current_viewer()
        flt = board_filter(request.args)
        size = app.config.desk.page_size
        number = _page_number(request.args.get("page"))
        now = app.now()
        with app.store.transaction() as repos:
            member = repos.members.get(viewer.member_id)
            scope = scope_of(app.config, member)
            found = repos.desk.board(scope, flt, now, offset=(number - 1) * size, limit=size)
            groups = {g.id: g.name or g.id for g in repos.desk.groups(scope.communities)}
            assignee_ids = {int(k) for k in found.counts.get("assignee", {}) if k.isdigit()}
            members = repos.desk.members(assignee_ids | {c.assignee_id for c in found.cases
                                                         if c.assignee_id})
            rows = [row_of(c, members, groups, now, app.config.tz) for c in found.cases]
        pages = max(1, -(-found.total // size))
        query = {k: v for k, v in request.args.items() if k != "page" and v}
        return page("board.html", rows=rows, total=found.total, counts=found.counts,
                    flt=flt, groups=groups, members={m.id: m.name for m in members.values()},
                    categories=CATEGORIES, states=texts.STATE_LABELS,
                    open_states=OPEN_STATES, finished_states=FINISHED_STATES,
                    page_number=number, pages=pages, query=query)
