"""Photos: which are accepted, how they are cleaned and kept, and which case each
belongs to.

Accepted: the type read from the content (magic bytes, then Pillow must open it as
that format; the file name is never looked at) among `media.allowed_types`, at most
`media.max_bytes` and `media.max_pixels`. Cleaned: the picture is turned upright by its
EXIF orientation, then written again without EXIF (GPS location, camera, time), XMP or
comments. Kept: through `storage.media_files.MediaFiles` (by content hash,
`prepare_photos`, outside any transaction: it is the slow part) and a `Media` row
(`record_photos`); a refused photo gets a row with the reason and no file, and a log
line.

Which case: the case the message opened, joined, followed up or resolved (its sender's
case events in this transaction), else the one case the bot's answer is about (a
message naming `#N`). A staff member's photo with a fix (办结, 修好了) is the `after`
picture; every other photo shows the problem (`before`). A photo sent alone belongs to
the case it quotes (`attach_to_named`), else its sender's case of the last
`media.photo_window` (10 min) in that group: the one they complained about (before), or,
for staff, the one they just resolved (after).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import TYPE_CHECKING

from bot.events import FetchedImage

if TYPE_CHECKING:
    from bot.config import MediaConfig
    from storage.media_files import MediaFiles
    from storage.models import Case, Media, Member
    from storage.repositories import Repos

log = logging.getLogger(__name__)

# type -> (file extension, content type, Pillow format)
FORMATS = {"jpeg": ("jpg", "image/jpeg", "JPEG"), "png": ("png", "image/png", "PNG"),
           "webp": ("webp", "image/webp", "WEBP"), "gif": ("gif", "image/gif", "GIF")}
BEFORE, AFTER = "before", "after"
# case events that make a photo sent alone belong to the case
_PHOTO_EVENTS = ("opened", "joined", "followed_up", "urgent", "reopened", "resolved")


class ImageRefused(ValueError):
    """A photo that is not kept; the message says why (for the log and the row)."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    type: str
    width: int
    height: int
    sha256: str

    @property
    def ext(self) -> str:
        return FORMATS[self.type][0]

    @property
    def content_type(self) -> str:
        return FORMATS[self.type][1]


def sniff(data: bytes) -> str | None:
    """The image type the first bytes announce (None: not an image we know)."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def clean_image(data: bytes, cfg: MediaConfig) -> CleanImage:
    """Check a photo by its content and write it again without metadata; raises
    ImageRefused with the reason."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > cfg.max_bytes:
        raise ImageRefused(f"too large: {len(data)} bytes (limit {cfg.max_bytes})")
    kind = sniff(data)
    if kind is None:
        raise ImageRefused("not an image (content is no JPEG, PNG, WebP or GIF)")
    if kind not in cfg.allowed_types:
        raise ImageRefused(f"type {kind} not allowed (allowed: {', '.join(cfg.allowed_types)})")
    fmt = FORMATS[kind][2]
    try:
        with Image.open(BytesIO(data), formats=[fmt]) as probe:
            if probe.width * probe.height > cfg.max_pixels:
                raise ImageRefused(f"too large: {probe.width}x{probe.height} pixels "
                                   f"(limit {cfg.max_pixels})")
            probe.verify()
        with Image.open(BytesIO(data), formats=[fmt]) as img:
            img.load()
            upright = ImageOps.exif_transpose(img)
            out = BytesIO()
            upright.save(out, fmt, **_save_options(kind, upright))
    except ImageRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError,
            SyntaxError) as exc:  # Pillow reports broken files with any of these
        raise ImageRefused(f"unreadable {kind}: {type(exc).__name__}") from None
    clean = out.getvalue()
    return CleanImage(data=clean, type=kind, width=upright.width, height=upright.height,
                      sha256=hashlib.sha256(clean).hexdigest())


def _save_options(kind: str, img) -> dict:
    """Only what the picture needs: no exif, xmp or comment is ever passed on."""
    if kind == "jpeg":
        if img.mode not in ("RGB", "L", "CMYK"):
            img = img.convert("RGB")
        return {"quality": 90}
    if kind == "webp":
        return {"quality": 90}
    if kind == "png":
        return {"optimize": False}
    return {}


@dataclass(frozen=True)
class KeptPhoto:
    """A photo of a message after its checks: its file (`path`), or why it was refused."""

    source: str
    reason: str = ""
    clean: CleanImage | None = None
    path: str = ""


def prepare_photos(files: MediaFiles, cfg: MediaConfig, fetched: Iterable[FetchedImage], *,
                   label: str, now: datetime) -> list[KeptPhoto]:
    """Check, clean and write each fetched photo of a message (no database work: this is
    the slow part, kept out of any transaction). A refused photo is logged with `label`
    (the message's channel and id); never raises for a bad photo."""
    kept = []
    for index, item in enumerate(fetched):
        reason = item.error
        clean = None
        if not reason:
            try:
                clean = clean_image(item.data or b"", cfg)
            except ImageRefused as exc:
                reason = str(exc)
        if clean is None:
            log.warning("photo %d of message %s refused: %s", index + 1, label, reason)
            kept.append(KeptPhoto(item.source, reason=reason[:300]))
            continue
        kept.append(KeptPhoto(item.source, clean=clean,
                              path=files.write(clean.data, clean.sha256, clean.ext, now)))
        log.info("photo %d of message %s stored: %s, %d bytes", index + 1, label,
                 clean.type, len(clean.data))
    return kept


def record_photos(repos: Repos, kept: Iterable[KeptPhoto], *, inbound_id: int,
                  group_id: str, now: datetime) -> list[Media]:
    """One `Media` row per photo of a message: stored with its file, or refused."""
    rows = []
    for photo in kept:
        clean = photo.clean
        if clean is None:
            rows.append(repos.media.add(inbound_id=inbound_id, group_id=group_id,
                                        status="refused", reason=photo.reason,
                                        source=photo.source, created_at=now))
            continue
        rows.append(repos.media.add(
            inbound_id=inbound_id, group_id=group_id, status="stored", source=photo.source,
            content_type=clean.content_type, size=len(clean.data), width=clean.width,
            height=clean.height, sha256=clean.sha256, path=photo.path, created_at=now))
    return rows


@dataclass(frozen=True)
class PhotoCase:
    case_id: int
    kind: str  # before | after
    count: int  # photos attached


def attach_to_message_case(repos: Repos, *, inbound_id: int, member: Member,
                           touched_case_ids: Iterable[int], answer_case_ids: Iterable[int],
                           now: datetime) -> PhotoCase | None:
    """After a message with text was handled: its photos go to the case it opened,
    joined, followed up or resolved, else to the one case the answer is about."""
    rows = [r for r in repos.media.of_message(inbound_id) if r.case_id is None]
    for row in rows:
        row.member_id = member.id
    if not any(r.status == "stored" for r in rows):
        return None
    touched = set(touched_case_ids)
    events = [e for e in repos.media.case_events_by(member.id, now, _PHOTO_EVENTS +
                                                    ("progress", "acknowledged"))
              if e.case_id in touched and e.at == now]
    cases = {e.case_id for e in events}
    if len(cases) == 1:
        case_id = cases.pop()
        kind = AFTER if any(e.kind == "resolved" for e in events) else BEFORE
    else:
        named = set(answer_case_ids) - {None}
        if len(named) != 1:
            return None
        case_id, kind = named.pop(), BEFORE
    return PhotoCase(case_id, kind, repos.media.attach(rows, case_id, kind))


def photos_of_message(repos: Repos, inbound_id: int) -> list[Media]:
    return repos.media.of_message(inbound_id)


def attach_alone(repos: Repos, cfg: MediaConfig, *, rows: list[Media], member: Member,
                 group_id: str, now: datetime) -> PhotoCase | None:
    """A photo sent alone: to its sender's case of the last `photo_window` in this
    group (the newest), as `after` when that was their fix; None when there is none."""
    for row in rows:
        row.member_id = member.id
    if not any(r.status == "stored" for r in rows):
        return None
    for event in repos.media.case_events_by(member.id, now - cfg.photo_window,
                                            _PHOTO_EVENTS):
        if event.at > now or event.case.group_id != group_id:
            continue
        kind = AFTER if event.kind == "resolved" else BEFORE
        return PhotoCase(event.case_id, kind, repos.media.attach(rows, event.case_id, kind))
    return None


def attach_to_named(repos: Repos, *, rows: list[Media], member: Member, case: Case,
                    staff: bool) -> PhotoCase | None:
    """A photo sent alone that quotes a case (the bot's post about it, or the complaint
    that opened it): to that case; a staff member's photo of a resolved case is `after`."""
    for row in rows:
        row.member_id = member.id
    if not any(r.status == "stored" for r in rows):
        return None
    kind = AFTER if staff and case.state == "resolved" else BEFORE
    return PhotoCase(case.id, kind, repos.media.attach(rows, case.id, kind))


def photo_counts(repos: Repos, case_id: int) -> tuple[int, int]:
    """(before, after) photos of a case."""
    counts = repos.media.counts_for_case(case_id)
    return counts.get(BEFORE, 0), counts.get(AFTER, 0)
