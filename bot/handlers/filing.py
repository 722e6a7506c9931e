"""The net under the classifier: what it missed, what it doubted, what it got wrong.

* `/立案 [类别]` (staff, grid workers, moderators), quoting a message, opens a case for the
  quoted message's sender with that text and time; a message that already opened a case
  gets that case's number.  Recorded as a correction (a missed complaint).
* A close call (the model's complaint probability inside `cases.ask_band`) gets one short
  question, 需要帮您登记报修吗？; 是/对/要/嗯 from that sender within
  `cases.ask_answer_window` opens the case.  At most one question per sender per
  `cases.ask_at_most_every`; off with `cases.ask_when_unsure: false`.
* `/改类 #N 类别` changes a case's category, pings the newly routed roles and is recorded as
  a correction.  (`/关闭 #N 不是诉求` records a false alarm: see moderation.py.)
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot import texts
from bot.dispatcher import Context, Dispatcher, Refusal, UsageError
from bot.domain import case_actions as actions
from bot.domain import corrections
from bot.domain.categories import CATEGORIES, category_code
from bot.domain.desk import ACTION_ABILITY
from bot.domain.roles import classifier_role, is_staff_like
from bot.events import Mention
from bot.handlers.args import case_ref, split_first
from bot.handlers.cases import open_from_message
from bot.handlers.lookup import classification, load_case
from storage.models import InboundMessage, PendingQuestion

YES = frozenset(("是", "是的", "对", "对的", "要", "要的", "嗯", "嗯嗯", "好", "好的", "需要",
                 "麻烦了", "麻烦你了", "是啊", "对啊", "要啊", "登记", "帮我登记", "yes", "y"))
NO = frozenset(("不", "不是", "不用", "不要", "不需要", "没事", "没事了", "算了", "no", "n"))
_PUNCT = re.compile(r"[\s,.!?，。！？~、…]+")


def register(dispatcher: Dispatcher) -> None:
    dispatcher.command("立案", "file", ability="staff",
                       refusal_hint=texts.COORDINATOR_ONLY_HINT)(file_case)
    dispatcher.command("改类", "recategorize",
                       ability=ACTION_ABILITY["recategorize"],
                       refusal_hint=texts.COORDINATOR_ONLY_HINT)(recategorize)


def category_from_word(word: str) -> str:
    """A category code from what staff type: the code, the label, or part of the label."""
    code = category_code(word)
    if code is None:
        raise Refusal(texts.unknown_category(word, texts.listing(CATEGORIES.values())))
    return code


# --- /立案 ----------------------------------------------------------------------------------

def _quoted_message(ctx: Context) -> InboundMessage:
    quote = ctx.msg.quote
    if quote is None or not (quote.msg_id or quote.text):
        raise UsageError(texts.FILE_NEEDS_QUOTE)
    found = ctx.repos.inbound.by_msg_id(ctx.msg.channel, ctx.group.id, quote.msg_id) \
        if quote.msg_id else None
    if found is None and quote.text:
        found = ctx.repos.inbound.latest_with_text(ctx.group.id, quote.text, ctx.inbound.id)
    if found is None:
        if quote.msg_id.startswith("out-"):
            raise Refusal(texts.FILE_QUOTE_IS_BOT)
        raise Refusal(texts.FILE_QUOTE_UNKNOWN)
    return found


def file_case(ctx: Context, args: str) -> None:
    source = _quoted_message(ctx)
    existing = ctx.repos.cases.opened_from(source.id)
    if existing is not None:
        ctx.reply(texts.file_already_opened(existing.id,
                                            texts.state_label(existing.state, existing.rating)),
                  case_id=existing.id)
        return
    sender = ctx.repos.members.by_external(ctx.community.id, source.sender_id) or \
        ctx.repos.members.ensure(ctx.community.id, source.sender_id,
                                 source.sender_name or source.sender_id, ctx.now)
    result = ctx.classifier.classify(
        source.text, role=classifier_role(sender.role_codes))
    word, _ = split_first(args)
    category = category_from_word(word) if word else (
        result.category or ctx.classifier.guess_category(source.text))
    result = _with(result, category)
    case = open_from_message(ctx, source.text, result, via="file", complainant=sender,
                             source=source, at=source.sent_at)
    if case.source_message_id == source.id:
        corrections.record(ctx.repos, case=case, kind="missed", is_complaint=True,
                           sender_role=classifier_role(sender.role_codes), actor=ctx.member,
                           now=ctx.now)
    ctx.reply(texts.case_filed(case.id, sender.name), mentions=Mention.of([sender]),
              case_id=case.id)


def _with(result, category: str):
    return replace(result, is_complaint=True, category=category, intent="complaint")


# --- /改类 ----------------------------------------------------------------------------------

def recategorize(ctx: Context, args: str) -> None:
    first, rest = split_first(args)
    if not first or not rest.strip():
        raise UsageError()
    case = load_case(ctx, case_ref(first))
    category = category_from_word(rest.split()[0])
    ctx.replies.extend(actions.recategorize(ctx.repos, ctx.community, case, category,
                                            ctx.member, ctx.now))


# --- asking when unsure ---------------------------------------------------------------------

def _bare(text: str) -> str:
    return _PUNCT.sub("", text).lower()


def _answer(text: str) -> bool | None:
    """True for a yes (是, 是的麻烦登记一下), False for a no (不用了, 没事), None otherwise."""
    word = _bare(text)
    if word in YES:
        return True
    if word in NO or (len(word) <= 12 and word.startswith(("不用", "不需要", "不是", "没事",
                                                         "算了"))):
        return False
    if len(word) <= 12 and "不" not in word and word.startswith(("是", "对", "要", "嗯", "好",
                                                               "需要", "麻烦")):
        return True
    return None


def answer_listener(ctx: Context) -> bool:
    """是 (or 不用) from a sender who was asked 需要帮您登记报修吗？ a moment ago."""
    settings = ctx.config.cases
    yes = _answer(ctx.msg.text)
    if yes is None:
        return False
    question = ctx.repos.questions.open_for(ctx.member.id, ctx.group.id,
                                            ctx.now - settings.ask_answer_window)
    if question is None:
        return False
    if not yes:
        question.state = "declined"
        ctx.reply(texts.ASK_DECLINED)
        return True
    question.state = "accepted"
    source = ctx.repos.inbound.get(question.inbound_id)
    result = ctx.classifier.classify(source.text, role=classifier_role(ctx.roles))
    open_from_message(ctx, source.text, _with(result, result.category or question.category),
                      via="asked", source=source)
    return True


def ask_listener(ctx: Context) -> bool:
    """After the complaint intake declined: a close call gets one short question."""
    settings = ctx.config.cases
    if not settings.ask_when_unsure or not ctx.msg.text.strip() or is_staff_like(ctx.roles):
        return False
    result = classification(ctx)
    low, high = settings.ask_band
    if result.is_complaint or result.confidence is None or result.ruled \
            or not low <= result.confidence < high:
        return False
    last = ctx.repos.questions.last_asked(ctx.member.id)
    if last is not None and last.asked_at > ctx.now - settings.ask_at_most_every:
        return False
    category = ctx.classifier.guess_category(ctx.msg.text)
    ctx.repos.questions.add(PendingQuestion(group_id=ctx.group.id, member_id=ctx.member.id,
                                            inbound_id=ctx.inbound.id, category=category,
                                            asked_at=ctx.now))
    ctx.reply(texts.ASK_IF_COMPLAINT, mentions=Mention.of([ctx.member]))
    return True
