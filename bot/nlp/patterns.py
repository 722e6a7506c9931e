"""A quick test whether any of many regular expressions matches a text.

The lexicon's complaint and danger patterns are many, and most messages match none of
them.  Searching each costs a call per pattern; one alternation of all of them costs more
still, because sre cannot skip ahead to a first character the alternatives do not share and
tries every alternative at every position.  `any_match(patterns)` puts the characters a
match can start with (read from the parsed patterns) in a lookahead before the alternation,
so positions where no pattern can start are passed over at the cost of one character-class
test.  Only when it matches are the patterns searched one by one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

try:  # the parser sre compiles with (Python 3.11+); without it there is no quick test
    from re import _constants as _ops
    from re import _parser
except ImportError:  # pragma: no cover
    _ops = _parser = None

_WIDEST_RANGE = 256  # a class with a wider range ([一-龥]) is taken as "any character"


def _first_of_sequence(items: Iterable) -> tuple[set[str], bool] | None:
    """(characters a match of the sequence can start with, whether it can match empty);
    None when that cannot be said."""
    chars: set[str] = set()
    for op, av in items:
        found = _first_of_item(op, av)
        if found is None:
            return None
        chars |= found[0]
        if not found[1]:
            return chars, False
    return chars, True


def _first_of_class(items) -> set[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op is _ops.LITERAL:
            chars.add(chr(av))
        elif op is _ops.RANGE and av[1] - av[0] <= _WIDEST_RANGE:
            chars.update(map(chr, range(av[0], av[1] + 1)))
        else:  # a negated class, a category (\s, \d), a wide range
            return None
    return chars


def _first_of_item(op, av) -> tuple[set[str], bool] | None:
    if op is _ops.LITERAL:
        return {chr(av)}, False
    if op is _ops.IN:
        chars = _first_of_class(av)
        return None if chars is None else (chars, False)
    if op is _ops.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return None if add_flags & re.IGNORECASE else _first_of_sequence(sub)
    if op is _ops.ATOMIC_GROUP:
        return _first_of_sequence(av)
    if op is _ops.BRANCH:
        chars, empty = set(), False
        for alternative in av[1]:
            found = _first_of_sequence(alternative)
            if found is None:
                return None
            chars |= found[0]
            empty = empty or found[1]
        return chars, empty
    if op in (_ops.MAX_REPEAT, _ops.MIN_REPEAT, _ops.POSSESSIVE_REPEAT):
        low, _high, sub = av
        found = _first_of_sequence(sub)
        return None if found is None else (found[0], found[1] or low == 0)
    if op in (_ops.ASSERT, _ops.ASSERT_NOT, _ops.AT):  # zero-width: look further
        return set(), True
    return None  # any character, a negated literal, a back reference …


def first_chars(pattern: re.Pattern) -> frozenset[str] | None:
    """The characters a match of `pattern` can start with; None when it could start with
    any character or match the empty string (or when that cannot be said)."""
    if _parser is None or pattern.flags & re.IGNORECASE:
        return None
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
        found = _first_of_sequence(list(parsed))
    except Exception:  # an unknown construct: no quick test
        return None
    if found is None or found[1] or not found[0]:
        return None
    return frozenset(found[0])


def any_match(patterns: Sequence[re.Pattern]) -> re.Pattern | None:
    """One pattern that matches a text exactly when one of `patterns` does, built to skip
    the positions none can start at; None when there is no such shortcut (then search each
    pattern)."""
    starts: set[str] = set()
    for pattern in patterns:
        chars = first_chars(pattern)
        if chars is None or pattern.groupindex or pattern.flags & ~re.UNICODE:
            return None
        starts |= chars
    if not starts:
        return None
    head = "".join(sorted(re.escape(c) for c in starts))
    body = "|".join(f"(?:{p.pattern})" for p in patterns)
    try:
        return re.compile(f"(?=[{head}])(?:{body})")
    except re.error:  # pragma: no cover - patterns that do not combine (back references)
        return None
