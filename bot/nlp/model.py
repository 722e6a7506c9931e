"""The learned layer of the classifier: features of a message and an exact linear scorer.

A message becomes a set of string features (`message_features`): character 1–3-grams of
the normalised text, the rule tokenizer's jieba tokens, the rules' own evidence (which term
groups fired, which categories have problem evidence, the rule score in buckets, danger)
and the sender's role.  `python -m bot train` (bot/nlp/training.py, scikit-learn) fits
three logistic-regression heads on the labelled corpus — complaint, urgent, category — over
the L2-normalised binary feature vectors, and exports the weights to `model.json.gz`.

`LinearModel` scores with those weights alone (no scikit-learn, no numpy at run time):
for the k known features of a message, each head's value is `bias + sum(w) / sqrt(k)`,
what scikit-learn computes for the same vector (a test checks agreement on the whole
corpus), with the sums taken exactly over the file's decimal weights (see LinearModel).
The category head is only evaluated when it is needed.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from itertools import chain
from operator import add, itemgetter
from pathlib import Path
from typing import NamedTuple

MODEL_PATH = Path(__file__).with_name("model.json.gz")
FORMAT_VERSION = 1
DIGITS = 4  # weights are rounded to this many decimals in the file
_SCALE = 10 ** DIGITS
_SKIP_TOKENS = frozenset(" ,.!?;:~、。…\"'()[]")


def message_features(text: str, tokens: list[str], evidence: list[str], role: str
                     ) -> frozenset[str]:
    """The feature strings of one message.  Character n-grams carry no prefix (they hold no
    ':' after the ^ … $ padding is added, so they cannot collide with the others)."""
    # the characters made once (iterating a str makes a new object per CJK character)
    chars = list("^" + text.replace(" ", "").replace(":", "：") + "$")
    bigrams = list(map(add, chars, chars[1:]))  # chars[i] + chars[i + 1]
    return frozenset(chain(chars, bigrams, map(add, bigrams, chars[2:]),  # 1-, 2-, 3-grams
                           ["w:" + t for t in tokens if t not in _SKIP_TOKENS], evidence,
                           ("role:" + role, f"len:{min(len(text) // 8, 10)}")))


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


class ModelScore(NamedTuple):
    """What the model says of one message (a tuple: cheap to make, immutable)."""

    complaint: float  # probability that it is a complaint
    urgent: float  # probability that it is urgent
    count: int  # how many of the message's features the model knows
    weights: list[tuple[int, int]]  # their packed weights (for the category head)


class _Packing:
    """Several signed integers in one Python integer, one field per head, lowest first, so
    that the sum of packed integers holds the sums of each field (exact: every field is
    wide enough for the largest sum its head can reach, the sum of its weights' absolute
    values), and above the last field whatever was packed there (a count)."""

    def __init__(self, columns: list[list[int]]):
        self.widths = [sum(map(abs, col)).bit_length() + 1 for col in columns]
        self.shifts = [sum(self.widths[:i]) for i in range(len(columns) + 1)]
        # per field: (half its range, its mask, its width), worked out once
        self._fields = [(1 << (w - 1), (1 << w) - 1, w) for w in self.widths]

    def pack(self, values: Iterable[int], top: int = 0) -> int:
        return sum(v << shift for v, shift in zip(values, self.shifts, strict=False)) \
            + (top << self.shifts[-1])

    def unpack(self, total: int) -> tuple[list[int], int]:
        """The fields of a sum of packed integers, and what lies above them."""
        fields = []
        for half, mask, width in self._fields:
            low = ((total + half) & mask) - half
            fields.append(low)
            total = (total - low) >> width
        return fields, total


class LinearModel:
    """The exported heads; immutable, safe to share between threads.

    The weights in the file have at most DIGITS decimals, so each is an integer number of
    units of 10**-DIGITS, and so is every sum of them.  A feature's weights are packed
    into Python integers, one signed field per head (_Packing): its complaint and urgent
    weights and a 1 (the feature counts itself) in one integer that fits a machine word;
    its category weights in a second.  Scoring a message is one look-up per feature and
    one integer sum (summed by C in a machine word, over one compact object per feature,
    instead of a float per head scattered in memory); its fields are the number k of known
    features and the heads' exact totals: the exact decimal sums of the weights, the same
    whatever order the features are added in.  The category head is summed only when a
    message is taken as a complaint."""

    def __init__(self, data: dict):
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"model format {data.get('format')!r}, expected {FORMAT_VERSION}")
        self.meta: dict = data["meta"]
        self.features: list[str] = data["features"]
        self.w_complaint: list[float] = data["complaint"]["w"]
        self.b_complaint: float = data["complaint"]["b"]
        self.w_urgent: list[float] = data["urgent"]["w"]
        self.b_urgent: float = data["urgent"]["b"]
        self.categories: list[str] = data["category"]["classes"]
        self.b_category: list[float] = data["category"]["b"]
        # sparse rows: feature index -> [(class index, weight)]
        self.w_category: dict[int, list[tuple[int, float]]] = {
            int(i): [(int(c), w) for c, w in row] for i, row in data["category"]["w"].items()}
        self.thresholds: dict = data["thresholds"]
        self._pack()

    def _pack(self) -> None:
        """feature -> the integers holding its weights (see the class docstring)."""
        binary = [[_units(w) for w in self.w_complaint], [_units(w) for w in self.w_urgent]]
        rows = {self.features[i]: [0] * len(self.categories) for i in self.w_category}
        for i, row in self.w_category.items():
            for c, w in row:
                rows[self.features[i]][c] = _units(w)
        self._binary_packing = _Packing(binary)
        self._rows_packing = _Packing([list(col) for col in zip(*rows.values(), strict=True)]
                                      if rows else [[0]] * len(self.categories))
        # feature -> (complaint, urgent and the count packed; its categories packed)
        # Made in the order of how often messages have them (single characters and the
        # rules' evidence in nearly every message; trigrams in few), so that the entries and
        # weights most look-ups touch lie close together in memory (the look-ups, not the
        # arithmetic, are what scoring waits for).
        order = sorted(range(len(self.features)), key=lambda i: _frequency_rank(
            self.features[i]))
        self._weights: dict[str, tuple[int, int]] = {}
        for i in order:
            f = self.features[i]
            self._weights[f] = (
                self._binary_packing.pack([binary[0][i], binary[1][i]], top=1),
                self._rows_packing.pack(rows[f]) if f in rows else 0)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> LinearModel:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return cls(json.load(fh))

    def known(self, features: Iterable[str]) -> AbstractSet[str]:
        """The features the model has weights for."""
        return self._weights.keys() & features

    def score(self, features: AbstractSet[str]) -> ModelScore:
        """The heads' probabilities for a message's (distinct) features."""
        weights = list(filter(None, map(self._weights.get, features)))
        (complaint, urgent), count = self._binary_packing.unpack(
            sum(map(itemgetter(0), weights)))
        if not count:
            return ModelScore(sigmoid(self.b_complaint), sigmoid(self.b_urgent), 0, weights)
        scale = 1.0 / math.sqrt(count)
        return ModelScore(sigmoid(self.b_complaint + scale * (complaint / _SCALE)),
                          sigmoid(self.b_urgent + scale * (urgent / _SCALE)), count, weights)

    def category_scores(self, score: ModelScore) -> list[float]:
        """Decision value per class (argmax is the category)."""
        if not score.count:
            return list(self.b_category)
        scale = 1.0 / math.sqrt(score.count)
        totals, _ = self._rows_packing.unpack(sum(map(itemgetter(1), score.weights)))
        return [b + scale * (t / _SCALE) for b, t in zip(self.b_category, totals, strict=True)]

    def category(self, score: ModelScore) -> str:
        values = self.category_scores(score)
        return self.categories[values.index(max(values))]

    def strongest(self, features: AbstractSet[str], head: str = "complaint",
                  n: int = 6) -> list[tuple[str, float]]:
        """The known features that pushed `head` most, with their weight (for --explain)."""
        field = 0 if head == "complaint" else 1
        weights = {f: self._binary_packing.unpack(self._weights[f][0])[0][field] / _SCALE
                   for f in self.known(features)}
        ranked = sorted(weights, key=lambda f: (-abs(weights[f]), f))[:n]
        return [(f, round(weights[f], 3)) for f in ranked]


def _frequency_rank(feature: str) -> int:
    """How common a kind of feature is in messages, most common first."""
    if ":" in feature:  # the rules' evidence, the role and the length; jieba tokens
        return 1 if feature.startswith(("r:", "role:", "len:")) else 3
    # character n-grams: the shorter the commoner; one at an end of the text a bit more so
    return 2 * len(feature) - feature.startswith("^") - feature.endswith("$")


def _units(weight: float) -> int:
    """A weight of the file as a whole number of 10**-DIGITS."""
    units = round(weight * _SCALE)
    if abs(units / _SCALE - weight) > 1e-9:
        raise ValueError(f"model weight {weight!r} has more than {DIGITS} decimals")
    return units


def dump_model(data: dict, path: Path) -> None:
    """Write the model file deterministically (same content -> same bytes)."""
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    with open(path, "wb") as out, gzip.GzipFile(filename="", mode="wb", fileobj=out,
                                                 mtime=0, compresslevel=9) as gz:
        gz.write(raw.encode("utf-8"))


def read_model_data(path: Path = MODEL_PATH) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)
