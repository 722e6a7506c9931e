"""Case statistics (三率 and more) over a period, with domain.md's formulas:

- 响应率 = cases acknowledged within their response deadline / cases due for response
  (opened in the period and either acknowledged or past their response deadline);
- 解决率 = cases resolved and not reopened / cases opened in the period;
- 满意率 = (满意 + 基本满意) / cases rated. A case counts once, with the worst rating
  its complainants gave after its latest 办结 that got any rating (不满意 if any of them
  was 不满意, else 基本满意 if any was, else 满意; see bot.domain.ratings). Complainants
  who did not rate are not counted; a case nobody rated is not in the base.
Merged cases count in their target; withdrawn cases leave the rates (they are shown in
the counts by state).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.cases import case_is_overdue
from bot.domain.ratings import case_ratings
from storage.models import Case
from storage.repositories import Repos

EXCLUDED = ("merged", "withdrawn")


def period_start(now: datetime, period: str, tz: ZoneInfo) -> datetime:
    """Start of 本周 (Monday 00:00) or 本月 (the 1st, 00:00) in the community's zone."""
    local = now.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        return midnight - timedelta(days=local.weekday())
    return midnight.replace(day=1)


def period_bounds(now: datetime, period: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of 本周, 本月 (end: now), 上周 or 上个月 (whole) in the zone."""
    if period in ("week", "month"):
        return period_start(now, period, tz), now
    this = period_start(now, "week" if period == "last_week" else "month", tz)
    if period == "last_week":
        return this - timedelta(days=7), this
    return period_start(this - timedelta(days=1), "month", tz), this


def p90(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def mean(values: list[timedelta]) -> timedelta | None:
    return sum(values, timedelta(0)) / len(values) if values else None


@dataclass
class CaseStats:
    opened: int = 0
    responded_in_time: int = 0
    due_for_response: int = 0
    resolved: int = 0
    resolution_base: int = 0
    satisfied: int = 0
    rated: int = 0
    ack_times: list[timedelta] = field(default_factory=list)
    resolve_times: list[timedelta] = field(default_factory=list)
    overdue: int = 0
    reopened: int = 0
    group_complaints: int = 0
    by_state: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)


def case_stats(repos: Repos, cases: list[Case], now: datetime) -> CaseStats:
    """Statistics of these cases (those opened in a period), as of `now`."""
    ids = [c.id for c in cases]
    return compute(cases, case_ratings(repos.cases.rating_events(ids)),
                   repos.cases.ids_with_event(ids, "reopened"), now)


def compute(cases: list[Case], ratings: dict[int, str], reopened_ids: set[int],
            now: datetime) -> CaseStats:
    """Statistics of the cases opened in a period; `ratings` is each case's one rating
    (`bot.domain.ratings.case_ratings`)."""
    st = CaseStats(opened=len(cases))
    for case in cases:
        st.by_state[case.state] += 1
        st.by_category[case.category] += 1
        if case.state in EXCLUDED:
            continue
        acked = case.acknowledged_at
        if acked is not None or now > case.respond_by:
            st.due_for_response += 1
            if acked is not None and acked <= case.respond_by:
                st.responded_in_time += 1
        if acked is not None:
            st.ack_times.append(acked - case.opened_at)
        st.resolution_base += 1
        if case.resolved_at is not None and case.state in ("resolved", "closed"):
            st.resolved += 1
            st.resolve_times.append(case.resolved_at - case.opened_at)
        if case.id in ratings:
            st.rated += 1
            st.satisfied += ratings[case.id] in ("satisfied", "basic")
        st.overdue += case_is_overdue(case, now)
        st.reopened += case.id in reopened_ids
        st.group_complaints += case.group_complaint
    return st
