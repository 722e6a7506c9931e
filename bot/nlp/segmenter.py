"""The classifier's word segmenter: jieba's exact cut (HMM off) over a private dictionary.

`Segmenter(words)` loads jieba's default dictionary into a private `jieba.Tokenizer` (the
global one stays untouched), adds the lexicon words the way `Tokenizer.add_word` does, and
keeps one table: every dictionary entry and word prefix -> the word's log probability
(log(freq) - log(total), computed as jieba computes it), or None for a prefix that is no
word.  `cut` then does what `Tokenizer.lcut(text, HMM=False)` does — the same blocks, the
same maximum-probability route with the same tie-breaking, the same joining of single
letters and digits — in one backward pass, without building the DAG, the route dict and a
log() per candidate.  The result is identical token for token (a test compares the two on
every corpus line); the tokenizer itself is dropped after construction.
"""

from __future__ import annotations

import logging
from math import log

import jieba

jieba.setLogLevel(logging.WARNING)

_MISSING = object()
_NO_SCORE = float("-inf")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")  # re_eng


class Segmenter:
    """Immutable after construction; safe to share between threads."""

    def __init__(self, words):
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word in words:
            if len(word) > 1 and not word.isascii():
                tokenizer.add_word(word)
        logtotal = log(tokenizer.total)
        # jieba scores a candidate word as log(FREQ.get(word) or 1) - logtotal
        self._logp: dict[str, float | None] = {
            frag: (log(freq) - logtotal if freq else None)
            for frag, freq in tokenizer.FREQ.items()}
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
        logp, missing, n, unknown = self._logp, _MISSING, len(block), self._unknown
        value = [0.0] * (n + 1)  # best log probability of block[k:]
        end = [0] * (n + 1)  # where the first word of that best route ends
        for k in range(n - 1, -1, -1):
            best = 0
            score = _NO_SCORE
            i = k + 1
            p = logp.get(block[k], missing)
            while p is not missing:
                # max((score, end)) over the words from k: on a tie the longer word wins
                if p is not None and p + value[i] >= score:
                    score, best = p + value[i], i
                if i == n:
                    break
                i += 1
                p = logp.get(block[k:i], missing)
            if best:
                value[k] = score
                end[k] = best
            else:  # no word starts here: the character alone
                value[k] = unknown + value[k + 1]
                end[k] = k + 1
        letters = _LETTERS
        buf = ""
        x = 0
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
