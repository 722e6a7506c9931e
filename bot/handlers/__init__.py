"""Capabilities, one module each. `register_all` adds their commands (shown by /帮助 in
this order) and their free-text listeners, in the one order that matters, below."""

from __future__ import annotations

from bot.dispatcher import Dispatcher


def register_all(dispatcher: Dispatcher) -> None:
    from bot.handlers import (
        cases,
        deliberation,
        feedback,
        filing,
        help,
        history,
        moderation,
        staff,
        stats,
    )

    for module in (cases, staff, feedback, moderation, filing, stats, deliberation, history,
                   help):
        module.register(dispatcher)
    # Free text, first match wins:
    # - an open discussion counts every message (limit, 尊重他人) and passes it on;
    # - staff replies (“收到”, “修好了”) and ratings (“没修好” after a rating request is a
    #   rating, not a new complaint) come before complaint intake;
    # - a 是 to the bot's 需要帮您登记报修吗？ comes before anything else reads it;
    # - during an open discussion residents' messages are opinions, not complaints,
    #   unless they report danger;
    # - a close call that is no complaint gets that question last.
    dispatcher.add_listener("discussion", deliberation.discussion_listener)
    dispatcher.add_listener("unsure_answer", filing.answer_listener)
    dispatcher.add_listener("staff_reply", staff.natural_reply)
    dispatcher.add_listener("rating_reply", feedback.natural_rating)
    dispatcher.add_listener("opinion", deliberation.opinion_listener)
    dispatcher.add_listener("complaint", cases.complaint_listener)
    dispatcher.add_listener("ask_when_unsure", filing.ask_listener)
