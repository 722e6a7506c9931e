"""How long keeping one phone photo takes: a 12-megapixel JPEG with EXIF and GPS (about
the size a phone sends) checked by content and written again without metadata
(`bot.domain.media.clean_image`), the cost a photo adds to its message.

    python benchmarks/bench_photos.py [--rounds 5] [--width 4000] [--height 3000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402

from bot.config import MediaConfig  # noqa: E402
from bot.domain.media import clean_image  # noqa: E402


def phone_photo(width: int, height: int) -> bytes:
    """Noise blown up to full size: textured like a photo, so JPEG sizes are realistic."""
    small = Image.frombytes("RGB", (width // 16, height // 16),
                            os.urandom((width // 16) * (height // 16) * 3))
    img = small.resize((width, height), Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x010F] = "Phone"
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 5.0), 3: "E", 4: (121.0, 28.0, 1.0)}
    out = BytesIO()
    img.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args()
    data = phone_photo(args.width, args.height)
    cfg = MediaConfig()
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        clean = clean_image(data, cfg)
        times.append(time.perf_counter() - start)
    print(f"{args.width}x{args.height} JPEG, {len(data) / 1e6:.1f} MB in, "
          f"{len(clean.data) / 1e6:.1f} MB kept: clean_image median "
          f"{statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f}, "
          f"max {max(times) * 1000:.0f}) over {args.rounds} rounds")


if __name__ == "__main__":
    main()
