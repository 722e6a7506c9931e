"""Every output of the classifier on the corpus and on generated text, for checking that a
speed change decides nothing differently.

Usage: python scripts/classify_snapshot.py OUT.json   (run before and after, then compare:
`cmp before.json after.json`).  Covers every labelled line (bot/nlp/corpus, its held-out
set, tests/data) with its sender role and again as staff, and 7,000 generated texts
(scrambled characters, spliced lines, lines with emoji, full-width and traditional
characters, @mentions and repeated punctuation inserted, shuffled lines) with random roles:
`classify` (all fields, the model's confidence included), `guess_category`, the rules
alone, and `--explain` for every seventh text.  Seeded: the same code gives the same file.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import astuple
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.nlp import Classifier  # noqa: E402

EXTRA = ["😂", "👍", "🙏", "!!!", "??", "？？", "！！", "@王师傅 ", "@3栋1单元 ", "\u3000",
         "１２号楼", "電梯壞了", "\u2005", "~~", "。。。", " ", "、", "🔥", "❤️"]
ROLES = ["resident", "staff", "grid_worker", "moderator", "nobody"]


def labelled() -> list[tuple[str, str]]:
    paths = sorted((ROOT / "bot" / "nlp" / "corpus").rglob("*.jsonl"))
    paths += sorted((ROOT / "tests" / "data").glob("*.jsonl"))
    lines = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    record = json.loads(line)
                    lines.append((record["text"], record.get("sender_role") or "resident"))
    return lines


def generated(texts: list[str], rnd: random.Random) -> list[str]:
    alphabet = sorted(set("".join(texts)))
    out = ["".join(rnd.choices(alphabet, k=rnd.randint(0, 40))) for _ in range(2000)]
    for _ in range(2000):
        a, b = rnd.choice(texts), rnd.choice(texts)
        out.append(a[:rnd.randint(0, len(a))] + b[rnd.randint(0, len(b)):])
    for _ in range(2000):
        chars = list(rnd.choice(texts))
        for _ in range(rnd.randint(1, 4)):
            chars.insert(rnd.randint(0, len(chars)), rnd.choice(EXTRA))
        out.append("".join(chars))
    for _ in range(1000):
        chars = list(rnd.choice(texts))
        rnd.shuffle(chars)
        out.append("".join(chars))
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    rnd = random.Random(11)
    items = labelled()
    texts = [t for t, _ in items]
    items += [(t, rnd.choice(ROLES)) for t in generated(texts, rnd)]
    items += [(t, "staff") for t in texts]
    both, rules = Classifier(), Classifier(model=None)
    rows = []
    for n, (text, role) in enumerate(items):
        row = [text, role, list(astuple(both.classify(text, role))),
               both.guess_category(text, role), list(astuple(rules.classify(text, role)))]
        if n % 7 == 0:
            row.append(both.explain(text, role))
        rows.append(row)
    Path(argv[0]).write_text(json.dumps(rows, ensure_ascii=False, sort_keys=True),
                             encoding="utf-8")
    print(f"{len(rows)} outputs written to {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
