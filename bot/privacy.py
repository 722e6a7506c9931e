"""Private numbers never leave the bot unmasked.

`mask_private` finds every run of digits in a text — ASCII, full-width or Chinese numerals
(一三八…), mixed as they come, with up to three separators between two of them (spaces of
every kind, zero-width ones included, dots, dashes of every width, slashes, commas, 、,
brackets: 138.1234.5678, 1 3 8 1 2 3 4 5 6 7 8, 138 - 1234 - 5678, 138／1234／5678,
(010)12345678) and an optional +86 — and masks the runs that are private numbers, by
their length and shape (a run that is none as a whole may hold one among other numbers,
"302，138 1234 5678": that part is masked; a list of one- and two-digit numbers,
"2、3、…、13号楼", is a list):

  mobile (11 digits, 1[3-9]…; or 86 + those)     138****5678
  landline (0 + area code, 10–12 digits)         0755****6666
  ID card (18 digits, the last may be X; or 15)  110101********123X
  bank card (16–19 digits)                        6222***********1234

Dates, times, room numbers, prices and counts (runs of other lengths) stay as written; a
run of 7 or more digits cut off by an excerpt (138123…) is masked after its first three.
The outbox applies this to every post, names included.

`display_name` makes a chat name safe to show: one line, at most NAME_MAX characters, and
never a name that would address everyone (所有人, all) — a member called
"王五\n【紧急通知】请所有居民今晚撤离 @所有人" must not speak for the bot.
"""

from __future__ import annotations

import re

_FULLWIDTH_DIGITS = {0xFF10 + d: ord("0") + d for d in range(10)}
_FULLWIDTH_DIGITS[0xFF38] = ord("X")  # Ｘ
_FULLWIDTH_DIGITS[0xFF58] = ord("x")  # ｘ
_CN = {"零": "0", "〇": "0", "幺": "1", "一": "1", "二": "2", "两": "2", "三": "3",
       "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_AS_DIGITS = {**_FULLWIDTH_DIGITS, **{ord(c): d for c, d in _CN.items()}}
_NUMERALS = "零〇幺一二两三四五六七八九"
_DIGIT = f"[0-9０-９{_NUMERALS}]"
_NOT_BEFORE_OR_AFTER = f"0-9０-９A-Za-z{_NUMERALS}"
# What people put between the digits of a number: spaces (also no-break, full-width and
# zero-width ones), dots, dashes of every width, slashes, commas, brackets.
_SEP = (r"[ \u3000\u00a0\u202f\u200b-\u200d\u2060\ufeff.．\-—–－−_/／,，、·・"
        r"()（）]")
# a run: optional +86, then digits (ASCII, full-width or Chinese numerals, mixed) with at
# most three separators between two digits, optionally ending in X (ID cards)
_RUN = re.compile(rf"(?<![{_NOT_BEFORE_OR_AFTER}])(?:[+＋]\s?86{_SEP}?)?[(（]?{_DIGIT}"
                  rf"(?:{_SEP}{{0,3}}{_DIGIT})*(?:[Xx]|Ｘ|ｘ)?(?![{_NOT_BEFORE_OR_AFTER}])")
# first pass: numbers written in one piece (13812345678 110101199001011234 are two)
_PIECE = re.compile(rf"(?<![{_NOT_BEFORE_OR_AFTER}])(?:[+＋]86)?{_DIGIT}+(?:[Xx]|Ｘ|ｘ)?"
                    rf"(?![{_NOT_BEFORE_OR_AFTER}])")


def _digits(run: str) -> str:
    return "".join(c for c in run.translate(_AS_DIGITS) if c in "0123456789Xx")


def _masked(digits: str) -> str | None:
    """The masked form of a run of digits, or None when it is not a private number."""
    n = len(digits)
    core = digits
    if n == 13 and digits.startswith("86") and re.match(r"1[3-9]", digits[2:]):
        core, n = digits[2:], 11
    if digits[:-1].isdigit() and not digits[-1].isdigit():  # ends in X: an ID card or nothing
        if n in (15, 18):
            return core[:6] + "*" * (n - 10) + core[-4:]
        return None
    if n == 11 and re.match(r"1[3-9]", core):
        return core[:3] + "****" + core[-4:]
    if core.startswith("0") and 10 <= n <= 12:
        area = 3 if core[1] in "12" else 4  # 010, 02x; else 0755 …
        return core[:area] + "*" * (n - area - 4) + core[-4:]
    if n in (15, 18):
        return core[:6] + "*" * (n - 10) + core[-4:]
    if 16 <= n <= 19:
        return core[:4] + "*" * (n - 8) + core[-4:]
    return None


_TRUNCATED_AFTER = ("…", "...")
TRUNCATED_MIN = 7  # digits before a "…" that may be the start of a private number


def _mask_run(text: str, match: re.Match, digits: str) -> str:
    run = match.group(0)
    groups = [_digits(g) for g in _GROUP.findall(run)]
    if len(groups) > 1 and max(map(len, groups)) == 2:
        return run  # a list ("2、3、…、13号楼"), not a number typed in pieces
    masked = _masked(digits)
    if masked is None:
        inner = _mask_inside(run)
        if inner != run:
            return inner
    if masked is None and len(digits) >= TRUNCATED_MIN and \
            text.startswith(_TRUNCATED_AFTER, match.end()):
        masked = digits[:3] + "*" * (len(digits) - 3)  # cut off by an excerpt: hide the rest
    if masked is None:
        return run
    if run[0] in "(（" and not any(c in run for c in ")）"):
        masked = run[0] + masked  # a bracket that opened before the number stays
    return masked


_GROUP = re.compile(rf"{_DIGIT}+(?:[Xx]|Ｘ|ｘ)?")
LONGEST = 21  # digits of the longest private number (a bank card, 19, or 86 + a mobile)
CHUNK = 3  # the fewest digits of a piece of a number written in pieces (138 1234 5678)


def _mask_inside(run: str) -> str:
    """A run that is no private number as a whole may hold one next to other numbers
    ("302，138 1234 5678"): consecutive pieces of three digits or more that make one are
    masked, the longest from the left first; the rest stays as written."""
    groups = list(_GROUP.finditer(run))
    out, last, i = [], 0, 0
    while i < len(groups):
        found = None
        ends, count = [], 0
        for j in range(i, len(groups)):
            size = len(_digits(groups[j].group(0)))
            count += size
            if count > LONGEST or size < CHUNK:
                break
            ends.append(j)
        for j in reversed(ends[1:]):  # two pieces at least: single ones were seen whole
            masked = _masked("".join(_digits(g.group(0)) for g in groups[i:j + 1]))
            if masked is not None:
                found = (j, masked)
                break
        if found is None:
            i += 1
            continue
        j, masked = found
        out += [run[last:groups[i].start()], masked]
        last, i = groups[j].end(), j + 1
    return "".join(out) + run[last:]


def mask_private(text: str) -> str:
    """The text with every private number masked (see the module docstring)."""
    def digit_run(match: re.Match) -> str:
        run = match.group(0)
        if len(run) < TRUNCATED_MIN:  # too few digits for any private number (#12, 3号楼)
            return run
        return _mask_run(match.string, match, _digits(run))

    return _RUN.sub(digit_run, _PIECE.sub(digit_run, text))


NAME_MAX = 20
_EVERYONE = re.compile(r"@\s*(所有人|全体成员|全体|all|everyone)", re.I)
_EVERYONE_NAMES = frozenset(("所有人", "全体成员", "全体", "all", "everyone", "here"))
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u200b-\u200f\u202a-\u202e]+")


def display_name(name: str, fallback: str = "") -> str:
    """A chat name as the bot may show it (see the module docstring)."""
    clean = " ".join(_CONTROL.sub(" ", name or "").split()).lstrip("@＠")
    clean = _EVERYONE.sub(lambda m: m.group(1), clean)
    if clean.lower() in _EVERYONE_NAMES:
        clean = f"{clean}（成员）"
    if len(clean) > NAME_MAX:
        clean = clean[:NAME_MAX - 1] + "…"
    return clean or fallback


def no_everyone(text: str) -> str:
    """A post never addresses everyone: @所有人 / @all lose their @."""
    return _EVERYONE.sub(lambda m: "＠" + m.group(1), text)
