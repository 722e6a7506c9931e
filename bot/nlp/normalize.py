"""Normalise group-chat text before classification.

Full-width characters become half-width, traditional characters simplified (OpenCC t2s),
emoji and @mentions are removed for matching, runs of repeated punctuation folded and common
typos/homophones mapped through the lexicon's `typos` table.  Tone markers that the removal
would lose (emoji classes, "!!!"/"??" emphasis) are kept as flags for the classifier.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import NamedTuple

import opencc

# Emoji that carry a tone the classifier uses.
_JOKE_EMOJI = frozenset("😂🤣😄😆😁🤭😅😜😝🤪🙈😹")
_PRAISE_EMOJI = frozenset("👍👏💯🌹💐🥰😍❤💪🎉")
_POLITE_EMOJI = frozenset("🙏")

_EMOJI_RE = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff"
    "\U00002b00-\U00002bff\ufe0f\u200d\u20e3\u2b50\u2b55\u231a-\u231b\u23e9-\u23fa]+"
)
# An @mention runs to the next space (WeChat puts U+2005 after it) or end of text.
_MENTION_RE = re.compile(r"@[^\s@]{1,24}")
_LEADING_MENTIONS_RE = re.compile(r"^\s*(?:@[^\s@]{1,24}\s*)+")
_REPEAT_PUNCT_RE = re.compile(r"([!?。,.~…、;:])\1+")
_EMPHASIS_RE = re.compile(r"[!?]{2,}")
_SPACES_RE = re.compile(r"\s+")

# Full-width ASCII block (U+FF01..U+FF5E) and the ideographic space -> half-width.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_HALFWIDTH[0x3000] = 0x20
_HALFWIDTH[0x2005] = 0x20
_FULLWIDTH_RE = re.compile("[\uff01-\uff5e\u3000\u2005]")
# Whitespace that _SPACES_RE.sub(" ", …) would change: anything but a lone plain space.
_UNEVEN_SPACES_RE = re.compile(r"[^\S ]|\s\s")
_TONE_EMOJI = (_JOKE_EMOJI, _PRAISE_EMOJI, _POLITE_EMOJI)  # all within _EMOJI_RE


class Normalized(NamedTuple):
    """The text forms and tone flags the classifier works on (a tuple: cheap to make)."""

    text: str  # for matching: mentions and emoji removed
    loc_text: str  # for locations: mentions kept ("@3栋1单元 …" names a place)
    emphasis: bool  # "!!" or "??" written
    joke_emoji: bool
    praise_emoji: bool
    polite_emoji: bool
    mentioned: bool  # the message @-mentions someone


def to_halfwidth(text: str) -> str:
    """Map full-width letters, digits, punctuation and spaces to half-width."""
    if _FULLWIDTH_RE.search(text) is None:  # one scan instead of a look-up per character
        return text
    return text.translate(_HALFWIDTH)


@lru_cache(maxsize=1)
def _converter() -> tuple[opencc.OpenCC, re.Pattern, frozenset[str]]:
    """The t2s converter and the characters it would change (a cheap pre-check): those of
    the Basic Multilingual Plane as one character class (sre tests it with a bitmap), the
    few beyond it as a set, looked at only when the text has such a character."""
    path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", "TSCharacters.txt")
    changed: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            key, _, value = line.rstrip("\n").partition("\t")
            if key != value.split(" ")[0]:
                changed.update(key)
    bmp = "".join(sorted(re.escape(c) for c in changed if c <= "\uffff"))
    astral = frozenset(c for c in changed if c > "\uffff")
    return opencc.OpenCC("t2s"), re.compile(f"[{bmp}]" if bmp else r"(?!x)x"), astral


_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese; skips OpenCC when no character would change."""
    converter, traditional, astral = _converter()
    if traditional.search(text) is None and (
            _ASTRAL_RE.search(text) is None or astral.isdisjoint(text)):
        return text
    return converter.convert(text)


class Normalizer:
    """Applies the normalisation steps with a given typo table."""

    def __init__(self, typos: dict[str, str]):
        self._typos = dict(typos)
        keys = sorted(self._typos, key=len, reverse=True)
        self._typo_re = re.compile("|".join(map(re.escape, keys))) if keys else None
        _converter()  # load the OpenCC tables now, not on the first message

    def fix_typos(self, text: str) -> str:
        """Replace typos/homophones by the word the lexicon uses."""
        if self._typo_re is None:
            return text
        return self._typo_re.sub(lambda m: self._typos[m.group(0)], text)

    def normalize(self, raw: str) -> Normalized:
        """All steps; returns the matching text, the location text and tone flags.  Each
        step that usually changes nothing is skipped after a quick search says so."""
        text = to_simplified(to_halfwidth(raw or ""))
        emphasis = _EMPHASIS_RE.search(text) is not None
        emoji = _EMOJI_RE.findall(text)
        if emoji:
            chars = frozenset("".join(emoji))
            joke, praise, polite = (not tone.isdisjoint(chars) for tone in _TONE_EMOJI)
            text = _EMOJI_RE.sub(" ", text)
        else:
            joke = praise = polite = False
        if _REPEAT_PUNCT_RE.search(text):
            text = _REPEAT_PUNCT_RE.sub(r"\1", text)
        text = self.fix_typos(text)
        if _UNEVEN_SPACES_RE.search(text):
            text = _SPACES_RE.sub(" ", text)
        loc_text = text.strip()
        mentioned = "@" in loc_text
        if mentioned:
            match_text = _MENTION_RE.sub(" ", _LEADING_MENTIONS_RE.sub("", loc_text))
            match_text = _SPACES_RE.sub(" ", match_text).strip()
        else:
            match_text = loc_text
        return Normalized(match_text, loc_text, emphasis, joke, praise, polite, mentioned)
