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
from dataclasses import dataclass
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("model.json.gz")
FORMAT_VERSION = 1
_SKIP_TOKENS = frozenset(" ,.!?;:~、。…\"'()[]")


def message_features(text: str, tokens: list[str], evidence: list[str], role: str
                     ) -> frozenset[str]:
    """The feature strings of one message.  Character n-grams carry no prefix (they hold no
    ':' after the ^ … $ padding is added, so they cannot collide with the others)."""
    padded = "^" + text.replace(" ", "").replace(":", "：") + "$"
    n = len(padded)
    feats = set(padded)
    feats.update([padded[i:i + 2] for i in range(n - 1)])
    feats.update([padded[i:i + 3] for i in range(n - 2)])
    feats.update(["w:" + t for t in tokens if t not in _SKIP_TOKENS])
    feats.update(evidence)
    feats.add("role:" + role)
    feats.add(f"len:{min(len(text) // 8, 10)}")
    return frozenset(feats)


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(frozen=True)
class ModelScore:
    """What the model says of one message."""

    complaint: float  # probability that it is a complaint
    urgent: float  # probability that it is urgent
    known: tuple[int, ...]  # indices of the known features (for the category head, explain)


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
        # one look-up per feature: (complaint weight, urgent weight, index)
        self._table = {f: (self.w_complaint[i], self.w_urgent[i], i)
                       for i, f in enumerate(self.features)}
        self.categories: list[str] = data["category"]["classes"]
        self.b_category: list[float] = data["category"]["b"]
        # sparse rows: feature index -> [(class index, weight)]
        self.w_category: dict[int, list[tuple[int, float]]] = {
            int(i): [(int(c), w) for c, w in row] for i, row in data["category"]["w"].items()}
        self.thresholds: dict = data["thresholds"]
        # the few features with category weights (L1 keeps them few), as dense rows
        width = len(self.categories)
        self._category_rows: dict[int, tuple[float, ...]] = {}
        for i, row in self.w_category.items():
            dense = [0.0] * width
            for c, w in row:
                dense[c] = w
            self._category_rows[i] = tuple(dense)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> LinearModel:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return cls(json.load(fh))

    def score(self, features: frozenset[str]) -> ModelScore:
        rows = [row for row in map(self._table.get, features) if row is not None]
        if not rows:
            return ModelScore(sigmoid(self.b_complaint), sigmoid(self.b_urgent), ())
        wc, wu, known = zip(*rows, strict=True)
        scale = 1.0 / math.sqrt(len(known))
        return ModelScore(sigmoid(self.b_complaint + scale * sum(wc)),
                          sigmoid(self.b_urgent + scale * sum(wu)), known)

    def category_scores(self, known: tuple[int, ...]) -> list[float]:
        """Decision value per class (argmax is the category)."""
        get = self._category_rows.get
        rows = [row for row in map(get, known) if row is not None]
        if not rows:
            return list(self.b_category)
        scale = 1.0 / math.sqrt(len(known))
        totals = map(sum, zip(*rows, strict=True))
        return [b + scale * t for b, t in zip(self.b_category, totals, strict=True)]

    def category(self, known: tuple[int, ...]) -> str:
        values = self.category_scores(known)
        return self.categories[values.index(max(values))]

    def strongest(self, known: tuple[int, ...], head: str = "complaint",
                  n: int = 6) -> list[tuple[str, float]]:
        """The features that pushed `head` most, with their weight (for --explain)."""
        weights = self.w_complaint if head == "complaint" else self.w_urgent
        ranked = sorted(known, key=lambda i: -abs(weights[i]))[:n]
        return [(self.features[i], round(weights[i], 3)) for i in ranked]


def dump_model(data: dict, path: Path) -> None:
    """Write the model file deterministically (same content -> same bytes)."""
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    with open(path, "wb") as out, gzip.GzipFile(filename="", mode="wb", fileobj=out,
                                                 mtime=0, compresslevel=9) as gz:
        gz.write(raw.encode("utf-8"))


def read_model_data(path: Path = MODEL_PATH) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)
