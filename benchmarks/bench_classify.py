"""Throughput of the classifier against bare jieba.lcut on the same messages.

Usage: python benchmarks/bench_classify.py [--file F.jsonl] [--repeat N] [--rounds R]
Defaults to bot/nlp/corpus/dev.jsonl (a copy of shared/data/dev_messages.jsonl) and falls
back to a few built-in messages when that file is absent.  Prints the rules alone and rules +
model, each beside bare jieba.lcut in the same run (target: ratio >= 0.5), and the memory the
loaded model takes.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402

from bot.nlp import Classifier  # noqa: E402
from bot.nlp.model import LinearModel  # noqa: E402

DEFAULT_FILE = ROOT / "bot" / "nlp" / "corpus" / "dev.jsonl"
FALLBACK = [
    "3号楼2单元楼道灯坏了 晚上黑咕隆咚的",
    "楼上又漏水了!!!卫生间天花板一直在滴",
    "【停水通知】明天上午9:00-12:00 1-5号楼停水,请提前储水",
    "修好了,谢谢师傅",
    "请问物业电话多少?",
]


def load_texts(path: Path) -> list[str]:
    """Texts of a JSONL file (or the fallback messages if it cannot be read)."""
    try:
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line)["text"] for line in fh if line.strip()]
    except (OSError, ValueError, KeyError) as exc:
        print(f"note: {path} not usable ({exc}); using {len(FALLBACK)} built-in messages")
        return list(FALLBACK)


def rate(func, texts: list[str], repeat: int) -> float:
    """Messages per second of `func` over `texts` repeated `repeat` times."""
    start = time.perf_counter()
    for _ in range(repeat):
        for text in texts:
            func(text)
    return repeat * len(texts) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--repeat", type=int, default=3, help="passes over the file per round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    args = parser.parse_args(argv)
    jieba.setLogLevel(logging.WARNING)
    texts = load_texts(args.file)
    tracemalloc.start()
    model = LinearModel.load()
    model_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    classifier = Classifier(model=model)
    rules = Classifier(model=None)
    for text in texts:  # warm up all: dictionaries loaded, caches filled
        jieba.lcut(text)
        classifier.classify(text)
        rules.classify(text)
    # Alternate in rounds and keep each one's best round, so that a burst of load on the
    # machine does not land on one side only.
    lcut_rate = clf_rate = rules_rate = 0.0
    for _ in range(args.rounds):
        lcut_rate = max(lcut_rate, rate(jieba.lcut, texts, args.repeat))
        clf_rate = max(clf_rate, rate(classifier.classify, texts, args.repeat))
        rules_rate = max(rules_rate, rate(rules.classify, texts, args.repeat))
    print(f"messages: {len(texts)} x {args.repeat} passes, best of {args.rounds} rounds")
    print(f"jieba.lcut:      {lcut_rate:10.0f} msg/s")
    print(f"rules alone:     {rules_rate:10.0f} msg/s  ratio {rules_rate / lcut_rate:.2f}")
    print(f"rules + model:   {clf_rate:10.0f} msg/s  ratio {clf_rate / lcut_rate:.2f} "
          f"(target >= 0.5)")
    print(f"model in memory: {model_bytes / 2**20:.1f} MiB ({len(model.features)} features)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
