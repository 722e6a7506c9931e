"""Parsing of command arguments shared by handlers: case references like `#12`."""

from __future__ import annotations

import re

from bot import texts
from bot.dispatcher import UsageError

_CASE_REF = re.compile(r"^[#＃]?\s*(\d{1,9})(?:号)?$")
_CASE_REF_IN_TEXT = re.compile(r"[#＃]\s*(\d{1,9})")


def case_ref(token: str) -> int:
    """'#12', '＃12', '12' -> 12; anything else is a usage error."""
    match = _CASE_REF.match(token.strip())
    if not match:
        raise UsageError(texts.not_a_case_ref(token))
    return int(match.group(1))


def case_refs_in(text: str) -> list[int]:
    return [int(n) for n in _CASE_REF_IN_TEXT.findall(text)]


def bare_case_ref(text: str) -> int | None:
    """A message that is only a case number (“#5”, “5”, “5号”) -> 5, else None."""
    match = _CASE_REF.match(text.strip().rstrip("。.!！"))
    return int(match.group(1)) if match else None


_LEADING_CASE_REFS = re.compile(r"^(?:\s*[#＃]\s*\d{1,9}\s*[，,:：]?)+")


def without_leading_case_refs(text: str) -> str:
    """“#1 好的明天上午换灯泡” -> “好的明天上午换灯泡” (the note of a plain-words reply)."""
    return _LEADING_CASE_REFS.sub("", text).strip() or text.strip()


def split_first(args: str) -> tuple[str, str]:
    parts = args.strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


_TOPIC_REF = re.compile(r"^(?:[#＃]?\s*[Tt]\s*|议题\s*)(\d{1,9})$")


def topic_ref(token: str) -> int:
    """'T1', '#T1', 't 1', '议题1' -> 1; anything else is a usage error."""
    match = _TOPIC_REF.match(token.strip())
    if not match:
        raise UsageError(texts.not_a_topic_ref(token))
    return int(match.group(1))


_PERIOD = r"(上午|早上|中午|下午|晚上|傍晚)?"
_HM = r"(\d{1,2})(?:[:：](\d{2})|点(?:(\d{1,2})分?|半)?)"
_WHEN_PATTERNS = [
    ("ymd", re.compile(rf"^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}})[ T]*{_PERIOD}{_HM}")),
    ("md", re.compile(rf"^(\d{{1,2}})月(\d{{1,2}})[日号]\s*{_PERIOD}{_HM}")),
    ("md", re.compile(rf"^(\d{{1,2}})-(\d{{1,2}})\s+{_PERIOD}{_HM}")),
    ("rel", re.compile(rf"^(今天|明天|后天)\s*{_PERIOD}{_HM}")),
    ("wd", re.compile(rf"^(?:周|星期|礼拜)([一二三四五六日天])\s*{_PERIOD}{_HM}")),
]
_WEEKDAYS = "一二三四五六日"
_RELATIVE_DAYS = ("今天", "明天", "后天")


def _hour(period: str | None, hour: int) -> int:
    if period in ("下午", "晚上", "傍晚") and hour < 12:
        return hour + 12
    if period == "中午" and hour < 6:
        return hour + 12
    return hour


def parse_when(text: str, now):
    """A meeting time at the start of `text` -> (aware datetime, the rest), in now's zone.

    Reads 2026-11-25 19:00, 11月25日19:00, 11-25 19:00, 明天晚上7点, 周三19:30 …;
    (None, text) when it does not start with a time.
    """
    from datetime import timedelta

    text = text.strip()
    for kind, pattern in _WHEN_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        groups = match.groups()
        period, hour, minute_colon, minute_dian = groups[-4:]
        half = match.group(0).endswith("半")
        minute = int(minute_colon or minute_dian or (30 if half else 0))
        hour = _hour(period, int(hour))
        try:
            if kind == "ymd":
                day = now.replace(year=int(groups[0]), month=int(groups[1]),
                                  day=int(groups[2]))
            elif kind == "md":
                day = now.replace(month=int(groups[0]), day=int(groups[1]))
                if day < now - timedelta(days=1):  # 1月5日 said in November: next year
                    day = day.replace(year=now.year + 1)
            elif kind == "rel":
                day = now + timedelta(days=_RELATIVE_DAYS.index(groups[0]))
            else:
                target = _WEEKDAYS.index(groups[0].replace("天", "日"))
                day = now + timedelta(days=(target - now.weekday()) % 7)
            when = day.replace(hour=hour, minute=minute, second=0, microsecond=0)
        except ValueError:
            return None, text
        return when, text[match.end():].strip()
    return None, text
