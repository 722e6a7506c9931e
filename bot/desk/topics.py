"""Topics (`/desk/topics`, read-only): each 议题's step of 六步, its vote counts, the
公示 countdown, the 监督 follow-ups and its timeline."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint

from bot import texts
from bot.desk.auth import bot, current_viewer, desk_login_required, page
from bot.privacy import mask_private


@dataclass(frozen=True)
class TopicView:
    id: int
    title: str
    kind: str
    step: str
    group: str
    votes: list[tuple[str, int]]
    vote_ends: str
    publicity_left: str
    followups: int
    last_followup: str
    decision: str
    case_id: int | None
    events: list[tuple[str, str, str, str]]


def register(bp: Blueprint) -> None:
    @bp.get("/topics")
    @desk_login_required
    def topics():
        app = bot()
        viewer = current_viewer()
        tz, now = app.config.tz, app.now()
        shown = []
        with app.store.transaction() as repos:
            groups = {g.id: g.name or g.id for g in repos.desk.groups(viewer.communities)}
            for topic in repos.desk.topics(viewer.communities):
                events = repos.topics.events(topic.id)
                followups = [e for e in events if e.kind == "followup"]
                tally = repos.topics.tally(topic) if topic.poll else {}
                options = list(topic.options or []) or list(tally)
                left = ""
                if topic.step == "publicity" and topic.publicity_ends_at:
                    left = texts.duration(topic.publicity_ends_at - now)
                shown.append(TopicView(
                    topic.id, mask_private(topic.title),
                    texts.TOPIC_KIND_LABELS.get(topic.kind, topic.kind),
                    texts.TOPIC_STEP_LABELS.get(topic.step, topic.step),
                    groups.get(topic.group_id, topic.group_id),
                    [(o, tally.get(o, 0)) for o in options],
                    texts.clock(topic.vote_ends_at.astimezone(tz)) if topic.vote_ends_at
                    else "", left, len(followups),
                    texts.clock(followups[-1].at.astimezone(tz)) if followups else "",
                    mask_private(topic.decision or ""), topic.case_id,
                    [(texts.clock(e.at.astimezone(tz)),
                      texts.TOPIC_EVENT_LABELS.get(e.kind, e.kind),
                      e.actor.name if e.actor else "系统", mask_private(e.note or ""))
                     for e in events]))
        return page("topics.html", topics=shown)
