"""/帮助: the commands this sender may use."""

from __future__ import annotations

from bot import texts
from bot.dispatcher import Context, Dispatcher
from bot.domain.roles import may, role_label


def register(dispatcher: Dispatcher) -> None:
    @dispatcher.command("帮助", "help")
    def show_help(ctx: Context, args: str) -> None:
        lines = [(c.usage, c.summary) for c in dispatcher.commands
                 if may(ctx.roles, c.ability) and (c.listed is None or c.listed(ctx.config))]
        labels = [role_label(r) for r in sorted(ctx.roles)]
        ctx.reply(texts.help_text(lines, labels))
