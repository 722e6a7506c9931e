"""A scripted day in 阳光小区: four residents, two staff, a grid worker and a moderator;
complaints, duplicates, a group complaint, a transfer, an unsatisfied rating. Checks the
final state of every case and the 三率."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import TZ


def at(clock, hhmm: str) -> None:
    hours, minutes = map(int, hhmm.split(":"))
    clock.set(datetime(2026, 11, 23, hours, minutes, tzinfo=TZ))


def test_a_day_in_the_group(chat, bot, clock):
    def say(time_, who, text, **extra):
        at(clock, time_)
        return chat.say(who, text, **extra)

    def case_of_last():
        return chat.last["replies"][0]["case_id"]

    # morning: complaints come in
    assert say("08:00", "u-zhang", "3号楼2单元楼道灯坏了，晚上黑乎乎的")[0].startswith("已受理")
    light = case_of_last()
    say("08:10", "u-laoliu", "5号楼电梯又坏了，按了没反应")
    lift = case_of_last()
    assert f"#{lift}" in say("08:20", "u-xiaosun", "5号楼电梯坏了好几天了，天天爬楼")[0]
    assert "【群体诉求】" in say("08:30", "u-gao", "5号楼电梯还是坏的，老人爬楼太累了")[0]

    # staff pick them up, in words and by command
    assert say("08:40", "u-wang", f"#{light} 收到，马上到")[0].startswith(f"#{light} 已由 王师傅")
    say("09:00", "u-wang", f"/接单 #{lift}")
    say("09:05", "u-wang", f"/进展 #{lift} 已联系电梯公司，中午前到")

    # an urgent outage that belongs to the power company
    assert say("09:30", "u-xiaosun", "7号楼整栋楼停电了，冰箱都化了")[0].startswith("【紧急】")
    outage = case_of_last()
    say("09:40", "u-zhao", f"/转办 #{outage} 供电公司 外线故障，已报95598")

    # the light: fixed, not satisfied, fixed again, satisfied
    say("10:00", "u-wang", f"#{light} 已修好")
    reopened = say("10:30", "u-zhang", "不满意，只换了一楼的，二楼还是黑的")[0]
    assert "不满意" in reopened and "@赵网格" in reopened and "@李书记" in reopened
    say("11:00", "u-wang", f"/办结 #{light} 二楼也换好了")
    assert "满意" in say("11:10", "u-zhang", "满意")[0]

    # a fee complaint for the property manager
    say("12:00", "u-laoliu", "物业费凭什么又涨价，服务一点没变好")
    fee = case_of_last()
    assert chat.last["replies"][0]["mentions"] == []           # the resident: thanks
    assert chat.last["replies"][1]["mentions"] == ["u-chen"]   # the ping to the manager
    say("12:05", "u-chen", f"/接单 #{fee}")
    say("12:30", "u-chen", f"/办结 #{fee} 收费标准已在公告栏公示，欢迎来物业中心咨询")
    say("12:40", "u-laoliu", "还行吧")

    # the lift is repaired; all three complainants are asked to rate
    say("14:00", "u-wang", f"/办结 #{lift} 电梯公司已更换主板")
    request = chat.last["replies"][0]
    assert request["kind"] == "rating_request"
    assert request["mentions"] == ["u-laoliu", "u-xiaosun", "u-gao"]
    assert "还有 2 位诉求人没有评价" in say("14:10", "u-xiaosun", "满意，谢谢师傅")[0]
    say("14:20", "u-laoliu", "满意")
    assert "工单已关闭（基本满意）" in say("14:25", "u-gao", "还行")[0]   # the worst rating

    # a noise complaint the moderator settles offline
    say("15:00", "u-gao", "楼上装修太吵了，中午也在砸墙")
    noise = case_of_last()
    say("15:10", "u-li", f"/关闭 #{noise} 已与装修户沟通，中午不再施工")

    # chit-chat opens nothing
    assert say("15:30", "u-zhang", "今天天气真好，大家下午好") == []

    with bot.store.transaction() as repos:
        final = {n: repos.cases.get(n) for n in (light, lift, outage, fee, noise)}
        assert len(repos.cases.opened_between("sunshine", datetime(2026, 11, 1, tzinfo=TZ),
                                              datetime(2026, 12, 1, tzinfo=TZ))) == 5
    assert (final[light].state, final[light].rating) == ("closed", "satisfied")
    assert (final[lift].state, final[lift].rating) == ("closed", "basic")
    assert final[lift].group_complaint and len(final[lift].complainants) == 3
    assert final[outage].state == "transferred" and final[outage].transferred_to == "供电公司"
    assert final[outage].urgent
    assert (final[fee].state, final[fee].rating) == ("closed", "basic")
    assert (final[noise].state, final[noise].rating) == ("closed", None)

    stats = say("16:00", "u-li", "/统计")[0]
    assert "新受理 5 件" in stats
    assert "响应率 100%（4/4）" in stats          # the noise case was not yet due
    assert "解决率 60%（3/5）" in stats           # light, lift, fee
    assert "满意率 100%（3/3）" in stats          # one rating per rated case
    assert "重新处理 1 件" in stats and "群体诉求 1 件" in stats
    listing = say("16:05", "u-zhang", "/工单")[0]
    assert f"#{outage}" in listing and "已转办" in listing and f"#{light}" not in listing
