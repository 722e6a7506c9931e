"""Message classification for Linli: is a group message a complaint, of which category,
how urgent, where, and with which intent.  Rules over jieba tokens; no model, no network.
"""

from .classifier import Classification, Classifier, classify, default_classifier
from .labels import CATEGORIES, INTENTS, ROLES
from .lexicon import validate_extra
from .location import LocationParser


def parse_location(text: str) -> dict:
    """Building/unit/room/place written in `text` (normalised like a message first)."""
    clf = default_classifier()
    return clf.parse_location(text)


__all__ = [
    "CATEGORIES",
    "INTENTS",
    "ROLES",
    "Classification",
    "Classifier",
    "LocationParser",
    "classify",
    "default_classifier",
    "parse_location",
    "validate_extra",
]
