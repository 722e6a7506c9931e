"""What a staff member's plain words do to a case: “修好了” resolves it (unless it says
“还没修好”), “收到，马上到” claims it; a claim of a case already acknowledged or in
progress is just chat.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.models import Case

RESOLVE, CLAIM = "resolve", "claim"

DONE = re.compile(r"(已|已经)?(修好|修复|处理好|处理完|弄好|搞定|换好|疏通好|清理好|解决)了?"
                  r"|已(处理|解决|完成|办结|疏通|更换|清理)|通了")
NOT_DONE = re.compile(r"(还|没|未|没有|不)(修好|修复|处理好|弄好|搞定|换好|解决|处理|通)")
ACK = re.compile(r"收到|马上(到|去|过去|来|处理)|这就(去|来)|立刻(去|到)|在路上|已签收"
                 r"|我来(处理|看)|我去(看|处理)|好的?[，,。!！ ]*(马上|这就|立刻)")
CLAIMED_STATES = ("acknowledged", "in_progress")


def reply_intent(text: str) -> str | None:
    """RESOLVE, CLAIM, or None for words that do neither."""
    if DONE.search(text) and not NOT_DONE.search(text):
        return RESOLVE
    if ACK.search(text):
        return CLAIM
    return None


def reply_action(intent: str, case: Case) -> str | None:
    """What the reply does to this case: RESOLVE, CLAIM, or None (already claimed)."""
    if intent == RESOLVE:
        return RESOLVE
    return None if case.state in CLAIMED_STATES else CLAIM
