"""How the rules and the learned model decide together.

The rules decide where they are sure:
  * danger now (gas, fire or smoke, someone trapped, water near electricity, injury, a child
    in danger; unhedged) makes an urgent complaint whatever the phrasing;
  * a staff notice or reply, an advertisement, or an explicit resolution (修好了) with no
    strong problem next to it is no complaint.
The model decides the rest (its complaint probability against `thresholds.complaint`).
The category is the model's category head with a bonus (RULE_CATEGORY_BONUS) for the
category the rules name with problem evidence: cross-validation put the model alone (0.958)
far ahead of "rules when they name one" (0.925) and the two together ahead of both (0.963).
Urgent: danger now (with the urgent head not flatly against it), the rules' urgent words
(an outage of a whole building) with some support of the head, or the urgent head alone
above `thresholds.urgent`, chosen at training time for precision ≥ 0.85.

`Classification.confidence` carries the model's complaint probability, so the intake can
ask the sender when the decision was close (cases.ask_band).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import NamedTuple

from .model import LinearModel, ModelScore
from .result import Classification

RULE_CATEGORY_BONUS = 1.0  # added to the model's decision value for the rules' category
ALARM_URGENT_FLOOR = 0.15  # danger words make a complaint urgent unless the head is below
WORDS_URGENT_FLOOR = 0.3  # the rules' outage-of-a-building test needs this much support


class Analysis(NamedTuple):
    """The rules' view of one message (what `Classifier.analyse` returns; a tuple: cheap to
    make, immutable)."""

    role: str
    rules_complaint: bool  # the rules alone take it as a complaint
    rules_category: str | None  # …of this category (None when not a complaint)
    features: AbstractSet[str]  # the learned layer's features of the message
    alarm: bool  # danger now (an unhedged urgent trigger or danger pattern, not asked about)
    hedged: bool  # danger words the rules found hedged or supposed (着火了谁负责, 万一)
    urgent_words: bool  # the rules' urgency test holds (danger, or a whole building's outage)
    sure_not: bool  # a notice, reply, ad or explicit resolution: the rules are sure it is none
    named_category: str | None  # the category the rules name with problem evidence
    community_category: str | None  # …when a community's own lexicon words name it
    location: dict
    keywords: list[str]
    hits: list  # the lexicon hits (bot.nlp.classifier.Hit), for explaining
    other_intent: str  # the intent the rules give when the message is no complaint

    @property
    def rules(self) -> Classification:
        """What the rules alone say (made when asked: the model's decision needs none)."""
        complaint = self.rules_complaint
        return Classification(complaint, self.rules_category, complaint and self.urgent_words,
                              self.location, self.keywords,
                              "complaint" if complaint else self.other_intent)

    @property
    def reasons(self) -> list[str]:
        """The lexicon terms that were hit, in order, at most 12."""
        return list(dict.fromkeys(h.term for h in self.hits))[:12]


def is_complaint(analysis: Analysis, score: ModelScore, model: LinearModel) -> bool:
    if analysis.alarm and analysis.role == "resident":
        return True
    if analysis.sure_not:
        return False
    if analysis.alarm:  # staff and grid workers report danger too, but also announce drills
        return score.complaint >= model.thresholds["alarm_staff"]
    return score.complaint >= model.thresholds["complaint"]


def decide(analysis: Analysis, score: ModelScore, model: LinearModel):
    """The final Classification."""
    complaint = is_complaint(analysis, score, model)
    confidence = round(score.complaint, 3)
    ruled = analysis.sure_not or (analysis.alarm and analysis.role == "resident")
    if not complaint:
        return Classification(False, None, False, analysis.location, analysis.keywords,
                              analysis.other_intent, confidence, ruled)
    category = category_of(analysis, score, model)
    urgent = ((analysis.alarm and score.urgent >= ALARM_URGENT_FLOOR)
              or (analysis.urgent_words and score.urgent >= WORDS_URGENT_FLOOR)
              or (score.urgent >= model.thresholds["urgent"] and not analysis.hedged))
    return Classification(True, category, urgent, analysis.location, analysis.keywords,
                          "complaint", confidence, ruled, analysis.named_category)


def category_of(analysis: Analysis, score: ModelScore, model: LinearModel) -> str:
    """The model's category head, with a bonus for the category the rules name; a category
    a community's own lexicon names wins outright (the operator said so)."""
    if analysis.community_category:
        return analysis.community_category
    values = model.category_scores(score)
    if analysis.named_category in model.categories:
        values[model.categories.index(analysis.named_category)] += RULE_CATEGORY_BONUS
    return model.categories[values.index(max(values))]


def explain(analysis: Analysis, model: LinearModel) -> dict:
    """The classification and why: rule hits, what the rules alone said, the model's
    probabilities and its strongest features."""
    score = model.score(analysis.features)
    result = decide(analysis, score, model)
    if analysis.alarm and analysis.role == "resident":
        by = "rules: danger"
    elif analysis.sure_not:
        by = "rules: notice, reply, ad or resolution"
    else:
        by = "model"
    return {
        **result.to_dict(),
        "decided_by": by,
        "rules": {"terms": analysis.reasons, "complaint": analysis.rules.is_complaint,
                  "category": analysis.named_category, "urgent": analysis.urgent_words,
                  "danger": analysis.alarm},
        "model": {"complaint": round(score.complaint, 3), "urgent": round(score.urgent, 3),
                  "category": model.category(score),
                  "strongest": [f"{f} {w:+.2f}" for f, w in model.strongest(analysis.features)]},
    }
