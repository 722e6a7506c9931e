"""The classifier's word segmenter: jieba's exact cut (HMM off) over a private dictionary.

`Segmenter(words)` loads jieba's default dictionary into a private `jieba.Tokenizer` (the
global one stays untouched) and adds the lexicon words the way `Tokenizer.add_word` does.
Every entry (word or word prefix) gets the word's log probability, log(freq) - log(total)
computed as jieba computes it, or NaN for a prefix that is no word (no comparison accepts
NaN, so it is never a candidate).  The entries are kept in two tables: by first character,
that character's value and a small table of the second characters that continue it
(looked up with the text's own character objects, whose hashes are computed once); and
the entries of three characters or more by their text.  Each longer entry is a shared
(value, more) pair, `more` saying whether a longer entry continues it, so a route ends
without looking up a fragment that is not there.  `cut` then does what
`Tokenizer.lcut(text, HMM=False)` does — the same blocks, the same maximum-probability
route with the same tie-breaking, the same joining of single letters and digits — in one
backward pass, without building the DAG, the route dict and a log() per candidate.  The
result is identical token for token (a test compares the two on every corpus line); the
tokenizer itself is dropped after construction.
"""

from __future__ import annotations

import logging
import re
from math import log

import jieba

jieba.setLogLevel(logging.WARNING)

_NO_SCORE = float("-inf")
_PREFIX_ONLY = float("nan")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")  # re_eng
_HAS_LETTER = re.compile("[a-zA-Z0-9]")  # a block without one joins nothing


class Segmenter:
    """Immutable after construction; safe to share between threads."""

    def __init__(self, words):
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word in words:
            if len(word) > 1 and not word.isascii():
                tokenizer.add_word(word)
        logtotal = log(tokenizer.total)
        freqs = tokenizer.FREQ
        # Look-ups here miss the CPU caches more than anything else the classifier does, so
        # the tables are built to touch few objects, and the common ones close together:
        # one object per character (the keys a look-up compares), made afresh most frequent
        # first (a character's frequency as a word stands for how often messages have it),
        # its entry and its table of second characters made in the same order; one float
        # per frequency; one (value, more) pair per frequency and flag.  `more` says that
        # some longer entry continues this one, so a route stops without looking up a
        # fragment that cannot be there.
        continued = {frag[:-1] for frag in freqs if len(frag) > 2}
        order = sorted((f for f in freqs if len(f) == 1), key=lambda c: (-freqs[c], c))
        order += sorted({f[1] for f in freqs if len(f) == 2}.difference(order))
        chars = {c: (c + c)[:1] for c in order}  # (c + c)[:1]: a new object equal to c
        rank = {c: i for i, c in enumerate(order)}
        # jieba scores a candidate word as log(FREQ.get(word) or 1) - logtotal
        values = {freq: log(freq) - logtotal if freq else _PREFIX_ONLY
                  for freq in set(freqs.values())}
        pairs = {(freq, more): (value, more) for freq, value in values.items()
                 for more in (False, True)}
        second: dict[str, list[tuple[str, tuple[float, bool]]]] = {}
        self._longer: dict[str, tuple[float, bool]] = {}
        for frag, freq in freqs.items():
            if len(frag) == 2:
                second.setdefault(frag[0], []).append(
                    (frag[1], pairs[freq, frag in continued]))
            elif len(frag) > 2:
                self._longer[frag] = pairs[freq, frag in continued]
        # every prefix of an entry is an entry: each two-character entry's first character
        # has an entry of its own
        self._first: dict[str, tuple[float, dict[str, tuple[float, bool]] | None]] = {}
        for c in order:
            if c in freqs:
                nexts = sorted(second.get(c, ()), key=lambda entry: rank[entry[0]])
                self._first[chars[c]] = (values[freqs[c]], {
                    chars[c2]: entry for c2, entry in nexts} if nexts else None)
        self._unknown = log(1) - logtotal  # a single character that is no word
        self._blocks = jieba.re_han_default
        self._skip = jieba.re_skip_default

    def cut(self, text: str) -> list[str]:
        """The tokens `jieba.Tokenizer.lcut(text, HMM=False)` gives with this dictionary."""
        tokens: list[str] = []
        skip = self._skip
        # split() with the one group alternates: text between runs (even), runs (odd)
        for index, block in enumerate(self._blocks.split(text)):
            if not block:
                continue
            if index % 2:
                self._cut_block(block, tokens)
            else:
                for part in skip.split(block):
                    if skip.match(part):
                        tokens.append(part)
                    else:
                        tokens.extend(part)
        return tokens

    def _cut_block(self, block: str, tokens: list[str]) -> None:
        """One run of Chinese, letters and digits (jieba's __cut_DAG_NO_HMM)."""
        longer, unknown = self._longer.get, self._unknown
        chars = list(block)
        firsts = list(map(self._first.get, chars))
        n = len(chars)
        value = [0.0] * (n + 1)  # best log probability of block[k:]
        end = [0] * (n + 1)  # where the first word of that best route ends
        for k in range(n - 1, -1, -1):
            entry = firsts[k]
            if entry is None:  # no entry starts with this character: it stands alone
                value[k] = unknown + value[k + 1]
                end[k] = k + 1
                continue
            # max((score, end)) over the words from k: on a tie the longer word wins
            p, seconds = entry
            score, best = p + value[k + 1], k + 1
            if score != score:  # NaN: this character is only a prefix
                score, best = _NO_SCORE, 0
            if seconds is not None and k + 1 < n:
                entry = seconds.get(chars[k + 1])
                i = k + 2
                while entry is not None:
                    p, more = entry
                    if p + value[i] >= score:
                        score, best = p + value[i], i
                    if not more or i == n:
                        break
                    i += 1
                    entry = longer(block[k:i])
            if best:
                value[k] = score
                end[k] = best
            else:  # only longer prefixes start here, no word: the character alone
                value[k] = unknown + value[k + 1]
                end[k] = k + 1
        x = 0
        if _HAS_LETTER.search(block) is None:  # nothing to join: the words as they are
            while x < n:
                tokens.append(block[x:end[x]])
                x = end[x]
            return
        letters = _LETTERS
        buf = ""
        while x < n:
            y = end[x]
            word = block[x:y]
            if word in letters:
                buf += word
            else:
                if buf:
                    tokens.append(buf)
                    buf = ""
                tokens.append(word)
            x = y
        if buf:
            tokens.append(buf)
