"""The outbox: posts are written in the transaction that causes them, then delivered.

`batch_posts` folds the scheduled posts about single cases that fall due together for
the same people into one message listing the cases (its `case_id` is then None).
`queue_posts` renders mentions, masks private numbers and stores the rows (inline
replies are stored as already delivered by the HTTP answer). `deliver_due` sends what is
due, oldest first, one head post per group at a time so each group's posts keep their
order; a failure is retried with exponential backoff, a lease protects against a worker
dying mid-send, and concurrent workers never send the same row twice at once. The
outcome is stored with what the sender learnt: how many parts of a long post are out
(`parts_sent`: the retry sends only the rest) and how the destination's webhook answered
(its health, `bot.domain.webhook_health`). Posts get their template cards here
(`bot.domain.cards.plan_cards`), stored on the row for the channel's sender; a card is
never merged with other posts.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot import texts
from bot.domain.cards import plan_cards
from bot.domain.quiet_hours import quiet_until
from bot.domain.webhook_health import record_answer
from bot.events import DeliveryResult, Outgoing
from bot.privacy import display_name, mask_private, no_everyone

if TYPE_CHECKING:
    from bot.application import Application
    from bot.config import Config
    from storage.models import Group, OutboundMessage
    from storage.repositories import Repos

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_MAX = timedelta(minutes=30)


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at 30 min, for the n-th failed attempt."""
    return min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_MAX)


def queue_posts(repos: Repos, posts: list[Outgoing], *, group: Group, now: datetime,
                config: Config, in_reply_to: int | None = None, inline: bool = False
                ) -> list[OutboundMessage]:
    """Store posts in the outbox; returns the rows (planned duplicates are skipped).

    Quiet hours hold every non-urgent post until they end, except the answers to a
    message (someone just spoke to the bot and is waiting for its reply).
    """
    rows = []
    hold = None if in_reply_to is not None else \
        quiet_until(now, config.schedules.quiet_hours, config.tz)
    # Per-group order across processes: a group's posts take their ids (the delivery
    # order) under a lock on the group row, so ids are given in commit order.
    # cards where the channel shows them; private case cards for the pinged staff
    posts = plan_cards(repos, config, posts, group=group, now=now, in_reply_to=in_reply_to)
    targets = [repos.groups.known(post.group_id) if post.group_id else group for post in posts]
    # only answers in the conversation itself go back inline; a post aimed at another
    # group (a private note to an assignee) is delivered through the outbox
    inline_here = [inline and target.id == group.id for target in targets]
    # an inline answer is never delivered from the outbox: only the groups that get
    # posts to deliver are locked
    repos.groups.lock(sorted({post.group_id or group.id
                              for post, here in zip(posts, inline_here, strict=True)
                              if not here}))
    for index, post in enumerate(posts):
        target, here = targets[index], inline_here[index]
        key = post.key or f"reply:{in_reply_to}:{index}"
        names = [display_name(m.name, m.member_id) for m in post.mentions]
        text = mask_private(no_everyone(texts.with_mentions(post.text, names)))
        row = repos.outbox.add(
            idempotency_key=key, group_id=target.id, channel=target.channel, kind=post.kind,
            text=text, mentions=[m.member_id for m in post.mentions], case_id=post.case_id,
            topic_id=post.topic_id, in_reply_to=in_reply_to,
            state="inline" if here else "pending", attempts=0,
            next_attempt_at=hold if hold and not post.urgent and not here else now,
            created_at=now, delivered_at=now if here else None, card=mask_card(post.card))
        if row is not None:
            rows.append(row)
    return rows


CARD_TEXTS = ("title", "desc", "quote", "text")  # what a card shows (not keys or ids)


def mask_card(card):
    """A card's shown words masked like every post (phone and ID numbers)."""
    if isinstance(card, dict):
        return {k: mask_private(v) if k in CARD_TEXTS and isinstance(v, str)
                else mask_card(v) for k, v in card.items()}
    if isinstance(card, list):
        return [mask_private(v) if isinstance(v, str) else mask_card(v) for v in card]
    return card


BATCH_MAX_CHARS = 1500  # a batched post's rows per message, leaving room for the @-names


def batch_posts(posts: list[Outgoing]) -> list[Outgoing]:
    """What falls due together for the same people goes out as one message.

    Posts with a batch header and row (scheduled posts about one case: reminders,
    escalations, nudges) in the same group and of the same urgency whose people overlap
    (王师傅's reminders, an escalation to 陈经理 and 赵网格, a nudge to 陈经理) become one
    message per such circle of people, so nobody is @-mentioned twice in one tick: posts
    of one kind and header for the same people are the header over one row per case (a
    case once, in parts when the list is long); otherwise one message has a section per
    kind (the most pressing first, a case only in the first that names it), each row
    naming whom it is for when that is not everyone in the message. A single post keeps
    its own wording; other posts pass through; urgent posts are never folded into
    normal ones. The order is kept, a batch standing where its first post stood."""
    circles: list[list[Outgoing]] = []
    order: list[Outgoing | list[Outgoing]] = []
    for post in posts:
        if post.batch_header is None or post.batch_row is None:
            order.append(post)
            continue
        people = _people(post)
        joined = [c for c in circles if _same_circle(c[0], post) and (
            any(_people(other) & people for other in c)
            or (not people and not any(_people(other) for other in c)))]
        if not joined:
            circles.append([post])
            order.append(circles[-1])
            continue
        first = joined[0]
        for other in joined[1:]:  # the post links two circles: they become one
            first.extend(other)
            circles.remove(other)
            order.remove(other)
        first.append(post)
    out: list[Outgoing] = []
    for item in order:
        out.extend([item] if isinstance(item, Outgoing) else _circle_posts(item))
    return out


def _people(post: Outgoing) -> frozenset[str]:
    return frozenset(m.member_id for m in post.mentions)


def _same_circle(a: Outgoing, b: Outgoing) -> bool:
    return a.group_id == b.group_id and a.urgent == b.urgent and a.circle == b.circle


KIND_ORDER = ("escalation", "reminder", "nudge")  # a mixed post takes the most pressing


def _circle_posts(posts: list[Outgoing]) -> list[Outgoing]:
    """One circle of people's posts: one message (or its parts)."""
    rank = {kind: n for n, kind in enumerate(KIND_ORDER)}
    posts = sorted(posts, key=lambda p: rank.get(p.kind, len(rank)))  # most pressing first
    sections: dict[tuple, list[Outgoing]] = {}
    seen: set[int | None] = set()
    for post in posts:
        if post.case_id in seen:
            continue  # a case once: its escalation says more than its nudge
        seen.add(post.case_id)
        sections.setdefault((post.kind, post.batch_header), []).append(post)
    posts = [p for rows in sections.values() for p in rows]
    if len(sections) == 1 and len({_people(p) for p in posts}) == 1:
        (rows,) = sections.values()
        return rows if len(rows) == 1 else _batched(rows)
    mentions = list({m.member_id: m for p in posts for m in p.mentions}.values())
    everyone = frozenset(m.member_id for m in mentions)
    parts = [(header or "", [(p.batch_row or "", [] if _people(p) == everyone
                              else [m.name for m in p.mentions]) for p in rows])
             for (_kind, header), rows in sections.items()]
    text = texts.batched_sections(parts, sum(len(rows) for _h, rows in parts))
    if len(text) > BATCH_MAX_CHARS:  # too long for one: each kind and people its own
        return batch_posts([p.split_off() for p in posts])
    kinds = {key[0] for key in sections}
    kind = next((k for k in KIND_ORDER if k in kinds), posts[0].kind)
    digest = hashlib.sha1("\n".join(sorted(p.key or p.batch_row or "" for p in posts))
                          .encode("utf-8")).hexdigest()[:20]
    return [Outgoing(text=text, kind=kind, mentions=mentions, group_id=posts[0].group_id,
                     key=f"batch:mixed:{digest}", urgent=posts[0].urgent)]


def _batched(posts: list[Outgoing]) -> list[Outgoing]:
    first = posts[0]
    header = first.batch_header or ""
    parts: list[list[str]] = [[]]
    for post in posts:
        size = len(header) + sum(len(row) + 1 for row in parts[-1])
        if parts[-1] and size + len(post.batch_row or "") > BATCH_MAX_CHARS:
            parts.append([])
        parts[-1].append(post.batch_row or "")
    digest = hashlib.sha1("\n".join(sorted(p.key or p.batch_row or "" for p in posts))
                          .encode("utf-8")).hexdigest()[:20]
    return [Outgoing(text=texts.batched(header, rows, len(posts), n, len(parts)),
                     kind=first.kind,
                     mentions=list(first.mentions), group_id=first.group_id,
                     key=f"batch:{first.kind}:{digest}:{n}", urgent=first.urgent)
            for n, rows in enumerate(parts, start=1)]


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def deliver_due(app: Application, now: datetime | None = None, max_rounds: int = 20
                ) -> DeliveryReport:
    """Send every due post, group heads first, until nothing more is due.

    Each round takes the head post of every group in one transaction, sends them with
    no transaction open, and records the outcomes in one more.
    """
    report = DeliveryReport()
    for _ in range(max_rounds):
        now_ = now or app.now()
        batch, waiting = _claim_heads(app, now_)
        report.retried += waiting
        if not batch:
            break
        results = []
        for post, group, sender in batch:
            result = _send(sender, post, group, post.channel)
            # a receiver's Retry-After counts from its answer, not from the round's start
            results.append((post, result, now or app.now()))
        if not _record(app, results, now_, report):
            break
    return report


RATE_WINDOW = timedelta(minutes=1)
MERGED_MAX_CHARS = 1800  # a merged post stays within one platform message


def _send(sender, post, group, channel: str) -> DeliveryResult:
    if sender is None:
        return DeliveryResult(ok=False, error=f"no sender for {channel}")
    try:
        return sender.send(post, group)
    except Exception as exc:  # noqa: BLE001 - a sender bug must not stop delivery
        log.exception("sender %s crashed on %s", channel, post.public_id)
        return DeliveryResult(ok=False, error=repr(exc))


def _apply_rate_limit(repos: Repos, post: OutboundMessage, limit: int, now: datetime
                      ) -> datetime | None:
    """Within the group's budget: None. Over it: merge the due backlog behind the head
    into the head (nothing is dropped) and return when the budget frees up."""
    sent = repos.outbox.sent_times_since(post.group_id, now - RATE_WINDOW)
    # a partly sent post neither takes others in nor is taken in: its parts are counted
    # on its text as queued
    # a card neither (its buttons would be lost in a merged text)
    backlog = [] if post.parts_sent or post.card else repos.outbox.pending_behind(post, now)
    if backlog and len(sent) + 1 + len(backlog) > limit:
        merged = []
        for other in backlog:
            if other.parts_sent or other.card or \
                    len(post.text) + len(other.text) + 2 > MERGED_MAX_CHARS:
                break
            post.text = f"{post.text}\n\n{other.text}"
            post.mentions = list(dict.fromkeys(list(post.mentions) + list(other.mentions)))
            merged.append(other.id)
        if merged:
            post.revision = (post.revision or 0) + 1  # new text, new msg_id
        repos.outbox.mark_merged(merged, into=post.id)
    if len(sent) < limit:
        return None
    return min(sent) + RATE_WINDOW


def _claim_heads(app: Application, now: datetime) -> tuple[list, int]:
    """Claim each group's due head post: ([(post, group, sender)], how many had to wait
    for a rate limit)."""
    batch, waiting = [], 0
    lease = app.config.scheduler.delivery_lease
    with app.store.transaction() as repos:
        # one UPDATE … RETURNING claims them all; a head another worker has is left out
        for post in repos.outbox.claim_due(repos.outbox.heads_due(now), now, lease):
            sender = app.sender_for(post.channel)
            group = repos.groups.known(post.group_id)
            limit = sender.rate_limit(group) if sender is not None else None
            wait_until = _apply_rate_limit(repos, post, limit, now) if limit else None
            if wait_until is not None:
                repos.outbox.mark_retry(post.id, wait_until, "rate limited")
                waiting += 1
                continue
            batch.append((post, group, sender))
    return batch, waiting


def _record(app: Application, results, now: datetime, report: DeliveryReport) -> bool:
    """Store the outcomes; True when some post left the queue (sent or failed)."""
    progressed = False
    with app.store.transaction() as repos:
        sent_whole = []  # marked in one UPDATE
        for post, result, answered_at in results:
            if result.answer is not None:
                record_answer(repos, post.group_id, result.answer, answered_at)
            if result.ok:
                if result.parts_sent is None:
                    sent_whole.append(post.id)
                else:
                    repos.outbox.mark_sent(post.id, now, result.parts_sent)
                report.sent += 1
                progressed = True
            elif result.permanent:
                log.error("%s failed permanently: %s", post.public_id, result.error)
                repos.outbox.mark_failed(post.id, result.error, result.parts_sent)
                report.failed += 1
                progressed = True
            else:
                wait = backoff(post.attempts)
                if result.retry_after:
                    wait = max(wait, timedelta(seconds=result.retry_after))
                log.warning("%s attempt %s failed (%s); retry in %s", post.public_id,
                            post.attempts, result.error, wait)
                if result.parts_sent:
                    log.warning("%s partly delivered: %s parts out, the retry sends the "
                                "rest", post.public_id, result.parts_sent)
                repos.outbox.mark_retry(post.id, answered_at + wait, result.error,
                                        result.parts_sent)
                report.retried += 1
        repos.outbox.mark_all_sent(sent_whole, now)
    return progressed
