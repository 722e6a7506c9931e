"""Roles through the bridge: /角色 sets, shows and lists role changes; every change
(from chat or from the config roster at a start) is stored with who, whom, from, to,
when and where; the last moderator cannot be removed; and which word wins between a
role set in chat and the config file (the latest: chat stays until the file changes
for that member)."""

from __future__ import annotations

from bot import texts
from bot.config_file import config_from_dict
from tests.conftest import _ENGINES, SECRET, Chat, demo_config_dict

USAGE = "/角色 @某人 角色 | /角色 @某人 | /角色 记录"


def _roles(bot, external_id):
    with bot.store.transaction() as repos:
        member = repos.members.by_external("sunshine", external_id)
        return set(member.role_codes), [(e.old_roles, e.new_roles, e.source)
                                        for e in repos.members.role_events("sunshine",
                                                                           member.id)]


def test_a_role_change_is_shown_with_who_did_it(chat, bot):
    assert chat.say("u-li", "/角色") == [texts.usage(USAGE, texts.ROLE_RULE)]
    assert chat.say("u-li", "/角色 @刘大爷") == [texts.member_roles(
        "刘大爷", ["居民"], "默认", None)]
    assert chat.say("u-li", "/角色 @刘大爷 网格员")[0] == texts.role_set("刘大爷", "网格员")
    change = texts.role_event_line("11-24 10:00", "李书记", "刘大爷", ["居民"], ["网格员"])
    assert chat.say("u-li", "/角色 @刘大爷") == [texts.member_roles(
        "刘大爷", ["网格员"], "群里设置", change)]
    # the roster applied at the start is in the record too, without an actor
    assert chat.say("u-li", "/角色 @王师傅") == [texts.member_roles(
        "王师傅", ["物业维修"], "配置文件",
        texts.role_event_line("11-24 10:00", None, "王师傅", ["居民"], ["物业维修"]))]
    log = chat.say("u-li", "/角色 记录")[0].splitlines()
    assert log[0] == texts.role_log([]).strip() and log[1] == change    # newest first
    assert len(log) == 1 + 7                 # 6 roster roles at the start and this one
    assert _roles(bot, "u-laoliu") == ({"grid_worker"}, [
        (["resident"], ["grid_worker"], "chat")])
    assert "只有社区/主持人" in chat.say("u-zhao", "/角色 记录")[0]


def test_the_last_moderator_cannot_be_removed(chat, bot):
    # 李书记 (moderator) and 刘主任 (street liaison) may both moderate
    assert chat.say("u-li", "/角色 @刘主任 居民")[0] == texts.role_set("刘主任", "居民")
    assert chat.say("u-li", "/角色 @李书记 居民") == [texts.last_moderator("李书记")]
    assert chat.say("u-li", "/角色 @李书记 网格员") == [texts.last_moderator("李书记")]
    assert _roles(bot, "u-li") == ({"moderator"}, [(["resident"], ["moderator"], "config")])
    # with a second moderator, stepping down is allowed, and recorded
    chat.say("u-li", "/角色 @刘大爷 主持人")
    assert chat.say("u-li", "/角色 @李书记 居民")[0] == texts.role_set("李书记", "居民")
    assert _roles(bot, "u-li")[1][0] == (["moderator"], ["resident"], "chat")
    assert "只有社区/主持人" in chat.say("u-li", "/角色 @刘大爷 居民")[0]
    assert chat.say("u-laoliu", "/角色 @刘大爷 居民") == [texts.last_moderator("刘大爷")]


def _restart(db_url, clock, receiver, edit):
    from bot import create_app

    raw = demo_config_dict()
    raw["database"] = {"url": db_url}
    raw["channels"]["bridge"] = {"enabled": True, "secret": SECRET,
                                 "outbound_url": receiver.url}
    members = {m["id"]: m for m in raw["communities"][0]["members"]}
    edit(members)
    raw["communities"][0]["members"] = list(members.values())
    flask_app = create_app(config_from_dict(raw, environ={}), clock=clock)
    _ENGINES.append(flask_app.extensions["linli"].engine)
    return flask_app, Chat(flask_app.test_client(), clock)


def test_chat_roles_stay_until_the_file_changes_that_member(chat, bot, db_url, clock,
                                                           receiver):
    chat.say("u-li", "/角色 @刘大爷 网格员")
    chat.say("u-li", "/角色 @高先生 保洁")
    chat.say("u-li", "/角色 @王师傅 物业客服")
    clock.advance(days=1)

    # a restart with the same file: every role set in chat stays
    app2, chat2 = _restart(db_url, clock, receiver, lambda members: None)
    bot2 = app2.extensions["linli"]
    assert _roles(bot2, "u-laoliu")[0] == {"grid_worker"}
    assert _roles(bot2, "u-wang")[0] == {"property_service"}
    assert len(_roles(bot2, "u-wang")[1]) == 2               # nothing new was recorded
    app2.extensions["linli"].engine.dispose()

    # the file now gives 高先生 a role and drops 周阿姨: the file wins for them only
    def edit(members):
        members["u-gao"]["roles"] = ["repair"]
        del members["u-zhou"]

    app3, chat3 = _restart(db_url, clock, receiver, edit)
    bot3 = app3.extensions["linli"]
    assert _roles(bot3, "u-gao") == ({"repair"}, [(["cleaning"], ["repair"], "config"),
                                                  (["resident"], ["cleaning"], "chat")])
    assert _roles(bot3, "u-zhou") == ({"resident"}, [(["cleaning"], ["resident"], "config"),
                                                    (["resident"], ["cleaning"], "config")])
    assert _roles(bot3, "u-laoliu")[0] == {"grid_worker"}     # unchanged in the file
    assert chat3.say("u-li", "/角色 @高先生") == [texts.member_roles(
        "高先生", ["物业维修"], "配置文件",
        texts.role_event_line("11-25 10:00", None, "高先生", ["保洁"], ["物业维修"]))]
    app3.extensions["linli"].engine.dispose()


def test_two_moderators_demoting_each_other_at_once_leave_one(db_url, clock):
    """Role changes at once are taken one at a time (the community's row is held on
    PostgreSQL, SQLite lets one writer in): the second sees the first and is refused."""
    import threading
    import time

    from bot import create_app
    from bot.domain import roles as role_rules
    from bot.domain.errors import RuleError
    from tests.conftest import make_config

    app = create_app(make_config(db_url, secret=""), clock=clock)
    bot = app.extensions["linli"]
    _ENGINES.append(bot.engine)
    first_in = threading.Event()
    outcome: dict[str, str] = {}

    def demote(actor_id: str, target_id: str, wait: bool) -> None:
        if wait:
            first_in.wait(5)
        try:
            with bot.store.transaction() as repos:
                actor = repos.members.by_external("sunshine", actor_id)
                target = repos.members.by_external("sunshine", target_id)
                role_rules.set_in_chat(repos, actor, target, "resident", clock())
                if not wait:
                    first_in.set()
                    time.sleep(0.5)  # hold the change while the other one starts
            outcome[target_id] = "demoted"
        except RuleError:
            outcome[target_id] = "refused"

    threads = [threading.Thread(target=demote, args=("u-liu", "u-li", False)),
               threading.Thread(target=demote, args=("u-li", "u-liu", True))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert outcome == {"u-li": "demoted", "u-liu": "refused"}
    with bot.store.transaction() as repos:
        left = repos.members.with_roles("sunshine", role_rules.MODERATING)
        assert [m.external_id for m in left] == ["u-liu"]
