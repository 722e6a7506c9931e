"""The community desk over HTTP against the real app: signing in with a one-time link
(single use, expiry, idle timeout), with /后台 in a private chat, with WeCom OAuth
against the fake qyapi; CSRF; who sees what (staff their cases, a street liaison every
community); the board's filters, search, counts and pages; each case action changing
the case exactly as its chat command does and posting to the group; the roster's role
change and CSV import."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, urlparse

import pytest

from bot import texts
from bot.config import DeskConfig
from bot.domain.desk import issue_link
from bot.outbox import deliver_due
from tests.conftest import _ENGINES, TZ, Chat, FrozenClock, make_config

SECRET = "desk-secret-for-the-tests-0123456789"
MOON = {"id": "moon", "name": "明月小区",
        "groups": [{"id": "g-moon", "name": "明月小区议事群", "channel": "bridge"}],
        "members": [{"id": "m-sun", "name": "孙书记", "roles": ["moderator"]},
                    {"id": "m-ma", "name": "马师傅", "roles": ["repair"]}],
        "routing": {"default": ["repair"]}}


def desk_config(db_url: str, outbound_url: str = "", **desk):
    from tests.conftest import demo_config_dict

    raw = demo_config_dict()
    communities = raw["communities"] + [MOON]
    return make_config(db_url, outbound_url=outbound_url, communities=communities,
                       desk={"enabled": True, "secret": SECRET, "page_size": 5, **desk})


@pytest.fixture
def wall():
    """The wall clock (sessions and links), frozen at the real time: the bridge checks
    its signatures against it too, so tests move it only after the chat is done."""
    return FrozenClock(datetime.now(TZ).replace(microsecond=0))


@pytest.fixture
def desk_app(db_url, receiver, clock, wall):
    from bot import create_app

    flask_app = create_app(desk_config(db_url, receiver.url), clock=clock)
    bot = flask_app.extensions["linli"]
    bot.wall_clock = wall
    _ENGINES.append(bot.engine)
    yield flask_app
    bot.engine.dispose()


@pytest.fixture
def dbot(desk_app):
    return desk_app.extensions["linli"]


@pytest.fixture
def group(desk_app, clock):
    return Chat(desk_app.test_client(), clock)


def link_for(bot, external_id: str, minutes: int = 10) -> str:
    with bot.store.transaction() as repos:
        member = next(m for c in bot.config.communities
                      if (m := repos.members.by_external(c.id, external_id)) is not None)
        return issue_link(repos, member, bot.wall_clock(), minutes).token


def sign_in(app, external_id: str):
    """A test client with a desk session for this member."""
    client = app.test_client()
    token = link_for(app.extensions["linli"], external_id)
    assert client.get(f"/desk/login?t={token}").status_code == 200
    resp = client.post("/desk/login", data={"t": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/desk/")
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def html(resp) -> str:
    return resp.get_data(as_text=True)


def case_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-case="(\d+)"', page)]


def open_case(group: Chat, text: str, sender: str = "u-zhang", group_id: str = "g-1") -> int:
    group.say(sender, f"/报修 {text}", group_id=group_id)
    reply = group.last["replies"][0]
    return reply["case_id"]


# --- signing in -------------------------------------------------------------------------------

def test_a_link_signs_in_once_and_expires(desk_app, dbot, wall):
    client = desk_app.test_client()
    token = link_for(dbot, "u-li")
    landing = client.get(f"/desk/login?t={token}")
    assert landing.status_code == 200 and "李书记" in html(landing)
    assert client.get(f"/desk/login?t={token}").status_code == 200  # a preview burns nothing
    assert client.post("/desk/login", data={"t": token}).status_code == 302
    board = client.get("/desk/")
    assert board.status_code == 200 and "工单" in html(board) and "李书记" in html(board)
    again = desk_app.test_client().post("/desk/login", data={"t": token})
    assert again.status_code == 401 and "链接已失效" in html(again)       # single use
    late = link_for(dbot, "u-li", minutes=10)
    wall.advance(minutes=11)
    assert desk_app.test_client().post("/desk/login", data={"t": late}).status_code == 401
    assert desk_app.test_client().get("/desk/login?t=nonsense").status_code == 401


def test_the_session_ends_after_idle_minutes(desk_app, wall):
    client = sign_in(desk_app, "u-li")
    for _ in range(3):  # each request keeps it alive: 60 minutes in all
        wall.advance(minutes=20)
        assert client.get("/desk/").status_code == 200
    wall.advance(minutes=31)
    resp = client.get("/desk/")
    assert resp.status_code == 401 and "登录已过期" in html(resp)
    assert client.get("/desk/").status_code == 401  # the stale cookie is gone


def test_signing_out_ends_the_session(desk_app):
    client = sign_in(desk_app, "u-li")
    token = csrf_of(html(client.get("/desk/")))
    assert client.post("/desk/logout").status_code == 403           # CSRF on sign-out too
    resp = client.post("/desk/logout", data={"csrf": token}, follow_redirects=True)
    assert resp.status_code == 401 and "已退出" in html(resp)
    assert client.get("/desk/").status_code == 401


def test_no_session_gets_a_chinese_page_never_a_500(desk_app):
    client = desk_app.test_client()
    for path in ("/desk/", "/desk/cases/1", "/desk/topics", "/desk/roster"):
        resp = client.get(path)
        assert resp.status_code == 401 and "请先登录" in html(resp), path
    resp = client.post("/desk/cases/1/close", data={"reason": "x"})
    assert resp.status_code == 401 and "<html" in html(resp)
    resp = client.get("/desk/no-such-page")
    assert resp.status_code == 404 and "没有这个页面" in html(resp)
    forged = desk_app.test_client()
    forged.set_cookie("linli_desk", "eyJtIjoxfQ.forged", path="/desk")
    assert forged.get("/desk/").status_code == 401


def test_residents_get_no_link_and_lose_the_desk_with_their_role(desk_app, dbot, group):
    group.say("u-zhang", "你好")
    with dbot.store.transaction() as repos:
        resident = repos.members.by_external("sunshine", "u-zhang")
        with pytest.raises(PermissionError):
            issue_link(repos, resident, dbot.wall_clock(), 10)
    client = sign_in(desk_app, "u-zhao")
    group.say("u-li", "/角色 @赵网格 居民")
    resp = client.get("/desk/")
    assert resp.status_code == 403 and "没有后台权限" in html(resp)


def test_every_post_needs_the_csrf_token(desk_app, dbot, group):
    case_id = open_case(group, "3号楼2单元楼道灯坏了")
    client = sign_in(desk_app, "u-li")
    token = csrf_of(html(client.get(f"/desk/cases/{case_id}")))
    resp = client.post(f"/desk/cases/{case_id}/close", data={"reason": "重复"})
    assert resp.status_code == 403 and "页面已过期" in html(resp)
    resp = client.post(f"/desk/cases/{case_id}/close", data={"reason": "重复", "csrf": "0" * 32})
    assert resp.status_code == 403
    with dbot.store.transaction() as repos:
        assert repos.cases.get(case_id).state == "open"
    resp = client.post(f"/desk/cases/{case_id}/close", data={"reason": "重复", "csrf": token})
    assert resp.status_code == 302
    with dbot.store.transaction() as repos:
        assert repos.cases.get(case_id).state == "closed"


def test_desk_command_answers_in_a_group_with_a_hint(desk_app, group):
    assert group.say("u-li", "/后台") == [texts.DESK_PRIVATE_ONLY]
    [refused] = group.say("u-zhang", "/desk")
    assert "网格员" in refused and "http" not in refused


# --- private chat and OAuth over the WeCom app (fake qyapi) ------------------------------------

@pytest.fixture
def wecom_desk(db_url, clock, qyapi, wall):
    from bot import create_app
    from tests.fake_wecom import wecom_config

    cfg = wecom_config(db_url, api_base=qyapi.url, app=True)
    cfg = cfg.model_copy(update={"desk": DeskConfig(enabled=True, secret=SECRET,
                                                    public_url="https://desk.example.org")})
    flask_app = create_app(cfg, clock=clock)
    flask_app.extensions["linli"].wall_clock = wall
    _ENGINES.append(flask_app.extensions["linli"].engine)
    yield flask_app
    from bot.channels.wecom_app import worker_of

    worker_of(flask_app).wait_idle()
    flask_app.extensions["linli"].engine.dispose()


def test_desk_command_in_a_private_chat_sends_a_working_link(wecom_desk, qyapi):
    from bot.channels.wecom_app import worker_of
    from tests.fake_wecom import AppPeer

    peer = AppPeer(wecom_desk.test_client())
    for userid in ("u-li", "u-zhang"):
        assert peer.post(peer.text_xml(userid, "/后台")).status_code == 200
        worker_of(wecom_desk).wait_idle()
    [to_li] = [m["text"]["content"] for m in qyapi.app_messages if m["touser"] == "u-li"]
    [to_resident] = [m["text"]["content"] for m in qyapi.app_messages
                     if m["touser"] == "u-zhang"]
    assert "只能用一次" in to_li and "http" not in to_resident
    url = re.search(r"https://desk\.example\.org(/desk/login\?t=\S+)", to_li).group(1)
    client = wecom_desk.test_client()
    assert client.get(url).status_code == 200
    token = parse_qs(urlparse(url).query)["t"][0]
    assert client.post("/desk/login", data={"t": token}).status_code == 302
    assert client.get("/desk/").status_code == 200


def test_wecom_oauth_signs_in(wecom_desk, qyapi):
    from tests.fake_wecom import AGENT_ID, CORP_ID

    client = wecom_desk.test_client()
    start = client.get("/desk/oauth")
    assert start.status_code == 302
    target = urlparse(start.headers["Location"])
    assert target.netloc == "open.weixin.qq.com"
    assert target.path == "/connect/oauth2/authorize" and target.fragment == "wechat_redirect"
    query = parse_qs(target.query)
    assert query["appid"] == [CORP_ID] and query["agentid"] == [str(AGENT_ID)]
    assert query["redirect_uri"] == ["https://desk.example.org/desk/oauth/callback"]
    state = query["state"][0]
    qyapi.oauth_codes["code-1"] = "u-li"
    wrong = client.get("/desk/oauth/callback", query_string={"code": "code-1", "state": "x"})
    assert wrong.status_code == 401
    done = client.get("/desk/oauth/callback", query_string={"code": "code-1", "state": state})
    assert done.status_code == 302 and done.headers["Location"].endswith("/desk/")
    assert "李书记" in html(client.get("/desk/"))
    # a resident (or a code WeCom does not know) gets no desk
    other = wecom_desk.test_client()
    state = parse_qs(urlparse(other.get("/desk/oauth").headers["Location"]).query)["state"][0]
    qyapi.oauth_codes["code-2"] = "u-zhang"
    assert other.get("/desk/oauth/callback",
                     query_string={"code": "code-2", "state": state}).status_code == 403
    assert other.get("/desk/oauth/callback",
                     query_string={"code": "code-2", "state": state}).status_code == 403
    assert other.get("/desk/").status_code == 401


def test_oauth_is_off_without_the_wecom_app(desk_app):
    resp = desk_app.test_client().get("/desk/oauth")
    assert resp.status_code == 404 and "私聊" in html(resp)


# --- who sees what ----------------------------------------------------------------------------

def test_staff_see_their_cases_and_a_street_liaison_every_community(desk_app, group):
    leak = open_case(group, "3号楼天花板漏水")                      # routed to repair
    fee = open_case(group, "物业费收得太高了", sender="u-laoliu")  # default: property_service
    moon = open_case(group, "5号楼电梯坏了", sender="m-zhou", group_id="g-moon")
    seen = {who: case_ids(html(sign_in(desk_app, who).get("/desk/")))
            for who in ("u-wang", "u-chen", "u-li", "u-liu", "m-sun")}
    assert seen["u-wang"] == [leak]
    assert seen["u-chen"] == [fee]
    assert sorted(seen["u-li"]) == sorted([leak, fee])
    assert sorted(seen["u-liu"]) == sorted([leak, fee, moon])
    assert seen["m-sun"] == [moon]
    wang = sign_in(desk_app, "u-wang")
    assert wang.get(f"/desk/cases/{fee}").status_code == 404
    assert sign_in(desk_app, "u-li").get(f"/desk/cases/{moon}").status_code == 404
    page = html(wang.get(f"/desk/cases/{leak}"))
    assert f'action="/desk/cases/{leak}/acknowledge"' in page
    assert "/assign" not in page and "/close" not in page            # coordinators' actions
    # assigned to him, a case of another kind shows up too
    group.say("u-li", f"/指派 #{fee} @王师傅")
    assert sorted(case_ids(html(wang.get("/desk/")))) == sorted([leak, fee])


def test_board_filters_search_counts_and_pages(desk_app, group, clock):
    ids = [open_case(group, f"{n}号楼楼道灯坏了") for n in range(1, 7)]
    leak = open_case(group, "9号楼天花板漏水，好几天了")
    urgent = open_case(group, "2号楼地下室着火了冒烟")
    client = sign_in(desk_app, "u-li")
    first = html(client.get("/desk/"))
    assert "共 8 件" in first and len(case_ids(first)) == 5 and "第 1 / 2 页" in first
    second = html(client.get("/desk/?page=2"))
    assert len(case_ids(second)) == 3
    assert set(case_ids(first)) | set(case_ids(second)) == set(ids + [leak, urgent])
    leaks = html(client.get("/desk/?category=water_leak"))
    assert case_ids(leaks) == [leak]
    assert "漏水渗水（1）" in first and "公共设施损坏（6）" in first and "共 1 件" in leaks
    # each filter's counts apply the other filters: buildings of leaks only, categories all
    assert "9号楼（1）" in leaks and "1号楼（" not in leaks and "公共设施损坏（6）" in leaks
    assert case_ids(html(client.get("/desk/?building=9"))) == [leak]
    assert case_ids(html(client.get("/desk/?q=天花板"))) == [leak]
    assert case_ids(html(client.get(f"/desk/?q=%23{ids[2]}"))) == [ids[2]]
    assert case_ids(html(client.get("/desk/?urgent=1"))) == [urgent]
    assert case_ids(html(client.get("/desk/?overdue=1"))) == []
    clock.advance(hours=5)  # past the normal 4 h response window
    assert len(case_ids(html(client.get("/desk/?overdue=1&page=2")))) == 3
    group.say("u-li", f"/指派 #{ids[0]} @王师傅")
    with desk_app.extensions["linli"].store.transaction() as repos:
        wang = repos.members.by_external("sunshine", "u-wang").id
    assert case_ids(html(client.get(f"/desk/?assignee={wang}"))) == [ids[0]]
    assert ids[0] not in case_ids(html(client.get("/desk/?assignee=none&page=1")))
    group.say("u-li", f"/关闭 #{ids[1]} 重复")
    assert case_ids(html(client.get("/desk/?state=closed"))) == [ids[1]]
    for noise in ("?page=abc", "?page=99", "?state=bogus", "?category=nope&q=" + "x" * 500):
        assert client.get("/desk/" + noise).status_code == 200


def test_group_complaint_filter(desk_app, group):
    case_id = open_case(group, "3号楼电梯又坏了")
    for who in ("u-laoliu", "u-x1"):
        group.say(who, "/报修 3号楼电梯又坏了")
    client = sign_in(desk_app, "u-li")
    open_case(group, "7号楼楼道灯坏了")
    assert case_ids(html(client.get("/desk/?group_complaint=1"))) == [case_id]


# --- actions: the same rule and the same post as the chat command -------------------------------

ACTIONS = [
    # (desk action, its form, the chat command with {id} / {other})
    ("acknowledge", {}, "/接单 #{id}"),
    ("progress", {"note": "明天上午换灯泡"}, "/进展 #{id} 明天上午换灯泡"),
    ("assign", {"assignee": "u-wang"}, "/指派 #{id} @王师傅"),
    ("escalate", {"reason": "一直没人管"}, "/升级 #{id} 一直没人管"),
    ("transfer", {"unit": "供电所", "reason": "线路归供电所"}, "/转办 #{id} 供电所 线路归供电所"),
    ("merge", {"target": "{other}"}, "/合并 #{id} #{other}"),
    ("extend", {"span": "2天", "reason": "等配件"}, "/延期 #{id} 2天 等配件"),
    ("recategorize", {"category": "elevator"}, "/改类 #{id} 电梯"),
    ("close", {"reason": "不是诉求"}, "/关闭 #{id} 不是诉求"),
]


def _state(repos, case_id: int) -> dict:
    case = repos.cases.get(case_id)
    opened = case.opened_at
    return {"state": case.state, "assignee": case.assignee_id, "tier": case.tier,
            "category": case.category, "transferred_to": case.transferred_to,
            "merged": case.merged_into is not None, "rating": case.rating,
            "resolve_in": case.resolve_by - opened,
            "acknowledged": case.acknowledged_at is not None,
            "events": [(e.kind, e.actor.external_id if e.actor else None,
                        re.sub(r"#\d+", "#N", e.note)) for e in repos.cases.events(case_id)][1:],
            "complainants": len(case.complainants)}


@pytest.mark.parametrize("action,form,command", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_each_action_does_what_the_chat_command_does(desk_app, dbot, group, receiver,
                                                     action, form, command):
    chat_case = open_case(group, "3号楼2单元楼道灯坏了")
    chat_other = open_case(group, "4号楼楼道灯坏了", sender="u-laoliu")
    desk_case = open_case(group, "5号楼2单元楼道灯坏了")
    desk_other = open_case(group, "6号楼楼道灯坏了", sender="u-laoliu")
    [said] = [t for t in group.say("u-li", command.format(id=chat_case, other=chat_other))
              if f"#{chat_case}" in t or f"#{chat_other}" in t][:1]
    client = sign_in(desk_app, "u-li")
    token = csrf_of(html(client.get(f"/desk/cases/{desk_case}")))
    with dbot.store.transaction() as repos:
        wang = repos.members.by_external("sunshine", "u-wang").id
    data = {k: v.format(other=desk_other) if k == "target" else
            (str(wang) if v == "u-wang" else v) for k, v in form.items()}
    resp = client.post(f"/desk/cases/{desk_case}/{action}", data={**data, "csrf": token})
    assert resp.status_code == 302
    page = html(client.get(f"/desk/cases/{desk_case}"))
    assert "已完成" in page and "李书记" in page
    with dbot.store.transaction() as repos:
        assert _state(repos, desk_case) == _state(repos, chat_case)
        if action == "merge":
            assert _state(repos, desk_other) == _state(repos, chat_other)
        actors = [e.actor.external_id for e in repos.cases.events(desk_case)[1:] if e.actor]
        assert actors and set(actors) == {"u-li"}         # the desk user, by name
    deliver_due(dbot)
    sent = [p for p in receiver.posts if p["group_id"] == "g-1"]
    ours = [p["text"] for p in sent if p["case_id"] in (desk_case, desk_other)]
    expected = said.replace(f"#{chat_case}", f"#{desk_case}").replace(
        f"#{chat_other}", f"#{desk_other}")
    assert expected in ours, (expected, ours)


def test_a_refused_action_changes_nothing_and_says_why(desk_app, dbot, group):
    case_id = open_case(group, "3号楼2单元楼道灯坏了")
    client = sign_in(desk_app, "u-li")
    token = csrf_of(html(client.get(f"/desk/cases/{case_id}")))
    for _ in range(3):
        client.post(f"/desk/cases/{case_id}/escalate", data={"csrf": token})
    page = html(client.get(f"/desk/cases/{case_id}"))
    assert "已经在最高层级" in page
    for action, form in (("extend", {"span": "abc", "reason": "x"}),
                         ("merge", {"target": "999"}), ("assign", {"assignee": "x"}),
                         ("transfer", {}), ("nonsense", {})):
        resp = client.post(f"/desk/cases/{case_id}/{action}", data={**form, "csrf": token})
        assert resp.status_code in (302, 403), action
    with dbot.store.transaction() as repos:
        case = repos.cases.get(case_id)
        assert case.tier == 3 and case.state == "open" and case.merged_into is None
    staff = sign_in(desk_app, "u-wang")
    token = csrf_of(html(staff.get(f"/desk/cases/{case_id}")))
    resp = staff.post(f"/desk/cases/{case_id}/close", data={"reason": "x", "csrf": token})
    assert resp.status_code == 403 and "没有权限" in html(resp)


def test_in_quiet_hours_the_group_hears_at_their_end(desk_app, dbot, group, clock):
    case_id = open_case(group, "3号楼2单元楼道灯坏了")
    clock.advance(hours=13)  # 23:00, quiet hours (22:00–07:00)
    client = sign_in(desk_app, "u-li")
    token = csrf_of(html(client.get(f"/desk/cases/{case_id}")))
    client.post(f"/desk/cases/{case_id}/progress", data={"note": "明早修", "csrf": token})
    page = html(client.get(f"/desk/cases/{case_id}"))
    assert "免打扰时段" in page and "07:00" in page
    deliver_due(dbot)
    with dbot.store.transaction() as repos:
        assert repos.cases.get(case_id).state == "in_progress"   # the case changed at once


# --- topics and roster ------------------------------------------------------------------------

def test_topics_show_step_and_votes(desk_app, group):
    group.say("u-zhang", "/议题 加装电梯")
    group.say("u-li", "/表决 T1 同意 反对 1小时")
    group.say("u-zhang", "/投票 T1 同意")
    page = html(sign_in(desk_app, "u-li").get("/desk/topics"))
    assert "加装电梯" in page and "表决中" in page and "同意 <b>1</b> 票" in page


def test_roster_role_change_is_a_role_event(desk_app, dbot, group):
    client = sign_in(desk_app, "u-li")
    page = html(client.get("/desk/roster"))
    assert "王师傅" in page and "张阿姨" not in page
    with dbot.store.transaction() as repos:
        zhou = repos.members.by_external("sunshine", "u-zhou").id
    client.post("/desk/roster/role", data={"member": zhou, "role": "grid_worker",
                                           "csrf": csrf_of(page)})
    with dbot.store.transaction() as repos:
        member = repos.members.by_external("sunshine", "u-zhou")
        assert member.role_codes == {"grid_worker"}
        [event] = repos.members.role_events("sunshine", member.id, limit=1)
        assert event.actor.external_id == "u-li" and event.source == "desk"
        assert list(event.new_roles) == ["grid_worker"]
    [answer] = group.say("u-li", "/角色 记录")
    assert "周阿姨" in answer and "李书记" in answer
    # a grid worker may look but not change roles
    zhao = sign_in(desk_app, "u-zhao")
    page = html(zhao.get("/desk/roster"))
    assert "/desk/roster/role" not in page
    assert zhao.post("/desk/roster/role", data={"member": zhou, "role": "resident",
                                                "csrf": csrf_of(page)}).status_code == 403


def test_roster_csv_import_previews_then_applies(desk_app, dbot):
    client = sign_in(desk_app, "u-li")
    token = csrf_of(html(client.get("/desk/roster")))
    csv_text = ("账号,姓名,角色\nu-new,新网格,网格员\nu-bad,坏行\nu-x,某人,厨师\n"
                "u-wang,王师傅,物业客服\n,无名,居民\n")
    preview = client.post("/desk/roster/import", data={"csv": csv_text, "csrf": token})
    page = html(preview)
    assert preview.status_code == 200 and "导入预览" in page
    assert "可导入 2 行，有问题 3 行" in page
    assert "每行要有三列" in page and "不认识的角色" in page and "账号为空" in page
    with dbot.store.transaction() as repos:
        assert repos.members.by_external("sunshine", "u-new") is None   # nothing yet
    done = client.post("/desk/roster/import", data={"csv": csv_text, "csrf": token,
                                                    "confirm": "1"})
    assert done.status_code == 302
    page = html(client.get("/desk/roster"))
    assert "已导入 2 行" in page and "第3行" in page
    with dbot.store.transaction() as repos:
        assert repos.members.by_external("sunshine", "u-new").role_codes == {"grid_worker"}
        assert repos.members.by_external("sunshine", "u-wang").role_codes == \
            {"property_service"}
    gbk = client.post("/desk/roster/import", data={
        "file": (__import__("io").BytesIO("u-gbk,国标,保洁\n".encode("gb18030")), "r.csv"),
        "csrf": token}, content_type="multipart/form-data")
    assert "可导入 1 行" in html(gbk)
    big = client.post("/desk/roster/import", data={"csv": "u-1,甲,居民\n" * 20000,
                                                   "csrf": token})
    assert big.status_code in (302, 413)
    assert "太大" in html(client.get("/desk/roster") if big.status_code == 302 else big)


def test_nav_links_only_existing_pages(desk_app):
    page = html(sign_in(desk_app, "u-li").get("/desk/"))
    assert 'href="/desk/topics"' in page and 'href="/desk/roster"' in page
    views = desk_app.view_functions
    for endpoint, path in (("desk.stats", "/desk/stats"), ("desk.exports", "/desk/exports")):
        assert (f'href="{path}"' in page) == (endpoint in views)


def test_desk_is_off_by_default(app):
    resp = app.test_client().get("/desk/")
    assert resp.status_code == 404 and resp.is_json


def test_desk_config_is_checked(sqlite_url):
    from bot.config import ConfigError
    from bot.config_file import config_from_dict
    from tests.conftest import demo_config_dict

    raw = demo_config_dict()
    raw["desk"] = {"enabled": True, "secret": "short"}
    with pytest.raises(ConfigError) as err:
        config_from_dict(raw, environ={})
    assert any(path.startswith("desk") for path, _ in err.value.problems)
    raw["desk"] = {"enabled": True, "secret": "${DESK_SECRET}", "idle_minutes": 15}
    cfg = config_from_dict(raw, environ={"DESK_SECRET": "s" * 20})
    assert cfg.desk.secret == "s" * 20 and cfg.desk.idle_minutes == 15
    assert DeskConfig().enabled is False and DeskConfig().idle_minutes == 30


def test_desk_link_command(tmp_path, capsys):
    import yaml

    from bot.cli import main
    from tests.conftest import demo_config_dict

    raw = demo_config_dict()
    raw["database"] = {"url": f"sqlite:///{tmp_path / 'x.db'}"}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert main(["desk-link", "u-li", "--config", str(path), "--minutes", "5",
                 "--url", "http://127.0.0.1:8811"]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"http://127\.0\.0\.1:8811/desk/login\?t=[\w-]{20,}\n", out)
    assert main(["desk-link", "u-zhang", "--config", str(path)]) == 1
    assert main(["desk-link", "u-nobody", "--config", str(path)]) == 1
