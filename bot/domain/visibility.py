"""Who may see what of a case.

A case's details (its text, category and place, the complainants' names, the assignee,
progress notes and the timeline) go only to the case's own group, and to staff of its
community (property staff, grid workers, moderators, street liaisons) wherever they ask.
Anywhere else, e.g. a neighbouring group of the same community, a case shows its number
and state at most, and never turns up in a list filtered by place, person or category
(the match itself would tell). A case of another community is not found at all: cases
are looked up within the asker's community.

Every way a case is shown (`/工单 #N`, the lists, the progress answer to "#N 怎么样了",
a quote of the bot's message about it) asks `sees_details`.
"""

from __future__ import annotations

from bot.domain.roles import is_staff_like
from storage.models import Case, Group, Member


def sees_details(viewer: Member, group: Group, case: Case) -> bool:
    """Whether a case's details may be posted to `group` for `viewer`: its own group, or
    a staff member of its community."""
    if case.group_id == group.id:
        return True
    return viewer.community_id == case.community_id and is_staff_like(viewer.role_codes)
