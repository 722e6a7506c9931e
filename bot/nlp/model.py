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
from operator import add
from pathlib import Path
from typing import NamedTuple

MODEL_PATH = Path(__file__).with_name("model.json.gz")
FORMAT_VERSION = 1
DIGITS = 4  # weights are rounded to this many decimals in the file
_SCALE = 10 ** DIGITS
_SKIP_TOKENS = frozenset(" ,.!?;:~、。…\"'()[]")


def message_features(text: str, tokens: list[str], evidence: list[str], role: str,
                     model: LinearModel | None = None) -> AbstractSet[str]:
    """The feature strings of one message.  Character n-grams carry no prefix (they hold no
    ':' after the ^ … $ padding is added, so they cannot collide with the others).  With a
    `model`, only those it knows (the others weigh nothing), found without making a set
    of them all."""
    # the characters made once (iterating a str makes a new object per CJK character)
    chars = list("^" + text.replace(" ", "").replace(":", "：") + "$")
    bigrams = list(map(add, chars, chars[1:]))  # chars[i] + chars[i + 1]
    features = chain(chars, bigrams, map(add, bigrams, chars[2:]),  # 1-, 2-, 3-grams
                     ["w:" + t for t in tokens if t not in _SKIP_TOKENS], evidence,
                     ("role:" + role, f"len:{min(len(text) // 8, 10)}"))
    return frozenset(features) if model is None else model.known(features)


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


class ModelScore(NamedTuple):
    """What the model says of one message (a tuple: cheap to make, immutable)."""

    complaint: float  # probability that it is a complaint
    urgent: float  # probability that it is urgent
    known: AbstractSet[str]  # the message's features the model knows (category head, explain)


class LinearModel:
    """The exported heads; immutable, safe to share between threads.

    The weights in the file have at most DIGITS decimals, so each is an integer number of
    units of 10**-DIGITS, and so is every sum of them.  A feature's weights are packed into
    Python integers, one fixed-width field per head, each offset by a bias to stay
    positive: one integer for the complaint and urgent heads, one for the categories.
    Scoring a message is one look-up per known feature and one integer sum (C loops over
    one compact object per feature, instead of a float per head scattered in memory); the
    fields of the sum, less k·bias, are the heads' exact totals: the exact decimal sums of
    the weights, the same whatever order the features are added in."""

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
        rows: list[list[int]] = [[0] * len(self.categories) for _ in self.features]
        for i, row in self.w_category.items():
            for c, w in row:
                rows[i][c] = _units(w)
        largest = max([0, *(abs(u) for head in binary for u in head),
                       *(abs(u) for row in rows for u in row)])
        self._bias = 1 << largest.bit_length()  # every weight + bias lies in [0, 2·bias)
        # a field holds the sum over at most all features without overflowing
        self._width = (2 * self._bias * max(len(self.features), 1)).bit_length()
        self._mask = (1 << self._width) - 1
        self._binary = {f: self._packed_fields(fields) for f, fields in
                        zip(self.features, zip(*binary, strict=True), strict=True)}
        self._rows = {f: self._packed_fields(row)
                      for f, row in zip(self.features, rows, strict=True)}

    def _packed_fields(self, fields) -> int:
        packed = 0
        for units in reversed(fields):
            packed = (packed << self._width) | (units + self._bias)
        return packed

    def _totals(self, packed: dict[str, int], known: AbstractSet[str], heads: int
                ) -> list[float]:
        """The sums of weights over `known` of the `heads` packed in `packed`, exactly."""
        total = sum(map(packed.__getitem__, known))
        offset, width, mask = len(known) * self._bias, self._width, self._mask
        return [(((total >> (head * width)) & mask) - offset) / _SCALE
                for head in range(heads)]

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> LinearModel:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return cls(json.load(fh))

    def known(self, features: Iterable[str]) -> AbstractSet[str]:
        """The features the model has weights for."""
        return self._binary.keys() & features

    def score(self, features: AbstractSet[str]) -> ModelScore:
        """The heads' probabilities for a message's features."""
        return self.score_known(self._binary.keys() & features)

    def score_known(self, known: AbstractSet[str]) -> ModelScore:
        """`score` for features already known to the model (`known`, message_features)."""
        if not known:
            return ModelScore(sigmoid(self.b_complaint), sigmoid(self.b_urgent), known)
        scale = 1.0 / math.sqrt(len(known))
        complaint, urgent = self._totals(self._binary, known, 2)
        return ModelScore(sigmoid(self.b_complaint + scale * complaint),
                          sigmoid(self.b_urgent + scale * urgent), known)

    def category_scores(self, known: AbstractSet[str]) -> list[float]:
        """Decision value per class (argmax is the category); `known` as in ModelScore."""
        if not known:
            return list(self.b_category)
        scale = 1.0 / math.sqrt(len(known))
        totals = self._totals(self._rows, known, len(self.categories))
        return [b + scale * t for b, t in zip(self.b_category, totals, strict=True)]

    def category(self, known: AbstractSet[str]) -> str:
        values = self.category_scores(known)
        return self.categories[values.index(max(values))]

    def strongest(self, known: AbstractSet[str], head: str = "complaint",
                  n: int = 6) -> list[tuple[str, float]]:
        """The features that pushed `head` most, with their weight (for --explain)."""
        field = 0 if head == "complaint" else 1
        weights = {f: self._totals(self._binary, {f}, 2)[field] for f in known}
        ranked = sorted(known, key=lambda f: (-abs(weights[f]), f))[:n]
        return [(f, round(weights[f], 3)) for f in ranked]


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
