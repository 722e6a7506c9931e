"""Long posts in parts: the one "partly sent" rule of both WeCom senders (the group
sender, webhook and long-connection push, and the self-built app's).

A text longer than one platform message is cut by `split_utf8` into parts of at most
`limit` UTF-8 bytes, never inside a character, preferably after a line. The cut depends
only on the text and the limit, so every attempt sees the same parts. `send_parts`
skips the parts already delivered (`post.parts_sent`, stored on the outbox row), sends
the rest in order and stops at the first failure; its answer says how many parts are
delivered in all, which the outbox stores. The row's text stays as it was queued, and a
retry sends only the parts after `parts_sent`: no part goes out twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.events import DeliveryResult

# send_one(part, is_last_part) -> the platform's answer to that one part
SendOne = Callable[[str, bool], DeliveryResult]


def split_utf8(text: str, limit: int) -> list[str]:
    """Cut text into parts of at most `limit` UTF-8 bytes, never inside a character,
    preferably after a newline. Lossless: ``"".join(parts) == text``."""
    parts: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > limit:
        cut = rest.encode("utf-8")[:limit].decode("utf-8", "ignore")
        newline = cut.rfind("\n")
        if newline >= len(cut) // 2:
            cut = cut[: newline + 1]
        if not cut:  # a limit smaller than one character
            cut = rest[0]
        parts.append(cut)
        rest = rest[len(cut):]
    if rest:
        parts.append(rest)
    return parts


def send_parts(text: str, limit: int, send_one: SendOne, start: int = 0) -> DeliveryResult:
    """Send the parts of `text` after the first `start` (already delivered), in order.

    The answer is the failing part's, or ok with the last part's endpoint answer; either
    way `parts_sent` counts the parts delivered in all (blank parts count as delivered:
    there is nothing to send).
    """
    parts = split_utf8(text, limit)
    answer = None
    for index in range(start, len(parts)):
        body = parts[index].strip("\n")
        if not body.strip():
            continue
        result = send_one(body, index == len(parts) - 1)
        if not result.ok:
            return replace(result, parts_sent=index)
        answer = result.answer or answer
    return DeliveryResult(ok=True, parts_sent=max(start, len(parts)), answer=answer)
