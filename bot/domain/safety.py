"""Which safety advice an urgent case needs (gas: don't switch anything; fire: 119;
injury: 120 …). The advice texts live in bot/texts/; this module only decides."""

from __future__ import annotations

import re

HAZARDS: dict[str, re.Pattern] = {
    # simplified and traditional forms, and the Cantonese people type (瓦斯, 困咗, 𨋢)
    "gas": re.compile(r"(煤[气氣]|燃[气氣]|天然[气氣]|液化[气氣]|瓦斯).{0,4}(味|漏|泄)"
                      r"|漏[气氣]|臭鸡蛋味|臭雞蛋味"),
    "fire": re.compile(r"[着著]火|起火|失火|火[灾災]|冒[烟煙]|浓烟|濃煙|烟雾|煙霧|烧起来|燒起來"
                       r"|火苗|[烧燒][着著]了?|着咗|火势|火勢|锅.{0,2}着了"),
    "injury": re.compile(r"受伤|受傷|摔倒|摔伤|摔下去|流血|砸伤|砸到人|晕倒|暈倒|昏倒|骨折|被咬"
                         r"|抽搐|叫不醒"),
    "electric": re.compile(r"[电電]线.{0,4}(裸露|掉|断|冒火|打火)|漏[电電]|触[电電]|觸電|火花"
                           r"|[电電]箱.{0,3}(冒|响)"),
    "trapped": re.compile(r"困(在|住|咗)?.{0,4}([电電]梯|𨋢)|([电電]梯|𨋢|轿厢).{0,6}(困|关|關)"
                          r"(了|住|着|咗|牢)?人|被困|[关關]在[电電]梯|[电電]梯里[关關]着人|䢂.{0,4}困"
                          r"|[电電]梯.{0,12}(困|[关關])(了|住|着|咗)?.{0,6}(里面|里头|入面)"
                          r"|[电電]梯.{0,12}(里面|里头).{0,4}(有人|出不来|出不去)"),
    "flood": re.compile(r"爆管|水管.{0,2}(爆|裂)|淹了|水漫|进水了|大水|水喉爆"),
}


def hazards(text: str) -> list[str]:
    """The hazards a message describes, in a fixed order."""
    return [name for name, pattern in HAZARDS.items() if pattern.search(text)]
