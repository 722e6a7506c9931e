"""Capabilities, one module each. `register_all` adds their commands and listeners to a
dispatcher, in an order that matters: commands are matched first anyway, but free-text
listeners run in the order registered."""

from __future__ import annotations

from bot.dispatcher import Dispatcher


def register_all(dispatcher: Dispatcher) -> None:
    from bot.handlers import cases, help

    cases.register(dispatcher)
    help.register(dispatcher)
