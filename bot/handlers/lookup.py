"""Finding what a command names: a case by number, a member by @-mention; whether a
message addresses the bot."""

from __future__ import annotations

import re

from bot import texts
from bot.dispatcher import Context, Refusal, UsageError
from bot.domain.civility import without_insults
from bot.domain.quotes import cases_of_quoted
from bot.domain.roles import classifier_role
from bot.handlers.args import case_refs_in
from storage.models import Case, Member

_AT_NAME = re.compile(r"@([^\s@\u2005]+)")
_BOT_NAMES = ("@邻里议事", "@机器人", "@小助手", "@linli")


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
    raise Refusal(texts.MEMBER_NOT_FOUND.format(who=texts.quote(names[0])))


def mentioned_names(text: str) -> list[str]:
    """The names written as @name in a text."""
    return _AT_NAME.findall(text)


def strip_mentions(text: str) -> str:
    return _AT_NAME.sub("", text).strip()


def classification(ctx: Context):
    """The classifier's view of this message, asked once however many listeners want it.
    Insults are left out first (尊重他人): an insult alone is never a complaint (废物, 垃圾
    物业), and one next to a real problem does not hide it."""
    if "classification" not in ctx.memo:
        text = without_insults(ctx.msg.text, ctx.config.deliberation.abusive_words)
        ctx.memo["classification"] = ctx.classifier.classify(
            text, role=classifier_role(ctx.roles))
    return ctx.memo["classification"]


def quoted_cases(ctx: Context) -> list[int]:
    """The cases the message's quote is about: a `#N` in the quoted text, else the case of
    the quoted post of the bot's, or the case the quoted member message opened or joined."""
    quote = ctx.msg.quote
    if quote is None:
        return []
    return case_refs_in(quote.text or "") or cases_of_quoted(
        ctx.repos, ctx.msg.channel, ctx.group.id, quote.msg_id or "")


def quotes_bot(ctx: Context) -> bool:
    """The message quotes (replies to) one of the bot's posts."""
    return ctx.msg.quote is not None and ctx.msg.quote.msg_id.startswith("out-")


def addresses_bot(ctx: Context) -> bool:
    """The message quotes the bot, @-mentions it, or comes in a private chat with it."""
    return quotes_bot(ctx) or ctx.msg.private or any(n in ctx.msg.text for n in _BOT_NAMES)
