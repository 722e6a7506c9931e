"""/工单 with many open cases says how many more there are and pages on /工单 更多;
filters by building, person and category; /统计 上周 and 上个月."""

from __future__ import annotations


def _open(chat, n: int) -> None:
    for i in range(n):
        chat.say(f"u-r{i}", f"{i + 1}号楼门口的路灯坏了")


def test_a_long_list_says_how_many_more_and_pages(chat):
    _open(chat, 40)
    first = chat.say("u-li", "/工单")[0]
    assert "进行中的工单（40件）" in first and "还有 10 件" in first and "/工单 更多" in first
    assert first.count("\n#") == 30
    second = chat.say("u-li", "/工单 更多")[0]
    assert second.count("\n#") == 10 and "还有" not in second


def test_filters_by_building_person_and_category(chat):
    chat.say("u-zhang", "5号楼2单元楼道灯坏了")
    chat.say("u-gao", "5号楼电梯又坏了")
    chat.say("u-laoliu", "3号楼电梯坏了")
    by_building = chat.say("u-li", "/工单 5号楼")[0]
    assert "（2件）" in by_building and "3号楼" not in by_building
    by_kind = chat.say("u-li", "/工单 电梯")[0]
    assert "（2件）" in by_kind and "公共设施损坏" not in by_kind
    assert "（1件）" in chat.say("u-zhang", "/工单 张阿姨")[0]
    assert "目前没有进行中的工单" in chat.say("u-li", "/工单 9号楼")[0]
    assert "不是工单编号" in chat.say("u-li", "/工单 啦啦啦")[0]


def test_stats_last_week_and_last_month(chat, clock):
    chat.say("u-zhang", "5号楼2单元楼道灯坏了")           # Tuesday 2026-11-24
    clock.advance(days=7)                                  # the next Tuesday
    assert "上周工单统计：新受理 1 件" in chat.say("u-li", "/统计 上周")[0]
    assert "本周工单统计：新受理 0 件" in chat.say("u-li", "/统计 本周")[0]
    clock.advance(days=10)                                 # 2026-12-08
    assert "上个月工单统计：新受理 1 件" in chat.say("u-li", "/统计 上个月")[0]
    assert "本月工单统计：新受理 0 件" in chat.say("u-li", "/统计 本月")[0]
