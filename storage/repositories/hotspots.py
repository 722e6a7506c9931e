"""Which 未诉先办 hot spots the weekly post to moderators has announced, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storage.models import HotspotNotice
from storage.repositories.base import _Repo


class HotspotRepo(_Repo):
    def announced_since(self, community_id: str, since: datetime) -> set[str]:
        """Keys of the community's hot spots announced at or after `since`."""
        return set(self.s.scalars(select(HotspotNotice.key).where(
            HotspotNotice.community_id == community_id, HotspotNotice.announced_at >= since)))

    def mark_announced(self, community_id: str, key: str, at: datetime) -> None:
        row = self.s.get(HotspotNotice, (community_id, key))
        if row is None:
            self.s.add(HotspotNotice(community_id=community_id, key=key, announced_at=at))
        else:
            row.announced_at = at
        self.s.flush()
