"""Which case a quoted message is about.

People reply to (quote) a message to say what they mean: a staff member quotes a
resident's complaint and writes "收到"; a resident quotes the bot's answer and asks "怎么样了".
A quoted post of the bot's names the case it was about; a quoted member message names the
case it opened, joined or followed up (the cases the bot's answers to it were about).  The
quoted text's own `#N` is read by the handlers' case-number parser before this.
"""

from __future__ import annotations

import re

from storage.repositories import Repos

# the wire id of a post of the bot's: out-<outbox id>, or out-<id>.<revision> once merged
_POST_ID = re.compile(r"out-(\d{1,12})(?:\.\d+)?")


def cases_of_quoted(repos: Repos, channel: str, group_id: str, msg_id: str) -> list[int]:
    """The cases the quoted message (by its `msg_id` in that group) is about; [] if unknown."""
    if not msg_id:
        return []
    post = _POST_ID.fullmatch(msg_id)
    if post:
        found = repos.outbox.get(int(post.group(1)))
        if found is not None and found.group_id == group_id and found.case_id:
            return [found.case_id]
        return []
    inbound = repos.inbound.by_msg_id(channel, group_id, msg_id)
    if inbound is None:
        return []
    ids = []
    opened = repos.cases.opened_from(inbound.id)
    if opened is not None:
        ids.append(opened.id)
    ids.extend(repos.outbox.case_ids_answering(inbound.id))
    return list(dict.fromkeys(ids))
