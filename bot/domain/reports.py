"""The monthly 社情民意 report and the group digests: what goes in them, computed from the
cases (no wording here: bot/texts/ renders, bot/exports.py writes files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import texts
from bot.domain.cases import case_is_overdue
from bot.domain.categories import category_label
from bot.domain.ratings import case_ratings
from bot.domain.stats import CaseStats, compute
from bot.domain.trends import TrendRow, split, week_of
from storage.models import Case
from storage.repositories import Repos

SLOWEST = 5


def month_bounds(year: int, month: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=tz)
    nxt = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, nxt


def previous_month(day: date) -> tuple[int, int]:
    first = day.replace(day=1) - timedelta(days=1)
    return first.year, first.month


@dataclass
class CaseLine:
    case_id: int
    category: str
    location: str
    state: str
    complainants: int
    took: timedelta  # time to resolve, or age if still open
    group_complaint: bool
    urgent: bool
    opened_at: datetime | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None


@dataclass
class MonthlyReport:
    community: str
    month: str  # YYYY-MM
    stats: CaseStats
    by_category: list[tuple[str, int]]
    slowest: list[CaseLine]
    group_complaints: list[CaseLine]
    cases: list[CaseLine]
    weekly: list[TrendRow] = field(default_factory=list)  # the 三率 by week of opening

    def rates(self) -> tuple[str, str, str]:
        st = self.stats
        return (texts.percent(st.responded_in_time, st.due_for_response),
                texts.percent(st.resolved, st.resolution_base),
                texts.percent(st.satisfied, st.rated))


def _line(case: Case, now: datetime) -> CaseLine:
    end = case.resolved_at or case.closed_at or now
    return CaseLine(case.id, category_label(case.category), texts.place(case.location),
                    texts.state_label(case.state, case.rating), len(case.complainants),
                    end - case.opened_at, case.group_complaint, case.urgent,
                    case.opened_at, case.acknowledged_at, case.resolved_at)


def monthly_report(repos: Repos, community_id: str, community_name: str, year: int,
                   month: int, tz: ZoneInfo, now: datetime) -> MonthlyReport:
    """Cases opened in the month: counts by category, the 三率, the slowest cases and
    the group complaints, and the 三率 by week. Complainants appear as counts, never
    names."""
    start, end = month_bounds(year, month, tz)
    cases = repos.cases.opened_between(community_id, start, end)
    ids = [c.id for c in cases]
    ratings = case_ratings(repos.cases.rating_events(ids))
    reopened = repos.cases.ids_with_event(ids, "reopened")
    as_of = min(now, end)
    st = compute(cases, ratings, reopened, as_of)
    lines = [_line(c, now) for c in cases if c.state not in ("merged",)]
    slowest = sorted(lines, key=lambda x: x.took, reverse=True)[:SLOWEST]
    return MonthlyReport(
        community=community_name, month=f"{year:04d}-{month:02d}", stats=st,
        by_category=[(category_label(c), n) for c, n in st.by_category.most_common()],
        slowest=slowest, group_complaints=[x for x in lines if x.group_complaint],
        cases=lines,
        weekly=split(cases, ratings, reopened, as_of,
                     lambda c: week_of(c.opened_at, tz).isoformat()))


def render_monthly_post(report: MonthlyReport) -> str:
    return texts.monthly_report(
        report.month, opened=report.stats.opened, rates=report.rates(),
        by_category=report.by_category,
        slowest=[texts.slowest_row(x.case_id, x.category, x.took) for x in report.slowest],
        group_complaints=[texts.group_complaint_row(x.case_id, x.category, x.location,
                                                      x.complainants)
                          for x in report.group_complaints])


@dataclass
class Digest:
    opened: list[Case]
    resolved: list[Case]
    still_open: list[Case]
    overdue: list[Case]


def daily_digest(repos: Repos, community_id: str, group_id: str, day_start: datetime,
                 now: datetime) -> Digest:
    still_open = repos.cases.open_in_group(group_id)
    return Digest(
        opened=repos.cases.opened_between(community_id, day_start, now, group_id=group_id),
        resolved=repos.cases.resolved_between(group_id, day_start, now),
        still_open=still_open,
        overdue=[c for c in still_open if case_is_overdue(c, now)])


def render_digest(day: str, digest: Digest) -> str:
    def short(c: Case) -> str:
        return f"#{c.id} {category_label(c.category)}{texts.place(c.location)}"
    return texts.daily_digest(day, opened=[short(c) for c in digest.opened],
                              resolved=[short(c) for c in digest.resolved],
                              still_open=len(digest.still_open),
                              overdue=[short(c) for c in digest.overdue])
