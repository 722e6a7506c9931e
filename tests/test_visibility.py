"""Reading across groups (hardening #14): a case's details go only to its own group and
to staff of its community; from another group it shows its number and state at most,
whichever way it is asked for (/工单 #N, the lists, "#N 怎么样了", a quote of the bot's
message); from another community it is not found. Two groups of one community and a
group of a second community, all through the bridge."""

from __future__ import annotations

import pytest

from bot import texts
from bot.config_file import config_from_dict
from tests.conftest import _ENGINES, SECRET, Chat, demo_config_dict

TEXT = "3号楼2单元楼道灯坏了三天了，晚上黑漆漆的"


@pytest.fixture
def two_groups_app(db_url, clock, receiver):
    from bot import create_app

    raw = demo_config_dict()
    raw["database"] = {"url": db_url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": SECRET,
                                 "outbound_url": receiver.url}
    sunshine = raw["communities"][0]
    sunshine["groups"].append({"id": "g-2", "name": "阳光小区二期群", "channel": "bridge"})
    raw["communities"].append({
        "id": "riverside", "name": "滨河小区",
        "groups": [{"id": "g-river", "name": "滨河小区议事群", "channel": "bridge"}],
        "members": [{"id": "u-he", "name": "何师傅", "roles": ["repair"]},
                    {"id": "u-qian", "name": "钱阿姨", "roles": []}],
        "routing": {"default": ["repair"]}, "tiers": sunshine["tiers"]})
    flask_app = create_app(config_from_dict(raw, environ={}), clock=clock)
    _ENGINES.append(flask_app.extensions["linli"].engine)
    yield flask_app
    flask_app.extensions["linli"].engine.dispose()


@pytest.fixture
def own(two_groups_app, clock):
    return Chat(two_groups_app.test_client(), clock, group_id="g-1")


@pytest.fixture
def other(two_groups_app, clock):
    return Chat(two_groups_app.test_client(), clock, group_id="g-2")


@pytest.fixture
def river(two_groups_app, clock):
    return Chat(two_groups_app.test_client(), clock, group_id="g-river")


@pytest.fixture
def case(own):
    own.say("u-zhang", TEXT)
    reply = own.last["replies"][0]
    own.say("u-wang", f"/进展 #{reply['case_id']} 明天上午换灯泡")
    return reply


DETAILS = ("楼道灯", "3号楼", "张阿姨", "王师傅", "换灯泡", "公共设施")


def _brief_only(answer: str, case_id: int) -> None:
    assert f"#{case_id}" in answer and texts.STATE_LABELS["in_progress"] in answer
    leaked = [word for word in DETAILS if word in answer]
    assert not leaked, f"details leaked to another group: {leaked} in {answer!r}"


def test_case_details_from_another_group_are_the_number_and_state(other, case):
    n = case["case_id"]
    [answer] = other.say("u-gao", f"/工单 #{n}")
    _brief_only(answer, n)
    [answer] = other.say("u-gao", f"#{n} 怎么样了")
    _brief_only(answer, n)
    [answer] = other.say("u-gao", "修好了吗", quote={"msg_id": "out-1", "text": case["text"]})
    _brief_only(answer, n)
    [answer] = other.say("u-zhang", f"/cases #{n}")       # the complainant too: the group
    _brief_only(answer, n)                                 # would read it


def test_lists_in_another_group_show_number_and_state_and_filters_keep_it_out(other, case):
    n = case["case_id"]
    other.say("u-gao", "5号楼电梯又坏了，老人上不去楼")        # a case of this group
    [listing] = other.say("u-gao", "/工单")
    assert "（2件）" in listing and "5号楼" in listing and "电梯" in listing
    row = next(line for line in listing.splitlines() if line.startswith(f"#{n} "))
    assert row == texts.case_list_row_brief(n, texts.STATE_LABELS["in_progress"])
    _brief_only(listing.replace("5号楼", "").replace("电梯", ""), n)
    for words in ("张阿姨", "3号楼", "公共设施", "王师傅"):
        [answer] = other.say("u-gao", f"/工单 {words}")
        assert f"#{n}" not in answer, (words, answer)
    [mine] = other.say("u-zhang", "/工单 我的")
    assert mine.splitlines()[1] == texts.case_list_row_brief(n, texts.STATE_LABELS[
        "in_progress"])


def test_the_own_group_sees_everything(own, case):
    n = case["case_id"]
    [detail] = own.say("u-gao", f"/工单 #{n}")               # a bystander in the group
    assert "张阿姨" in detail and "楼道灯" in detail and "换灯泡" in detail
    [status] = own.say("u-gao", f"#{n} 怎么样了")
    assert "3号楼" in status and "王师傅" in status
    assert "3号楼" in own.say("u-gao", "/工单")[0]


@pytest.mark.parametrize("staff", ["u-wang", "u-zhao", "u-li"])
def test_staff_of_the_community_see_details_in_any_group(other, case, staff):
    n = case["case_id"]
    [detail] = other.say(staff, f"/工单 #{n}")
    assert "张阿姨" in detail and "楼道灯" in detail
    assert "3号楼" in other.say(staff, f"#{n} 怎么样了")[0]
    assert "3号楼" in other.say(staff, "/工单")[0]


def test_another_community_does_not_find_the_case(river, case):
    n = case["case_id"]
    for sender in ("u-qian", "u-he"):                     # a resident, and staff there
        assert river.say(sender, f"/工单 #{n}") == [texts.CASE_NOT_FOUND.format(case_id=n)]
        assert river.say(sender, f"#{n} 怎么样了") == [texts.CASE_NOT_FOUND.format(case_id=n)]
    assert f"#{n}" not in river.say("u-he", "/工单")[0]
