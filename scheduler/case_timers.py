"""Due work on cases, driven by their timers (see bot/domain/timers.py):

- `remind`: a response reminder at 50 % / 80 % of the response window;
- `respond_deadline`: no acknowledgement by the response deadline: one tier up;
- `resolve_deadline`: not resolved by the resolution deadline: one tier up again;
- `nudge`: acknowledged but silent for `reminders.nudge_after`: ask the assignee;
- `rating_reminder` and `rating_timeout`: remind the complainants who have not rated, then
  close with the ratings given (those who did not rate count as 未评价).

Each handler takes `now` from the tick, re-checks the case (a timer may be stale), and
returns the posts; the post key is the timer's key plus its due time, so a timer fires
once however many ticks see it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot import texts
from bot.domain import cases as rules
from bot.domain.categories import category_label
from bot.domain.groups import community_of
from bot.domain.quiet_hours import quiet_until
from bot.domain.routing import tier_name
from bot.domain.timers import replan
from bot.events import Mention, Outgoing
from storage.models import OPEN_STATES, UNACKNOWLEDGED_STATES, WORKING_STATES, Case, Member
from storage.repositories import Repos

if TYPE_CHECKING:
    from bot.application import Application

CaseTimer = Callable[["Application", Repos, Case, datetime], list[Outgoing]]


def _responsible(repos: Repos, app: Application, case: Case) -> list[Member]:
    return rules.responsible(repos, community_of(app.config, case.community_id), case)


def _post(case: Case, text: str, kind: str, people: list[Member]) -> list[Outgoing]:
    return [Outgoing(text=text, kind=kind, mentions=Mention.of(people), case_id=case.id,
                     urgent=case.urgent)]


def remind(app: Application, repos: Repos, case: Case, now: datetime) -> list[Outgoing]:
    if case.state not in UNACKNOWLEDGED_STATES or case.acknowledged_at or now >= case.respond_by:
        return []
    held = quiet_until(now, app.config.schedules.quiet_hours, app.config.tz)
    if held and not case.urgent and held >= case.respond_by:
        return []  # it would arrive after the deadline: the escalation will speak instead
    text = texts.response_reminder(case.id, category_label(case.category),
                                   texts.place(case.location), case.respond_by - now)
    return _post(case, text, "reminder", _responsible(repos, app, case))


def _escalate(app: Application, repos: Repos, case: Case, now: datetime, late, why: str,
              template) -> list[Outgoing]:
    community = community_of(app.config, case.community_id)
    try:
        outcome = rules.escalate(repos, community, case, None, why, now, automatic=why)
    except rules.CaseRuleError:
        people = _responsible(repos, app, case)
        return _post(case, texts.overdue_at_top(case.id, late), "escalation", people)
    people = list(outcome.ping)
    if case.assignee_id:
        people.insert(0, repos.members.get(case.assignee_id))
    text = template(case.id, tier_name(community, case.tier), late)
    return _post(case, text, "escalation", people)


def respond_deadline(app: Application, repos: Repos, case: Case, now: datetime
                     ) -> list[Outgoing]:
    if case.state not in UNACKNOWLEDGED_STATES or case.acknowledged_at is not None:
        return []
    return _escalate(app, repos, case, now, now - case.respond_by, texts.RESPONSE_OVERDUE_REASON,
                     texts.response_overdue)


def resolve_deadline(app: Application, repos: Repos, case: Case, now: datetime
                     ) -> list[Outgoing]:
    if case.state not in OPEN_STATES or now < case.resolve_by:
        return []
    return _escalate(app, repos, case, now, now - case.resolve_by, texts.RESOLUTION_OVERDUE_REASON,
                     texts.resolution_overdue)


def nudge(app: Application, repos: Repos, case: Case, now: datetime) -> list[Outgoing]:
    silent = now - case.updated_at
    if case.state not in WORKING_STATES or silent < app.config.reminders.nudge_after:
        return []
    replan(repos, app.config, case, now)  # the next nudge, one period later
    people = _responsible(repos, app, case)
    if case.state == "transferred":
        people += repos.members.with_roles(case.community_id, ["grid_worker"])
    text = texts.nudge(case.id, silent, case.transferred_to if case.state == "transferred"
                       else None)
    return _post(case, text, "nudge", people)


def rating_reminder(app: Application, repos: Repos, case: Case, now: datetime
                    ) -> list[Outgoing]:
    if case.state != "resolved":
        return []
    people = rules.awaiting_rating(repos, case)  # those who rated are not asked again
    if not people:
        return []
    return _post(case, texts.rating_reminder(case.id), "reminder", people)


def rating_timeout(app: Application, repos: Repos, case: Case, now: datetime
                   ) -> list[Outgoing]:
    if case.state != "resolved":
        return []
    closed = rules.close_rating_window(repos, case, now)
    if case.rating is None:
        return _post(case, texts.rating_timed_out(case.id), "notice", closed.waiting)
    text = texts.rating_window_closed(case.id, texts.RATING_LABELS[case.rating])
    return _post(case, text, "notice", closed.waiting)


CASE_TIMERS: dict[str, CaseTimer] = {
    "remind": remind,
    "respond_deadline": respond_deadline,
    "resolve_deadline": resolve_deadline,
    "nudge": nudge,
    "rating_reminder": rating_reminder,
    "rating_timeout": rating_timeout,
}
