"""Command-line entry points of the classifier, wired by the main CLI.

`run_classify` backs `python -m bot classify [TEXT] [--role R] [--file IN.jsonl] [--explain]`,
`run_evaluate` backs `python -m bot evaluate FILE`, `run_cross_validation` backs
`python -m bot evaluate --cv K` and `run_train` backs `python -m bot train [--out F]` (the
last two need scikit-learn, a development requirement).  All return an exit code and print
problems with the input on stderr, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import TextIO

from .classifier import Classifier, default_classifier
from .evaluation import evaluate, format_report

EXIT_OK, EXIT_BAD_LINES, EXIT_USAGE = 0, 1, 2


class InputError(Exception):
    """A problem with the input that ends the command (message for stderr)."""


def _classifier(extra_lexicon: dict | None) -> Classifier:
    return Classifier(extra_lexicon) if extra_lexicon else default_classifier()


def _dump(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _read_lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"error: cannot read {path}: {exc}") from exc


def _records(path: str, lines: list[str], errors: list[str]) -> Iterator[tuple[int, dict]]:
    """JSON objects with a string `text`, one per non-blank line; bad lines go to `errors`."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{path}:{number}: invalid JSON ({exc.msg})")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            errors.append(f"{path}:{number}: expected an object with a string \"text\"")
            continue
        yield number, record


def run_classify(text: str | None, role: str = "resident", file: str | None = None,
                 out: TextIO | None = None, extra_lexicon: dict | None = None,
                 explain: bool = False) -> int:
    """Print the classification of TEXT, or of every line of a JSONL file (with its id)."""
    out = out or sys.stdout
    if (text is None) == (file is None):
        print("usage: classify TEXT [--role R] | classify --file IN.jsonl", file=sys.stderr)
        return EXIT_USAGE
    try:
        classifier = _classifier(extra_lexicon)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    def describe(body: str, sender_role: str) -> dict:
        if explain:
            return classifier.explain(body, sender_role)
        return classifier.classify(body, sender_role).to_dict()

    if text is not None:
        print(_dump(describe(text, role)), file=out)
        return EXIT_OK
    try:
        lines = _read_lines(file)
    except InputError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    errors: list[str] = []
    for _, record in _records(file, lines, errors):
        result = describe(record["text"], record.get("sender_role") or role)
        print(_dump({"id": record.get("id"), **result}), file=out)
    for message in errors:
        print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_LINES if errors else EXIT_OK


def run_evaluate(path: str, out: TextIO | None = None, show_errors: bool = True) -> int:
    """Score the classifier on a labelled JSONL file and print the report."""
    out = out or sys.stdout
    try:
        lines = _read_lines(path)
    except InputError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    errors: list[str] = []
    records = [record for _, record in _records(path, lines, errors)]
    for message in errors:
        print(f"error: {message}", file=sys.stderr)
    if errors:
        return EXIT_BAD_LINES
    if not records:
        print(f"error: {path}: no labelled messages", file=sys.stderr)
        return EXIT_BAD_LINES
    result = evaluate(records, default_classifier())
    print(format_report(result, show_errors=show_errors), file=out)
    return EXIT_OK


def _summary_line(name: str, result: dict) -> str:
    comp, cat, urg = result["complaint"], result["category"], result["urgent"]
    return (f"{name:<12} {result['n']:>5}  F1 {comp['f1']:.3f}  P {comp['precision']:.3f}  "
            f"R {comp['recall']:.3f}  category {cat['accuracy']:.3f}  "
            f"urgent P {urg['precision']:.3f}  R {urg['recall']:.3f}")


def run_cross_validation(k: int, out: TextIO | None = None) -> int:
    """K-fold cross-validation of rules + model on the corpus, overall and per source."""
    out = out or sys.stdout
    if k < 2:
        print("error: --cv needs K >= 2", file=sys.stderr)
        return EXIT_USAGE
    from .training import cross_validate

    overall, by_source = cross_validate(k)
    print(f"{k}-fold cross-validation (rules + model retrained on each training split)",
          file=out)
    print(_summary_line("all", overall), file=out)
    for source, result in by_source.items():
        print(_summary_line(source, result), file=out)
    return EXIT_OK


def run_train(out_path: str | None = None, out: TextIO | None = None) -> int:
    """Train the learned model from the corpus and write the model file."""
    out = out or sys.stdout
    from pathlib import Path

    from .model import MODEL_PATH
    from .training import train

    train(Path(out_path) if out_path else MODEL_PATH, log=lambda line: print(line, file=out))
    return EXIT_OK
