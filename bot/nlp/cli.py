"""Command-line entry points of the classifier, wired by the main CLI.

`run_classify` backs `python -m bot classify [TEXT] [--role R] [--file IN.jsonl]` and
`run_evaluate` backs `python -m bot evaluate FILE`.  Both return an exit code and print
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
                 out: TextIO = sys.stdout, extra_lexicon: dict | None = None) -> int:
    """Print the classification of TEXT, or of every line of a JSONL file (with its id)."""
    if (text is None) == (file is None):
        print("usage: classify TEXT [--role R] | classify --file IN.jsonl", file=sys.stderr)
        return EXIT_USAGE
    try:
        classifier = _classifier(extra_lexicon)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if text is not None:
        print(_dump(classifier.classify(text, role).to_dict()), file=out)
        return EXIT_OK
    try:
        lines = _read_lines(file)
    except InputError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    errors: list[str] = []
    for _, record in _records(file, lines, errors):
        result = classifier.classify(record["text"], record.get("sender_role") or role)
        print(_dump({"id": record.get("id"), **result.to_dict()}), file=out)
    for message in errors:
        print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_LINES if errors else EXIT_OK


def run_evaluate(path: str, out: TextIO = sys.stdout, show_errors: bool = True) -> int:
    """Score the classifier on a labelled JSONL file and print the report."""
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
