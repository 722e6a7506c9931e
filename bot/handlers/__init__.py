"""Capabilities, one module each. `register_all` adds their commands (shown by /帮助 in
this order) and their free-text listeners, in the one order that matters, below."""

from __future__ import annotations

from bot.dispatcher import Dispatcher


def register_all(dispatcher: Dispatcher) -> None:
    from bot.handlers import (
        cases,
        deliberation,
        feedback,
        help,
        history,
        moderation,
        staff,
        stats,
    )

    for module in (cases, staff, feedback, moderation, stats, deliberation, history, help):
        module.register(dispatcher)
    # Free text, first match wins:
    # - an open discussion counts every message (limit, 尊重他人) and passes it on;
    # - staff replies (“收到”, “修好了”) and ratings (“没修好” after a rating request is a
    #   rating, not a new complaint) come before complaint intake;
    # - during an open discussion residents' messages are opinions, not complaints.
    dispatcher.add_listener("discussion", deliberation.discussion_listener)
    dispatcher.add_listener("staff_reply", staff.natural_reply)
    dispatcher.add_listener("rating_reply", feedback.natural_rating)
    dispatcher.add_listener("opinion", deliberation.opinion_listener)
    dispatcher.add_listener("complaint", cases.complaint_listener)
