"""The roster (`/desk/roster`): the members with roles and the latest role changes; a
moderator changes a role (the same rule as /角色, recorded as a role event naming
them) or imports a CSV of `id,name,role` lines — first a preview with each line's
problem, then the confirmed lines are applied one by one."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask import Blueprint, redirect, request, url_for

from bot import texts
from bot.desk.auth import bot, current_viewer, desk_login_required, flash, page, refuse
from bot.domain import roles as role_rules
from bot.domain.desk import ACTION_ABILITY
from bot.domain.errors import RuleError
from bot.domain.roles import ROLES, may, role_code, role_label
from bot.privacy import display_name

MAX_CSV = 200 * 1024
MAX_LINES = 2000
HEADER_WORDS = ("id", "编号", "账号", "userid")


@dataclass(frozen=True)
class CsvLine:
    number: int
    external_id: str
    name: str
    role: str  # a role code when the line is good
    problem: str = ""


def parse_csv(text: str) -> list[CsvLine]:
    """`id,name,role` per line (a header line is skipped; blank lines too); each line
    with its problem, if any."""
    lines: list[CsvLine] = []
    seen: set[str] = set()
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() in HEADER_WORDS:
            continue
        if len(lines) >= MAX_LINES:
            lines.append(CsvLine(number, "", "", "", f"最多导入 {MAX_LINES} 行"))
            break
        if len(cells) < 3:
            lines.append(CsvLine(number, cells[0] if cells else "", "", "",
                                 "每行要有三列：账号,姓名,角色"))
            continue
        external_id, name, word = cells[0], cells[1], cells[2]
        code = role_code(word)
        problem = ""
        if not external_id or len(external_id) > 128:
            problem = "账号为空或太长"
        elif not name:
            problem = "姓名为空"
        elif code is None:
            problem = f"不认识的角色“{word[:20]}”，可用：{'、'.join(ROLES.values())}"
        elif external_id in seen:
            problem = "账号重复（同一个文件里出现了两次）"
        seen.add(external_id)
        lines.append(CsvLine(number, external_id[:128], name[:50], code or "", problem))
    return lines


def _csv_text() -> str:
    upload = request.files.get("file")
    raw = upload.read(MAX_CSV + 1) if upload and upload.filename else \
        request.form.get("csv", "").encode("utf-8")
    if len(raw) > MAX_CSV:
        raise ValueError("文件太大了（最多 200KB）。")
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("文件编码看不懂，请另存为 UTF-8 的 CSV。")


def _community(viewer) -> str:
    chosen = request.form.get("community", "") or request.args.get("community", "")
    if chosen and (viewer.communities is None or chosen in viewer.communities) and \
            any(c.id == chosen for c in bot().config.communities):
        return chosen
    return viewer.community_id


def _communities(viewer) -> list[tuple[str, str]]:
    """(id, name) of the communities the viewer sees."""
    return [(c.id, c.name) for c in bot().config.communities
            if viewer.communities is None or c.id in viewer.communities]


def _may_moderate(viewer) -> bool:
    return may(viewer.roles, ACTION_ABILITY["role"])


def register(bp: Blueprint) -> None:
    @bp.get("/roster")
    @desk_login_required
    def roster():
        app = bot()
        viewer = current_viewer()
        community = _community(viewer)
        tz = app.config.tz
        query = request.args.get("q", "").strip()[:50]
        with app.store.transaction() as repos:
            everyone = repos.members.in_community(community)
            shown = [m for m in everyone if (query and query in (m.name or "") + m.external_id)
                     or (not query and m.role_codes != {"resident"})]
            residents = sum(1 for m in everyone if m.role_codes == {"resident"})
            members = [(m.id, m.external_id, m.name,
                        [role_label(r) for r in sorted(m.role_codes)],
                        texts.ROLE_SOURCE_LABELS[role_rules.role_source(m)],
                        sorted(m.role_codes)[0]) for m in shown[:300]]
            events = [(texts.clock(e.at.astimezone(tz)), e.actor.name if e.actor else "配置文件",
                       e.member.name, "、".join(role_label(c) for c in e.old_roles),
                       "、".join(role_label(c) for c in e.new_roles), e.source)
                      for e in repos.members.role_events(community, limit=20)]
        return page("roster.html", members=members, events=events, residents=residents,
                    roles=ROLES, may_edit=_may_moderate(viewer), community=community,
                    communities=_communities(viewer), query=query, preview=None)

    @bp.post("/roster/role")
    @desk_login_required
    def roster_role():
        app = bot()
        viewer = current_viewer()
        if not _may_moderate(viewer):
            return refuse(403, "no_action")
        code = request.form.get("role", "")
        raw = request.form.get("member", "")
        if code not in ROLES or not raw.isdigit():
            flash("请选择人员和角色。")
            return redirect(url_for("desk.roster"))
        try:
            with app.store.transaction() as repos:
                member = repos.members.get(int(raw))
                if member is None or (viewer.communities is not None
                                      and member.community_id not in viewer.communities):
                    return refuse(404, "no_member")
                actor = repos.members.get(viewer.member_id)
                change = role_rules.set_in_chat(repos, actor, member, code, app.now(),
                                                source=role_rules.DESK)
                name = member.name
                community = member.community_id
        except RuleError as exc:
            flash(str(exc))
            return redirect(url_for("desk.roster"))
        flash(f"{name} 的角色已改为{ROLES[code]}。" if change else
              f"{name} 本来就是{ROLES[code]}。")
        return redirect(url_for("desk.roster", community=community))

    @bp.post("/roster/import")
    @desk_login_required
    def roster_import():
        app = bot()
        viewer = current_viewer()
        if not _may_moderate(viewer):
            return refuse(403, "no_action")
        community = _community(viewer)
        try:
            text = _csv_text()
        except ValueError as exc:
            flash(str(exc))
            return redirect(url_for("desk.roster", community=community))
        lines = parse_csv(text)
        if request.form.get("confirm") != "1":
            return page("roster.html", members=[], events=[], residents=0, roles=ROLES,
                        may_edit=True, community=community, communities=_communities(viewer),
                        query="", preview=lines, csv_text=text)
        done, failed = 0, []
        now = app.now()
        for line in lines:
            if line.problem:
                failed.append(f"第{line.number}行：{line.problem}")
                continue
            try:
                with app.store.transaction() as repos:
                    member = repos.members.ensure(community, line.external_id,
                                                  display_name(line.name), now)
                    actor = repos.members.get(viewer.member_id)
                    role_rules.set_in_chat(repos, actor, member, line.role, now,
                                           source=role_rules.DESK)
                done += 1
            except RuleError as exc:
                failed.append(f"第{line.number}行：{exc}")
        flash(f"已导入 {done} 行。" + (" 未导入：" + "；".join(failed[:20]) if failed else ""))
        return redirect(url_for("desk.roster", community=community))
