"""Score the classifier against labelled messages (dev_messages.jsonl format).

`evaluate(records, classifier)` returns the numbers; `format_report` renders them as text.
Category accuracy is counted over messages that are complaints and were predicted as
complaints; a label in `alt` counts as correct.  Location accuracy compares only the
building/unit/room parts (the labels do not carry `place`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

LOCATION_KEYS = ("building", "unit", "room")


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _prf(tp: int, fp: int, fn: int) -> dict:
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * precision * recall, precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


def _core_location(location: dict | None) -> dict:
    return {k: str(v) for k, v in (location or {}).items() if k in LOCATION_KEYS}


class _Tally:
    """Running counts while records are scored."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.confusion: dict[str, Counter] = defaultdict(Counter)
        self.errors: list[dict] = []

    def add(self, record: dict, got: dict) -> None:
        c = self.counts
        c["n"] += 1
        want_c, got_c = bool(record.get("is_complaint")), got["is_complaint"]
        c[("complaint", want_c, got_c)] += 1
        c[("urgent", bool(record.get("urgent")), got["urgent"])] += 1
        c["intent_ok"] += record.get("intent") == got["intent"]
        c["location_ok"] += _core_location(record.get("location")) == _core_location(
            got["location"])
        problems = []
        if want_c != got_c:
            problems.append("is_complaint")
        if want_c and got_c:
            want_cat = record.get("category")
            ok = got["category"] == want_cat or got["category"] in (record.get("alt") or [])
            c["category_total"] += 1
            c["category_ok"] += ok
            self.confusion[want_cat][got["category"]] += 1
            if not ok:
                problems.append("category")
        if bool(record.get("urgent")) != got["urgent"]:
            problems.append("urgent")
        if record.get("intent") != got["intent"]:
            problems.append("intent")
        if problems:
            self.errors.append({"id": record.get("id"), "text": record.get("text"),
                                "fields": problems, "expected": _expected(record), "got": got})

    def result(self) -> dict:
        c = self.counts

        def prf(kind):
            return _prf(c[(kind, True, True)], c[(kind, False, True)], c[(kind, True, False)])

        return {
            "n": c["n"],
            "complaint": prf("complaint"),
            "category": {"correct": c["category_ok"], "total": c["category_total"],
                         "accuracy": _ratio(c["category_ok"], c["category_total"]),
                         "denominator": "true complaints predicted as complaints"},
            "urgent": prf("urgent"),
            "intent": {"correct": c["intent_ok"], "total": c["n"],
                       "accuracy": _ratio(c["intent_ok"], c["n"])},
            "location": {"correct": c["location_ok"], "total": c["n"],
                         "accuracy": _ratio(c["location_ok"], c["n"])},
            "confusion": {k: dict(v) for k, v in self.confusion.items()},
            "errors": self.errors,
        }


def _expected(record: dict) -> dict:
    keys = ("is_complaint", "category", "alt", "urgent", "intent", "location")
    return {k: record.get(k) for k in keys if k in record}


def evaluate(records: Iterable[dict], classifier) -> dict:
    """Score `classifier` on labelled records; returns the numbers and the misclassified."""
    tally = _Tally()
    for record in records:
        role = record.get("sender_role") or "resident"
        got = classifier.classify(record.get("text") or "", role).to_dict()
        tally.add(record, got)
    return tally.result()


def _confusion_lines(confusion: dict) -> list[str]:
    """A true-vs-predicted table over the categories that occur."""
    codes = sorted({k for k in confusion} | {p for row in confusion.values() for p in row},
                   key=str)
    width = max((len(str(c)) for c in codes), default=5) + 1
    header = "true\\pred".ljust(width) + "".join(str(c)[:6].rjust(7) for c in codes)
    lines = [header]
    for true in codes:
        row = confusion.get(true, {})
        if row:
            cells = "".join(str(row.get(p, "") or ".").rjust(7) for p in codes)
            lines.append(str(true).ljust(width) + cells)
    return lines


def format_report(result: dict, show_errors: bool = True) -> str:
    """Human-readable report of an `evaluate` result."""
    comp, cat, urg = result["complaint"], result["category"], result["urgent"]
    lines = [
        f"messages: {result['n']}",
        f"complaint: precision {comp['precision']:.3f}  recall {comp['recall']:.3f}  "
        f"F1 {comp['f1']:.3f}  (tp {comp['tp']}, fp {comp['fp']}, fn {comp['fn']})",
        f"category accuracy: {cat['accuracy']:.3f}  ({cat['correct']}/{cat['total']}; "
        f"denominator: {cat['denominator']}; a label in `alt` counts as correct)",
        f"urgent: precision {urg['precision']:.3f}  recall {urg['recall']:.3f}  "
        f"(tp {urg['tp']}, fp {urg['fp']}, fn {urg['fn']})",
        f"intent accuracy: {result['intent']['accuracy']:.3f}  "
        f"({result['intent']['correct']}/{result['intent']['total']})",
        f"location accuracy (building/unit/room): {result['location']['accuracy']:.3f}",
        "",
        "category confusion (rows: true, columns: predicted):",
        *_confusion_lines(result["confusion"]),
    ]
    if show_errors and result["errors"]:
        lines += ["", f"misclassified ({len(result['errors'])}):"]
        for err in result["errors"]:
            exp, got = err["expected"], err["got"]
            lines.append(f"- {err['id']} [{', '.join(err['fields'])}] {err['text']}")
            lines.append(
                f"    expected complaint={exp.get('is_complaint')} "
                f"category={exp.get('category')} urgent={exp.get('urgent')} "
                f"intent={exp.get('intent')}")
            lines.append(
                f"    got      complaint={got['is_complaint']} category={got['category']} "
                f"urgent={got['urgent']} intent={got['intent']}")
    return "\n".join(lines)
