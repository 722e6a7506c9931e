"""What a staff member's plain words do to a case.

Three intents, tried in this order:
  * RESOLVE, a fix: “修好了”, “垃圾已经清理干净了”, “查过了…没事了” — never when it says the
    work is not done (“还没修好”) or is still to come (“明天修好”);
  * PROGRESS, a plan or progress: “明天上午换灯泡”, “我明早去收”, “正在修”, “等配件”,
    “还没修好，明天配件到” — a progress note in the case's timeline (and the 签收 when the
    case was still waiting for one);
  * CLAIM, an acknowledgement: “收到”, “马上到”, “我去看看” — the 签收; of a case already
    acknowledged it is just chat.

Which case: the one the message names (#12, or a quoted post of the bot's about it); else
the candidates (`candidates`): the open cases of the conversation the sender answers for,
narrowed by what the message says (the residents it @-mentions, the place and the things
it names) and by time (the case the bot @-mentioned the sender about just now).  One candidate: the
words act on it and the answer says which; several: the bot asks which (naming them, or
only asking for the number when there are many), at most once per
`cases.ask_at_most_every` unless answered, and a bare number from the sender within
`cases.ask_answer_window` answers.  A reply that speaks of a colleague (陈经理: “收到！王师傅
马上到”) or that is said to everyone (“请大家…”, “各位…”, “今天安排：…”) is about no case of
the sender's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain.cases import same_place
from bot.domain.routing import routed_roles, tier_roles

if TYPE_CHECKING:
    from bot.config import CommunityConfig
    from storage.models import Case, Member

RESOLVE, PROGRESS, CLAIM = "resolve", "progress", "claim"
WHICH_CASE = "which_case"  # the PendingQuestion kind of 请问是哪一件？

_VERB_DONE = (r"修好|修复|修理好|处理好|处理完|弄好|搞定|换好|装好|疏通好|清理好|清理干净|"
              r"打扫干净|收拾干净|弄干净|清走|运走|收走|拉走|解决|调好|接好|通开|换上|扑灭|"
              r"挪走|开走|放好|劝散|消了毒|换了(?!一半)|修了(?!一半)|清了|亮了|热了|不漏了|装上|"
              r"可以用了|能用了")
DONE = re.compile(rf"(已|已经)?({_VERB_DONE})了?|已(处理|解决|完成|办结|疏通|更换|清理|修)"
                  r"|通了|恢复(正常)?了|没(事|问题)了")
NOT_DONE = re.compile(r"(还|没|未|没有|不)(修好|修复|处理好|弄好|搞定|换好|解决|处理|通|清理|恢复)")
# the fix is still to come: 明天修好, 争取今天处理好, 会弄好的
_WHEN = (r"明天|明早|明儿|明日|后天|今晚|今天|今早|上午|下午|中午|晚上|傍晚|一早|早上|稍后|待会|"
         r"等会|等一下|过会|一会儿?|回头|周[一二三四五六日天末]|星期[一二三四五六日天]|"
         r"礼拜[一二三四五六日天]|\d+点|[一二三四五六七八九十两]+点")
_LATER = r"明天|明早|明儿|明日|后天|稍后|待会|等会|一会儿?|回头|尽快|争取|会|要|准备|打算|计划"
FUTURE_DONE = re.compile(rf"(?:{_LATER})[^，,。.!！?？]{{0,8}}?(?:{_VERB_DONE})(?!了)")
PLAN = re.compile(rf"(?:{_WHEN})[^，,。.!！?？]{{0,10}}?"
                  r"(?:去|来|到|过去|过来|上门|修|换|处理|看|查|收|清|弄|装|通|送|安排|联系|找|聊|"
                  r"沟通|谈|协调|约)")
UNDER_WAY = re.compile(r"正在|在(修|处理|弄|换|查|清|疏通|维修|检修|联系|协调|排查)"
                       r"|已经?(安排|派|联系|通知|订|报修|下单|买|采购|到场|到现场)"
                       r"|安排(了|好)|派(了)?人|配件|等(厂家|材料|零件)|厂家|订(了|好)|买(了|好)"
                       r"|排查|换了一半|还(需要|要)")
# words to everyone: a notice or a plan for the day, not a reply about one case
TO_EVERYONE = re.compile(r"请大家|大家(注意|留意|慢点|别|不要)|各位|通知[：:]|温馨提示|安排[：:]")
ACK = re.compile(r"收到|记下了|我(来)?跟进|马上(到|去|过去|过来|来|处理)"
                 r"|这就(去|来|过去|过来|到)|立刻(去|到|过去)|在路上|已签收|现在(就)?过去"
                 r"|我来(处理|看)|我去(看|处理)|好的?[，,。!！ ]*(马上|这就|立刻)")
CLAIMED_STATES = ("acknowledged", "in_progress")
ACKNOWLEDGEABLE = ("open", "assigned", "reopened", "transferred")
# an acknowledgement or a plan answers the ping of the last few minutes, or of the last hour
RECENT_PINGS = (timedelta(minutes=15), timedelta(hours=1))
PICK_LIMIT = 5  # more candidates than this: the bot asks for the number without a list


def reply_intent(text: str) -> str | None:
    """RESOLVE, PROGRESS, CLAIM, or None for words that do none of them."""
    not_done = NOT_DONE.search(text) is not None
    if DONE.search(text) and not not_done and not FUTURE_DONE.search(text):
        return RESOLVE
    if not_done or PLAN.search(text) or UNDER_WAY.search(text) or FUTURE_DONE.search(text):
        return PROGRESS
    if ACK.search(text):
        return CLAIM
    return None


def to_everyone(text: str) -> bool:
    """“各位早，今天保洁安排：…” / “请大家把纸箱收一收”: said to everyone, not about a case."""
    return TO_EVERYONE.search(text) is not None


def reply_action(intent: str, case: Case) -> str | None:
    """What the reply does to this case: RESOLVE, PROGRESS, CLAIM, or None (a 收到 for a
    case already acknowledged)."""
    if intent in (RESOLVE, PROGRESS):
        return intent
    return CLAIM if case.state in ACKNOWLEDGEABLE else None


def needs_acknowledgement(case: Case) -> bool:
    """A plan for a case still waiting for its 签收 acknowledges it as well."""
    return case.state in ACKNOWLEDGEABLE


def _responsible_for(member: Member, case: Case, community: CommunityConfig) -> bool:
    if case.assignee_id == member.id:
        return True
    if case.assignee_id is not None and case.state not in ("open", "reopened"):
        return False  # someone else has taken it
    roles = set(routed_roles(community, case.category))
    roles |= set(tier_roles(community, case.category, case.tier))
    return bool(member.role_codes & roles)


def _shares_a_word(said: tuple[str, ...], case_words: list[str]) -> bool:
    """A word of the reply and one of the case's, one inside the other (门禁 / 门禁坏了)."""
    return any(len(a) >= 2 and len(b) >= 2 and (a in b or b in a)
               for a in said for b in case_words)


@dataclass(frozen=True)
class Evidence:
    """What an unnamed reply says about its case besides its intent."""

    mentioned: frozenset[int] = frozenset()  # residents it @-mentions (member ids)
    place: dict = field(default_factory=dict)  # the place it names
    keywords: tuple[str, ...] = ()  # the classifier's words in it (充电桩, 道闸, 路灯)
    pinged: dict[int, datetime] = field(default_factory=dict)  # case id -> last ping
    now: datetime | None = None


def candidates(member: Member, intent: str, open_cases: list[Case],
               community: CommunityConfig, evidence: Evidence) -> list[Case]:
    """The cases an unnamed reply may be about, by number (see the module docstring).

    Of the cases the sender answers for (assigned, or routed to their role and taken by
    nobody else; for an acknowledgement only those still waiting for one):
      * a reply that @-mentions residents is about their cases (“@老吴 收到”), and only
        those;
      * a reply that names a place is about the cases there (“7号楼门禁修好了”), and only
        those;
      * of several left, those whose words it shares (“充电桩是第三方的，已报给运营商”),
        if any;
      * of several left, an acknowledgement or a fix goes to the one case assigned to the
        sender, if one (as interfaces.md says);
      * else an acknowledgement or a plan goes to the one case the bot
        @-mentioned the sender about in the last few minutes, or else in the last hour
        (`RECENT_PINGS`), or to the one urgent case among those (“马上到” right after an
        emergency); a fix needs more than time to tell.
    """
    found = [c for c in open_cases if _responsible_for(member, c, community)
             and reply_action(intent, c) is not None]
    if evidence.mentioned:
        found = [c for c in found
                 if any(x.member_id in evidence.mentioned for x in c.complainants)]
    if evidence.place:
        found = [c for c in found if c.location and same_place(evidence.place, c.location)]
    found.sort(key=lambda c: c.id)
    if len(found) > 1 and evidence.keywords:
        alike = [c for c in found if _shares_a_word(evidence.keywords, c.keywords or [])]
        found = alike or found
    if len(found) <= 1:
        return found
    mine = [c for c in found if c.assignee_id == member.id]
    if len(mine) == 1 and intent != PROGRESS:
        return mine  # interfaces.md: the single open case assigned to them
    if intent == RESOLVE or evidence.now is None:
        return found
    for window in RECENT_PINGS:
        since = evidence.now - window
        recent = [c for c in found if c.id in evidence.pinged and evidence.pinged[c.id] >= since]
        urgent = [c for c in recent if c.urgent]
        if len(recent) == 1:
            return recent
        if len(urgent) == 1:
            return urgent
    return found
    if intent == RESOLVE:
        taken = [c for c in found if c.assignee_id == member.id and c.state in CLAIMED_STATES]
        return taken if len(taken) == 1 else found
    if evidence.now is not None:
        for window in RECENT_PINGS:
            since = evidence.now - window
            recent = [c for c in found if c.id in evidence.pinged
                      and evidence.pinged[c.id] >= since]
            if len(recent) == 1:
                return recent
    return found
