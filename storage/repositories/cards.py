"""Template cards the bot sent and the taps on their buttons (single use per person)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage.models import Card, CardTap
from storage.repositories.base import _Repo


class CardRepo(_Repo):
    def add(self, **fields: Any) -> Card:
        card = Card(**fields)
        self.s.add(card)
        self.s.flush()
        return card

    def by_task(self, task_id: str) -> Card | None:
        return self.s.scalars(select(Card).where(Card.task_id == task_id)).first()

    def tap_of(self, card: Card, userid: str, button_key: str) -> CardTap | None:
        return self.s.scalars(select(CardTap).where(
            CardTap.card_id == card.id, CardTap.userid == userid,
            CardTap.button_key == button_key)).first()

    def record_tap(self, card: Card, userid: str, button_key: str, event: str,
                   at: datetime) -> CardTap | None:
        """The person's first tap of this button; None when they tapped it before."""
        return self._insert_unique(CardTap(card_id=card.id, userid=userid,
                                           button_key=button_key, event=event, at=at))

    def taps(self, card: Card) -> list[CardTap]:
        return list(self.s.scalars(select(CardTap).where(CardTap.card_id == card.id)
                                   .order_by(CardTap.id)))
