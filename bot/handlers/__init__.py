"""Capabilities, one module each. `register_all` adds their commands (shown by /帮助 in
this order) and their free-text listeners in the groups of `LISTENER_GROUPS`."""

from __future__ import annotations

from bot.dispatcher import Dispatcher, Listener, ListenerGroup
from bot.handlers import (
    cases,
    deliberation,
    desk,
    feedback,
    filing,
    help,
    history,
    moderation,
    photos,
    staff,
    stats,
)

COMMAND_MODULES = (cases, staff, feedback, moderation, filing, stats, deliberation, history,
                   desk, help)

# Free text, group by group.
LISTENER_GROUPS = (
    # An open discussion counts every message (限时限次) and flags insults (尊重他人),
    # then passes the message on: a staff reply or a rating still counts.
    ListenerGroup("discussion", stop=False, listeners=(
        Listener("discussion", deliberation.discussion_listener),
    )),
    # The first that handles the message answers it. A 是 to the bot's 需要帮您登记报修吗？
    # comes first, then a plain option word during a vote (同意); staff replies (“收到”,
    # “明天上午去换”, “修好了”, or “5” answering 请问是哪一件？) and ratings (“没修好” after a
    # rating request is a rating, not a new complaint) come before complaint intake; during
    # an open discussion residents' messages are opinions, unless they report danger or
    # another problem the model is sure of (a close call gets a hint about /报修); a close
    # call that is no complaint gets that question last.
    ListenerGroup("answer", stop=True, listeners=(
        # a photo sent alone goes to its sender's case of the last minutes
        Listener("photo", photos.photo_listener),
        Listener("unsure_answer", filing.answer_listener),
        Listener("plain_vote", deliberation.vote_listener),
        Listener("staff_reply", staff.natural_reply),
        Listener("rating_reply", feedback.natural_rating),
        Listener("opinion", deliberation.opinion_listener),
        Listener("complaint", cases.complaint_listener),
        Listener("ask_when_unsure", filing.ask_listener),
        # never silence: a message naming a case, quoting or @-mentioning the bot
        Listener("addressed", cases.addressed_listener),
    )),
)


def register_all(dispatcher: Dispatcher) -> None:
    for module in COMMAND_MODULES:
        module.register(dispatcher)
    for group in LISTENER_GROUPS:
        dispatcher.add_listener_group(group)
