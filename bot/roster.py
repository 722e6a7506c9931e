"""Load the communities, groups and members of config.yaml into the database.

Run at every start. Config roles are replaced by the file's; roles set in chat (/角色)
are kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.application import Application


def sync_roster(app: Application) -> None:
    now = app.now()
    with app.store.transaction() as repos:
        for com in app.config.communities:
            repos.communities.upsert(com.id, com.name)
            for group in com.groups:
                repos.groups.upsert(group.id, community_id=com.id, name=group.name or group.id,
                                    channel=group.channel, webhook_key=group.webhook_key,
                                    now=now)
            for member in com.members:
                repos.members.sync_roster(com.id, member.id, member.name, member.roles, now)
