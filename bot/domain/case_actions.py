"""A staff member's or coordinator's action on a case and what the group is told about
it: one function per action, called by the chat commands (/接单, /进展, /延期, /指派,
/升级, /转办, /合并, /关闭, /改类) and by the desk alike, so both change the case by the
same rule (bot.domain.cases) and make the same posts.

Each returns the posts (`Outgoing`) about the change; a post with no `group_id` goes to
the conversation the action came from (the chat where the command was typed, or the
case's own group for the desk).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot import texts
from bot.domain import cases as rules
from bot.domain import corrections
from bot.domain.categories import category_label
from bot.domain.groups import ensure_private_group
from bot.domain.roles import classifier_role
from bot.domain.routing import tier_name
from bot.events import Mention, Outgoing

if TYPE_CHECKING:
    from datetime import datetime

    from bot.config import CommunityConfig, Config
    from storage.models import Case, Member
    from storage.repositories import Repos


def _post(text: str, case: Case, *, kind: str = "reply", mentions=(), urgent: bool = False
          ) -> Outgoing:
    return Outgoing(text=text, kind=kind, mentions=Mention.of(mentions), case_id=case.id,
                    urgent=urgent)


def acknowledge(repos: Repos, case: Case, actor: Member, now: datetime) -> list[Outgoing]:
    """/接单 (签收)."""
    rules.acknowledge(repos, case, actor, now)
    return [_post(texts.case_acknowledged(case.id, actor.name), case,
                  mentions=rules.complainants(case))]


def progress(repos: Repos, case: Case, actor: Member, note: str, now: datetime
             ) -> list[Outgoing]:
    """/进展: a progress note, told to the complainants."""
    rules.add_progress(repos, case, actor, note, now)
    return [_post(texts.case_progress(case.id, actor.name, note), case,
                  mentions=rules.complainants(case))]


def extend(repos: Repos, config: Config, case: Case, actor: Member, by: timedelta,
           reason: str, now: datetime) -> list[Outgoing]:
    """/延期: the resolution deadline moves by `by`."""
    rules.extend(repos, case, actor, by, reason, now)
    return [_post(texts.case_extended(case.id, case.resolve_by.astimezone(config.tz), reason),
                  case, mentions=rules.complainants(case))]


def assign(repos: Repos, config: Config, case: Case, actor: Member, assignee: Member,
           now: datetime, *, here: str | None = None) -> list[Outgoing]:
    """/指派: the assignee is pinged in the conversation and, with the WeCom app enabled,
    gets the case privately too (unless `here` is their own private chat)."""
    rules.assign(repos, case, actor, assignee, now)
    posts = [_post(texts.case_assigned(case.id, assignee.name), case, kind="ping",
                   mentions=[assignee])]
    if config.channels.wecom_app.enabled:
        private = ensure_private_group(repos, assignee.external_id, case.community_id, now)
        if private.id != here:
            origin = repos.groups.get(case.group_id)
            text = texts.assigned_privately(
                case.id, category_label(case.category), texts.place(case.location), case.text,
                case.resolve_by.astimezone(config.tz),
                (origin.name or origin.id) if origin else case.group_id, case.urgent)
            posts.append(Outgoing(text=text, kind="ping", case_id=case.id,
                                  group_id=private.id, urgent=case.urgent))
    return posts


def escalate(repos: Repos, community: CommunityConfig, case: Case, actor: Member,
             reason: str, now: datetime) -> list[Outgoing]:
    """/升级: one tier up, that tier's people pinged."""
    outcome = rules.escalate(repos, community, case, actor, reason, now)
    return [_post(texts.case_escalated(case.id, tier_name(community, case.tier), reason),
                  case, kind="escalation", mentions=outcome.ping)]


def transfer(repos: Repos, case: Case, actor: Member, unit: str, reason: str,
             now: datetime) -> list[Outgoing]:
    """/转办 (一转): to an outside unit, still followed up."""
    rules.transfer(repos, case, actor, unit, reason, now)
    return [_post(texts.case_transferred(case.id, unit, reason), case,
                  mentions=rules.complainants(case))]


def merge(repos: Repos, source: Case, target: Case, actor: Member, now: datetime
          ) -> list[Outgoing]:
    """/合并: `source` folds into `target`; the post is about the target."""
    rules.merge(repos, source, target, actor, now)
    return [_post(texts.case_merged(source.id, target.id, len(target.complainants)), target,
                  mentions=rules.complainants(target))]


def _sender_role(repos: Repos, case: Case) -> str:
    complainant = repos.members.get(case.complainant_id)
    return classifier_role(complainant.role_codes) if complainant else "resident"


def close(repos: Repos, case: Case, actor: Member, reason: str, now: datetime
          ) -> list[Outgoing]:
    """/关闭 with a reason; 不是诉求 as the reason records a false alarm for training."""
    rules.close(repos, case, actor, reason, now)
    if reason.strip() == texts.NOT_A_COMPLAINT_REASON:  # a false alarm becomes data
        corrections.record(repos, case=case, kind="false_alarm", is_complaint=False,
                           sender_role=_sender_role(repos, case), actor=actor, now=now)
    return [_post(texts.case_closed(case.id, reason), case, mentions=rules.complainants(case))]


def recategorize(repos: Repos, community: CommunityConfig, case: Case, category: str,
                 actor: Member, now: datetime) -> list[Outgoing]:
    """/改类: a new category (re-routed, its people pinged), recorded as a correction.
    The same category again changes nothing and says so."""
    if category == case.category:
        return [_post(texts.category_unchanged(case.id, category_label(category)), case)]
    outcome = rules.recategorize(repos, community, case, category, actor, now)
    corrections.record(repos, case=case, kind="recategorized", is_complaint=True,
                       sender_role=_sender_role(repos, case), actor=actor, now=now)
    return [_post(texts.case_recategorized(case.id, category_label(outcome.note),
                                           category_label(category)), case,
                  mentions=outcome.ping)]
