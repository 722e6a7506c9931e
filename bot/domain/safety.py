"""Which safety advice an urgent case needs (gas: don't switch anything; fire: 119;
injury: 120 …). The advice texts live in bot/texts.py; this module only decides."""

from __future__ import annotations

import re

HAZARDS: dict[str, re.Pattern] = {
    "gas": re.compile(r"(煤气|燃气|天然气|液化气).{0,4}(味|漏|泄)|漏气|气味很大的煤气"),
    "fire": re.compile(r"着火|起火|失火|火灾|冒烟|浓烟|烟雾|烧起来|火苗"),
    "injury": re.compile(r"受伤|摔倒|摔伤|流血|砸伤|砸到人|晕倒|昏倒|骨折|被咬"),
    "electric": re.compile(r"电线.{0,4}(裸露|掉|断|冒火|打火)|漏电|触电|火花|电箱.{0,3}(冒|响)"),
    "trapped": re.compile(r"困(在|住)?.{0,4}电梯|电梯.{0,6}(困|关)(了|住)?人|被困|关在电梯"),
    "flood": re.compile(r"爆管|水管.{0,2}(爆|裂)|淹了|水漫|进水了|大水"),
}


def hazards(text: str) -> list[str]:
    """The hazards a message describes, in a fixed order."""
    return [name for name, pattern in HAZARDS.items() if pattern.search(text)]
