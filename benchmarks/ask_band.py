"""How wide the unsure band (需要帮您登记报修吗？) should be: for each lower edge, how many
residents' messages the bot would ask about and how many of them are real complaints the
classifier missed — on out-of-fold predictions (each line judged by a model trained
without it, the shipped thresholds), the way `python -m bot evaluate --cv` judges.

Usage: python benchmarks/ask_band.py [--folds 5] [--high 0.5]
Prints one row per lower edge for all residents' lines, and for the "voice-like" ones
(no punctuation at all, at least 8 characters: how speech-to-text writes), which is what
`cases.voice_ask_band` is chosen on.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.nlp import Classifier  # noqa: E402
from bot.nlp.combine import decide  # noqa: E402
from bot.nlp.model import LinearModel  # noqa: E402
from bot.nlp.training import (  # noqa: E402
    MODEL_PATH,
    corpus_files,
    load_records,
    out_of_fold,
    prepare,
)

PUNCTUATION = re.compile(r"[，。！？、,.!?;；:：~～…（）()“”\"'“]")
LOWS = (0.05, 0.1, 0.15, 0.2, 0.25)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--high", type=float, default=0.5)
    args = parser.parse_args()
    records = load_records(corpus_files())
    prepared = prepare(records, Classifier(model=None))
    shipped = LinearModel.load(MODEL_PATH)
    unsure = []  # (confidence, is a complaint, voice-like) of lines not taken as complaints
    missed = {"all": 0, "voice": 0}
    counted = {"all": 0, "voice": 0}
    for model, i in out_of_fold(prepared, args.folds):
        record = records[i]
        if record.get("sender_role", "resident") != "resident":
            continue
        model.thresholds = dict(shipped.thresholds)
        analysis = prepared.analyses[i]
        result = decide(analysis, model.score(analysis.features), model)
        if result.is_complaint:
            continue
        voice = not PUNCTUATION.search(record["text"]) and len(record["text"]) >= 8
        real = bool(record.get("is_complaint"))
        missed["all"] += real
        counted["all"] += 1
        counted["voice"] += voice
        missed["voice"] += real and voice
        if result.confidence is not None and not result.ruled:
            unsure.append((result.confidence, real, voice))
    for subset in ("all", "voice"):
        rows = [u for u in unsure if subset == "all" or u[2]]
        print(f"{subset}: not taken as complaints: {counted[subset]}, of them complaints "
              f"the classifier missed: {missed[subset]}")
        for low in LOWS:
            asked = [u for u in rows if low <= u[0] < args.high]
            found = sum(u[1] for u in asked)
            print(f"  band {low:.2f}-{args.high:.2f}: asks {len(asked)}, "
                  f"recovers {found} ({found / max(1, len(asked)):.0%} of questions)")


if __name__ == "__main__":
    main()
