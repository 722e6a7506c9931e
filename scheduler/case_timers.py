"""Due work on cases, driven by their timers (see bot/domain/timers.py):

- `remind`: a response reminder at 50 % / 80 % of the response window, and when a stopped
  response clock runs again (the morning list);
- `respond_deadline`: no acknowledgement by the response deadline: one tier up;
- `resolve_deadline`: not resolved by the resolution deadline: one tier up again;
- `nudge`: acknowledged but silent for `reminders.nudge_after`: ask the assignee;
- `rating_reminder` and `rating_timeout`: remind the complainants who have not rated, then
  close with the ratings given (those who did not rate count as 未评价).

Each handler takes `now` from the tick, re-checks the case (a timer may be stale), and
returns the posts, worded as of `now` (a normal case's timers never fall in quiet hours:
bot/domain/timers.py plans them for their end, so "超过签收期限 X" is the figure when the
post goes out); the post key is the timer's key plus its due time, so a timer fires
once however many ticks see it. Reminders, escalations and nudges carry a header and a
row, so that those due together for the same people go out as one message listing the
cases (bot.outbox.batch_posts); each case keeps its own timeline event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot import texts
from bot.domain import cases as rules
from bot.domain.categories import category_label
from bot.domain.groups import community_of
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


def _post(case: Case, text: str, kind: str, people: list[Member], header: str | None = None,
          row: str | None = None) -> list[Outgoing]:
    return [Outgoing(text=text, kind=kind, mentions=Mention.of(people), case_id=case.id,
                     urgent=case.urgent, batch_header=header, batch_row=row)]


def _what(case: Case) -> tuple[str, str]:
    """(category label, place) of a case, as its posts name it."""
    return category_label(case.category), texts.place(case.location)


def remind(app: Application, repos: Repos, case: Case, now: datetime) -> list[Outgoing]:
    if case.state not in UNACKNOWLEDGED_STATES or case.acknowledged_at or now >= case.respond_by:
        return []
    left = case.respond_by - now
    text = texts.response_reminder(case.id, *_what(case), left)
    row = texts.reminder_row(case.id, *_what(case), left, case.respond_by.astimezone(app.config.tz))
    return _post(case, text, "reminder", _responsible(repos, app, case),
                 texts.REMINDERS_HEADER, row)


def _escalate(app: Application, repos: Repos, case: Case, now: datetime, late, why: str,
              template, header) -> list[Outgoing]:
    community = community_of(app.config, case.community_id)
    row = texts.overdue_row(case.id, *_what(case), late)
    try:
        outcome = rules.escalate(repos, community, case, None, why, now, automatic=why)
    except rules.CaseRuleError:
        people = _responsible(repos, app, case)
        return _post(case, texts.overdue_at_top(case.id, *_what(case), late), "escalation",
                     people, texts.OVERDUE_AT_TOP_HEADER, row)
    people = list(outcome.ping)
    if case.assignee_id:
        people.insert(0, repos.members.get(case.assignee_id))
    tier = tier_name(community, case.tier)
    text = template(case.id, *_what(case), tier, late)
    return _post(case, text, "escalation", people, header(tier), row)


def respond_deadline(app: Application, repos: Repos, case: Case, now: datetime
                     ) -> list[Outgoing]:
    if case.state not in UNACKNOWLEDGED_STATES or case.acknowledged_at is not None:
        return []
    return _escalate(app, repos, case, now, now - case.respond_by, texts.RESPONSE_OVERDUE_REASON,
                     texts.response_overdue, texts.response_overdue_header)


def resolve_deadline(app: Application, repos: Repos, case: Case, now: datetime
                     ) -> list[Outgoing]:
    if case.state not in OPEN_STATES or now < case.resolve_by:
        return []
    return _escalate(app, repos, case, now, now - case.resolve_by, texts.RESOLUTION_OVERDUE_REASON,
                     texts.resolution_overdue, texts.resolution_overdue_header)


def nudge(app: Application, repos: Repos, case: Case, now: datetime) -> list[Outgoing]:
    silent = now - case.updated_at
    if case.state not in WORKING_STATES or silent < app.config.reminders.nudge_after:
        return []
    replan(repos, app.config, case, now)  # the next nudge, one period later
    people = _responsible(repos, app, case)
    if case.state == "transferred":
        people += repos.members.with_roles(case.community_id, ["grid_worker"])
        return _post(case, texts.nudge(case.id, silent, case.transferred_to), "nudge", people)
    return _post(case, texts.nudge(case.id, silent, None), "nudge", people,
                 texts.NUDGE_HEADER, texts.nudge_row(case.id, *_what(case), silent))


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
