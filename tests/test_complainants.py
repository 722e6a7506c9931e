"""The complainants' side of a case with several complainants (群体诉求), as conversations
through the bridge: each complainant rates, 不满意 from any of them reopens the same case
and tells the others, the case closes when all have rated or the rating window ends, a
bystander's thanks is no rating, the 满意率 counts one rating per case; a reopening keeps
the case's urgency or raises it on danger words; withdrawing takes back only one's own
complaint."""

from __future__ import annotations

from datetime import timedelta

from bot import texts
from scheduler.tick import run_tick

LIFT = "3号楼电梯又坏了，按了没反应"
LIFT_TOO = "3号楼的电梯坏了，今天还没修"
LIFT_THREE = "3号楼电梯不动了，老人上不去"
GAS = "2单元楼道里一股很浓的煤气味，好像漏气了"


def _open(chat, sender, text) -> int:
    replies = chat.say(sender, text)
    assert replies and replies[0].startswith(("已受理", "【紧急】已受理")), replies
    return chat.last["replies"][0]["case_id"]


def _shared(chat, clock, *others) -> int:
    """A lift case raised by 张阿姨 and joined by each of `others`."""
    n = _open(chat, "u-zhang", LIFT)
    for who, text in zip(others, (LIFT_TOO, LIFT_THREE), strict=False):
        clock.advance(minutes=5)
        assert f"#{n}" in chat.say(who, text)[0]
    return n


def _resolved(chat, clock, n, staff="u-wang") -> None:
    chat.say(staff, f"/接单 #{n}")
    clock.advance(hours=1)
    chat.say(staff, f"/办结 #{n} 修好了")
    assert chat.last["replies"][0]["kind"] == "rating_request"


def _case(bot, n):
    with bot.store.transaction() as repos:
        case = repos.cases.get(n)
        events = [e.kind for e in repos.cases.events(n)]
        names = [c.member.name for c in case.complainants]
        return case, events, names


def _tick(bot, receiver, when) -> list[dict]:
    before = len(receiver.posts)
    run_tick(bot, when)
    return receiver.posts[before:]


# --- each complainant rates -------------------------------------------------------------------

def test_satisfied_waits_for_the_co_complainant_then_closes(chat, bot, clock):
    n = _shared(chat, clock, "u-gao")
    _resolved(chat, clock, n)
    assert chat.last["replies"][0]["mentions"] == ["u-zhang", "u-gao"]
    assert chat.say("u-zhang", "满意")[0] == texts.case_rated_waiting(n, "满意", 1)
    case, events, _ = _case(bot, n)
    assert case.state == "resolved" and events.count("rated") == 1
    assert chat.say("u-gao", "还行")[0] == texts.case_rated_all(n, "基本满意", "基本满意")
    case, events, _ = _case(bot, n)
    assert (case.state, case.rating) == ("closed", "basic")      # the worst of the two
    assert "已关闭（基本满意）" in chat.say("u-gao", f"/工单 #{n}")[0]


def test_the_other_order_closes_alike(chat, bot, clock):
    n = _shared(chat, clock, "u-gao")
    _resolved(chat, clock, n)
    assert chat.say("u-gao", f"/评价 #{n} 满意")[0] == texts.case_rated_waiting(n, "满意", 1)
    assert chat.say("u-zhang", "满意 谢谢王师傅")[0] == texts.case_rated_all(n, "满意", "满意")
    assert (_case(bot, n)[0].state, _case(bot, n)[0].rating) == ("closed", "satisfied")


def test_unsatisfied_after_a_satisfied_reopens_the_same_case(chat, bot, clock):
    n = _shared(chat, clock, "u-gao")
    _resolved(chat, clock, n)
    chat.say("u-zhang", "满意")
    reply = chat.say("u-gao", "不满意！还是动不了")[0]
    out = chat.last["replies"][0]
    assert reply.startswith(f"#{n} 诉求人不满意（不满意！还是动不了），工单已重新打开")
    assert "其他诉求人" in reply and out["case_id"] == n and out["kind"] == "escalation"
    # the assignee, the grid worker, the moderator and the other complainant are told
    assert out["mentions"] == ["u-wang", "u-zhao", "u-li", "u-zhang"]
    case, events, _ = _case(bot, n)
    assert case.state == "reopened" and events[-3:] == ["rated", "rated", "reopened"]
    with bot.store.transaction() as repos:                     # no new case was opened
        assert [c.id for c in repos.cases.open_in_community("sunshine")] == [n]


def test_unsatisfied_first_then_the_others_thanks_is_no_rating(chat, bot, clock):
    n = _shared(chat, clock, "u-gao")
    _resolved(chat, clock, n)
    assert chat.say("u-zhang", "没修好，还是停在一楼")[0].startswith(f"#{n} 诉求人不满意")
    assert chat.last["replies"][0]["mentions"][-1] == "u-gao"
    # the case is being worked again: no rating, and no new case either
    assert chat.say("u-gao", "满意") == [f"谢谢您的反馈！#{n} 还在处理中，办结后会请您评价。"]
    case, events, _ = _case(bot, n)
    assert case.state == "reopened" and events.count("rated") == 1
    # worked again: this round both rate
    _resolved(chat, clock, n)
    chat.say("u-zhang", "满意")
    chat.say("u-gao", "满意")
    assert (_case(bot, n)[0].state, _case(bot, n)[0].rating) == ("closed", "satisfied")


def test_a_rated_complainants_later_thanks_is_not_counted_again(chat, bot, clock):
    n = _shared(chat, clock, "u-gao")
    _resolved(chat, clock, n)
    chat.say("u-zhang", "满意")
    assert chat.say("u-zhang", "谢谢王师傅 辛苦了") == []
    assert _case(bot, n)[1].count("rated") == 1
    # …but a change of mind to 不满意 still reopens
    assert chat.say("u-zhang", "不满意，又坏了")[0].startswith(f"#{n} 诉求人不满意")


def test_a_bystanders_thanks_is_no_rating(chat, bot, clock):
    n = _open(chat, "u-zhang", LIFT)
    _resolved(chat, clock, n)
    request = chat.last["replies"][0]
    assert chat.say("u-xiaosun", "谢谢王师傅 辛苦了") == []          # no record, no reply
    quoted = chat.say("u-xiaosun", "谢谢王师傅 辛苦了",
                      quote={"msg_id": request["msg_id"], "text": request["text"]})
    assert quoted == [texts.bystander_thanks(n)]
    assert chat.say("u-xiaosun", "@邻里议事 谢谢你们") == [texts.bystander_thanks(None)]
    assert chat.say("u-xiaosun", f"/评价 #{n} 满意")[0] == texts.not_complainant(n, "评价")
    case, events, _ = _case(bot, n)
    assert case.state == "resolved" and "rated" not in events
    assert chat.say("u-zhang", "谢谢王师傅 辛苦了")[0] == texts.case_rated(n, "满意")


# --- the rating window ---------------------------------------------------------------------------

def test_window_ends_with_one_rating_missing(chat, bot, clock, receiver):
    n = _shared(chat, clock, "u-gao")
    _resolved(chat, clock, n)
    resolved_at = clock()
    chat.say("u-zhang", "满意")
    reminders = [p for p in _tick(bot, receiver, resolved_at + timedelta(hours=24))
                 if p["case_id"] == n]
    assert [p["mentions"] for p in reminders] == [["u-gao"]]      # only who has not rated
    closed = [p for p in _tick(bot, receiver, resolved_at + timedelta(days=3))
              if p["case_id"] == n]
    assert [p["text"] for p in closed] == [texts.rating_window_closed(n, "满意") + "\n@高先生"]
    case, events, _ = _case(bot, n)
    assert (case.state, case.rating) == ("closed", "satisfied") and events[-1] == "closed"
    assert chat.say("u-li", "/统计")[0].count("满意率 100%（1/1）") == 1


def test_window_ends_with_nobody_rating(chat, bot, clock, receiver):
    n = _shared(chat, clock, "u-gao")
    _resolved(chat, clock, n)
    closed = [p for p in _tick(bot, receiver, clock() + timedelta(days=3))
              if p["case_id"] == n and p["kind"] == "notice"]
    assert [p["mentions"] for p in closed] == [["u-zhang", "u-gao"]]
    assert closed[0]["text"].startswith(texts.rating_timed_out(n))
    assert (_case(bot, n)[0].state, _case(bot, n)[0].rating) == ("closed", None)


# --- 满意率: one rating per case ----------------------------------------------------------------

def test_stats_count_each_case_once_by_its_worst_rating(chat, bot, clock, receiver):
    a = _shared(chat, clock, "u-gao")                      # 满意 + 基本满意: counts 基本满意
    b = _open(chat, "u-laoliu", "9号楼下水道堵了，污水往外冒")
    clock.advance(minutes=5)
    chat.say("u-xiaosun", "9号楼下水道堵了，污水往外冒了一地")
    c = _open(chat, "u-zhang", "小区东门门禁坏了刷不开")   # nobody rates: not counted
    for n in (a, b, c):
        _resolved(chat, clock, n)
    chat.say("u-zhang", f"#{a} 满意")
    chat.say("u-gao", "基本满意")
    chat.say("u-laoliu", "满意")                           # b: 满意 then 不满意
    chat.say("u-xiaosun", "不满意，还是堵")
    text = chat.say("u-li", "/统计")[0]
    assert "满意率 50%（1/2）" in text and "重新处理 1 件" in text
    # b worked again and both satisfied: its latest round counts
    _resolved(chat, clock, b)
    chat.say("u-laoliu", "满意")
    chat.say("u-xiaosun", "满意")
    _tick(bot, receiver, clock() + timedelta(days=3))      # c closes unrated
    assert "满意率 100%（2/2）" in chat.say("u-li", "/统计")[0]


# --- a reopening carries the case's urgency -------------------------------------------------

def test_reopened_gas_case_stays_urgent_with_advice(chat, bot, clock):
    n = _open(chat, "u-zhang", GAS)
    assert _case(bot, n)[0].urgent
    _resolved(chat, clock, n, staff="u-chen")
    clock.advance(hours=2)
    reply = chat.say("u-zhang", "不满意 还是有煤气味")[0]
    assert reply.startswith(f"【紧急】#{n} 诉求人不满意") and texts.SAFETY_ADVICE["gas"] in reply
    # the urgent ping: the assignee and the routed roles, then the community
    assert chat.last["replies"][0]["mentions"] == ["u-chen", "u-zhao", "u-li"]
    case, events, _ = _case(bot, n)
    assert case.state == "reopened" and case.urgent
    assert case.resolve_by == clock() + timedelta(hours=24)       # urgent SLA from now
    assert events[-2:] == ["reopened", "urgent"]


def test_plain_reopen_of_an_urgent_case_keeps_urgency(chat, bot, clock):
    n = _open(chat, "u-zhang", GAS)
    _resolved(chat, clock, n, staff="u-chen")
    clock.advance(hours=30)                                # past the first resolve deadline
    reply = chat.say("u-zhang", "不满意")[0]
    assert reply.startswith(f"【紧急】#{n} 诉求人不满意") and "紧急工单已重新打开" in reply
    assert texts.SAFETY_ADVICE["gas"] in reply            # the case's own advice
    case, events, _ = _case(bot, n)
    assert case.urgent and case.resolve_by == clock() + timedelta(hours=24)
    assert "urgent" not in events


def test_danger_words_make_a_reopened_case_urgent(chat, bot, clock):
    n = _open(chat, "u-zhang", "3号楼2单元楼道灯坏了三天了")
    _resolved(chat, clock, n)
    reply = chat.say("u-zhang", "不满意，电线还在冒火花")[0]
    out = chat.last["replies"][0]
    assert reply.startswith(f"【紧急】#{n} 诉求人不满意") and "升为紧急" in reply
    assert texts.SAFETY_ADVICE["electric"] in reply
    assert {"u-wang", "u-zhao", "u-li"} <= set(out["mentions"])
    case, events, _ = _case(bot, n)
    assert case.urgent and case.priority >= 1 and events[-2:] == ["reopened", "urgent"]
    assert case.resolve_by == clock() + timedelta(hours=24)


def test_plain_reopen_of_a_normal_case_restarts_its_deadline(chat, bot, clock):
    n = _open(chat, "u-zhang", "3号楼2单元楼道灯坏了三天了")
    _resolved(chat, clock, n)
    clock.advance(days=2)
    reply = chat.say("u-zhang", f"/评价 #{n} 不满意 晚上还是不亮")[0]
    assert reply.startswith(f"#{n} 诉求人不满意（晚上还是不亮）") and "【紧急】" not in reply
    case, _, _ = _case(bot, n)
    assert not case.urgent and case.resolve_by == clock() + timedelta(hours=72)


# --- withdrawal ----------------------------------------------------------------------------------

def test_withdrawing_takes_back_only_ones_own_complaint(chat, bot, clock):
    n = _shared(chat, clock, "u-gao", "u-laoliu")
    assert _case(bot, n)[0].group_complaint
    reply = chat.say("u-gao", f"/撤回 #{n}")[0]
    assert reply.startswith(texts.complainant_left(n, "高先生", 2))
    assert chat.last["replies"][0]["mentions"] == ["u-zhang", "u-laoliu"]
    case, events, names = _case(bot, n)
    assert case.state == "open" and names == ["张阿姨", "刘大爷"] and events[-1] == "left"
    assert chat.say("u-gao", f"/撤回 #{n}")[0] == texts.not_complainant(n, "撤回")
    assert "诉求人撤回" in chat.say("u-li", f"/工单 #{n}")[0]
    chat.say("u-zhang", f"/撤回 #{n}")
    assert chat.last["replies"][0]["mentions"] == ["u-laoliu"]
    assert _case(bot, n)[0].state == "open"
    assert chat.say("u-laoliu", f"/撤回 #{n}")[0] == texts.case_withdrawn(n)   # the last one
    case, events, names = _case(bot, n)
    assert case.state == "withdrawn" and names == ["刘大爷"] and events[-1] == "withdrawn"


def test_withdrawing_the_only_unrated_complaint_closes_a_rated_case(chat, bot, clock):
    n = _shared(chat, clock, "u-gao")
    _resolved(chat, clock, n)
    chat.say("u-zhang", "满意")
    reply = chat.say("u-gao", f"/撤回 #{n}")[0]
    assert reply.startswith(texts.complainant_left_closed(n, "高先生", "满意"))
    assert (_case(bot, n)[0].state, _case(bot, n)[0].rating) == ("closed", "satisfied")


def test_a_moderator_closing_a_partly_rated_case_keeps_the_rating(chat, bot, clock):
    n = _shared(chat, clock, "u-gao")
    _resolved(chat, clock, n)
    chat.say("u-gao", "基本满意")
    chat.say("u-li", f"/关闭 #{n} 已当面回访")
    assert (_case(bot, n)[0].state, _case(bot, n)[0].rating) == ("closed", "basic")
    assert "满意率 100%（1/1）" in chat.say("u-li", "/统计")[0]


def test_a_longer_unsatisfied_story_reopens_the_case_it_is_about(chat, bot, clock):
    n = _shared(chat, clock, "u-gao")
    _resolved(chat, clock, n)
    chat.say("u-zhang", "满意")
    story = "不满意！3号楼电梯还是停在一楼动不了，我家老人今天又爬了十五楼，你们到底修没修啊"
    assert chat.say("u-gao", story)[0].startswith(f"#{n} 诉求人不满意")
    with bot.store.transaction() as repos:
        assert [c.id for c in repos.cases.open_in_community("sunshine")] == [n]
    # a long story about something else is a new complaint, not a rating
    _resolved(chat, clock, n)
    other = "不满意！5号楼门口的垃圾桶好几天没人清了，臭得不行，苍蝇到处飞，物业管不管"
    assert chat.say("u-gao", other)[0].startswith("已受理")
    assert _case(bot, n)[0].state == "resolved"


def test_a_long_unsatisfied_rating_is_echoed_only_as_an_excerpt(chat):
    chat.say("u-zhang", "3号楼2单元楼道灯坏了三天了")
    n = chat.last["replies"][0]["case_id"]
    chat.say("u-wang", f"/办结 #{n} 换好了")
    sentence = "二楼三楼四楼五楼的灯还是不亮，晚上老人上下楼根本看不见，"
    reopened = chat.say("u-zhang", "不满意 " + sentence * 3)[0]
    assert "已重新打开" in reopened and reopened.count(sentence) <= 1


def test_a_longer_unsatisfied_story_reopens_the_one_case_waiting_whatever_its_words(chat):
    """Played over HTTP: "不满意 早上又停了一次 …" after an elevator fix read as an outage and
    opened a new case; the complainant's one case waiting for her rating is what she means."""
    chat.say("u-zhang", "5号楼1单元电梯又停了 我腿脚不好上不去")
    n = chat.last["replies"][0]["case_id"]
    chat.say("u-wang", f"/办结 #{n} 门锁接触不良 调好了")
    story = "不满意 早上又停了一次 " + "还是按了半天没反应，楼上老人下不来，" * 2
    reply = chat.say("u-zhang", story)
    assert f"#{n}" in reply[0] and "已重新打开" in reply[0], reply
    other = chat.say("u-zhang", "不满意 8号楼门口的路灯也坏了一个星期了，晚上黑乎乎的没人管")
    assert other[0].startswith("已受理"), other  # another place: a new case


def test_the_problem_back_after_the_case_closed_reopens_it(chat, bot, clock):
    """又…了 from its complainant within the rating window after a 满意 closed the case
    reopens that case (and keeps its urgency) instead of opening another."""
    chat.say("u-xiaosun", "5号楼1单元楼道里有股煤气味 挺冲的")
    n = chat.last["replies"][0]["case_id"]
    chat.say("u-chen", f"#{n} 查过了 软管老化 已经换好 没事了")
    chat.say("u-xiaosun", "满意")
    assert _case(bot, n)[0].state == "closed"
    clock.advance(days=1)
    replies = chat.say("u-xiaosun", "5号楼1单元又有煤气味了 跟昨天一样")
    case, events, _ = _case(bot, n)
    assert case.state == "reopened" and case.urgent and "reopened" in events[-2:]
    assert "【紧急】" in replies[0] and f"#{n}" in replies[0]
