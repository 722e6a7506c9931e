"""Capabilities, one module each. `register_all` adds their commands and listeners to a
dispatcher, in an order that matters: commands are matched first anyway, but free-text
listeners run in the order registered."""

from __future__ import annotations

from bot.dispatcher import Dispatcher


def register_all(dispatcher: Dispatcher) -> None:
    from bot.handlers import cases, feedback, help, moderation, staff, stats

    # Listeners run in this order: staff replies and ratings before complaint intake
    # (“没修好” after a rating request is a rating, not a new complaint).
    staff.register(dispatcher)
    feedback.register(dispatcher)
    cases.register(dispatcher)
    moderation.register(dispatcher)
    stats.register(dispatcher)
    help.register(dispatcher)
