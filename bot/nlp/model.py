"""The learned layer of the classifier: features of a message and an exact linear scorer.

A message becomes a set of string features (`message_features`): character 1–3-grams of
the normalised text, the rule tokenizer's jieba tokens, the rules' own evidence (which term
groups fired, which categories have problem evidence, the rule score in buckets, danger)
and the sender's role.  `python -m bot train` (bot/nlp/training.py, scikit-learn) fits
three logistic-regression heads on the labelled corpus — complaint, urgent, category — over
the L2-normalised binary feature vectors, and exports the weights to `model.json.gz`.

`LinearModel` scores with those weights alone (no scikit-learn, no numpy at run time):
for the k known features of a message, each head's value is `bias + sum(w) / sqrt(k)`,
exactly what scikit-learn computes for the same vector (a test checks agreement on the
whole corpus).  The category head is only evaluated when it is needed.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Set as AbstractSet
from itertools import chain
from operator import add
from pathlib import Path
from typing import NamedTuple

MODEL_PATH = Path(__file__).with_name("model.json.gz")
FORMAT_VERSION = 1
_SKIP_TOKENS = frozenset(" ,.!?;:~、。…\"'()[]")


def message_features(text: str, tokens: list[str], evidence: list[str], role: str
                     ) -> frozenset[str]:
    """The feature strings of one message.  Character n-grams carry no prefix (they hold no
    ':' after the ^ … $ padding is added, so they cannot collide with the others)."""
    padded = "^" + text.replace(" ", "").replace(":", "：") + "$"
    bigrams = list(map(add, padded, padded[1:]))  # padded[i] + padded[i + 1]
    return frozenset(chain(padded, bigrams, map(add, bigrams, padded[2:]),  # 1-, 2-, 3-grams
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
    known: AbstractSet[str]  # the message's features the model knows (category head, explain)


class LinearModel:
    """The exported heads; immutable, safe to share between threads."""

    def __init__(self, data: dict):
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"model format {data.get('format')!r}, expected {FORMAT_VERSION}")
        self.meta: dict = data["meta"]
        self.features: list[str] = data["features"]
        self.w_complaint: list[float] = data["complaint"]["w"]
        self.b_complaint: float = data["complaint"]["b"]
        self.w_urgent: list[float] = data["urgent"]["w"]
        self.b_urgent: float = data["urgent"]["b"]
        # feature -> both binary heads' weights as one complex number (complaint + urgent·j):
        # the known features of a message are one intersection with the keys, and one sum
        # adds up both heads
        self._weights = {f: complex(c, u) for f, c, u in
                         zip(self.features, self.w_complaint, self.w_urgent, strict=True)}
        self.categories: list[str] = data["category"]["classes"]
        self.b_category: list[float] = data["category"]["b"]
        # sparse rows: feature index -> [(class index, weight)]
        self.w_category: dict[int, list[tuple[int, float]]] = {
            int(i): [(int(c), w) for c, w in row] for i, row in data["category"]["w"].items()}
        self.thresholds: dict = data["thresholds"]
        # the features with category weights, as dense rows (one value per class)
        width = len(self.categories)
        self._category_rows: dict[str, tuple[float, ...]] = {}
        for i, row in self.w_category.items():
            dense = [0.0] * width
            for c, w in row:
                dense[c] = w
            self._category_rows[self.features[i]] = tuple(dense)
        self._category_features = frozenset(self._category_rows)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> LinearModel:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return cls(json.load(fh))

    def score(self, features: frozenset[str]) -> ModelScore:
        known = self._weights.keys() & features
        if not known:
            return ModelScore(sigmoid(self.b_complaint), sigmoid(self.b_urgent), known)
        scale = 1.0 / math.sqrt(len(known))
        total = sum(map(self._weights.__getitem__, known))
        return ModelScore(sigmoid(self.b_complaint + scale * total.real),
                          sigmoid(self.b_urgent + scale * total.imag), known)

    def category_scores(self, known: AbstractSet[str]) -> list[float]:
        """Decision value per class (argmax is the category)."""
        rows = list(map(self._category_rows.__getitem__, self._category_features & known))
        if not rows:
            return list(self.b_category)
        scale = 1.0 / math.sqrt(len(known))
        totals = map(sum, zip(*rows, strict=True))
        return [b + scale * t for b, t in zip(self.b_category, totals, strict=True)]

    def category(self, known: AbstractSet[str]) -> str:
        values = self.category_scores(known)
        return self.categories[values.index(max(values))]

    def strongest(self, known: AbstractSet[str], head: str = "complaint",
                  n: int = 6) -> list[tuple[str, float]]:
        """The features that pushed `head` most, with their weight (for --explain)."""
        weights = {f: (self._weights[f].real if head == "complaint" else self._weights[f].imag)
                   for f in known}
        ranked = sorted(known, key=lambda f: (-abs(weights[f]), f))[:n]
        return [(f, round(weights[f], 3)) for f in ranked]


def dump_model(data: dict, path: Path) -> None:
    """Write the model file deterministically (same content -> same bytes)."""
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    with open(path, "wb") as out, gzip.GzipFile(filename="", mode="wb", fileobj=out,
                                                 mtime=0, compresslevel=9) as gz:
        gz.write(raw.encode("utf-8"))


def read_model_data(path: Path = MODEL_PATH) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)
