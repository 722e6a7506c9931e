"""Formatting helpers every text uses: mentions, times, durations, places, lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def with_mentions(text: str, names: Iterable[str]) -> str:
    """Append `@name` for each mentioned member (the text must show them, per the spec)."""
    tags = " ".join(f"@{n}" for n in dict.fromkeys(names) if f"@{n}" not in text)
    return f"{text}\n{tags}" if tags else text


# --- formatting helpers ----------------------------------------------------------------

def clock(dt: datetime) -> str:
    return dt.strftime("%m-%d %H:%M")


def duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}分钟"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}小时" + (f"{minutes}分" if minutes else "")
    days, hours = divmod(hours, 24)
    return f"{days}天" + (f"{hours}小时" if hours else "")


def place(location: dict) -> str:
    parts = []
    if location.get("building"):
        parts.append(f"{location['building']}号楼")
    if location.get("unit"):
        parts.append(f"{location['unit']}单元")
    if location.get("room"):
        parts.append(f"{location['room']}室")
    if location.get("place"):
        parts.append(str(location["place"]))
    if location.get("zone"):
        parts.append(f"{location['zone']}区")
    return "".join(parts)


def excerpt(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


QUOTE_CHARS = 30  # the most of anyone's own words the bot repeats back


def quote(text: str) -> str:
    """Someone's words repeated back: a short excerpt, never the whole message."""
    return excerpt(text, QUOTE_CHARS)


def listing(items: Iterable[str]) -> str:
    """Items in a sentence: 甲、乙、丙."""
    return "、".join(items)
