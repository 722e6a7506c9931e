"""How a complainant rates a resolved case: the vocabulary of `/评价` and of plain words.

`/评价 #N 满意|基本满意|不满意` names the rating (`rating_label`). After a rating request,
a short reply (at most `SHORT_REPLY` characters: a rating, not a new story) in plain
words is a rating too (`rating_in_reply`): “没修好”, “还行”, “谢谢” ….

A case with several complainants (群体诉求) gets one rating from theirs: the worst given
after its latest 办结 (`worst`, `current_round`, `case_ratings`), which the case closes
with and the 满意率 counts.
"""

from __future__ import annotations

import re

# The rating named outright wins over the words around it (通是通了 味儿还有点 基本满意);
# order matters: the negative and the qualified forms contain the plain one.
RATING_NAMED: list[tuple[re.Pattern, str]] = [
    (re.compile(r"不满意|不太满意|差评"), "unsatisfied"),
    (re.compile(r"基本满意|还算满意|比较满意"), "basic"),
    (re.compile(r"满意|好评"), "satisfied"),
]
RATING_WORDS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"不满意|不太满意|没修好|还是坏|又坏了|没解决|没有解决|没弄好|(?<!得)不行|差评|还没好"),
     "unsatisfied"),
    (re.compile(r"基本满意|还行|还可以|凑合|一般|过得去|马马虎虎|将就|先这样吧?|差不多吧"),
     "basic"),
    # 挺好 / 不错 only as a reply of their own (亮了 挺好), not of the weather (今天天气不错)
    (re.compile(r"满意|很好|非常好|好评|修好了|谢谢|感谢|多谢|点赞|辛苦了|没问题了|"
                r"好使|管用|利索|麻利|(?:真|挺|很|好)快|放心了|亮堂|👍|"
                r"[修弄换搞处理]得(?:挺|很|真)?(?:好|快|不错)|"
                r"(?:^|[\s，,！!])(?:中|可以|行|好了|好啦|挺好的?|不错)(?:$|[\s，,！!。~])"),
     "satisfied"),
]
RATING_BY_LABEL = {"满意": "satisfied", "基本满意": "basic", "不满意": "unsatisfied",
                   "satisfied": "satisfied", "basic": "basic", "unsatisfied": "unsatisfied"}
SHORT_REPLY = 30


def rating_label(label: str) -> str | None:
    """The rating a `/评价` argument names (None: not a rating)."""
    return RATING_BY_LABEL.get(label)


def rating_in(text: str) -> str | None:
    """The rating plain words express (None: none): the rating named outright, else the
    one the words imply (没修好, 还行, 挺好, 中)."""
    for pattern, rating in RATING_NAMED + RATING_WORDS:
        if pattern.search(text):
            return rating
    return None


def rating_named(text: str) -> bool:
    """The words name a rating outright (满意, 基本满意, 不满意), not only imply one."""
    return any(pattern.search(text) for pattern, _ in RATING_NAMED)


def rating_in_reply(text: str) -> str | None:
    """The rating of a reply to a rating request: short, and in rating words."""
    text = text.strip()
    if len(text) > SHORT_REPLY:
        return None
    return rating_in(text)


# --- several complainants: one rating per case -----------------------------------------------
#
# Each complainant of a resolved case may rate it. The ratings of one round are those given
# after the case's latest 办结 (a complainant who rates twice counts with their latest).
# The case's rating is the worst of its round (不满意 < 基本满意 < 满意): 不满意 if anyone
# was 不满意, else 基本满意 if anyone was, else 满意. Complainants who did not rate are not
# counted (未评价); a case nobody rated has no rating and stays out of the 满意率.

RANK = {"unsatisfied": 0, "basic": 1, "satisfied": 2}


def worst(ratings) -> str | None:
    """The case's rating from its complainants' ratings (None: nobody rated)."""
    given = [r for r in ratings if r in RANK]
    return min(given, key=RANK.__getitem__) if given else None


def current_round(events: list[tuple[int, str, int | None, str]]) -> dict[int, str]:
    """Complainant id -> rating, given since the latest 办结 (one case's rating events,
    oldest first, as `CaseRepo.rating_events` returns them)."""
    round_: dict[int, str] = {}
    for _case_id, kind, actor_id, rating in events:
        if kind == "resolved":
            round_ = {}
        elif actor_id is not None and rating in RANK:
            round_[actor_id] = rating
    return round_


def case_ratings(events: list[tuple[int, str, int | None, str]]) -> dict[int, str]:
    """Case id -> the case's one rating for the 满意率: the worst rating of its latest
    round that got any rating (a 办结 nobody rated leaves the earlier round standing)."""
    rounds: dict[int, dict[int, str]] = {}
    rated: dict[int, dict[int, str]] = {}
    for case_id, kind, actor_id, rating in events:
        if kind == "resolved":
            rounds[case_id] = {}
        elif actor_id is not None and rating in RANK:
            rounds.setdefault(case_id, {})[actor_id] = rating
            rated[case_id] = rounds[case_id]
    return {case_id: worst(round_.values()) for case_id, round_ in rated.items()}
