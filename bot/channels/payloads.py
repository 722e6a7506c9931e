"""Checks every channel applies to what a platform sends before it becomes an
`IncomingMessage`: field types, the stored columns' lengths, NUL characters and lone
surrogates.

A payload that fails raises `PayloadError` (a `ValueError`) with a short English reason
naming the field. The HTTP channels answer it with a 400 (bridge, AI-bot callback); where
the platform wants a 200 whatever happens (the self-built app) or there is no HTTP answer
(the long connection), the message is ignored with a warning. Never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Limits of the stored columns (inbound msg_id, group and member ids): longer is refused.
MAX_MSG_ID = 200
MAX_ID = 128
MAX_NAME = 200  # display names are cut to this instead


class PayloadError(ValueError):
    """A payload that is not a valid message (answered with 400, or ignored)."""


def clean(value: str, key: str) -> str:
    """NUL characters are removed (no database stores them); a lone surrogate is refused."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PayloadError(f"field {key} is not valid Unicode") from None
    return value.replace("\x00", "")


def obj(data: Mapping[str, Any], key: str, *, required: bool = False) -> dict[str, Any]:
    """A nested object: {} when absent or null (unless required), else it must be one."""
    value = data.get(key)
    if value is None:
        if required:
            raise PayloadError(f"missing field: {key}")
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"field {key} must be an object")
    return value


def string(data: Mapping[str, Any], key: str, *, required: bool = False,
           limit: int | None = None, cut: int | None = None, label: str | None = None
           ) -> str:
    """A string field, cleaned: "" when absent or null (unless required); refused when of
    another type, empty while required, or longer than `limit`; cut to `cut`."""
    name = label or key
    value = data.get(key)
    if value is None:
        if required:
            raise PayloadError(f"missing field: {name}")
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"field {name} must be a string")
    value = clean(value, name)
    if required and not value.strip():
        raise PayloadError(f"field {name} must not be empty")
    if limit is not None and len(value) > limit:
        raise PayloadError(f"field {name} longer than {limit} characters")
    return value[:cut] if cut is not None else value

