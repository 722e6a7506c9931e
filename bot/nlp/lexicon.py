"""Load, validate and merge the classifier lexicon.

The built-in lexicon lives in `lexicon.yaml` next to this module.  A community may add
words in its config.yaml under `lexicon:` with the shape

    categories:
      facility: {objects: [充电棚, 门禁卡], faults: [刷不开], signals: []}
    urgent: [冒烟]
    typos: {电悌: 电梯}

`validate_extra` reports problems in such a mapping as (key path, problem) pairs and
`merge_extra` returns a new lexicon with the extra words added.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .labels import CATEGORIES

LEXICON_PATH = Path(__file__).with_name("lexicon.yaml")

TERM_KINDS = ("objects", "faults", "signals")
EXTRA_KEYS = ("categories", "urgent", "typos")
# Top-level keys the built-in lexicon must have.
REQUIRED_KEYS = (
    "typos", "faults", "categories", "urgent", "complaint_cues", "resolution", "notice",
    "inquiry", "thanks", "opinion", "joke", "ads", "staff_reply", "relay", "reply_other",
    "followup", "apology", "planned", "places",
)


class LexiconError(ValueError):
    """The built-in lexicon file is malformed."""


def _word_list_problems(value: Any, path: str) -> list[tuple[str, str]]:
    """Problems of a value that must be a list of non-empty strings."""
    if not isinstance(value, list):
        return [(path, "must be a list of words")]
    problems = []
    for i, word in enumerate(value):
        if not isinstance(word, str) or not word.strip():
            problems.append((f"{path}[{i}]", "must be a non-empty string"))
    return problems


def _category_problems(code: Any, terms: Any) -> list[tuple[str, str]]:
    """Problems of one `categories.<code>` entry."""
    path = f"categories.{code}"
    if code not in CATEGORIES:
        return [(path, "unknown category")]
    if not isinstance(terms, dict):
        return [(path, "must be a mapping of objects/faults/signals")]
    problems = []
    for kind, words in terms.items():
        if kind not in TERM_KINDS:
            problems.append((f"{path}.{kind}", "unknown key (use objects, faults, signals)"))
        else:
            problems.extend(_word_list_problems(words, f"{path}.{kind}"))
    return problems


def _typo_problems(typos: Any) -> list[tuple[str, str]]:
    """Problems of a `typos` mapping (wrong spelling -> right spelling)."""
    if not isinstance(typos, dict):
        return [("typos", "must be a mapping of wrong -> right spelling")]
    return [
        (f"typos.{wrong}", "must map a non-empty string to a non-empty string")
        for wrong, right in typos.items()
        if not (isinstance(wrong, str) and wrong and isinstance(right, str) and right)
    ]


def validate_extra(d: Any) -> list[tuple[str, str]]:
    """Check a community lexicon (the value of config `lexicon:`); [] when it is fine."""
    if d is None:
        return []
    if not isinstance(d, dict):
        return [("", "must be a mapping with categories/urgent/typos")]
    problems: list[tuple[str, str]] = []
    for key, value in d.items():
        if key not in EXTRA_KEYS:
            problems.append((str(key), "unknown key (use categories, urgent, typos)"))
        elif key == "categories":
            if not isinstance(value, dict):
                problems.append(("categories", "must be a mapping of category code -> words"))
                continue
            for code, terms in value.items():
                problems.extend(_category_problems(code, terms))
        elif key == "urgent":
            problems.extend(_word_list_problems(value, "urgent"))
        else:
            problems.extend(_typo_problems(value))
    return problems


def _check_builtin(lex: Any) -> dict:
    """Raise LexiconError when the built-in lexicon lacks keys or names unknown categories."""
    if not isinstance(lex, dict):
        raise LexiconError(f"{LEXICON_PATH}: top level must be a mapping")
    missing = [key for key in REQUIRED_KEYS if key not in lex]
    if missing:
        raise LexiconError(f"{LEXICON_PATH}: missing keys {missing}")
    problems = []
    for code, terms in lex["categories"].items():
        problems.extend(_category_problems(code, terms))
    if problems:
        raise LexiconError(f"{LEXICON_PATH}: " + "; ".join(f"{p}: {m}" for p, m in problems))
    return lex


@lru_cache(maxsize=1)
def _builtin() -> dict:
    with LEXICON_PATH.open(encoding="utf-8") as fh:
        return _check_builtin(yaml.safe_load(fh))


def load_lexicon() -> dict:
    """A fresh copy of the built-in lexicon (callers may modify it)."""
    return copy.deepcopy(_builtin())


def _add_words(target: list, words: list) -> None:
    """Append words not yet present, keeping order."""
    seen = set(target)
    for word in words:
        word = word.strip()
        if word not in seen:
            target.append(word)
            seen.add(word)


def merge_extra(base: dict, extra: dict | None) -> dict:
    """A new lexicon: base plus a validated community lexicon; raises ValueError if invalid."""
    merged = copy.deepcopy(base)
    if not extra:
        return merged
    if set(extra) == {"lexicon"}:  # the whole config fragment was passed
        extra = extra["lexicon"] or {}
    problems = validate_extra(extra)
    if problems:
        raise ValueError("invalid lexicon: " + "; ".join(f"{p}: {m}" for p, m in problems))
    for code, terms in (extra.get("categories") or {}).items():
        target = merged["categories"].setdefault(code, {})
        for kind, words in terms.items():
            _add_words(target.setdefault(kind, []), words)
    _add_words(merged["urgent"]["triggers"], extra.get("urgent") or [])
    merged["typos"].update(extra.get("typos") or {})
    return merged
