"""The media folder: photo files by content hash (`YYYY/MM/<sha256>.<ext>`), written
atomically (a temporary file renamed into place), so a photo sent twice is one file and
a crash never leaves half a file under a final name."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path


class MediaFiles:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def write(self, data: bytes, sha256: str, ext: str, at: datetime) -> str:
        """Store the bytes; returns the path relative to the root."""
        relative = f"{at:%Y}/{at:%m}/{sha256}.{ext}"
        target = self.root / relative
        if target.exists():
            return relative
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return relative

    def path(self, relative: str) -> Path:
        return self.root / relative

    def read(self, relative: str) -> bytes:
        return (self.root / relative).read_bytes()
