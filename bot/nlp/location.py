"""Parse the location written in a message: building, unit, room and a named place.

Understands 3号楼 / 三号楼 / 3栋 / 3幢 / 3# / B座, 2单元, 501室 / 501, 11-1-601, 12号302 and
named places (地下车库, 东门, 车棚 …) and a zone (地库B区, A区).  Returns only the parts
written, numbers as Arabic-digit strings: {"building": "3", "unit": "2", "room": "501",
"place": "地下车库", "zone": "B"}; {} when none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}

_NUM = r"(\d{1,3}|[一二两三四五六七八九十]{1,3})"
_LIST_JOIN = r"[、,和及与至到\-~]"
# A number that is part of a list or range ("7、8号楼", "1-5号楼") names no single building.
# A join character counts only after a number (你好,3号楼 names building 3; 7,8号楼 none).
_NOT_LISTED = (rf"(?<![\d这那每整同哪隔几第半])"
               rf"(?<![\d一二两三四五六七八九十#栋幢座]{_LIST_JOIN})(?<!号楼{_LIST_JOIN})")
_BUILDING_MARK = r"(?:号楼|#楼|号院|栋楼|栋|幢|#|座)"
_TRIPLE_RE = re.compile(r"(?<![\d\-:.])(\d{1,3})-(\d{1,2})-(\d{3,4})(?![\d\-:])")
_BUILDING_RE = re.compile(
    rf"{_NOT_LISTED}{_NUM}\s*{_BUILDING_MARK}(?!\s*{_LIST_JOIN}\s*{_NUM}\s*{_BUILDING_MARK})"
)
_LETTER_BUILDING_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z])\s*(?:座|栋|幢|号楼)")
# "12号302": 号 right before a room number means building.
_HAO_ROOM_RE = re.compile(rf"{_NOT_LISTED}{_NUM}号\s*(\d{{3,4}})(?![\d.:])")
_UNIT_RE = re.compile(rf"(?<![\d\-]){_NUM}\s*单元")
_ROOM_SUFFIX_RE = re.compile(r"(?<![\d.:\-A-Za-z])(\d{3,4})\s*(?:室|号房|房间|户)")
_ROOM_AFTER_MARK_RE = re.compile(
    r"(?:单元|栋|幢|号楼|#楼|座)\s*(\d{3,4})(?![\d.:%]|\s*(?:元|块|度|楼|层|号楼|栋|米|平|分|年|月|日|次|天|人|辆|个))"
)
_ROOM_CONTEXT_RE = re.compile(
    r"(?:(?<=楼上)|(?<=楼下)|(?<=对门)|(?<=隔壁)|(?<=住)|(?<=我家)|(?<=我是)|(?<![\d.:\-A-Za-z]))"
    r"(\d{3,4})(?=\s*(?:的|家|业主|住户|邻居))"
)
_ROOM_NEIGHBOUR_RE = re.compile(r"(?:楼上|楼下|对门|隔壁|住在?|我家是?)\s*(\d{3,4})(?![\d.:%])")


# where the writer is when they hear or see it from afar: 我在9号楼都听得见, 我们6号楼都听得到
# (a smell is where it is smelt: 我家501也闻到了)
_PERCEIVED_FROM = re.compile(r"我(?:家|们)?在?[^，,。!！?？ ]{1,8}?(?:这边|那边|这儿|那儿)?"
                             r"(?:都|也)?(?:能)?(?:听得?见|听得到|听到|看得?见|看到)")

# A zone of a place: 地库B区, A区23号, 东区 (not 小区, 市区, 城东区)
_ZONE_RE = re.compile(r"(?<![A-Za-z小社城市街园校景郊片辖])([A-Za-z]|[东南西北]|\d{1,2})\s*区")

# Characters without which no building/unit/room can be written.
_NUMBER_HINTS = re.compile("[0-9号栋幢单元室座#]")
# What each pattern cannot match without (checked first: most messages have none of it).
_BUILDING_MARKS = re.compile("[号#栋幢座]")  # _BUILDING_RE, _LETTER_BUILDING_RE
_ROOM_DIGITS = re.compile(r"\d{3}")  # every room pattern


def cn_to_int(text: str) -> int | None:
    """Chinese numeral (up to 99) or Arabic digits -> int; None if not a number."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        high = _CN_DIGITS.get(tens, None) if tens else 1
        low = _CN_DIGITS.get(ones, None) if ones else 0
        return None if high is None or low is None else high * 10 + low
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    return None


def _plausible_room(number: str) -> bool:
    """A room number is a floor followed by a two-digit door number (501, 1802)."""
    door = int(number[-2:])
    return 1 <= door <= 30 and int(number[:-2]) >= 1


def _first(pattern: re.Pattern, text: str, group: int = 1) -> str | None:
    """The first match of a numeric pattern, converted to an Arabic-digit string."""
    for match in pattern.finditer(text):
        value = cn_to_int(match.group(group))
        if value is not None and value > 0:
            return str(value)
    return None


def _room(text: str) -> str | None:
    """The first plausible room number written."""
    candidates = []
    for pattern in (_ROOM_SUFFIX_RE, _ROOM_AFTER_MARK_RE, _ROOM_CONTEXT_RE, _ROOM_NEIGHBOUR_RE):
        for match in pattern.finditer(text):
            if _plausible_room(match.group(1)):
                candidates.append((match.start(1), match.group(1)))
                break
    return min(candidates)[1] if candidates else None


class LocationParser:
    """Finds building/unit/room and the first named place from a place table."""

    def __init__(self, places: Mapping[str, list[str]]):
        self._place_of = {alias: name for name, aliases in places.items() for alias in aliases}
        aliases = sorted(self._place_of, key=len, reverse=True)
        self._place_re = re.compile("|".join(map(re.escape, aliases))) if aliases else None

    def parse(self, text: str) -> dict[str, str]:
        """Location dict with only the parts written.  Where the writer perceives it from
        (我在9号楼都听得见, 我在三号楼这边看到四号楼…) is not where the problem is."""
        if "我" in text:
            text = _PERCEIVED_FROM.sub(" ", text)
        location: dict[str, str] = {}
        if _NUMBER_HINTS.search(text):  # else no building/unit/room can be written
            self._parse_numbers(text, location)
        if self._place_re is not None:
            place = self._place_re.search(text)
            if place:
                location["place"] = self._place_of[place.group(0)]
        if "区" in text:
            zone = _ZONE_RE.search(text)
            if zone:
                location["zone"] = zone.group(1).upper()
        return location

    @staticmethod
    def _parse_numbers(text: str, location: dict[str, str]) -> None:
        triple = _TRIPLE_RE.search(text) if "-" in text else None
        if triple:
            location.update(building=str(int(triple.group(1))), unit=str(int(triple.group(2))),
                            room=triple.group(3))
        else:
            LocationParser._parse_parts(text, location)

    @staticmethod
    def _parse_parts(text: str, location: dict[str, str]) -> None:
        digits = _ROOM_DIGITS.search(text) is not None
        hao = _HAO_ROOM_RE.search(text) if digits and "号" in text else None
        marks = _BUILDING_MARKS.search(text) is not None
        building = _first(_BUILDING_RE, text) if marks else None
        if building is None and marks:
            letter = _LETTER_BUILDING_RE.search(text)
            building = letter.group(1).upper() if letter else None
        if building is None and hao and _plausible_room(hao.group(2)):
            building = str(cn_to_int(hao.group(1)) or "") or None
        unit = _first(_UNIT_RE, text) if "单元" in text else None
        room = _room(text) if digits else None
        if room is None and hao and _plausible_room(hao.group(2)):
            room = hao.group(2)
        for key, value in (("building", building), ("unit", unit), ("room", room)):
            if value:
                location[key] = value
