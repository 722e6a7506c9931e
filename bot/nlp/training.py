"""Training the learned layer (`python -m bot train`) and cross-validating the whole
classifier (`python -m bot evaluate --cv K`).  Needs scikit-learn (requirements-dev.txt);
serving does not.

The corpus is every `*.jsonl` file directly in `bot/nlp/corpus/` (the format of
shared/data/dev_messages.jsonl); `corpus/heldout/` is never trained on.  Training is
deterministic: the same corpus and rules give the same model file, stamped with the corpus
hash (a test retrains and compares).

Thresholds are chosen on out-of-fold predictions of a K-fold split (seeded): the complaint
threshold that maximises F1 of the combined decision, and the lowest urgent threshold whose
combined urgent precision stays ≥ URGENT_PRECISION.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .classifier import Classifier
from .combine import Analysis, decide
from .evaluation import evaluate
from .model import DIGITS, FORMAT_VERSION, MODEL_PATH, LinearModel, dump_model

CORPUS_DIR = Path(__file__).with_name("corpus")
HELDOUT_DIR = CORPUS_DIR / "heldout"
MIN_DF = 3  # a feature must occur in this many training lines
C_BINARY = 10.0
C_URGENT = 100.0  # the urgent head: few, varied positives; less regularisation found more
C_CATEGORY = 30.0
CATEGORY_L1_RATIO = 0.0  # L2: every feature votes for a category (CV 0.963; L1 0.944)
CATEGORY_MIN_WEIGHT = 0.2  # smaller category weights are left out of the file (no CV loss)
URGENT_PRECISION = 0.85
URGENT_GRID = [round(0.20 + 0.05 * i, 2) for i in range(16)]
FOLDS = 5
SEED = 20261201


def corpus_files(folder: Path = CORPUS_DIR) -> list[Path]:
    return sorted(folder.glob("*.jsonl"))


def load_records(paths: Iterable[Path]) -> list[dict]:
    """Labelled lines, each with `source` (its file's stem) added."""
    records = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    records.append({**json.loads(line), "source": path.stem})
    return records


def corpus_hash(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@dataclass
class Prepared:
    """The corpus analysed once by the rules."""

    records: list[dict]
    analyses: list[Analysis]


def prepare(records: list[dict], rules: Classifier) -> Prepared:
    return Prepared(records, [rules.analyse(r["text"], r.get("sender_role") or "resident")
                              for r in records])


# -- fitting ------------------------------------------------------------------------------

def _vocabulary(analyses: list[Analysis]) -> list[str]:
    df = Counter(f for a in analyses for f in set(a.features))
    return sorted(f for f, n in df.items() if n >= MIN_DF)


def _matrix(analyses: list[Analysis], index: dict[str, int]):
    """Binary rows scaled to unit length (what LinearModel.score computes)."""
    from scipy.sparse import csr_matrix

    data, cols, ptr = [], [], [0]
    for a in analyses:
        known = sorted({index[f] for f in a.features if f in index})
        if known:
            value = 1.0 / math.sqrt(len(known))
            cols.extend(known)
            data.extend([value] * len(known))
        ptr.append(len(cols))
    return csr_matrix((data, cols, ptr), shape=(len(analyses), len(index)))


def fit_heads(prepared: Prepared, idx: list[int]) -> dict:
    """Fit the three heads on the records at `idx`; the model data (without thresholds)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    analyses = [prepared.analyses[i] for i in idx]
    records = [prepared.records[i] for i in idx]
    features = _vocabulary(analyses)
    index = {f: i for i, f in enumerate(features)}
    x = _matrix(analyses, index)
    heads = {}
    for head, c in (("is_complaint", C_BINARY), ("urgent", C_URGENT)):
        y = [int(bool(r.get(head))) for r in records]
        clf = LogisticRegression(solver="liblinear", C=c, class_weight="balanced",
                                 random_state=SEED)
        clf.fit(x, y)
        heads[head] = {"w": [round(float(w), DIGITS) for w in clf.coef_[0]],
                       "b": round(float(clf.intercept_[0]), DIGITS)}
    rows = [i for i, r in enumerate(records) if r.get("is_complaint")]
    cat = OneVsRestClassifier(LogisticRegression(solver="liblinear", C=C_CATEGORY,
                                                 random_state=SEED,
                                                 l1_ratio=CATEGORY_L1_RATIO))
    cat.fit(x[rows], [records[i]["category"] for i in rows])
    classes = [str(c) for c in cat.classes_]
    coef = [est.coef_[0] for est in cat.estimators_]
    sparse: dict[str, list[list[float]]] = {}
    for col in range(len(features)):
        row = [[c, round(float(coef[c][col]), DIGITS)] for c in range(len(classes))]
        row = [pair for pair in row if abs(pair[1]) >= CATEGORY_MIN_WEIGHT and pair[1] != 0.0]
        if row:
            sparse[str(col)] = row
    return {"format": FORMAT_VERSION, "features": features,
            "complaint": heads["is_complaint"], "urgent": heads["urgent"],
            "category": {"classes": classes, "w": sparse,
                         "b": [round(float(est.intercept_[0]), DIGITS)
                               for est in cat.estimators_]}}


# -- thresholds ---------------------------------------------------------------------------

DEFAULT_THRESHOLDS = {"complaint": 0.5, "urgent": 0.5, "alarm_staff": 0.5}


def _folds(n: int, k: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(SEED).shuffle(order)
    return [sorted(order[i::k]) for i in range(k)]


def out_of_fold(prepared: Prepared, k: int = FOLDS) -> list[tuple[LinearModel, int]]:
    """For every record, (the model trained without its fold, record index)."""
    n = len(prepared.records)
    pairs = []
    for test in _folds(n, k):
        held = set(test)
        data = fit_heads(prepared, [i for i in range(n) if i not in held])
        model = LinearModel({**data, "meta": {}, "thresholds": dict(DEFAULT_THRESHOLDS)})
        pairs.extend((model, i) for i in test)
    return pairs


def choose_thresholds(prepared: Prepared, pairs: list[tuple[LinearModel, int]]) -> dict:
    scored = [(prepared.analyses[i], prepared.records[i], m, m.score(prepared.analyses[i].features))
              for m, i in pairs]

    def f1_at(t: float) -> float:
        tp = fp = fn = 0
        for a, r, m, s in scored:
            m.thresholds = {**m.thresholds, "complaint": t, "alarm_staff": t}
            got = decide(a, s, m).is_complaint
            want = bool(r.get("is_complaint"))
            tp += got and want
            fp += got and not want
            fn += want and not got
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    grid = [round(0.30 + 0.02 * i, 2) for i in range(21)]
    complaint = max(grid, key=lambda t: (round(f1_at(t), 4), -abs(t - 0.5)))
    for _, _, m, _ in scored:
        m.thresholds = {**m.thresholds, "complaint": complaint, "alarm_staff": complaint}

    def urgent_pr(t: float) -> tuple[float, float]:
        tp = fp = fn = 0
        for a, r, m, s in scored:
            m.thresholds = {**m.thresholds, "urgent": t}
            got = decide(a, s, m).urgent
            want = bool(r.get("urgent"))
            tp += got and want
            fp += got and not want
            fn += want and not got
        return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 0.0)

    urgent = 0.95
    for t in URGENT_GRID:
        precision, _ = urgent_pr(t)
        if precision >= URGENT_PRECISION:
            urgent = t
            break
    return {"complaint": complaint, "urgent": urgent, "alarm_staff": complaint}


# -- the commands -------------------------------------------------------------------------

def train(out: Path = MODEL_PATH, log: Callable[[str], None] = print) -> dict:
    """Fit on the whole corpus, thresholds from out-of-fold predictions; write `out`."""
    paths = corpus_files()
    records = load_records(paths)
    prepared = prepare(records, Classifier(model=None))
    log(f"corpus: {len(records)} lines from {len(paths)} files, hash {corpus_hash(paths)}")
    thresholds = choose_thresholds(prepared, out_of_fold(prepared))
    data = fit_heads(prepared, list(range(len(records))))
    data["thresholds"] = thresholds
    data["meta"] = {"corpus_hash": corpus_hash(paths), "lines": len(records),
                    "files": [p.name for p in paths], "min_df": MIN_DF,
                    "c": [C_BINARY, C_URGENT, C_CATEGORY],
                    "category_min_weight": CATEGORY_MIN_WEIGHT, "folds": FOLDS, "seed": SEED}
    dump_model(data, out)
    log(f"features: {len(data['features'])}; thresholds: {thresholds}; wrote {out} "
        f"({out.stat().st_size // 1024} KiB)")
    return data


class _Replay:
    """Adapter giving `evaluate` a classify(text, role) that answers per record in order."""

    def __init__(self, answers: list):
        self._answers = iter(answers)

    def classify(self, text: str, role: str = "resident"):
        return next(self._answers)


def cross_validate(k: int = FOLDS) -> tuple[dict, dict[str, dict]]:
    """K-fold CV of the combined classifier (thresholds as in the shipped model): the
    overall result and one per source file."""
    paths = corpus_files()
    records = load_records(paths)
    prepared = prepare(records, Classifier(model=None))
    pairs = out_of_fold(prepared, k)
    shipped = LinearModel.load() if MODEL_PATH.exists() else None
    thresholds = shipped.thresholds if shipped else choose_thresholds(prepared, pairs)
    for model, _ in pairs:
        model.thresholds = dict(thresholds)
    answers: list = [None] * len(records)
    for model, i in pairs:  # each record answered by the model that never saw it
        analysis = prepared.analyses[i]
        answers[i] = decide(analysis, model.score(analysis.features), model)
    overall = evaluate(records, _Replay(answers))
    by_source: dict[str, dict] = {}
    for source in sorted({r["source"] for r in records}):
        idx = [i for i, r in enumerate(records) if r["source"] == source]
        by_source[source] = evaluate([records[i] for i in idx],
                                     _Replay([answers[i] for i in idx]))
    return overall, by_source
