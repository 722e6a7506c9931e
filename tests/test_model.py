"""The learned layer: the committed model is what `train` makes from the corpus, the exact
scorer agrees with scikit-learn, and rules + model hold their cross-validated numbers."""

from __future__ import annotations

import json
import math

import pytest

from bot.cli import main as cli_main
from bot.nlp.classifier import Classifier
from bot.nlp.evaluation import evaluate
from bot.nlp.model import DIGITS, MODEL_PATH, LinearModel, read_model_data, sigmoid
from bot.nlp.training import (
    HELDOUT_DIR,
    _matrix,
    corpus_files,
    corpus_hash,
    cross_validate,
    load_records,
    prepare,
)

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def shipped() -> LinearModel:
    return LinearModel.load()


@pytest.fixture(scope="module")
def prepared():
    return prepare(load_records(corpus_files()), Classifier(model=None))


def test_corpus_is_broad_enough():
    records = load_records(corpus_files())
    assert len(records) >= 3000
    assert len({r["id"] for r in records}) == len(records)
    assert all(r["is_complaint"] == (r["category"] is not None) for r in records)


def test_training_reproduces_the_committed_model(tmp_path, capsys):
    """`python -m bot train` on the corpus gives the committed file, byte for byte."""
    out = tmp_path / "model.json.gz"
    assert cli_main(["train", "--out", str(out)]) == 0
    assert "corpus:" in capsys.readouterr().out
    fresh, committed = read_model_data(out), read_model_data(MODEL_PATH)
    differing = [key for key in committed if fresh.get(key) != committed[key]]
    assert not differing, f"retrain the model (python -m bot train): {differing} differ"
    assert out.read_bytes() == MODEL_PATH.read_bytes()
    assert read_model_data(MODEL_PATH)["meta"]["corpus_hash"] == corpus_hash(corpus_files())


def test_exact_scorer_agrees_with_sklearn_on_the_whole_corpus(shipped, prepared):
    """The run-time scorer over exported weights against scikit-learn's own prediction
    with the same weights, on every corpus line."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    index = {f: i for i, f in enumerate(shipped.features)}
    x = _matrix(prepared.analyses, index)
    heads = {}
    for name, w, b in (("complaint", shipped.w_complaint, shipped.b_complaint),
                       ("urgent", shipped.w_urgent, shipped.b_urgent)):
        clf = LogisticRegression()
        clf.classes_ = np.array([0, 1])
        clf.coef_ = np.array([w])
        clf.intercept_ = np.array([b])
        heads[name] = clf.predict_proba(x)[:, 1]
    coef = np.zeros((len(shipped.categories), len(shipped.features)))
    for col, row in shipped.w_category.items():
        for c, w in row:
            coef[c, col] = w
    cat = x @ coef.T + np.array(shipped.b_category)
    for n, analysis in enumerate(prepared.analyses):
        score = shipped.score(analysis.features)
        assert math.isclose(score.complaint, heads["complaint"][n], abs_tol=1e-9)
        assert math.isclose(score.urgent, heads["urgent"][n], abs_tol=1e-9)
        assert shipped.category(score) == shipped.categories[int(cat[n].argmax())]


def test_cross_validated_numbers_hold():
    overall, by_source = cross_validate(5)
    assert overall["n"] >= 3000
    assert overall["complaint"]["f1"] >= 0.95
    assert overall["category"]["accuracy"] >= 0.95
    assert overall["urgent"]["precision"] >= 0.85
    assert overall["urgent"]["recall"] >= 0.95
    assert set(by_source) == {p.stem for p in corpus_files()}


def test_rules_and_model_beat_the_rules_on_the_held_out_set():
    records = load_records(sorted(HELDOUT_DIR.glob("*.jsonl")))
    assert len(records) >= 300
    both = evaluate(records, Classifier())
    rules = evaluate(records, Classifier(model=None))
    assert both["complaint"]["f1"] >= 0.9 > rules["complaint"]["f1"]
    assert both["urgent"]["recall"] >= 0.9 > rules["urgent"]["recall"]


@pytest.mark.parametrize("text", ["救命啊 3号楼电梯里关着人了", "快来人啊 5栋冒烟了 好大的焦糊味",
                                  "2单元一股臭鸡蛋味 是不是漏气了"])
def test_danger_is_heard_however_it_is_phrased(text):
    result = Classifier().classify(text)
    assert result.is_complaint and result.urgent


def test_classify_explain_shows_rules_and_model(capsys):
    assert cli_main(["classify", "--explain", "救命啊 3号楼电梯里关着人了"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["is_complaint"] and shown["urgent"]
    assert shown["decided_by"] == "rules: danger"
    assert shown["rules"]["danger"] is True
    assert shown["model"]["strongest"]


def test_evaluate_cv_prints_per_source(capsys):
    assert cli_main(["evaluate", "--cv", "3"]) == 0
    out = capsys.readouterr().out
    assert "3-fold" in out and "blind10" in out and "dev" in out


def _plain_sums(model: LinearModel, features) -> tuple[int, list[int]]:
    """The heads' sums in units of the file's last decimal, feature by feature (the
    straightforward way the packed scorer must agree with), and the known features."""
    from bot.nlp.model import _units

    index = {f: i for i, f in enumerate(model.features)}
    known = [index[f] for f in features if f in index]
    sums = [sum(_units(model.w_complaint[i]) for i in known),
            sum(_units(model.w_urgent[i]) for i in known)]
    rows = [0] * len(model.categories)
    for i in known:
        for c, w in model.w_category.get(i, []):
            rows[c] += _units(w)
    return len(known), sums + rows


def test_packed_fields_hold_the_largest_sums(shipped):
    """Each head's field is wide enough for the largest and the smallest sum a message can
    reach (all its positive, or all its negative weights), and no field spills into the
    next: the packed sums unpack to the plain ones."""
    from bot.nlp.model import _units

    heads = len(shipped.categories) + 2
    for head in range(heads):
        for sign in (1, -1):
            if head < 2:
                weights = (shipped.w_complaint, shipped.w_urgent)[head]
                chosen = {f for f, w in zip(shipped.features, weights, strict=True)
                          if sign * _units(w) > 0}
            else:
                chosen = {shipped.features[i] for i, row in shipped.w_category.items()
                          for c, w in row if c == head - 2 and sign * _units(w) > 0}
            count, plain = _plain_sums(shipped, chosen)
            binary = [shipped._weights[f][0] for f in chosen]
            rows = [shipped._weights[f][1] for f in chosen]
            (complaint, urgent), packed_count = shipped._binary_packing.unpack(sum(binary))
            categories, rest = shipped._rows_packing.unpack(sum(rows))
            assert (packed_count, rest) == (count, 0)
            assert [complaint, urgent, *categories] == plain


def test_packed_scorer_equals_a_plain_sum_on_any_text(shipped):
    """The packed scorer against the heads summed feature by feature, to the last bit of the
    probabilities, on every corpus line and on scrambled text."""
    import random

    clf = Classifier(model=shipped)
    texts = [r["text"] for r in load_records(corpus_files())]
    rnd = random.Random(5)
    alphabet = sorted(set("".join(texts)))
    texts += ["".join(rnd.choices(alphabet, k=rnd.randint(0, 60))) for _ in range(3000)]
    for text in texts:
        features = clf.analyse(text).features
        score = shipped.score(features)
        count, plain = _plain_sums(shipped, features)
        scale = 1.0 / math.sqrt(count) if count else 0.0
        assert score.count == count
        assert score.complaint == sigmoid(shipped.b_complaint + scale * (plain[0] / 10**DIGITS))
        assert score.urgent == sigmoid(shipped.b_urgent + scale * (plain[1] / 10**DIGITS))
        values = [b + scale * (t / 10**DIGITS) for b, t in zip(shipped.b_category, plain[2:],
                                                            strict=True)]
        assert shipped.category_scores(score) == values
