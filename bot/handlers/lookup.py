"""Finding what a command names: a case by number, a member by @-mention."""

from __future__ import annotations

import re

from bot import texts
from bot.dispatcher import Context, Refusal, UsageError
from bot.domain.roles import classifier_role
from storage.models import Case, Member

_AT_NAME = re.compile(r"@([^\s@\u2005]+)")


def load_case(ctx: Context, case_id: int) -> Case:
    case = ctx.repos.cases.get(case_id, ctx.community.id)
    if case is None:
        raise Refusal(texts.CASE_NOT_FOUND.format(case_id=case_id))
    return case


def named_member(ctx: Context, text: str) -> Member:
    """The member a command @-mentions: the person whose @name comes first in the text.

    At each @ of the text, in order: a member of the platform's mention list whose name
    follows it (the longest name when several do), else a member of the community with
    that name. The mention list's own order never decides while the text names someone;
    when it names no one we know (nicknames the roster does not have), the first
    mentioned member is taken.
    """
    mentioned: list[Member] = []
    for external_id in ctx.msg.mentions:
        member = ctx.repos.members.by_external(ctx.community.id, external_id)
        if member is not None and member not in mentioned:
            mentioned.append(member)
    names = []
    for match in _AT_NAME.finditer(text):
        after = text[match.start() + 1:]
        listed = [m for m in mentioned if m.name and after.startswith(m.name)]
        if listed:
            return max(listed, key=lambda m: len(m.name))
        member = ctx.repos.members.by_name(ctx.community.id, match.group(1))
        if member is not None:
            return member
        names.append(match.group(1))
    if mentioned:
        return mentioned[0]
    if not names:
        raise UsageError(texts.MENTION_MISSING)
    raise Refusal(texts.MEMBER_NOT_FOUND.format(who=names[0]))


def strip_mentions(text: str) -> str:
    return _AT_NAME.sub("", text).strip()


def classification(ctx: Context):
    """The classifier's view of this message, asked once however many listeners want it."""
    if "classification" not in ctx.memo:
        ctx.memo["classification"] = ctx.classifier.classify(
            ctx.msg.text, role=classifier_role(ctx.roles))
    return ctx.memo["classification"]
