"""尊重他人: insults in a message.

An insult is found by three kinds of evidence:
  * words that are insults wherever they stand (傻逼, 脑残, 王八蛋, 懂个屁 …) and the
    community's own `deliberation.abusive_words` (Latin-letter words only as whole words);
  * patterns for words that are insults only in some places: 滚 on its own (老糊涂，滚 /
    你给我滚出去, never 滚动 / 滚梯 / 打滚 / 水滚开了), 废物 said of people (物业都是废物,
    废物！, never 装修废物 / 废物回收), 老糊涂 said of someone else (never 我老糊涂了),
    你妈 (never 你妈妈), 去死 (never 过去死了);
  * nothing else: 屁股, 垃圾桶 and the like contain no listed word.

`insult_spans` says where; `is_insult` whether; `without_insults` blanks the insults out
so that what is left can be read as what it is (an insult alone is never a complaint, an
insult next to a real problem does not hide the problem); `masked` hides them in a quote.
"""

from __future__ import annotations

import re

# insults wherever they stand
WORDS = ("傻逼", "傻b", "傻叉", "煞笔", "沙比", "sb", "tmd", "nmsl", "滚蛋", "找死", "王八蛋",
         "王八羔子", "畜生", "脑残", "神经病", "弱智", "白痴", "蠢货", "蠢猪", "猪脑子", "傻子",
         "放屁", "狗屁", "屁话", "个屁", "屁事", "屁用", "他妈的", "狗东西", "贱人", "混蛋",
         "人渣", "垃圾人", "垃圾物业", "老不死", "草泥马", "操你", "闭嘴")

_END = r"(?=$|[\s，,。.！!？?、~～…；;：:]|吧|啊|呀)"
_START = r"(?:^|(?<=[\s，,。.！!？?、~～…；;：:]))"
PATTERNS = (
    # 滚 on its own: at the start of a clause or after 你/给我/快/赶紧, at its end
    re.compile(rf"(?:{_START}|(?<=你)|(?<=给我)|(?<=快)|(?<=赶紧))"
               rf"滚(?:开|出去|远点|远一点|犊子)?{_END}"),
    # 废物 said of people, or on its own
    re.compile(r"(?:你|你们|他|她|他们|她们|物业|保安|领导|干部|这帮|一帮|一群|真是|就是个?)"
               r"[^，,。.！!？?\s]{0,3}(?P<insult>废物)"),
    re.compile(rf"{_START}废物{_END}"),
    # 老糊涂 of someone else (我老糊涂了, 人老糊涂了 are modesty: see _SELF)
    re.compile(r"老糊涂"),
    re.compile(r"你妈(?!妈)"),
    re.compile(r"(?<![过回进出上下失])去死"),
    re.compile(r"(?:真|太)垃圾"),
)


# a clause that speaks of oneself: 老糊涂 there is modesty, not an insult
_SELF = re.compile(r"[我俺咱]")
_SELF_WORDS = ("老糊涂",)
_CLAUSE_END = re.compile(r"[\s，,。.！!？?、~～…；;：:]")


def _about_oneself(text: str, start: int) -> bool:
    clause_start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    return bool(_SELF.search(text, clause_start, start)) or text[start - 1:start] == "人"


def _word_pattern(word: str) -> re.Pattern[str]:
    word = word.lower()
    if word.isascii():
        return re.compile(rf"(?<![a-z]){re.escape(word)}(?![a-z])")
    return re.compile(re.escape(word))


_BUILT_IN = tuple(_word_pattern(w) for w in WORDS) + PATTERNS


def insult_spans(text: str, extra_words: list[str] | tuple[str, ...] = ()) -> list[tuple[int, int]]:
    """Where the insults are: (start, end) pairs, in order, not overlapping."""
    lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)  # same length
    found: list[tuple[int, int]] = []
    patterns = _BUILT_IN + tuple(_word_pattern(w) for w in extra_words if w.strip())
    for pattern in patterns:
        for m in pattern.finditer(lowered):
            span = m.span("insult") if "insult" in pattern.groupindex else m.span()
            if span[1] > span[0] and not (m.group() in _SELF_WORDS
                                          and _about_oneself(lowered, span[0])):
                found.append(span)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def is_insult(text: str, extra_words: list[str] | tuple[str, ...] = ()) -> bool:
    return bool(insult_spans(text, extra_words))


def _replace(text: str, spans: list[tuple[int, int]], by: str) -> str:
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(by * (end - start) if by else "")
        last = end
    out.append(text[last:])
    return "".join(out)


def without_insults(text: str, extra_words: list[str] | tuple[str, ...] = ()) -> str:
    """The text with its insults left out (what remains is read for a complaint)."""
    spans = insult_spans(text, extra_words)
    return _replace(text, spans, "") if spans else text


def masked(text: str, extra_words: list[str] | tuple[str, ...] = ()) -> str:
    """The text with each insult's characters shown as ×, for quoting it back."""
    spans = insult_spans(text, extra_words)
    return _replace(text, spans, "×") if spans else text
