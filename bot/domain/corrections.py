"""Corrections become data: a complaint the classifier missed (opened with /立案), a false
alarm (closed as 不是诉求) and a changed category (/改类) are stored as labelled examples and
exported in the corpus format of bot/nlp/corpus, so a community's own groups improve the
model at the next `python -m bot train`."""

from __future__ import annotations

from datetime import datetime

from storage.models import Case, Correction, Member
from storage.repositories import Repos

KINDS = ("missed", "false_alarm", "recategorized")


def record(repos: Repos, *, case: Case, kind: str, is_complaint: bool, sender_role: str,
           actor: Member | None, now: datetime) -> Correction:
    """Store the case's text with the label the people gave it."""
    if kind not in KINDS:
        raise ValueError(f"unknown correction kind {kind!r}")
    return repos.corrections.add(Correction(
        community_id=case.community_id, case_id=case.id, kind=kind, text=case.text,
        sender_role=sender_role, is_complaint=is_complaint,
        category=case.category if is_complaint else None,
        urgent=bool(case.urgent) if is_complaint else False, location=dict(case.location or {}),
        actor_id=actor.id if actor else None, at=now))


def as_corpus_line(row: Correction) -> dict:
    """One line in the format of bot/nlp/corpus/*.jsonl (shared/data/dev_messages.jsonl).
    A later correction of the same case supersedes an earlier one (see `export`)."""
    return {"id": f"corr-{row.community_id}-{row.id}", "sender_role": row.sender_role,
            "text": row.text, "is_complaint": row.is_complaint, "category": row.category,
            "alt": [], "urgent": row.urgent,
            "intent": "complaint" if row.is_complaint else "other",
            "location": dict(row.location or {}), "correction": row.kind}


def export(repos: Repos, community_id: str | None = None) -> list[dict]:
    """The corrections as corpus lines, the latest label per case."""
    latest: dict[object, dict] = {}
    for row in repos.corrections.all(community_id):
        latest[row.case_id if row.case_id is not None else f"row-{row.id}"] = as_corpus_line(row)
    return list(latest.values())
