"""议事 end to end through the bridge and the tick: propose → announce → discuss with a
queue and a message limit → vote (a re-vote, a refused chair vote) → result → decision →
公示 → follow-up → done → 成效评估; the refusals and bad arguments; and 有请当事人会办."""

from __future__ import annotations

from datetime import datetime

from bot import texts
from bot.domain.civility import insult_spans, is_insult, masked
from bot.domain.deliberation import HINT, INTAKE, OPINION, complaint_in_discussion, tally
from scheduler.tick import run_tick
from tests.conftest import TZ


def t(day: int, hhmm: str, month: int = 11) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, month, day, hours, minutes, tzinfo=TZ)


def tick(bot, receiver, when) -> list[dict]:
    before = len(receiver.posts)
    run_tick(bot, when)
    return [p for p in receiver.posts[before:] if p["kind"] != "digest"]


def say(chat, clock, when, who, text, **extra) -> list[str]:
    clock.set(when)
    return chat.say(who, text, **extra)


def test_a_whole_deliberation(chat, bot, receiver, clock):
    # 提议
    reply = say(chat, clock, t(24, "10:00"), "u-zhang", "/议题 决策 3号楼加装电梯")[0]
    assert reply.startswith("已登记议题 T1「3号楼加装电梯」（决策类）")
    assert "T1 3号楼加装电梯（决策）· 提议" in say(chat, clock, t(24, "10:01"), "u-gao",
                                                  "/议题列表")[0]

    # 告知, with a reminder an hour before
    reply = say(chat, clock, t(24, "10:05"), "u-li", "/告知 T1 明天晚上7点 社区会议室协调会")[0]
    assert "议事告知" in reply and "11-25 19:00" in reply and "社区会议室协调会" in reply
    assert tick(bot, receiver, t(25, "17:59")) == []
    reminder = tick(bot, receiver, t(25, "18:00"))
    assert len(reminder) == 1 and reminder[0]["topic_id"] == 1
    assert "19:00 将议事 T1" in reminder[0]["text"]

    # 协商: window, queue
    reply = say(chat, clock, t(25, "19:00"), "u-li", "/开始 T1 90分钟")[0]
    assert "开始协商 T1" in reply and "到 11-25 20:30 结束" in reply and "每人最多 10 条" in reply
    assert say(chat, clock, t(25, "19:01"), "u-zhang", "/举手")[0] == texts.hand_raised("张阿姨", 1)
    assert say(chat, clock, t(25, "19:02"), "u-gao", "/hand")[0] == texts.hand_raised("高先生", 2)
    assert say(chat, clock, t(25, "19:02"), "u-zhang", "/举手")[0] == texts.hand_already_raised(1)
    reply = say(chat, clock, t(25, "19:03"), "u-li", "/下一位")[0]
    assert reply.startswith("请 张阿姨 发言（后面还有 1 位）")
    assert chat.last["replies"][0]["mentions"] == ["u-zhang"]
    say(chat, clock, t(25, "19:04"), "u-li", "/下一位")
    assert say(chat, clock, t(25, "19:05"), "u-li", "/下一位")[0] == texts.NO_HANDS

    # 限时限次: the 11th message gets one polite warning, the 12th none
    for i in range(10):
        assert say(chat, clock, t(25, "19:10"), "u-laoliu", f"我说第{i + 1}点，电梯很有必要") == []
    warning = say(chat, clock, t(25, "19:11"), "u-laoliu", "还有一点")
    assert warning == [texts.message_limit_warning("刘大爷", 10) + "\n@刘大爷"]
    assert say(chat, clock, t(25, "19:12"), "u-laoliu", "最后一点") == []
    # a resident's opinion in the discussion opens no case
    assert say(chat, clock, t(25, "19:13"), "u-gao", "电梯坏了谁来修？维修基金够不够") == []

    # 尊重他人: flagged to the moderators, neither repeated nor naming the speaker
    flagged = say(chat, clock, t(25, "19:14"), "u-xiaosun", "你这个人就是个神经病")[0]
    assert flagged.startswith(texts.RESPECT_REMINDER) and "神经病" not in flagged
    assert "孙女士" not in flagged
    assert "u-li" in chat.last["replies"][0]["mentions"]

    # 一事一议: a second topic cannot open while T1 is under discussion
    say(chat, clock, t(25, "19:20"), "u-gao", "/议题 小区停车收费标准")
    assert say(chat, clock, t(25, "19:21"), "u-li", "/开始 T2")[0] == \
        texts.topic_one_at_a_time(1, "3号楼加装电梯")

    # the window closes by itself
    closed = tick(bot, receiver, t(25, "20:31"))
    assert [p["text"] for p in closed] == [texts.discussion_closed(1, "3号楼加装电梯")]
    assert say(chat, clock, t(25, "20:32"), "u-zhang", "/举手")[0] == texts.NO_OPEN_DISCUSSION

    # 决策: chair does not vote, votes can change, reminder, result by simple majority
    reply = say(chat, clock, t(25, "21:00"), "u-li", "/表决 T1 24h")[0]
    assert "选项 同意 / 反对 / 弃权" in reply and "11-26 21:00 截止" in reply
    assert say(chat, clock, t(25, "21:01"), "u-li", "/投票 T1 同意")[0] == texts.CHAIR_DOES_NOT_VOTE
    assert say(chat, clock, t(25, "21:02"), "u-zhang", "/投票 T1 同意")[0] == \
        texts.vote_recorded("张阿姨", 1, "同意", False)
    say(chat, clock, t(25, "21:03"), "u-gao", "/vote T1 反对")
    assert say(chat, clock, t(25, "21:04"), "u-gao", "/投票 T1 同意")[0] == \
        texts.vote_recorded("高先生", 1, "同意", True)
    say(chat, clock, t(25, "21:05"), "u-xiaosun", "/投票 T1 弃权")
    assert "没有“也许”这个选项" in say(chat, clock, t(25, "21:06"), "u-laoliu", "/投票 T1 也许")[0]
    reminder = [p for p in tick(bot, receiver, t(26, "19:00")) if p["kind"] == "vote"]
    assert len(reminder) == 1 and "21:00 截止" in reminder[0]["text"]
    assert "u-laoliu" in reminder[0]["mentions"] and "u-zhang" not in reminder[0]["mentions"]
    assert "u-li" not in reminder[0]["mentions"]
    result = [p for p in tick(bot, receiver, t(26, "21:00")) if p["kind"] == "vote"]
    assert len(result) == 1
    assert "同意 2，反对 0，弃权 1（有效票 2，弃权不计）" in result[0]["text"]
    assert "\n通过。" in result[0]["text"]
    assert say(chat, clock, t(26, "21:01"), "u-laoliu", "/投票 T1 反对")[0].startswith(
        "T1 目前在“已表决，待决议”阶段")

    # 公示: start, midway, end
    reply = say(chat, clock, t(27, "09:00"), "u-li", "/决议 T1 同意加装电梯，费用按楼层分摊")[0]
    assert reply.startswith("📌 公示") and "公示期至 12-04 09:00" in reply
    midway = tick(bot, receiver, t(30, "21:00"))
    assert len(midway) == 1 and midway[0]["kind"] == "publicity" and "公示提醒" in midway[0]["text"]
    end = tick(bot, receiver, t(4, "09:00", month=12))
    assert [p["text"] for p in end] == [texts.publicity_ended(1, "3号楼加装电梯")]

    # 监督: a follow-up every half month for a 决策类 topic
    assert tick(bot, receiver, t(18, "08:59", month=12)) == []
    followup = tick(bot, receiver, t(19, "09:00", month=12))
    assert len(followup) == 1 and "议题回访" in followup[0]["text"]
    assert tick(bot, receiver, t(20, "09:00", month=12)) == []

    # 完成 and 成效评估
    reply = say(chat, clock, t(20, "10:00", month=12), "u-li", "/完成 T1")[0]
    assert "已完成" in reply and "/评分 T1 5" in reply
    assert say(chat, clock, t(20, "10:01", month=12), "u-zhang", "/评分 T1 5")[0] == \
        texts.topic_rated(1, 5)
    say(chat, clock, t(20, "10:02", month=12), "u-gao", "/评分 T1 4")
    assert say(chat, clock, t(20, "10:03", month=12), "u-gao", "/评分 T1 9")[0] == \
        texts.TOPIC_SCORE_RANGE
    average = tick(bot, receiver, t(23, "10:00", month=12))
    assert [p["text"] for p in average] == [
        texts.topic_rating_result(1, "3号楼加装电梯", 4.5, 2)]

    # the timeline shows every step
    detail = say(chat, clock, t(23, "11:00", month=12), "u-gao", "/议题列表 T1")[0]
    for label in ("提议", "告知", "开始协商", "点名发言", "协商结束", "发起表决", "表决结束",
                  "形成决议", "公示期满", "完成"):
        assert label in detail, label
    assert "· 完成" in detail.splitlines()[0]


def test_speaking_queue_line_is_true_for_the_last_hand(chat, clock):
    """The last raised hand is called: the line says nobody else is waiting (not that
    everyone has spoken — the one called has not yet). Hands raised in the same second
    (the clock is frozen here) keep their order, and a hand raised again after being
    called joins the end of the queue."""
    clock.set(t(24, "19:00"))
    chat.say("u-gao", "/议题 楼下广场舞音量")
    chat.say("u-li", "/开始 T1")
    chat.say("u-laoliu", "/举手")
    chat.say("u-zhang", "/举手")
    assert chat.say("u-li", "/下一位") == ["请 刘大爷 发言（后面还有 1 位）\n@刘大爷"]
    chat.say("u-laoliu", "/举手")                       # 刘大爷 wants to speak again
    assert chat.say("u-li", "/下一位") == ["请 张阿姨 发言（后面还有 1 位）\n@张阿姨"]
    last = chat.say("u-li", "/下一位")
    assert last == ["请 刘大爷 发言（后面暂时没有人举手，想发言请发送 /举手）\n@刘大爷"]
    assert "都发过言" not in last[0]
    assert chat.last["replies"][0]["mentions"] == ["u-laoliu"]
    assert chat.say("u-li", "/下一位") == [texts.NO_HANDS]


def test_vote_receipt_says_whose_vote(chat, clock):
    clock.set(t(24, "10:00"))
    chat.say("u-gao", "/议题 春节活动去哪里")
    chat.say("u-li", "/表决 T1 公园 广场")
    assert chat.say("u-zhang", "/投票 T1 广场") == ["已记下 张阿姨 的一票：T1 投“广场”。"]
    assert chat.say("u-laoliu", "/投票 T1 公园") == ["已记下 刘大爷 的一票：T1 投“公园”。"]
    assert chat.say("u-zhang", "/投票 T1 公园") == ["张阿姨 已改票：T1 改投“公园”。"]


def test_topic_refusals_and_bad_arguments(chat, clock):
    assert texts.TOPIC_TITLE_MISSING in chat.say("u-zhang", "/议题")[0]
    chat.say("u-zhang", "/议题 咨询 快递柜放哪里")
    assert "只有网格员" in chat.say("u-zhang", "/开始 T1")[0]
    assert "不是议题编号" in chat.say("u-li", "/开始 一号")[0]
    assert chat.say("u-li", "/开始 T9")[0] == texts.TOPIC_NOT_FOUND.format(topic_id=9)
    assert "看不懂时间" in chat.say("u-li", "/告知 T1 改天 群里")[0]
    assert "不是时长" in chat.say("u-li", "/开始 T1 一会儿")[0]
    assert chat.say("u-zhang", "/举手")[0] == texts.NO_OPEN_DISCUSSION
    assert chat.say("u-li", "/下一位")[0] == texts.NO_OPEN_DISCUSSION
    assert chat.say("u-li", "/表决 T1 同意")[0] == texts.VOTE_OPTIONS_INVALID
    assert "不能形成决议" in chat.say("u-li", "/决议 T1 就这么定")[0]
    assert "请写上决议内容" in chat.say("u-li", "/决议 T1")[0]
    assert "不能投票" in chat.say("u-zhang", "/投票 T1 同意")[0]
    assert chat.say("u-zhang", "/评分 T1 5")[0] == texts.topic_rating_closed(1)
    assert "不能完成" in chat.say("u-li", "/完成 T1")[0]
    # accepted topic references
    assert "T1" in chat.say("u-zhang", "/议题列表 #T1")[0]
    assert "T1" in chat.say("u-zhang", "/议题列表 议题1")[0]
    assert chat.say("u-zhang", "/议题列表 t1")[0].startswith("议题 T1")


def test_vote_closes_at_deadline_and_named_options(chat, bot, receiver, clock):
    clock.set(t(24, "10:00"))
    chat.say("u-gao", "/议题 春节活动去哪里")
    chat.say("u-li", "/表决 T1 公园 广场 活动室 2h 3人")
    chat.say("u-zhang", "/投票 T1 广场")
    chat.say("u-gao", "/投票 T1 广场")
    chat.say("u-laoliu", "/投票 T1 公园")
    clock.set(t(24, "12:00"))
    assert chat.say("u-xiaosun", "/投票 T1 公园")[0] == texts.vote_closed(1)
    result = [p for p in tick(bot, receiver, t(24, "12:00")) if p["kind"] == "vote"]
    assert "公园 1，广场 2，活动室 0" in result[0]["text"] and "结果：广场" in result[0]["text"]


def test_quorum_and_no_majority():
    assert tally({"同意": 2, "反对": 1}, ["同意", "反对", "弃权"], 5).passed is False
    assert tally({"同意": 2, "反对": 1}, ["同意", "反对", "弃权"], 5).quorum_met is False
    tie = tally({"同意": 2, "反对": 2, "弃权": 3}, ["同意", "反对", "弃权"], 0)
    assert tie.passed is False and tie.winner is None
    assert tally({"同意": 3, "反对": 2, "弃权": 9}, ["同意", "反对", "弃权"], 0).passed is True
    assert tally({}, ["同意", "反对", "弃权"], 0).passed is False


def test_convene_turns_a_case_into_a_topic(chat, bot, clock):
    clock.set(t(24, "10:00"))
    chat.say("u-zhang", "楼上漏水，我家卫生间天花板一直在滴水")
    n = chat.last["replies"][0]["case_id"]
    chat.say("u-wang", f"/接单 #{n}")
    assert "只有网格员" in chat.say("u-zhang", f"/会办 #{n}")[0]
    reply = chat.say("u-li", f"/会办 #{n}")[0]
    out = chat.last["replies"][0]
    assert "有请当事人会办" in reply and out["kind"] == "topic"
    assert out["case_id"] == n and out["topic_id"] == 1
    assert set(out["mentions"]) >= {"u-zhang", "u-wang"}
    assert chat.say("u-li", f"/会办 #{n}")[0] == texts.case_already_convened(n, 1)
    assert "会办" in chat.say("u-zhang", f"/工单 #{n}")[0]
    with bot.store.transaction() as repos:
        assert repos.topics.get(1).case_id == n
    assert chat.say("u-li", "/会办 #999")[0] == texts.CASE_NOT_FOUND.format(case_id=999)


def test_weekly_topic_call_lists_open_topics(chat, bot, receiver, clock):
    clock.set(t(24, "10:00"))
    chat.say("u-gao", "/议题 小区停车收费标准")
    monday = tick(bot, receiver, t(30, "09:00"))
    call = [p for p in monday if "议题征集" in p["text"]]
    assert call and "T1 小区停车收费标准" in call[0]["text"]


def test_topics_waiting_for_the_next_step_are_still_listed(chat, bot, receiver, clock):
    """A discussion that ended (待表决) and a vote that ended (待决议) are still open topics:
    the Monday 议题征集 and the half-monthly summary list them; a done topic is not."""
    clock.set(t(24, "10:00"))
    chat.say("u-gao", "/议题 小区停车收费标准")
    chat.say("u-zhang", "/议题 楼道堆物清理")
    chat.say("u-laoliu", "/议题 健身器材更换")
    chat.say("u-li", "/开始 T1 30分钟")
    chat.say("u-li", "/表决 T2 1小时")
    tick(bot, receiver, t(24, "11:30"))                  # the window and the vote end
    clock.set(t(24, "11:31"))
    chat.say("u-li", "/开始 T3")
    chat.say("u-li", "/决议 T3 下月更换")
    chat.say("u-li", "/完成 T3")
    with bot.store.transaction() as repos:
        assert [repos.topics.get(i).step for i in (1, 2, 3)] == ["discussed", "voted", "done"]
    monday = tick(bot, receiver, t(30, "09:00"))
    [call] = [p["text"] for p in monday if "议题征集" in p["text"]]
    assert "T1 小区停车收费标准（协商）· 协商结束，待表决" in call
    assert "T2 楼道堆物清理（协商）· 已表决，待决议" in call
    assert "T3" not in call
    run_tick(bot, t(1, "09:00", month=12))
    summary = [p["text"] for p in receiver.posts if "半月汇总" in p["text"]]
    assert summary and "T1 " in summary[0] and "T2 " in summary[0] and "T3" not in summary[0]


def test_late_announcement_is_reminded_at_once_and_only_before_the_meeting(chat, bot, receiver,
                                                                           clock):
    clock.set(t(24, "10:00"))
    chat.say("u-gao", "/议题 绿化带改停车位")
    chat.say("u-li", "/告知 T1 今天上午10点30分 群内")   # the reminder time (9:30) has passed
    reminders = tick(bot, receiver, t(24, "10:01"))
    assert [p["topic_id"] for p in reminders] == [1] and "10:30 将议事" in reminders[0]["text"]
    assert tick(bot, receiver, t(24, "10:02")) == []


def test_rating_during_a_discussion_still_counts(chat, bot, clock):
    clock.set(t(24, "10:00"))
    chat.say("u-zhang", "3号楼楼道灯坏了")
    n = chat.last["replies"][0]["case_id"]
    chat.say("u-wang", f"/办结 #{n}")
    chat.say("u-gao", "/议题 小区停车收费标准")
    chat.say("u-li", "/开始 T1")
    assert chat.say("u-zhang", "满意")[0] == texts.case_rated(n, "满意")
    assert chat.say("u-gao", "停车费太贵了，根本停不下") == []   # an opinion, not a new case
    assert chat.say("u-gao", "/报修 5号楼电梯坏了")[0].startswith("已受理")


def test_half_monthly_summary_lists_open_topics(chat, bot, receiver, clock):
    clock.set(t(24, "10:00"))
    chat.say("u-gao", "/议题 小区停车收费标准")
    run_tick(bot, t(1, "09:00", month=12))
    summary = [p for p in receiver.posts if "半月汇总" in p["text"]]
    assert summary and "进行中的议题：T1 小区停车收费标准（协商）· 提议" in summary[0]["text"]


# --- plain words during a discussion and a vote ----------------------------------------------

def _discussion(chat, clock, title="3号楼加装电梯"):
    clock.set(t(24, "10:00"))
    chat.say("u-gao", f"/议题 {title}")
    chat.say("u-li", "/开始 T1 2h")


def _cases(bot) -> list:
    with bot.store.transaction() as repos:
        return [(c.id, c.category, c.text) for c in repos.cases.open_in_community("sunshine")]


def test_complaints_during_a_discussion_still_open_cases(chat, bot, clock):
    _discussion(chat, clock)
    # the words: a new problem, not about the topic, is heard
    reply = chat.say("u-laoliu", "我家水管又漏了 厨房地上全是水")
    assert reply and "已受理 #1" in reply[0]
    reply = chat.say("u-zhang", "6号楼门禁坏了，刷卡没反应")
    assert reply[0].startswith("已受理 #2") and "6号楼" in reply[0]
    # words about the topic stay opinions, however much they sound like a complaint
    assert chat.say("u-xiaosun", "电梯太旧了，经常坏") == []
    assert chat.say("u-gao", "电梯坏了谁来修？维修基金够不够") == []
    # a close call gets one line about /报修 and opens nothing
    assert chat.say("u-xiaosun", "楼道里有股怪味") == [texts.COMPLAINT_IN_DISCUSSION_HINT]
    assert [c[0] for c in _cases(bot)] == [1, 2]
    # plain talk is still just talk
    assert chat.say("u-zhang", "我觉得加装电梯对老人很有必要") == []


def test_what_a_complaint_during_a_discussion_is():
    assert complaint_in_discussion(False, False, 0.1, False) == OPINION
    assert complaint_in_discussion(True, True, 0.5, True) == INTAKE      # danger first
    assert complaint_in_discussion(True, False, 0.99, True) == OPINION   # about the topic
    assert complaint_in_discussion(True, False, 0.95, False) == INTAKE
    assert complaint_in_discussion(True, False, 0.6, False) == HINT


def test_a_plain_option_word_during_a_vote_is_a_vote(chat, bot, receiver, clock):
    clock.set(t(24, "10:00"))
    assert chat.say("u-zhang", "同意") == []                 # no vote under way: just chat
    chat.say("u-gao", "/议题 3号楼加装电梯")
    chat.say("u-li", "/表决 T1 2h")
    assert chat.say("u-zhang", "同意") == [texts.vote_recorded("张阿姨", 1, "同意", False)]
    assert chat.last["replies"][0]["topic_id"] == 1
    assert chat.say("u-gao", "我不同意！") == [texts.vote_recorded("高先生", 1, "反对", False)]
    assert chat.say("u-laoliu", "投弃权票") == [texts.vote_recorded("刘大爷", 1, "弃权", False)]
    assert chat.say("u-zhang", "反对") == [texts.vote_recorded("张阿姨", 1, "反对", True)]
    assert chat.say("u-xiaosun", "同意孙女士说的，先把方案公示") == []  # an opinion, not a ballot
    assert chat.say("u-li", "同意") == []                   # 主持中立: the chair casts none
    clock.set(t(24, "12:00"))
    assert chat.say("u-xiaosun", "同意") == []              # too late: not counted
    result = [p for p in tick(bot, receiver, t(24, "12:00")) if p["kind"] == "vote"]
    assert "同意 0，反对 2，弃权 1" in result[0]["text"]


def test_two_votes_at_once_ask_which(chat, clock):
    clock.set(t(24, "10:00"))
    chat.say("u-gao", "/议题 3号楼加装电梯")
    chat.say("u-gao", "/议题 小区停车收费标准")
    chat.say("u-li", "/表决 T1")
    chat.say("u-li", "/表决 T2")
    assert chat.say("u-zhang", "同意") == [texts.which_vote([1, 2])]
    assert chat.say("u-zhang", "/投票 T2 同意") == [texts.vote_recorded("张阿姨", 2, "同意", False)]


def test_insults_are_flagged_to_the_moderators_without_naming_anyone(chat, bot, clock):
    _discussion(chat, clock)
    for words in ("你懂个屁", "老糊涂，滚", "废物"):
        reply = chat.say("u-gao", words)
        assert reply == [texts.RESPECT_REMINDER + "\n@赵网格 @李书记"], words
        assert set(chat.last["replies"][0]["mentions"]) == {"u-zhao", "u-li"}
    # look-alikes are not insults
    for words in ("滚动屏幕上的通知看不清", "我老糊涂了，忘了开会时间", "坐久了屁股疼",
                  "废物利用做了个花架", "你妈妈身体好点了吗"):
        assert chat.say("u-zhang", words) == [], words
    assert _cases(bot) == []


def test_an_insult_is_never_a_case(chat, bot, clock):
    clock.set(t(24, "10:00"))
    for words in ("废物", "垃圾物业，滚", "你懂个屁", "老糊涂，滚", "一群废物"):
        assert chat.say("u-gao", words) == [], words
    assert _cases(bot) == []
    # a real problem next to an insult is heard, and the insult is not quoted back
    reply = chat.say("u-gao", "物业都是废物，8号楼电梯坏了一周没人管")
    assert reply[0].startswith("已受理 #1") and not any("废物" in r for r in reply)
    assert "物业都是××" in reply[1]  # the ping to staff quotes it masked


def test_insult_words_and_their_look_alikes():
    for words in ("你懂个屁", "老糊涂，滚", "废物", "你给我滚出去", "一群废物", "你真是老糊涂了",
                  "SB物业", "你这个人就是个神经病"):
        assert is_insult(words), words
    for words in ("滚动屏幕坏了", "扶手电梯的滚梯不动了", "小孩在地上打滚", "水滚开了",
                  "屁股摔疼了", "我老糊涂了", "人老糊涂了", "废物回收点满了", "垃圾桶满了",
                  "你妈妈在家吗", "池塘过去死了好多鱼", "bsb", "同意"):
        assert not is_insult(words), words
    assert is_insult("这人真是个棒槌", ["棒槌"]) and not is_insult("这人真是个棒槌")
    assert insult_spans("物业都是废物") == [(4, 6)]
    assert masked("你懂个屁，滚") == "你懂××，×"
