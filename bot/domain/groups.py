"""Groups: the roster of the config, registering a group first seen in a message, and
which community a group or a member belongs to.

A group of the config belongs to its community. A group not in the config is registered
when its first message arrives, under the first community of the config: a deliberate
default for a one-community deployment, logged with a warning so that a second
community's group landing there is noticed. A member's private 1:1 chat with the
self-built app is a "group" too (channel ``wecom_app``, id ``wecom-app:USERID``), in the
first configured community the member belongs to.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain.roles import apply_roster, drop_from_roster

if TYPE_CHECKING:
    from bot.config import CommunityConfig, Config
    from storage.models import Group
    from storage.repositories import Repos

log = logging.getLogger(__name__)

PRIVATE_NAME_PREFIX = "私聊:"  # the display name of a 1:1 chat (Group.private marks it)
APP_CHANNEL = "wecom_app"
APP_GROUP_PREFIX = "wecom-app:"

# The inbound channel -> the channel a group first seen on it posts through.
GROUP_CHANNELS = {"wecom_aibot": "wecom", APP_CHANNEL: APP_CHANNEL}


def group_channel(inbound_channel: str) -> str:
    return GROUP_CHANNELS.get(inbound_channel, "bridge")


def community_of(config: Config, community_id: str) -> CommunityConfig:
    """The configured community with this id (the first one for an id the config no
    longer has)."""
    for com in config.communities:
        if com.id == community_id:
            return com
    return config.communities[0]


def community_for_new_group(config: Config, group_id: str) -> CommunityConfig:
    """The community a group not in the config joins: the first one, logged."""
    community = config.communities[0]
    log.warning("group %s is not in the config: registered under the first community, "
                "%s (add it to that community's groups to place it elsewhere)",
                group_id, community.id)
    return community


def register_group(repos: Repos, config: Config, group_id: str, *, name: str,
                   inbound_channel: str, now: datetime, private: bool = False) -> Group:
    """The group of a message; a group seen for the first time is registered."""
    group = repos.groups.get(group_id)
    if group is None:
        community = community_for_new_group(config, group_id)
        group = repos.groups.register(group_id, community_id=community.id, name=name,
                                      channel=group_channel(inbound_channel), now=now,
                                      private=private)
    return group


# --- private chats with the self-built app ---------------------------------------------------

def private_group_id(userid: str) -> str:
    return f"{APP_GROUP_PREFIX}{userid}"


def userid_of(group_id: str) -> str:
    return group_id.removeprefix(APP_GROUP_PREFIX)


def community_of_member(repos: Repos, config: Config, userid: str) -> CommunityConfig:
    """The first configured community the member belongs to (else the first one)."""
    known = set(repos.members.community_ids_of(userid))
    for com in config.communities:
        if com.id in known:
            return com
    return community_for_new_group(config, private_group_id(userid))


def ensure_private_group(repos: Repos, userid: str, community_id: str, now: datetime
                         ) -> Group:
    """The private 1:1 "group" of a member (channel ``wecom_app``)."""
    group_id = private_group_id(userid)
    group = repos.groups.get(group_id)
    if group is None:
        group = repos.groups.register(group_id, community_id=community_id,
                                      name=f"{PRIVATE_NAME_PREFIX}{userid}",
                                      channel=APP_CHANNEL, now=now, private=True)
    return group


# --- the roster of the config ----------------------------------------------------------------

def sync_roster(repos: Repos, config: Config, now: datetime) -> None:
    """Load the communities, groups and members of the config into the database (at
    every start). Members' roles follow `bot.domain.roles.apply_roster`: a roster entry
    changed since the last start applies; otherwise roles set in chat (/角色) stay."""
    for com in config.communities:
        repos.communities.upsert(com.id, com.name)
        for group in com.groups:
            repos.groups.upsert(group.id, community_id=com.id, name=group.name or group.id,
                                channel=group.channel, webhook_key=group.webhook_key, now=now)
        listed = {member.id for member in com.members}
        for member in repos.members.in_roster(com.id):
            if member.external_id not in listed:
                drop_from_roster(repos, member, now)
        for member in com.members:
            apply_roster(repos, com.id, member.id, member.name, member.roles, now)
