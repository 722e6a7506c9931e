"""Never answer an addressed person with silence: a message naming a case, quoting the
bot or @-mentioning it gets an answer, whoever sends it."""

from __future__ import annotations

import pytest


@pytest.fixture
def case_id(chat) -> int:
    chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
    return chat.last["replies"][0]["case_id"]


def test_naming_a_case_gets_its_progress(chat, case_id):
    reply = chat.say("u-gao", f"#{case_id} 怎么样了")
    assert reply and f"#{case_id}" in reply[0]


def test_a_staff_plan_naming_a_case_is_not_met_with_silence(chat, case_id):
    assert chat.say("u-wang", f"#{case_id} 好的明天上午换灯泡")


def test_an_unknown_case_number_is_said(chat):
    assert "没有找到工单 #99" in chat.say("u-gao", "#99 进度如何")[0]


def test_quoting_the_bot_gets_an_answer(chat, case_id):
    bot_text = chat.last["replies"][0]["text"]
    assert chat.say("u-laoliu", "这是什么意思", quote={"msg_id": "out-1", "text": bot_text})


@pytest.mark.parametrize("text", ["@邻里议事 你好", "@机器人 在吗"])
def test_mentioning_the_bot_gets_an_answer(chat, text):
    reply = chat.say("u-xiaosun", text)
    assert reply and "/帮助" in reply[0]


def test_plain_chat_stays_quiet(chat):
    assert chat.say("u-xiaosun", "今天天气真好") == []


def test_progress_to_a_bystander_is_not_your_case(chat, case_id):
    reply = chat.say("u-gao", f"#{case_id} 怎么样了")[0]
    assert "您反映的问题" not in reply and "公共设施损坏" in reply and "3号楼2单元" in reply
    own = chat.say("u-zhang", f"#{case_id} 怎么样了")[0]
    assert "您反映的问题" in own
