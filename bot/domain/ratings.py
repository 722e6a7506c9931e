"""How a complainant rates a resolved case: the vocabulary of `/评价` and of plain words.

`/评价 #N 满意|基本满意|不满意` names the rating (`rating_label`). After a rating request,
a short reply (at most `SHORT_REPLY` characters: a rating, not a new story) in plain
words is a rating too (`rating_in_reply`): “没修好”, “还行”, “谢谢” ….
"""

from __future__ import annotations

import re

# Order matters: the negative and the qualified forms contain the plain one.
RATING_WORDS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"不满意|不太满意|没修好|还是坏|又坏了|没解决|没有解决|没弄好|不行|差评|还没好"),
     "unsatisfied"),
    (re.compile(r"基本满意|还行|还可以|凑合|一般|过得去|马马虎虎"), "basic"),
    (re.compile(r"满意|很好|非常好|好评|修好了|谢谢|感谢|点赞|辛苦了|没问题了"), "satisfied"),
]
RATING_BY_LABEL = {"满意": "satisfied", "基本满意": "basic", "不满意": "unsatisfied",
                   "satisfied": "satisfied", "basic": "basic", "unsatisfied": "unsatisfied"}
SHORT_REPLY = 30


def rating_label(label: str) -> str | None:
    """The rating a `/评价` argument names (None: not a rating)."""
    return RATING_BY_LABEL.get(label)


def rating_in(text: str) -> str | None:
    """The rating plain words express (None: none)."""
    for pattern, rating in RATING_WORDS:
        if pattern.search(text):
            return rating
    return None


def rating_in_reply(text: str) -> str | None:
    """The rating of a reply to a rating request: short, and in rating words."""
    text = text.strip()
    if len(text) > SHORT_REPLY:
        return None
    return rating_in(text)
