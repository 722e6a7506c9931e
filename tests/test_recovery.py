"""No accepted message is lost: a message journalled but never handled (the process died
between storing and acting) is handled by the next tick and answered through the outbox."""

from __future__ import annotations

from datetime import timedelta

from bot.events import IncomingMessage
from bot.ingest import journal
from scheduler.tick import run_tick


def test_tick_handles_messages_left_by_a_crash(bot, receiver, clock):
    msg = IncomingMessage(channel="bridge", msg_id="crash-1", group_id="g-1",
                          sender_id="u-zhang", sender_name="张阿姨",
                          text="9号楼楼道灯全坏了", sent_at=clock())
    assert journal(bot, msg) is not None
    # a message being handled right now is left alone
    assert run_tick(bot, clock() + timedelta(seconds=10)).recovered == 0
    summary = run_tick(bot, clock() + timedelta(minutes=2))
    assert summary.recovered == 1 and summary.delivered == 2     # the answer and the ping
    assert receiver.posts[0]["text"].startswith("已受理 #")
    assert receiver.posts[1]["mentions"] == ["u-wang"]
    # handled once only
    assert run_tick(bot, clock() + timedelta(minutes=5)).recovered == 0
    assert len(receiver.posts) == 2


def test_redelivery_after_crash_is_still_a_duplicate(chat, bot, clock):
    msg = IncomingMessage(channel="bridge", msg_id="crash-2", group_id="g-1",
                          sender_id="u-zhang", text="早上好", sent_at=clock())
    journal(bot, msg)
    again = chat.post(chat.payload("u-zhang", "早上好", msg_id="crash-2")).get_json()
    assert again["duplicate"] is True
