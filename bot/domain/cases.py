"""Case rules: opening, joining, and every state change of 接诉即办 (三即三提一转).

State changes happen here and nowhere else; each writes a CaseEvent with actor and time.
A change that the rules forbid raises `CaseRuleError` with the sentence to answer.
Who may do what is decided by `bot.domain.permissions`; handlers only parse and answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import texts
from bot.config import CommunityConfig, Config
from bot.domain.deadlines import case_deadlines, is_overdue
from bot.domain.errors import RuleError
from bot.domain.ratings import current_round, worst
from bot.domain.roles import COORDINATING
from bot.domain.routing import fallback_roles, routed_roles, tier_roles
from storage.models import OPEN_STATES, Case, Group, InboundMessage, Member
from storage.repositories import Repos

GROUP_COMPLAINT_SIZE = 3
# states from which work on the case can still happen
RATINGS = ("satisfied", "basic", "unsatisfied")


# the states each change may start from (the desk shows only the actions a case allows)
ACTION_STATES: dict[str, tuple[str, ...]] = {
    "acknowledge": ("open", "assigned", "reopened", "transferred"),
    "progress": OPEN_STATES, "resolve": OPEN_STATES, "extend": OPEN_STATES,
    "assign": OPEN_STATES, "escalate": OPEN_STATES, "transfer": OPEN_STATES,
    "merge": OPEN_STATES, "close": OPEN_STATES + ("resolved",),
    "recategorize": OPEN_STATES + ("resolved",),
}


def allows(case: Case, action: str) -> bool:
    """Whether the case's state lets this change happen."""
    return case.state in ACTION_STATES[action]


class CaseRuleError(RuleError):
    """The rules forbid this change to a case."""


@dataclass
class Outcome:
    """What a change did, for the handler to announce."""

    case: Case
    ping: list[Member] = field(default_factory=list)
    note: str = ""


# --- opening ------------------------------------------------------------------------------

@dataclass
class OpenedCase:
    case: Case
    pinged: list[Member]
    routed: bool  # False when nobody held a routed role and the next tier was pinged
    joined: bool = False  # True: the complaint joined an existing case
    repeat: bool = False  # True: the same complainant said it again
    became_group: bool = False  # True: this complaint made it a 群体诉求


def open_case(repos: Repos, *, config: Config, community: CommunityConfig, group: Group,
              complainant: Member, text: str, category: str, urgent: bool,
              location: dict, keywords: list[str], source: InboundMessage | None,
              now: datetime, via: str) -> OpenedCase:
    """Open a case and decide who to ping (the routed roles' members)."""
    respond_by, resolve_by = case_deadlines(config, category, urgent, now)
    case = repos.cases.add(Case(
        community_id=community.id, group_id=group.id, category=category, urgent=urgent,
        priority=1 if urgent else 0, state="open", tier=1, location=dict(location),
        text=text, keywords=list(keywords), complainant_id=complainant.id,
        source_message_id=source.id if source else None, opened_at=now,
        respond_by=respond_by, resolve_by=resolve_by, updated_at=now))
    repos.cases.add_complainant(case, complainant, now)
    roles = routed_roles(community, category)
    pinged = [m for m in repos.members.with_roles(community.id, roles) if m.id != complainant.id]
    routed = bool(pinged)
    if not pinged:
        pinged = repos.members.with_roles(community.id, fallback_roles(community))
    repos.cases.add_event(case, "opened", complainant, now, note=text, via=via,
                          roles=roles, pinged=[m.external_id for m in pinged])
    return OpenedCase(case, pinged, routed)


# the parts of a written place, each compared on its own (地库B区 and 地库C区 differ)
PLACE_PARTS = ("building", "unit", "room", "place", "zone")


def same_place(a: dict, b: dict) -> bool:
    """Two written places agree: they share a part (building, unit, room, named place)
    and every shared part is equal."""
    shared = [k for k in PLACE_PARTS if a.get(k) and b.get(k)]
    return bool(shared) and all(a[k] == b[k] for k in shared)


def places_disagree(a: dict, b: dict) -> bool:
    """Both places name a part (building, unit, room, named place) and one they share
    differs; a place with no part in common with the other says nothing against it."""
    shared = [k for k in PLACE_PARTS if a.get(k) and b.get(k)]
    return any(a[k] != b[k] for k in shared)


SIMILAR_WITHOUT_PLACE = 0.4  # bigram overlap that joins when a place cannot tell
# an outage named without a place is the whole estate's (停水了 / 怎么又停水了)
AREA_WIDE = frozenset({"utility_outage"})
# “me too”: 我也闻到了, 我家也是, 同样, +1 — said of the problem just reported
ME_TOO = re.compile(r"我(家|们)?也|也是|同样|一样|同感|\+1|也(闻到|听到|看到|发现|遇到)")
# a chaser this soon after the sender's own case chases it (快点啊 老人有高血压)
URGENT_CHASE_WINDOW = timedelta(hours=1)
# danger words naming something else chase the sender's own case only this soon after it
# (电表箱冒火花了 two minutes after the burst pipe); later they are a new emergency
DANGER_CHASE_WINDOW = timedelta(minutes=15)
# a resident's chaser that names no problem (快点啊, 人呢, 怎么还没人来)
CHASER = re.compile(r"快点|快来|快啊|赶紧|怎么还|还没(有)?人|还没(来|到)|人呢|人在哪"
                    r"|等了(好)?(半天|很久|多久)|救命|求求")


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if c.isalnum()]
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}


def similarity(a: str, b: str) -> float:
    """Overlap of the two texts' character bigrams (Jaccard), 0..1."""
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


# words that say where, not what is wrong: a shared 地库 or 楼道 never makes the smoke in
# the garage the parked van's case
WHERE_WORDS = frozenset({
    "地下车库", "地库", "车库", "地下停车场", "停车场", "楼道", "楼梯", "楼梯间", "楼上", "楼下",
    "单元", "门口", "大门", "小区", "东门", "南门", "西门", "北门", "花园", "广场", "阳台",
    "家里", "我家", "楼顶", "天台", "过道", "走廊"})


def what_words(words) -> list[str]:
    """The words of a report that name what is wrong (its keywords less `WHERE_WORDS`)."""
    return [w for w in words or () if w not in WHERE_WORDS]


def shares_a_word(said, case_words) -> bool:
    """A word of the one and one of the other naming what is wrong, one inside the other
    (门禁 / 门禁坏了); words of place (地库, 楼道) do not count."""
    return any(len(a) >= 2 and len(b) >= 2 and (a in b or b in a)
               for a in what_words(said) for b in what_words(case_words))


SIMILAR_SAME_PLACE = 0.2  # bigram overlap that keeps two reports at one place one problem
# characters that name nothing by themselves (坏了, 不热, 太小 …)
PLAIN_CHARACTERS = frozenset("坏了不没太很都也还又是有个的一在小大好能得着来去上下开关")


def different_things(text: str, keywords, case: Case) -> bool:
    """Two reports at the same place name different things wrong (6号楼门禁坏了 / 6号楼周边
    的路坑坑洼洼; 停电 / 水压太小): both name something, no word of it is shared, the words
    (nor a character of it: 没电 / 停电), the words are not alike, and the new ones do not
    say “me too”, “again” or “still” (我也…, 又, 还是, 还在)."""
    if ME_TOO.search(text) or RECURS.search(text) or CHASER.search(text):
        return False  # 我也…, 还是吵得不行, 还在砸: the same problem, said again
    said, known = what_words(keywords), what_words(case.keywords)
    if not said or not known or shares_a_word(said, known):
        return False
    if set("".join(said)) & set("".join(known)) - PLAIN_CHARACTERS:
        return False  # 没电 / 停电: one thing in other words
    return similarity(text, case.text) < SIMILAR_SAME_PLACE


def places_comparable(a: dict, b: dict) -> bool:
    """Both name a place and share a part of it (building, unit, room, named place)."""
    return any(a.get(k) and b.get(k) for k in PLACE_PARTS)


def own_follow_up(repos: Repos, *, group: Group, member: Member, category: str,
                  named: str | None, location: dict, now: datetime, window: timedelta,
                  text: str = "", keywords=(), urgent: bool = False) -> Case | None:
    """The sender's own open case that a new complaint of theirs follows up, of their
    open cases in the group within the window whose place does not disagree (a message
    naming a place its case does not name needs very alike words: “6号楼地下室冒烟” never
    chases a place-less manhole case of the same resident), in this order:
      * the newest of the same category naming the same thing (物业费的事有人管吗 chases
        the fee case, not a newer parking case);
      * the newest of the same category or naming the same thing whatever category the new
        words read as (“都三天了四号楼门口路灯还没人来修”), or, for a chaser naming no
        problem and no place (怎么还没人来), the newest;
      * for urgent words within `DANGER_CHASE_WINDOW` of a case's opening (还在砸！！！,
        电表箱冒火花了 two minutes after the burst pipe), the newest: danger chases the
        person's own case, which becomes urgent, rather than opening a second one."""
    eligible = []
    for case in repos.cases.open_raised_in_group(group.id, member.id, now - window):
        if location and case.location and not same_place(location, case.location):
            continue
        if location and not case.location and similarity(text, case.text) < SIMILAR_WITHOUT_PLACE:
            continue
        eligible.append(case)
    for case in eligible:
        if case.category == category and shares_a_word(keywords, case.keywords):
            return case  # the same kind, naming the same thing
    for case in eligible:
        if case.category == category and different_things(text, keywords, case):
            continue  # 水压小 is not the same resident's 停电 at that building
        if (case.category == category or shares_a_word(keywords, case.keywords)
                or (named is None and not location)):
            return case  # the same problem, or a chaser naming no problem and no place
    if urgent:
        for case in eligible:
            if case.opened_at >= now - DANGER_CHASE_WINDOW:
                return case
    return None


# the problem is back: 又, 还是, 还没, 修了没 …
RECURS = re.compile(r"又|还是|还没|还在|还不|仍然|依然|照样|没修好|[修弄好]了没|修了吗|怎么还")


def says_back(text: str) -> bool:
    """The words say a problem is back or still there (又, 还是, 还没, 修了没 …)."""
    return RECURS.search(text) is not None


def problem_back(waiting: list[Case], *, group: Group, category: str, location: dict,
                 keywords, text: str) -> Case | None:
    """A complainant's new complaint that says their problem is back (垃圾又冇人收, 充电桩
    修了没) while their case about it waits for their rating, or closed within the rating
    window: that case (the newest of the same category or naming the same thing, in this
    group, whose place does not disagree) — it is reopened as by 不满意, not opened
    again."""
    if RECURS.search(text) is None:
        return None
    for case in waiting:
        if case.group_id != group.id:
            continue
        if location and case.location and not same_place(location, case.location):
            continue
        if case.category == category or shares_a_word(keywords, case.keywords):
            return case
    return None


# a resident asking after their case: 什么时候能修好, 修好了没, 有消息吗 (not 什么时候交)
PROGRESS_QUESTION = re.compile(r"(什么时候|啥时候|几时|多久)[^，,。？?!！]{0,4}"
                               r"(修|好|弄|来|处理|解决|换|通|恢复|热|亮|管)"
                               r"|[修弄好]了没|怎么样了|有(没有)?消息|进展|有人管吗|有没有人管")


def chased_case(repos: Repos, *, group: Group, member: Member, text: str, now: datetime,
                keywords=(), window: timedelta = URGENT_CHASE_WINDOW) -> Case | None:
    """A resident's words that are no complaint but follow up their own open case: a
    chaser (快点啊 老人有高血压) within `URGENT_CHASE_WINDOW` of it — the newest; or a
    question after it (楼道灯什么时候能修好啊) within `window` — the newest naming the same
    thing, or their only open case when the question names nothing."""
    if CHASER.search(text) is not None:
        for case in repos.cases.open_raised_in_group(group.id, member.id,
                                                     now - URGENT_CHASE_WINDOW):
            return case
    if PROGRESS_QUESTION.search(text) is None:
        return None
    mine = list(repos.cases.open_raised_in_group(group.id, member.id, now - window))
    alike = [c for c in mine if shares_a_word(keywords, c.keywords)]
    if alike:
        return alike[0]
    return mine[0] if len(mine) == 1 and not keywords else None


def asked_about(repos: Repos, *, group: Group, text: str, location: dict,
                keywords=()) -> Case | None:
    """The one open case of the group a progress question is about (“@邻里议事 6号楼门禁
    什么时候修”, from anyone): of the open cases, those at the place it names (or whose
    place does not disagree when it names none), then those naming the same thing; the
    one left, else None (the question is too vague to say which)."""
    if PROGRESS_QUESTION.search(text) is None:
        return None
    found = repos.cases.open_in_group(group.id)
    if location:
        found = [c for c in found if c.location and same_place(location, c.location)]
    alike = [c for c in found if shares_a_word(keywords, c.keywords)]
    if alike or keywords:
        found = alike
    if len(found) > 1:
        found = most_alike(found, text)
    return found[0] if len(found) == 1 else None


# bigram overlap with a case's words that tells it apart from others, when the next case
# is at most half as alike
ALIKE_ENOUGH = 0.05


def most_alike(found: list[Case], text: str) -> list[Case]:
    """Of several cases, the one whose words these words are clearly most like (“东门共享
    单车清完了” of the 共享单车 case, not the 道闸 case at the same gate); all of them when
    none stands out."""
    if len(found) < 2:
        return found
    scores = sorted(((similarity(text, c.text), c.id) for c in found), reverse=True)
    (best, best_id), (second, _) = scores[0], scores[1]
    if best >= ALIKE_ENOUGH and second <= best / 2:
        return [c for c in found if c.id == best_id]
    return found


def follow_up(repos: Repos, community: CommunityConfig, case: Case, member: Member, text: str,
              now: datetime) -> Outcome:
    """A complainant says more about their open case: a line in its timeline; when the case
    is urgent and nobody has acknowledged it yet, its people are pinged again."""
    repos.cases.add_event(case, "followed_up", member, now, note=text)
    ping: list[Member] = []
    if case.urgent and case.acknowledged_at is None:
        ping = responsible(repos, community, case)
    return Outcome(case, ping=ping)


# "me too" at the same spot this soon joins the case whatever category the words read as
SAME_MOMENT = timedelta(minutes=30)
# a neighbour saying where they hear or smell it from (我在9号楼都听得见): me too, elsewhere
HEARD_FROM = re.compile(r"我(?:家|们)?在?[^，,。!！?？ ]{1,8}?(?:都|也)(?:能)?"
                        r"(?:听得?见|听得到|听到|闻得?到|闻见|看得?见|看到)")


def _pinned(location: dict) -> bool:
    """A place precise enough to tell one spot: a named place, a unit or a room."""
    return any(location.get(k) for k in ("place", "unit", "room", "zone"))


def find_duplicate(repos: Repos, *, group: Group, category: str, location: dict,
                   now: datetime, window: timedelta, text: str = "",
                   keywords=()) -> Case | None:
    """The newest open case in the group with the same category, opened within the
    window, that is about the same place: both name it and it agrees; otherwise (one or
    both name none, or their places share no part) only when the texts are very alike or
    the new words say “me too” (我也闻到了); at the same place, not when the two name
    different things (`different_things`).  Different places are different cases
    (6号楼电梯 never joins an elevator case that named no place); two place-less
    complaints about different things (物业费涨价 / 发票没给) are two cases; an outage
    named without a place is the estate's (`AREA_WIDE`).  “Me too” at the same precise
    spot (a named place, unit or room) within `SAME_MOMENT` joins the case there whatever
    category the words read as; a neighbour saying where they hear it from (我在9号楼都听得
    见) says “me too”, not where the problem is."""
    # 我在9号楼都听得见: “me too” from where the neighbour hears it (the place is left out
    # of `location` by the parser)
    me_too = ME_TOO.search(text) is not None or HEARD_FROM.search(text) is not None
    found = repos.cases.open_in_group_since(group.id, category, now - window)
    for case in found:
        if (location and case.location and same_place(location, case.location)
                and not different_things(text, keywords, case)):
            return case  # the same place first (9号楼3单元暖气也不热 我家也一样)
    others = [c for c in found if not (location and c.location
                                        and places_comparable(location, c.location))]
    for case in others:  # the very alike words first, then “me too” to the newest
        area_wide = not location and not case.location and category in AREA_WIDE
        if area_wide or similarity(text, case.text) >= SIMILAR_WITHOUT_PLACE:
            return case
    placeless = [c for c in others if not (location and c.location)]
    if placeless and me_too:
        return placeless[0]
    if me_too and location:
        # 东门杆子确实坏了 我也堵这十分钟了, minutes after 东门道闸抬不起来: the same problem,
        # though the words read as another category
        for case in repos.cases.open_in_group_any_since(group.id, now - SAME_MOMENT):
            if case.category != category and case.location \
                    and same_place(location, case.location) and _pinned(case.location):
                return case
    return None


def joins_quoted(case: Case, location: dict) -> bool:
    """A complaint quoting a neighbour's complaint (我也闻到了 1单元三楼最浓, quoting “5号楼1单元
    楼道里有股煤气味”) is about that case while it is open and the places do not disagree."""
    return case_is_open(case) and not (location and case.location
                                       and places_disagree(location, case.location))


def join_case(repos: Repos, case: Case, member: Member, text: str, now: datetime
              ) -> OpenedCase:
    """A complaint about an open case joins it; 3+ complainants make it 群体诉求."""
    added = repos.cases.add_complainant(case, member, now)
    if not added:
        return OpenedCase(case, [], True, joined=True, repeat=True)
    repos.cases.add_event(case, "joined", member, now, note=text)
    became_group = False
    if len(case.complainants) >= GROUP_COMPLAINT_SIZE and not case.group_complaint:
        case.group_complaint = True
        case.priority = max(case.priority, 1) + 1
        became_group = True
    return OpenedCase(case, [], True, joined=True, became_group=became_group)


# --- staff work -------------------------------------------------------------------------------

def _require_state(case: Case, allowed: tuple[str, ...], action: str) -> None:
    if case.state not in allowed:
        raise CaseRuleError(texts.case_wrong_state(case.id, texts.state_label(case.state,
                                                                           case.rating), action))


def acknowledge(repos: Repos, case: Case, actor: Member, now: datetime) -> Outcome:
    """签收: the actor takes the case (becoming its assignee if it had none)."""
    _require_state(case, ACTION_STATES["acknowledge"], texts.ACKNOWLEDGE_ACTION)
    if case.assignee_id is None or case.state in ("open", "reopened"):
        case.assignee_id = actor.id
    case.state = "acknowledged"
    if case.acknowledged_at is None:
        case.acknowledged_at = now
    repos.cases.add_event(case, "acknowledged", actor, now)
    return Outcome(case)


def add_progress(repos: Repos, case: Case, actor: Member, note: str, now: datetime
                 ) -> Outcome:
    _require_state(case, ACTION_STATES["progress"], texts.UPDATE_ACTION)
    if case.acknowledged_at is None:
        case.acknowledged_at = now
    if case.assignee_id is None:
        case.assignee_id = actor.id
    if case.state != "transferred":
        case.state = "in_progress"
    repos.cases.add_event(case, "progress", actor, now, note=note)
    return Outcome(case, note=note)


def relay(repos: Repos, case: Case, actor: Member, doer: Member, note: str, now: datetime
          ) -> Outcome:
    """A manager or grid worker relays a colleague's work (收到 下午让王师傅去弄): a case
    still waiting for its 签收 is signed for and becomes the colleague's; the words are a
    progress note of the relayer's.  `Outcome.note` is "signed" when it was waiting."""
    waiting = case.state in ("open", "assigned", "reopened")
    if waiting:
        acknowledge(repos, case, actor, now)
    if case.assignee_id is None or waiting:
        case.assignee_id = doer.id
    add_progress(repos, case, actor, note, now)
    return Outcome(case, note="signed" if waiting else "")


def resolve(repos: Repos, case: Case, actor: Member, note: str, now: datetime) -> Outcome:
    """办结: the complainants are asked to rate."""
    _require_state(case, ACTION_STATES["resolve"], texts.RESOLVE_ACTION)
    if case.acknowledged_at is None:
        case.acknowledged_at = now
    if case.assignee_id is None:
        case.assignee_id = actor.id
    case.state = "resolved"
    case.resolved_at = now
    case.rating = None
    repos.cases.add_event(case, "resolved", actor, now, note=note)
    return Outcome(case, ping=[c.member for c in case.complainants], note=note)


def extend(repos: Repos, case: Case, actor: Member, by: timedelta, reason: str,
           now: datetime) -> Outcome:
    _require_state(case, ACTION_STATES["extend"], texts.EXTEND_ACTION)
    case.resolve_by = case.resolve_by + by
    repos.cases.add_event(case, "extended", actor, now, note=reason,
                          by_minutes=int(by.total_seconds() // 60))
    return Outcome(case, note=reason)


# --- the complainant -------------------------------------------------------------------------

@dataclass
class Rated:
    """What a rating did, for the handler to announce."""

    case: Case
    closed: bool = False  # every complainant has rated: the case is closed
    reopened: bool = False  # 不满意: the case is worked again
    urgency: str = ""  # on reopening: "kept" (it was urgent), "raised" (danger words), ""
    waiting: list[Member] = field(default_factory=list)  # complainants yet to rate
    others: list[Member] = field(default_factory=list)  # the other complainants
    ping: list[Member] = field(default_factory=list)


def about_case(case: Case, category: str | None, location: dict, only: bool = False) -> bool:
    """A message of this category and place is about the case (its category, and no place
    that disagrees) — how a longer 不满意 (“不满意！电梯还是动不了 …”) finds its case.  When
    the case is `only` one waiting for the sender's rating, any category will do (“不满意
    早上又停了一次” after an elevator fix): a place that disagrees still says otherwise."""
    if category != case.category and not only:
        return False
    return not (location and case.location) or same_place(location, case.location)


def awaiting_rating(repos: Repos, case: Case) -> list[Member]:
    """The complainants who have not rated the case since its latest 办结."""
    round_ = current_round(repos.cases.rating_events([case.id]))
    return [m for m in complainants(case) if m.id not in round_]


def _close_if_all_rated(repos: Repos, case: Case, now: datetime) -> bool:
    """A resolved case closes once every complainant has rated it, with the worst rating
    they gave (bot.domain.ratings)."""
    round_ = current_round(repos.cases.rating_events([case.id]))
    if any(m.id not in round_ for m in complainants(case)):
        return False
    case.rating = worst(round_.values())
    case.state = "closed"
    case.closed_at = now
    case.updated_at = now
    return True


def rate(repos: Repos, config: Config, community: CommunityConfig, case: Case, actor: Member,
         rating: str, comment: str, now: datetime, *, danger: bool = False) -> Rated:
    """评价 by one complainant. 满意/基本满意 are recorded, and the case closes when every
    complainant has rated (the rating window closes it otherwise); 不满意 from any of them
    reopens it and calls the assignee, the grid worker, the moderator and the other
    complainants (不满意再搭台协商). `danger`: the words report danger (还是有煤气味)."""
    if rating not in RATINGS:
        raise ValueError(rating)
    # a change of mind after the case closed (the thanks last night, the smell again this
    # morning) reopens it: the caller offers only cases closed within the rating window
    _require_state(case, ("resolved", "closed") if rating == "unsatisfied" else ("resolved",),
                   texts.RATE_ACTION)
    repos.cases.add_event(case, "rated", actor, now, note=comment, rating=rating)
    others = [m for m in complainants(case) if m.id != actor.id]
    if rating == "unsatisfied":
        return _reopen(repos, config, community, case, actor, comment, now, others, danger)
    if _close_if_all_rated(repos, case, now):
        return Rated(case, closed=True, others=others)
    return Rated(case, waiting=awaiting_rating(repos, case), others=others)


def _reopen(repos: Repos, config: Config, community: CommunityConfig, case: Case,
            actor: Member, comment: str, now: datetime, others: list[Member],
            danger: bool) -> Rated:
    """不满意: the case is worked again. Its urgency stays; danger words make it urgent
    (the urgent ping); the resolution deadline starts again from now by the SLA of its
    urgency (the first response stays on record for the 响应率)."""
    case.state = "reopened"
    case.rating = None
    case.resolved_at = None
    repos.cases.add_event(case, "reopened", actor, now, note=comment)
    case.resolve_by = case_deadlines(config, case.category, case.urgent, now)[1]
    ping = repos.members.with_roles(case.community_id, COORDINATING)
    if case.assignee_id:
        assignee = repos.members.get(case.assignee_id)
        ping = [assignee] + [m for m in ping if m.id != assignee.id]
    urgency = "kept" if case.urgent else ""
    if danger:
        raised = raise_urgency(repos, config, community, case, actor, comment, now)
        urgency = "kept" if raised.note == "already" else "raised"
        ping = raised.ping + [m for m in ping if m not in raised.ping]
    ping = [m for m in ping if m.id != actor.id]
    ping += [m for m in others if m not in ping]
    return Rated(case, reopened=True, urgency=urgency, others=others, ping=ping)


def withdraw(repos: Repos, case: Case, actor: Member, now: datetime) -> Outcome:
    """撤回: a complainant takes back their own complaint. With other complainants (a
    群体诉求) only they leave — the case goes on for the others (`note` "left"), and a
    resolved case closes if everyone left has rated it ("left_closed"); the last
    complainant's withdrawal withdraws the case."""
    _require_state(case, OPEN_STATES + ("resolved",), texts.WITHDRAW_ACTION)
    others = [m for m in complainants(case) if m.id != actor.id]
    if others:
        repos.cases.remove_complainant(case, actor)
        repos.cases.add_event(case, "left", actor, now, remaining=len(others))
        closed = case.state == "resolved" and _close_if_all_rated(repos, case, now)
        return Outcome(case, ping=others, note="left_closed" if closed else "left")
    case.state = "withdrawn"
    case.closed_at = now
    repos.cases.add_event(case, "withdrawn", actor, now)
    return Outcome(case)


def close_rating_window(repos: Repos, case: Case, now: datetime) -> Rated:
    """The rating window (feedback.rating_timeout) has ended: the case closes with the
    ratings given (the worst of them); complainants who did not rate count as 未评价
    (the scheduler calls)."""
    _require_state(case, ("resolved",), texts.CLOSE_ACTION)
    round_ = current_round(repos.cases.rating_events([case.id]))
    waiting = [m for m in complainants(case) if m.id not in round_]
    case.rating = worst(round_.values())
    case.state = "closed"
    case.closed_at = now
    repos.cases.add_event(case, "closed", None, now, note=texts.CLOSED_UNRATED_NOTE, unrated=True,
                          unrated_members=[m.external_id for m in waiting])
    return Rated(case, closed=True, waiting=waiting)


# --- coordination ------------------------------------------------------------------------------

def assign(repos: Repos, case: Case, actor: Member, assignee: Member, now: datetime
           ) -> Outcome:
    _require_state(case, ACTION_STATES["assign"], texts.ASSIGN_ACTION)
    case.assignee_id = assignee.id
    if case.state in ("open", "reopened", "acknowledged", "in_progress"):
        case.state = "assigned"
    repos.cases.add_event(case, "assigned", actor, now, note=assignee.name,
                          assignee=assignee.external_id)
    return Outcome(case, ping=[assignee])


def escalate(repos: Repos, community: CommunityConfig, case: Case, actor: Member | None,
             reason: str, now: datetime, *, automatic: str = "") -> Outcome:
    """三提: one tier up, pinging that tier's roles."""
    _require_state(case, ACTION_STATES["escalate"], texts.ESCALATE_ACTION)
    top = max(1, len(community.tiers))
    if case.tier >= top:
        raise CaseRuleError(texts.case_at_top_tier(case.id))
    case.tier += 1
    ping = repos.members.with_roles(case.community_id,
                                    tier_roles(community, case.category, case.tier))
    repos.cases.add_event(case, "escalated", actor, now, note=reason, tier=case.tier,
                          automatic=automatic)
    return Outcome(case, ping=ping, note=reason)


def transfer(repos: Repos, case: Case, actor: Member, unit: str, reason: str, now: datetime
             ) -> Outcome:
    """一转: the case belongs to an outside unit; it stays open and is followed up."""
    _require_state(case, ACTION_STATES["transfer"], texts.TRANSFER_ACTION)
    case.state = "transferred"
    case.transferred_to = unit
    if case.acknowledged_at is None:
        case.acknowledged_at = now
    repos.cases.add_event(case, "transferred", actor, now, note=reason, unit=unit)
    return Outcome(case, note=reason)


def merge(repos: Repos, source: Case, target: Case, actor: Member, now: datetime) -> Outcome:
    """Fold `source` into `target`: its complainants join the target."""
    if source.id == target.id:
        raise CaseRuleError(texts.MERGE_SAME)
    _require_state(source, ACTION_STATES["merge"], texts.MERGE_ACTION)
    _require_state(target, ACTION_STATES["merge"], texts.MERGE_ACTION)
    for complainant in list(source.complainants):
        join_case(repos, target, complainant.member, texts.merged_from(source.id), now)
    source.state = "merged"
    source.merged_into = target.id
    source.closed_at = now
    repos.cases.add_event(source, "merged", actor, now, note=texts.merged_into_note(target.id),
                          into=target.id)
    repos.cases.add_event(target, "merged", actor, now, note=texts.merged_from(source.id),
                          source=source.id)
    return Outcome(target)


def close(repos: Repos, case: Case, actor: Member, reason: str, now: datetime) -> Outcome:
    """/关闭 by a moderator; a resolved case keeps the ratings given so far (the worst)."""
    _require_state(case, ACTION_STATES["close"], texts.CLOSE_ACTION)
    if case.state == "resolved":
        case.rating = worst(current_round(repos.cases.rating_events([case.id])).values())
    case.state = "closed"
    case.closed_at = now
    repos.cases.add_event(case, "closed", actor, now, note=reason)
    return Outcome(case, note=reason)


def recategorize(repos: Repos, community: CommunityConfig, case: Case, category: str,
                 actor: Member, now: datetime) -> Outcome:
    """/改类: a new category and the people it routes to (pinged)."""
    _require_state(case, ACTION_STATES["recategorize"], texts.RECATEGORIZE_ACTION)
    old = case.category
    case.category = category
    case.updated_at = now
    roles = routed_roles(community, category)
    ping = [m for m in repos.members.with_roles(community.id, roles) if m.id != actor.id]
    repos.cases.add_event(case, "recategorized", actor, now, note=f"{old} -> {category}",
                          old=old, new=category)
    return Outcome(case, ping=ping, note=old)


def raise_urgency(repos: Repos, config: Config, community: CommunityConfig, case: Case,
                  member: Member, text: str, now: datetime) -> Outcome:
    """A danger report about an open case: the case becomes urgent (urgent deadlines from
    now when they are sooner) and its people are pinged again — never absorbed silently."""
    was_urgent = case.urgent
    if not was_urgent:
        case.urgent = True
        case.priority = max(case.priority, 1)
        respond_by, resolve_by = case_deadlines(config, case.category, True, now)
        if case.acknowledged_at is None:
            case.respond_by = min(case.respond_by, respond_by)
        case.resolve_by = min(case.resolve_by, resolve_by)
        case.updated_at = now
    repos.cases.add_event(case, "urgent", member, now, note=text, already=was_urgent)
    roles = routed_roles(community, case.category)
    ping = [m for m in repos.members.with_roles(community.id, roles) if m.id != member.id]
    assignee = repos.members.get(case.assignee_id) if case.assignee_id else None
    if assignee is not None and assignee not in ping:
        ping.insert(0, assignee)
    if not ping:
        ping = repos.members.with_roles(community.id, fallback_roles(community))
    return Outcome(case, ping=ping, note="already" if was_urgent else "")


# --- reading ----------------------------------------------------------------------------------

def case_is_open(case: Case) -> bool:
    return case.state in OPEN_STATES


def case_is_overdue(case: Case, now: datetime) -> bool:
    return case_is_open(case) and is_overdue(case.respond_by, case.resolve_by,
                                             case.acknowledged_at is not None, now)


def responsible(repos: Repos, community: CommunityConfig, case: Case) -> list[Member]:
    """Who answers for a case now: its assignee, else the members of its current tier."""
    assignee = repos.members.get(case.assignee_id) if case.assignee_id else None
    if assignee is not None:
        return [assignee]
    return repos.members.with_roles(case.community_id,
                                    tier_roles(community, case.category, case.tier))


def complainants(case: Case) -> list[Member]:
    return [c.member for c in case.complainants]
