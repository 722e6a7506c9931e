"""Parsing of command arguments shared by handlers: case references like `#12`."""

from __future__ import annotations

import re

from bot.dispatcher import UsageError

_CASE_REF = re.compile(r"^[#＃]?\s*(\d{1,9})(?:号)?$")
_CASE_REF_IN_TEXT = re.compile(r"[#＃]\s*(\d{1,9})")


def case_ref(token: str) -> int:
    """'#12', '＃12', '12' -> 12; anything else is a usage error."""
    match = _CASE_REF.match(token.strip())
    if not match:
        raise UsageError(f"“{token}”不是工单编号，请写成 #编号，例如 #12。")
    return int(match.group(1))


def case_refs_in(text: str) -> list[int]:
    return [int(n) for n in _CASE_REF_IN_TEXT.findall(text)]


def split_first(args: str) -> tuple[str, str]:
    parts = args.strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""
