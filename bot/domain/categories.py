"""The complaint categories of interfaces.md: code -> Chinese label, in display order."""

CATEGORIES: dict[str, str] = {
    "water_leak": "漏水渗水",
    "plumbing": "管道堵塞",
    "utility_outage": "停水停电停气",
    "heating": "供暖",
    "elevator": "电梯",
    "facility": "公共设施损坏",
    "sanitation": "环境卫生",
    "noise": "噪音扰民",
    "parking": "停车占道",
    "fire_safety": "消防与安全隐患",
    "ev_charging": "充电设施",
    "greenery": "绿化",
    "pets": "宠物",
    "neighbor": "邻里纠纷",
    "property_service": "物业服务",
    "security": "治安",
    "other": "其他",
}

CATEGORY_CODES = tuple(CATEGORIES)


def category_label(code: str | None) -> str:
    return CATEGORIES.get(code or "other", CATEGORIES["other"])


def category_code(word: str) -> str | None:
    """The category a word names: its code, its label, or a unique part of a label
    (电梯 -> elevator, 停车 -> parking); None when it names none or several."""
    word = word.strip()
    if word in CATEGORIES:
        return word
    for code, label in CATEGORIES.items():
        if word == label:
            return code
    matches = [code for code, label in CATEGORIES.items() if word and word in label]
    return matches[0] if len(matches) == 1 else None
