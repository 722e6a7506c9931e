"""The desk's analytics pages, for coordinators (grid workers, moderators, street
liaisons; 物业 staff see their cases on the board instead):

- `/desk/stats`: the 三率 and the times (`bot.domain.trends`): by week and by month
  (ECharts, vendored under static/vendor), by category, group, assignee and tier, with
  mean and p90 time to acknowledge and to resolve and the overdue counts;
- `/desk/hotspots`: the 未诉先办 hot spots (`bot.domain.hotspots`) with one-click
  "propose a topic" and "assign a check-up" (POST with the desk's CSRF token; the group
  gets the post, the timeline names the desk user);
- `/desk/exports`: the monthly report as XLSX, CSV and a printable page — the same
  writer as `python -m bot report` (`bot.exports`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, Response, redirect, request, url_for

from bot import exports as report_files
from bot import texts
from bot.desk.auth import bot, current_viewer, desk_login_required, flash, page, refuse
from bot.domain import hotspots as spots
from bot.domain.categories import category_label
from bot.domain.groups import community_of
from bot.domain.reports import previous_month
from bot.domain.roles import COORDINATOR_ROLES, may
from bot.domain.routing import tier_name
from bot.domain.timers import replan_touched
from bot.domain.trends import DIMENSIONS, UNASSIGNED, TrendRow, trends, week_of
from bot.outbox import queue_posts
from bot.texts import insights as words

MONTH_CHOICES = (1, 3, 6, 12)
DEFAULT_MONTHS = 3
PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
EXPORT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8"}


def _coordinator():
    """The viewer when they coordinate (else None: the page refuses)."""
    viewer = current_viewer()
    return viewer if viewer is not None and viewer.roles & COORDINATOR_ROLES else None


def _communities(viewer) -> list[str]:
    configured = [c.id for c in bot().config.communities]
    return configured if viewer.communities is None else \
        [c for c in configured if c in viewer.communities]


def _months_back(now: datetime, tz, months: int) -> datetime:
    local = now.astimezone(tz)
    year, month = local.year, local.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return datetime(year, month, 1, tzinfo=tz)


def _hours(delta: timedelta | None) -> float | None:
    return report_files.hours(delta)


def _span(delta: timedelta | None) -> str:
    return words.NO_VALUE if delta is None else texts.duration(delta)


@dataclass(frozen=True)
class Line:
    """A row of a table on the 三率 page, formatted."""

    label: str
    opened: int
    response: str
    resolution: str
    satisfaction: str
    mean_ack: str
    p90_ack: str
    mean_resolve: str
    p90_resolve: str
    overdue: int
    reopened: int


def _line(label: str, row: TrendRow) -> Line:
    st = row.stats
    return Line(label, st.opened, texts.percent(st.responded_in_time, st.due_for_response),
                texts.percent(st.resolved, st.resolution_base),
                texts.percent(st.satisfied, st.rated), _span(row.mean_ack),
                _span(row.p90_ack), _span(row.mean_resolve), _span(row.p90_resolve),
                st.overdue, st.reopened)


def _series(rows: list[TrendRow], label) -> dict:
    """The numbers a chart draws (rates in %, times in hours)."""
    def pct(value: float | None) -> float | None:
        return None if value is None else round(value * 100, 1)

    return {"labels": [label(r.key) for r in rows],
            "opened": [r.stats.opened for r in rows],
            "overdue": [r.stats.overdue for r in rows],
            "response": [pct(r.response_rate) for r in rows],
            "resolution": [pct(r.resolution_rate) for r in rows],
            "satisfaction": [pct(r.satisfaction_rate) for r in rows],
            "p90_ack": [_hours(r.p90_ack) for r in rows],
            "p90_resolve": [_hours(r.p90_resolve) for r in rows]}


def _member_name(repos, key: str) -> str:
    if key == UNASSIGNED:
        return words.UNASSIGNED_LABEL
    member = repos.members.get(int(key))
    return member.name if member else key


def _labeller(repos, community, dimension: str):
    """key -> the label people read, per dimension."""
    if dimension == "week":
        return words.week_label
    if dimension == "category":
        return category_label
    if dimension == "group":
        names = {g.id: g.name or g.id for g in repos.desk.groups(None)}
        return lambda key: names.get(key, key)
    if dimension == "assignee":
        return lambda key: _member_name(repos, key)
    if dimension == "tier":
        return lambda key: words.tier_label(int(key), tier_name(community, int(key)))
    return lambda key: key


def _stats_page():
    app = bot()
    viewer = _coordinator()
    if viewer is None:
        return refuse(403, "no_action")
    months = request.args.get("months", type=int) or DEFAULT_MONTHS
    months = months if months in MONTH_CHOICES else DEFAULT_MONTHS
    tz, now = app.config.tz, app.now()
    start = _months_back(now, tz, months)
    with app.store.transaction() as repos:
        # up to and including this instant (a case opened just now counts)
        result = trends(repos, _communities(viewer), start, now + timedelta(microseconds=1),
                        tz, now)
        tables, charts = [], {}
        for dimension in DIMENSIONS:
            label = _labeller(repos, community_of(app.config, viewer.community_id),
                              dimension)
            rows = result.rows[dimension]
            tables.append((words.DIMENSION_LABELS[dimension],
                           [_line(label(r.key), r) for r in rows]))
            if dimension in ("week", "month", "category"):
                charts[dimension] = _series(rows, label)
    total = _line("", result.total)
    return page("stats.html", total=total, tables=tables, charts=charts, months=months,
                month_choices=MONTH_CHOICES, since=start.astimezone(tz).date().isoformat(),
                this_week=week_of(now, tz).isoformat())


def _hotspot_views(repos, config, community_ids: list[str], now: datetime) -> list[dict]:
    shown = []
    for community_id in community_ids:
        for spot in spots.find_hotspots(repos, config, community_id, now):
            topics = [t for t in repos.topics.linked_to_cases(list(spot.case_ids))
                      if t.step != "done"]
            shown.append({"key": spot.key, "community": community_id, "kind": spot.kind,
                          "kind_label": words.HOTSPOT_KIND_LABELS[spot.kind],
                          "line": spots.describe(repos, config, spot),
                          "cases": spots.distinct_cases(spot), "count": spot.count,
                          "last": texts.clock(spot.last_at.astimezone(config.tz)),
                          "topic": topics[-1].id if topics else None})
    return shown


def _act(kind: str):
    """One click on a hot spot: a topic or a check-up, announced in its group."""
    app = bot()
    viewer = _coordinator()
    if viewer is None or not may(viewer.roles, "coordinate"):
        return refuse(403, "no_action")
    community_id = request.form.get("community", "")
    if community_id not in _communities(viewer):
        return refuse(403, "no_action")
    now = app.now()
    try:
        with app.store.transaction() as repos:
            actor = repos.members.get(viewer.member_id)
            spot = spots.find_by_key(repos, app.config, community_id,
                                     request.form.get("key", ""), now)
            if kind == "topic":
                topic, post = spots.propose_topic(repos, spot, actor, now)
                done = words.desk_topic_done(topic.id)
            else:
                community = community_of(app.config, community_id)
                opened, post = spots.open_checkup(repos, app.config, community, spot, actor,
                                                  now)
                done = words.desk_checkup_done(opened.case.id)
            replan_touched(repos, app.config, now)
            queue_posts(repos, [post], group=repos.groups.get(spot.group_id), now=now,
                        config=app.config)
    except spots.HotspotError as exc:
        flash(str(exc))
    else:
        flash(done)
    return redirect(url_for("desk.hotspots"))


def _period(value: str | None, now: datetime, tz) -> tuple[int, int] | None:
    if not value:
        return previous_month(now.astimezone(tz).date())
    match = PERIOD.match(value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return int(match.group(1)), int(match.group(2))


def _export(fmt: str):
    app = bot()
    viewer = _coordinator()
    if viewer is None:
        return refuse(403, "no_action")
    if fmt not in EXPORT_TYPES:
        return refuse(404, "no_page")
    tz, now = app.config.tz, app.now()
    period = _period(request.args.get("period"), now, tz)
    if period is None:
        flash(words.DESK_BAD_PERIOD)
        return redirect(url_for("desk.exports"))
    year, month = period
    with app.store.transaction() as repos:
        reports = report_files.monthly_reports(repos, app.config, year, month, now,
                                          _communities(viewer))
    if fmt == "xlsx":
        body: bytes | str = report_files.to_xlsx(reports, tz)
    elif fmt == "csv":
        body = "\ufeff" + report_files.to_csv(reports, tz)  # Excel reads the BOM as UTF-8
    else:
        return Response(report_files.to_html(reports, tz, now), mimetype="text/html")
    name = f"linli-report-{year:04d}-{month:02d}.{fmt}"
    return Response(body, headers={"Content-Type": EXPORT_TYPES[fmt],
                                   "Content-Disposition": f'attachment; filename="{name}"'})


def register(bp: Blueprint) -> None:
    @bp.get("/stats")
    @desk_login_required
    def stats():
        return _stats_page()

    @bp.get("/hotspots")
    @desk_login_required
    def hotspots():
        app = bot()
        viewer = _coordinator()
        if viewer is None:
            return refuse(403, "no_action")
        with app.store.transaction() as repos:
            shown = _hotspot_views(repos, app.config, _communities(viewer), app.now())
        settings = app.config.hotspots
        return page("hotspots.html", hotspots=shown, settings=settings,
                    may_act=may(viewer.roles, "coordinate"))

    @bp.post("/hotspots/topic")
    @desk_login_required
    def hotspot_topic():
        return _act("topic")

    @bp.post("/hotspots/checkup")
    @desk_login_required
    def hotspot_checkup():
        return _act("checkup")

    @bp.get("/exports")
    @desk_login_required
    def exports():
        app = bot()
        if _coordinator() is None:
            return refuse(403, "no_action")
        tz, now = app.config.tz, app.now()
        local = now.astimezone(tz).date()
        periods = []
        year, month = local.year, local.month
        for _ in range(12):
            periods.append(f"{year:04d}-{month:02d}")
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        return page("exports.html", periods=periods, default=periods[1])

    @bp.get("/exports/report.<fmt>")
    @desk_login_required
    def export_file(fmt: str):
        return _export(fmt)
