"""The router: commands first, then free-text listeners group by group.

Listeners come in ordered groups (as python-telegram-bot's handler groups): in each group
the listeners are asked in order and the first that handles the message ends the group;
a group with `stop` ends the dispatch when one of its listeners handled the message,
otherwise the next group runs. The order is data (`ListenerGroup`), declared once in
`bot.handlers`.

A command has a Chinese name and an ASCII alias, an ability (who may use it, decided by
`bot.domain.roles`) and a usage line. Handlers raise `UsageError` for bad arguments and
`Refusal` for anything they decline; the dispatcher turns both into a short answer.
An unknown command gets a "did you mean" answer.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot import texts
from bot.domain.errors import RuleError
from bot.domain.roles import ability_holders, may
from bot.events import IncomingMessage, Mention, Outgoing

if TYPE_CHECKING:
    from bot.config import CommunityConfig, Config
    from bot.nlp import Classifier
    from storage.models import Group, InboundMessage, Member
    from storage.repositories import Repos

_LEADING_MENTIONS = re.compile(r"^(?:@\S+[\s\u2005]+)+")
_COMMAND = re.compile(r"^[/／]\s*(\S+)\s*(.*)$", re.S)


MAX_ARGS = 1000  # characters after a command name


class UsageError(Exception):
    """Bad arguments: answered with the command's usage line and this problem."""

    def __init__(self, problem: str = ""):
        super().__init__(problem)
        self.problem = problem


class Refusal(RuleError):
    """A polite no from a handler: the message is posted as it is."""


@dataclass
class Context:
    """What a handler gets: the message, its sender and group, the open transaction, the
    config and the classifier of the group's community."""

    config: Config
    classifier: Classifier
    repos: Repos
    msg: IncomingMessage
    inbound: InboundMessage
    group: Group
    community: CommunityConfig
    member: Member
    now: datetime
    replies: list[Outgoing] = field(default_factory=list)
    # real time (the wall clock), for what the other side checks against its own clock:
    # the expiry of a desk sign-in link; None: `now`
    wall_now: datetime | None = None
    # answers to questions several listeners ask about the same message (asked once)
    memo: dict[str, object] = field(default_factory=dict)

    @property
    def roles(self) -> frozenset[str]:
        return self.member.role_codes

    def local(self, dt: datetime) -> datetime:
        """A stored (UTC) time in the community's timezone, for display."""
        return dt.astimezone(self.config.tz)

    def reply(self, text: str, *, kind: str = "reply", mentions: list[Mention] | None = None,
              case_id: int | None = None, topic_id: int | None = None,
              group_id: str | None = None, urgent: bool = False) -> None:
        """Say something: in this conversation, or (group_id) in another one, which then
        goes out through the outbox."""
        self.replies.append(Outgoing(text=text, kind=kind, mentions=list(mentions or []),
                                     case_id=case_id, topic_id=topic_id, group_id=group_id,
                                     urgent=urgent))


Callback = Callable[[Context, str], None]


@dataclass(frozen=True)
class Command:
    name: str
    alias: str
    usage: str
    summary: str
    callback: Callback
    ability: str | None = None  # None: everyone
    refusal_hint: str = ""
    # whether /帮助 lists it under this config (None: always), e.g. /后台 with the desk on
    listed: Callable[[Config], bool] | None = None


@dataclass(frozen=True)
class Listener:
    """A free-text handler; returns True when it handled the message."""

    name: str
    callback: Callable[[Context], bool]


@dataclass(frozen=True)
class ListenerGroup:
    """Listeners asked in order, the first that handles a message ending the group.
    `stop`: a message handled here goes to no later group."""

    name: str
    stop: bool
    listeners: tuple[Listener, ...] = ()


def strip_leading_mentions(text: str) -> str:
    return _LEADING_MENTIONS.sub("", text.strip())


class Dispatcher:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._ordered: list[Command] = []
        self._groups: list[ListenerGroup] = []

    # registration -------------------------------------------------------------------
    def add_command(self, command: Command) -> None:
        for key in (command.name, command.alias.lower()):
            if key in self._commands:
                raise ValueError(f"command {key!r} registered twice")
            self._commands[key] = command
        self._ordered.append(command)

    def command(self, name: str, alias: str, ability: str | None = None,
                refusal_hint: str = "", listed: Callable[[Config], bool] | None = None
                ) -> Callable:
        """Register a command; its usage line and summary are `texts.COMMAND_HELP[name]`."""
        usage, summary = texts.COMMAND_HELP[name]

        def decorate(func: Callback) -> Callback:
            self.add_command(Command(name, alias, usage, summary, func, ability, refusal_hint,
                                     listed))
            return func
        return decorate

    def add_listener_group(self, group: ListenerGroup) -> None:
        """Run `group` after the groups added before it."""
        if any(g.name == group.name for g in self._groups):
            raise ValueError(f"listener group {group.name!r} added twice")
        self._groups.append(group)

    def add_listener(self, name: str, callback: Callable[[Context], bool], *,
                     group: str = "listeners") -> None:
        """Append a listener to a group (a new last group, with `stop`, if none has that
        name)."""
        for index, existing in enumerate(self._groups):
            if existing.name == group:
                self._groups[index] = ListenerGroup(
                    existing.name, existing.stop,
                    existing.listeners + (Listener(name, callback),))
                return
        self.add_listener_group(ListenerGroup(group, True, (Listener(name, callback),)))

    @property
    def listener_groups(self) -> list[ListenerGroup]:
        return list(self._groups)

    @property
    def commands(self) -> list[Command]:
        return list(self._ordered)

    # routing ------------------------------------------------------------------------
    def find(self, word: str) -> tuple[Command | None, str]:
        """Match `word` (the text after '/') to a command; returns (command, rest).

        Chinese names may run into their arguments (`/工单#3`), so the longest
        command name that prefixes the word matches too.
        """
        lowered = word.lower()
        if lowered in self._commands:
            return self._commands[lowered], ""
        for key in sorted(self._commands, key=len, reverse=True):
            if not key.isascii() and word.startswith(key):
                return self._commands[key], word[len(key):]
        return None, ""

    def suggestions(self, word: str) -> list[str]:
        keys = list(self._commands)
        close = difflib.get_close_matches(word.lower(), keys, n=3, cutoff=0.5)
        names = []
        for key in close:
            cmd = self._commands[key]
            if f"/{cmd.name}" not in names:
                names.append(f"/{cmd.name}")
        return names

    def dispatch(self, ctx: Context) -> None:
        text = strip_leading_mentions(ctx.msg.text)
        match = _COMMAND.match(text)
        if match:
            self._run_command(ctx, match.group(1), match.group(2))
            return
        for group in self._groups:
            for listener in group.listeners:
                try:
                    handled = listener.callback(ctx)
                except RuleError as exc:
                    ctx.reply(str(exc))
                    return
                if handled:
                    if group.stop:
                        return
                    break

    def _run_command(self, ctx: Context, word: str, rest: str) -> None:
        command, glued = self.find(word)
        if command is None:
            hints = self.suggestions(word)
            if hints:
                ctx.reply(texts.DID_YOU_MEAN.format(name=texts.quote(word),
                                                    suggestions=texts.listing(hints)))
            else:
                ctx.reply(texts.UNKNOWN_COMMAND.format(name=texts.quote(word)))
            return
        if not may(ctx.roles, command.ability):
            ctx.reply(texts.not_allowed(command.name, ability_holders(command.ability),
                                        command.refusal_hint))
            return
        args = (glued + " " + rest).strip() if glued else rest.strip()
        if len(args) > MAX_ARGS:  # whatever a command echoes stays readable in a group
            ctx.reply(texts.usage(command.usage, texts.args_too_long(MAX_ARGS)))
            return
        try:
            command.callback(ctx, args)
        except UsageError as exc:
            ctx.reply(texts.usage(command.usage, exc.problem))
        except RuleError as exc:  # a refusal by the handler or by the rules
            ctx.reply(str(exc))
