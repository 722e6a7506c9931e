"""The result of classifying one message: the classification object of interfaces.md."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Classification:
    """The classification object of interfaces.md."""

    is_complaint: bool
    category: str | None
    urgent: bool
    location: dict = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)
    intent: str = "other"
    confidence: float | None = None  # the model's complaint probability (None: rules only)
    ruled: bool = False  # the rules decided (danger, a notice, a resolution), not the model
    named: str | None = None  # the category the rules name with problem evidence

    def to_dict(self) -> dict:
        """The JSON object of interfaces.md, keys in its order (`confidence` is shown by
        `classify --explain`)."""
        return {
            "is_complaint": self.is_complaint,
            "category": self.category,
            "urgent": self.urgent,
            "location": dict(self.location),
            "keywords": list(self.keywords),
            "intent": self.intent,
        }
