"""Normalise group-chat text before classification.

Full-width characters become half-width, traditional characters simplified (OpenCC t2s),
emoji and @mentions are removed for matching, runs of repeated punctuation folded and common
typos/homophones mapped through the lexicon's `typos` table.  Tone markers that the removal
would lose (emoji classes, "!!!"/"??" emphasis) are kept as flags for the classifier.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

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


@dataclass(frozen=True)
class Normalized:
    """The text forms and tone flags the classifier works on."""

    text: str  # for matching: mentions and emoji removed
    loc_text: str  # for locations: mentions kept ("@3栋1单元 …" names a place)
    emphasis: bool  # "!!" or "??" written
    joke_emoji: bool
    praise_emoji: bool
    polite_emoji: bool
    mentioned: bool  # the message @-mentions someone


def to_halfwidth(text: str) -> str:
    """Map full-width letters, digits, punctuation and spaces to half-width."""
    return text.translate(_HALFWIDTH)


@lru_cache(maxsize=1)
def _converter() -> tuple[opencc.OpenCC, frozenset[str]]:
    """The t2s converter and the set of characters it would change (a cheap pre-check)."""
    path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", "TSCharacters.txt")
    changed: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            key, _, value = line.rstrip("\n").partition("\t")
            if key != value.split(" ")[0]:
                changed.update(key)
    return opencc.OpenCC("t2s"), frozenset(changed)


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese; skips OpenCC when no character would change."""
    converter, traditional = _converter()
    if traditional.isdisjoint(text):
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
        """All steps; returns the matching text, the location text and tone flags."""
        text = to_simplified(to_halfwidth(raw or ""))
        chars = frozenset(text)
        emphasis = _EMPHASIS_RE.search(text) is not None
        text = _EMOJI_RE.sub(" ", text)
        text = _REPEAT_PUNCT_RE.sub(r"\1", text)
        text = self.fix_typos(text)
        loc_text = _SPACES_RE.sub(" ", text).strip()
        mentioned = "@" in loc_text
        match_text = _MENTION_RE.sub(" ", _LEADING_MENTIONS_RE.sub("", loc_text)) if mentioned \
            else loc_text
        return Normalized(
            text=_SPACES_RE.sub(" ", match_text).strip(),
            loc_text=loc_text,
            emphasis=emphasis,
            joke_emoji=not _JOKE_EMOJI.isdisjoint(chars),
            praise_emoji=not _PRAISE_EMOJI.isdisjoint(chars),
            polite_emoji=not _POLITE_EMOJI.isdisjoint(chars),
            mentioned=mentioned,
        )
