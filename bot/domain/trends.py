"""Trends of the 三率 and the times (the desk's 三率 page and the Excel report): the same
statistics as `bot.domain.stats` (one rule, `stats.compute`), split by week, by month,
by category, group, assignee and tier.

Every row is the cases *opened* in its bucket, as of `now`: 响应率, 解决率 and 满意率 as
fractions (None with an empty base), mean and p90 time to acknowledge and to resolve,
the overdue count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.ratings import case_ratings
from bot.domain.stats import CaseStats, compute, mean, p90
from storage.models import Case
from storage.repositories import Repos

DIMENSIONS = ("week", "month", "category", "group", "assignee", "tier")
UNASSIGNED = ""  # the assignee key of cases nobody was assigned to


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class TrendRow:
    """The statistics of one bucket (a week, a month, a category …)."""

    key: str
    stats: CaseStats

    @property
    def response_rate(self) -> float | None:
        return ratio(self.stats.responded_in_time, self.stats.due_for_response)

    @property
    def resolution_rate(self) -> float | None:
        return ratio(self.stats.resolved, self.stats.resolution_base)

    @property
    def satisfaction_rate(self) -> float | None:
        return ratio(self.stats.satisfied, self.stats.rated)

    @property
    def mean_ack(self) -> timedelta | None:
        return mean(self.stats.ack_times)

    @property
    def p90_ack(self) -> timedelta | None:
        return p90(self.stats.ack_times)

    @property
    def mean_resolve(self) -> timedelta | None:
        return mean(self.stats.resolve_times)

    @property
    def p90_resolve(self) -> timedelta | None:
        return p90(self.stats.resolve_times)


@dataclass
class Trends:
    start: datetime
    end: datetime
    total: TrendRow
    rows: dict[str, list[TrendRow]]  # by dimension (DIMENSIONS), in bucket order


def week_of(when: datetime, tz: ZoneInfo) -> date:
    """The Monday of the week `when` falls in, in the zone."""
    local = when.astimezone(tz).date()
    return local - timedelta(days=local.weekday())


def month_of(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%Y-%m")


def _keys(tz: ZoneInfo) -> dict[str, Callable[[Case], str]]:
    return {
        "week": lambda c: week_of(c.opened_at, tz).isoformat(),
        "month": lambda c: month_of(c.opened_at, tz),
        "category": lambda c: c.category,
        "group": lambda c: c.group_id,
        "assignee": lambda c: str(c.assignee_id) if c.assignee_id else UNASSIGNED,
        "tier": lambda c: str(c.tier),
    }


def split(cases: list[Case], ratings: dict[int, str], reopened: set[int], now: datetime,
          key: Callable[[Case], str]) -> list[TrendRow]:
    """One row per distinct key, in key order."""
    buckets: dict[str, list[Case]] = {}
    for case in cases:
        buckets.setdefault(key(case), []).append(case)
    return [TrendRow(k, compute(buckets[k], ratings, reopened, now)) for k in sorted(buckets)]


def trends(repos: Repos, community_ids: list[str], start: datetime, end: datetime,
           tz: ZoneInfo, now: datetime, dimensions: tuple[str, ...] = DIMENSIONS) -> Trends:
    """The cases opened in [start, end) in these communities, overall and by each
    dimension (ratings and reopenings read once for all)."""
    cases = repos.cases.stat_rows(community_ids, start, end)
    ids = [c.id for c in cases]
    ratings = case_ratings(repos.cases.rating_events(ids))
    reopened = repos.cases.ids_with_event(ids, "reopened")
    keys = _keys(tz)
    now = now.astimezone(UTC)  # compared with the stored UTC times: no zone lookups
    return Trends(start=start, end=end,
                  total=TrendRow("", compute(cases, ratings, reopened, now)),
                  rows={d: split(cases, ratings, reopened, now, keys[d]) for d in dimensions})


def weeks_back(now: datetime, tz: ZoneInfo, weeks: int) -> datetime:
    """Monday 00:00 of the week `weeks - 1` weeks before this one (a window of `weeks`
    whole weeks ending with the current one)."""
    monday = week_of(now, tz) - timedelta(weeks=weeks - 1)
    return datetime(monday.year, monday.month, monday.day, tzinfo=tz)
