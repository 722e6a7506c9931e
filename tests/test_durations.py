"""Durations in Chinese work wherever a duration is typed or configured (2天, 48小时,
半小时, 1天半, 两个小时), and an absurd one gets the usage line, not an apology."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import MAX_DURATION, parse_duration


@pytest.mark.parametrize(("text", "expected"), [
    ("2天", timedelta(days=2)), ("48小时", timedelta(hours=48)),
    ("半小时", timedelta(minutes=30)), ("1天半", timedelta(days=1, hours=12)),
    ("两个小时", timedelta(hours=2)), ("两个半小时", timedelta(hours=2, minutes=30)),
    ("30分钟", timedelta(minutes=30)), ("一周", timedelta(weeks=1)),
    ("十二小时", timedelta(hours=12)), ("1.5天", timedelta(days=1, hours=12)),
    ("6h", timedelta(hours=6)), ("2d", timedelta(days=2)), ("90m", timedelta(minutes=90)),
])
def test_durations_people_type(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["99999999d", "1000天", "三", "明天", "", "2x"])
def test_not_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)
    assert MAX_DURATION >= timedelta(days=365)


def _open_case(chat) -> int:
    chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
    return chat.last["replies"][0]["case_id"]


@pytest.mark.parametrize(("span", "hours"), [("2天", 48), ("1天半", 36), ("两个小时", 2),
                                             ("48小时", 48)])
def test_extend_takes_chinese_durations(chat, bot, span, hours):
    case_id = _open_case(chat)
    with bot.store.transaction() as repos:
        before = repos.cases.get(case_id).resolve_by
    reply = chat.say("u-wang", f"/延期 #{case_id} {span} 等配件")[0]
    assert "办结期限延至" in reply, reply
    with bot.store.transaction() as repos:
        assert repos.cases.get(case_id).resolve_by - before == timedelta(hours=hours)


def test_absurd_extension_gets_the_usage_line(chat):
    case_id = _open_case(chat)
    reply = chat.say("u-wang", f"/延期 #{case_id} 99999999d 等配件")[0]
    assert "不是时长" in reply and "/延期" in reply
    assert "抱歉" not in reply


def test_discussion_window_in_chinese(chat):
    chat.say("u-li", "/议题 加装电梯")
    reply = chat.say("u-li", "/开始 T1 半小时")[0]
    assert "T1" in reply
