"""What a staff member's plain words do to a case.

Three intents, read by general rules a repairman's wording follows (`reply_intent`), not
by a phrase list:
  * RESOLVE, a fix: a completed result — a deed with its result and 了 (修好了, 清走了, 灯也
    好了, 下水通了), 已 before the work (已恢复供水, 已经关好了), 没事了 — never when it says
    the work is not done (还没好), asks (修好了吗？), is still to come (中午前弄好: no 了),
    is done only in part or for now (先…, 临时, 一部分) or is under way (正在换, 在查);
  * PROGRESS, a plan or progress: a time word before a deed (明天上午来换), an intention
    (查一下, 我让保安去…), a step under way (已联系厂家, 等配件, 到了, 是线路的问题) — a
    progress note in the case's timeline (and the 签收 when the case was still waiting for
    one);
  * CLAIM, an acknowledgement: 收到, 好的, 马上, 这就, 记下了 — the 签收; of a case already
    acknowledged it is a progress note when it carries news (我现在过去了), else chat.

Which case: the one the message names (#12, or a quoted post of the bot's about it); else
the candidates (`candidates`): the open cases of the conversation the sender answers for
(any staff member answers for an urgent case: danger first), narrowed by what the message
says (the residents it @-mentions or names, the place and the things it names) and by
time (the case the bot @-mentioned the sender about just now).  One candidate: the
words act on it and the answer says which; several: the bot asks which (naming them, or
only asking for the number when there are many), at most once per
`cases.ask_at_most_every` unless answered, and a bare number from the sender within
`cases.ask_answer_window` answers.  A reply that speaks of a colleague (陈经理: “收到！王师傅
马上到”) or that is said to everyone (“请大家…”, “各位…”, “今天安排：…”) is about no case of
the sender's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain.cases import most_alike, places_disagree, same_place, shares_a_word
from bot.domain.roles import COORDINATOR_ROLES, STAFF_ROLES
from bot.domain.routing import routed_roles, tier_roles

if TYPE_CHECKING:
    from bot.config import CommunityConfig
    from storage.models import Case, Member

RESOLVE, PROGRESS, CLAIM = "resolve", "progress", "claim"
WHICH_CASE = "which_case"  # the PendingQuestion kind of 请问是哪一件？

# --- the words of a repairman's reply, by general rule (see `reply_intent`) --------------
# A fix is a completed result: a verb with its result and 了 (修好了, 清走了, 灯也好了), or
# 已/已经 before the work (已恢复供水, 已经关好了).  Without 了 or 已 (中午前弄好, 把鞋柜挪走)
# it is still to come.
_RESULT_VERB = (r"固定|修|换|装|弄|调|接|关|放|清|搞|收|处理|整|补|焊|堵|刷|盖|贴|铺|测|打扫|安装|"
                r"更换|维修|疏通|通|理|拧|粘|缝|办|做|搬|挪|剪|砍|拆|封|锁|关闭|请|赶|劝|拖|运|送|"
                r"收拾|打|开|掏|擦|钉|抽|洗|捞|捡|铲|扫|拉|推|埋|包|填|砌|涂|喷|灌|挂|绑|扶|搭|"
                r"割|磨|冲|吸|倒|撤|围|录|消杀|杀|灭")
_RESULT = (r"好|完|干净|走|掉|通|开|上|进去|出去|回去|回家|下来|散|灭|复|住|严|牢|紧|死|出来|上去|"
           r"下去|起来|过")
_LE = r"(?:了|啦|咯|喽|勒|嘞)"
_DONE_WORDS = (rf"(?:{_RESULT_VERB})(?:{_RESULT}){_LE}"          # 修好了 挪走了 换上了 关严了
               rf"|(?:修复|恢复(?:正常)?|扑灭|劝散|疏通|解决|处理|更换|清理|搞定|完成|送到|"
               rf"密封|封堵|清除|处置|修补|加固)"
               rf"[^，,。.!！?？ ]{{0,8}}?{_LE}"                # 送到您家门口信箱了
               rf"|消了毒|换了|修了|清了|停了|拆了|挪了|排了|放了|装了|补了|焊了|搞定|完毕|"
               rf"(?:{_RESULT_VERB}|清运|检修|维修|更换|安装)完(?:成|毕)(?!后)|已完成|完成了"
               rf"|(?<![就还最说约讲定备排买订量借找叫问谈])好(?:了|啦|咯|喽)"  # 电梯好了, 灯也好了
               rf"|(?:通|亮|热|干|净|灭){_LE}(?!一下)"
               # 已经拧紧, 已换好: 已 before a deed with its result
               rf"|已经?(?:{_RESULT_VERB})(?:{_RESULT})"
               # a test passed: 测了没有泄漏, 跑了十几趟没问题
               rf"|(?:试|测|检查|查|跑)[^，,。 ]{{0,6}}(?:没问题|没有?(?:泄漏|异常|漏气|问题)|正常)"
               # a dispute settled by a promise: 答应晚上九点后不跳了, 保证以后不放了
               rf"|(?:答应|保证|承诺)[^，,。 ]{{0,10}}不[^，,。 ]{{1,4}}了"
               rf"|没(?:事|大碍){_LE}?|没问题{_LE}|不(?:漏|滴|响|吵|堵|臭|冒|闹)(?:水|烟)?{_LE}"
               rf"|(?:可以|能)(?:用|回家|正常用|走|开|关|进|出|坐|住)了|正常{_LE}|好用{_LE}"
               # what came back: 有电了, 来水了, 水来了, 没声了, 没味道了, 按得动
               rf"|(?:有|来|通)(?:电|水|气|热水|暖气|信号){_LE}|(?:水|电|气)来{_LE}"
               rf"|没(?:声音?|味道?|动静|异味|烟){_LE}|[按推拉打关开]得(?:动|开|着|上)"
               rf"|(?i:ok){_LE}|✓")
# 已/已经 + the work (已恢复供水, 已经关好了, 已更换) — not + going, calling or arranging
_ALREADY = (r"已经?(?!经|(?:去|来|到|过去|过来|在|联系|通知|报|打|安排|派|让|叫|下单|订|买|上报|"
            r"反映|约|答应|让|跟|和|与|给|向|当面|查到|找到|了解|知道|收到|签收|要求|请|催|督促|提醒|"
            r"告诉|说|同意|决定|开始|经|记|登记|阅|上去|上来|下去|出发|动身|提交|交给|转给))"
            r"[\u4e00-\u9fff]{1,4}")
DONE = re.compile(_DONE_WORDS)
# a dispute settled (谈好了, 谈妥, 调解好了): a fix only when nothing says more is to come
SETTLED = re.compile(r"谈妥|(?:谈|调解|协调|说|讲)好(?:了|啦)|签了?(?:承诺|保证)|写了?(?:承诺|保证)"
                     r"|答应了|保证(?:以后|不再)")
# the cases where an agreement is the resolution: disputes between neighbours
DISPUTES = frozenset({"noise", "neighbor", "pets", "parking", "other"})
ALREADY = re.compile(_ALREADY)  # weaker: a fix only when nothing says more is to come
# never a fix: the work is not done (还没修好, 没弄好, 还不行)
NOT_DONE = re.compile(r"(还|没|未|没有|不)(修好|修复|处理好|弄好|搞定|换好|解决|处理|通|清理|恢复)"
                      r"|还没|还不(行|能|亮|热|通)|仍然|依然|还是(不|没)"
                      r"|(没|不)成功|没(用|效果)|又(坏|漏|堵|不|停|响|冒|跳)|还有(点|些)?(小)?(问题|毛病)"
                      rf"|(?:{_RESULT_VERB})不(?:好|了|完|动|开)")
# a part done, or for now: 先通了一下, 临时盖上了, 挪走了一部分 — progress, not a fix
PARTIAL = re.compile(r"先(?!生|前)|临时|暂时|一部分|部分|一半|应急|初步|基本|差不多|大体|大致"
                     r"|快(?:要)?(?:好|修好|弄好|完|通)")
# a question is no report of a fix (修好了吗？)
QUESTION = re.compile(r"(吗|么|没有?|不)\s*[?？]?\s*$|[?？]\s*$")
# a clause that asks (修好了没有啊王师傅, 下午开会几点, 家里有人吗): no report
ASKS = re.compile(r"(吗|么|没有?|不)\s*[啊呀]?\s*[?？]?$|[?？]"
                  r"|[了过](?:没有?(?:[啊呀吧]|$)|吗|么)|几点|什么时候|啥时候|多久|哪天|有没有|是不是")
# a sign-off (有问题再联系, 随时找我) says nothing more is to come
SIGN_OFF = re.compile(r"(?:如果|如|要是|再)?有(?:问题|事|情况|啥|什么)[\u4e00-\u9fff]{0,2}?"
                      r"(?:再|随时|就)?(?:联系|找|说|打|叫|喊|告诉)[\u4e00-\u9fff]{0,3}"
                      r"|随时(?:联系|找|说|打|叫|喊)[\u4e00-\u9fff]{0,3}")
# an assurance is a result: 不会再打不通了, 以后不会再漏 (read as the mark ASSURED, a result)
ASSURANCE = re.compile(r"(?:不会再|再也不会?|以后不会再?)[^，,。!！?？ ]*")
ASSURED = "✓"
# a result only once something else happened: 修好了再跟你说, 雨停了就去通, 通了跟你说
CONDITIONAL = re.compile(r"了(?:就(?!好|行|没事|可以)|再跟|再告诉|再通知|再说"
                         r"|跟你说|告诉你|通知你|给你说)")
# a safety step taken, not the repair: 阀门已经关了, 水停了, 电闸拉了
MITIGATION = re.compile(r"(?:水|电|气|闸|阀门?|总闸|电源|燃气)[^，,。 ]{0,3}(?:停|关|断|拉)"
                        r"[^，,。 ]{0,2}了"
                        r"|(?:停|关|断|拉)(?:了|掉)?(?:水|电|气|闸|阀门|总闸|电源)")
# the thing works again: beside a safety step it is still a fix (关了阀 换了管子 不漏了)
RESTORED = re.compile(rf"没(?:事|问题){_LE}|不(?:漏|滴|响|吵|堵|臭|冒){_LE}"
                      rf"|(?:有|来)(?:电|水|气){_LE}"
                      rf"|(?:水|电)来{_LE}|恢复|正常{_LE}|可以用了|能用了|好{_LE}")
# a deed with its result, done or not (拉走一半了, 围起来了)
RESULT_ANY = re.compile(rf"(?:{_RESULT_VERB})(?:{_RESULT})")
# a step still to check: 你试试看, 试一下
TRY = re.compile(r"试(?:试|一下|下)|看看(?:还|有没有)")
# under way right now: 正在换, 在查原因, 在路上, 还在找 — progress, even beside a done part
ONGOING = re.compile(r"正在|还在|在路上|路上了"
                     r"|(?<![现实存好正])在(修|换|处理|弄|查|清|疏通|维修|检修|"
                     r"联系|协调|排查|找|等|赶|测|检查|抢修|看|漏|冒|响|通|抽|拖|扫|排|接|装|"
                     r"搞|整|干|做|沟通|核对|制作|办|跑|催|跟|拉|运|挖|焊|刷|调|施工|现场|忙)")
# time words: what follows them is a plan
_WHEN = (r"明天|明早|明儿|明日|后天|今晚|今天|今早|上午|下午|中午|晚上|傍晚|一早|早上|白天|"
         r"稍后|待会|等会|等一下|过会|一会儿?|回头|晚点|这两天|过两天|早高峰|晚高峰|"
         r"下周[一二三四五六日天末]?|周[一二三四五六日天末]|星期[一二三四五六日天]|"
         r"礼拜[一二三四五六日天]|下个?月|\d+点|[一二三四五六七八九十两]+点|\d+号(?![楼院门单室栋])"
         r"|等下|等会儿?|待会儿?|(?:[\d一二三四五六七八九十两半]+个?)"
         r"(?:分钟|小时|钟头)|吃完饭|吃个饭|忙完|弄完|完了|下班前|雨停|天晴|这周|本周")
_LATER = (rf"{_WHEN}|尽快|争取|会|要|准备|打算|计划|答应|说|前|再")
_DO = (r"去|来|到|过去|过来|上门|修|换|处理|看|查|收|清|弄|装|通|送|安排|联系|找|聊|"
       r"沟通|谈|协调|约|恢复|开|测|检测|检查|带|说明|解决|拖|挪|搬|停|降|调|加|贴|疏导|巡逻|完成|"
       r"上去|上来|下去|下来|扫|答复|回复|补|打电话|消杀|给您|给你|跑一趟|跑|陪|当面|说")
FUTURE_DONE = re.compile(rf"(?:{_LATER})[^，,。.!！?？ ]{{0,8}}?"
                         rf"(?:{_RESULT_VERB})(?:{_RESULT})(?!{_LE})")
PLAN = re.compile(rf"(?:{_WHEN})[^，,。.!！?？]{{0,10}}?(?:{_DO})"
                  # an intention: 查一下, 再看看, 我叫电工一起来, 我让保安去…
                  rf"|(?:{_DO}|聊|问|核实|了解|观察)一下|再(?:{_DO})"
                  # 吃完饭就过去, 完了就到你那; a clause opening with 等 (等天晴了来补漆)
                  r"|就(?:过去|过来|来|到|去|上来|上去|下来|下去|弄|修|换|处理)"
                  # going now (马上处理, 马上安排 only acknowledge)
                  r"|(?:马上|立刻|立马|这就|现在)(?:就)?(?:去|到|来|过去|过来|上来|上去|下来|下去"
                  r"|叫|喊|联系|打)"
                  r"|(?:^|[\s，,])等(?!等|于)"
                  r"|(?<!不)(?:要|得|需要)[^，,。!！?？ ]{0,6}?"
                  r"(?:换|修|调|等|拿|订|买|拆|重新|返厂)"
                  r"|(?:让|叫|派|喊|请|安排)(?!大家|各位|您|你|久)[\u4e00-\u9fff]{1,4}?"
                  r"(?:去|来|过去|过来|上去|下去|查|看|修|挪|清|处理|疏导|巡逻|敲门|围|一起)")
UNDER_WAY = re.compile(r"已经?(安排|派|联系|通知|订|报修|报|下单|买|采购|到场|到现场"
                       r"|打了?(电话|1[12][09])|提交|上报|反映|申请|上去|过去|出发)"
                       r"|打了?[^，,。 ]{0,8}电话|电话打了|敲(了)?门|留了?(个)?(条|言)"
                       r"|[一二两三四五六七八九十\d]{1,3}个?(天|工作日)(?!了)"
                       r"|安排(了|好)|派(了)?人|配件|等(厂家|材料|零件|配件)|厂家|订(了|好)|买(了|好)"
                       r"|排查|还(需要|要)|(要|得|需要?)(换|修|等|找|更换|维修|检修|重新)|(?<![送收做办拿看听见遇])到了|到现场|到场|联系上|找到|查到|原因|答应|延时|推迟|延期|再等"
                       r"|通知[\u4e00-\u9fff]{0,3}(师傅|经理|保安|厂家|公司|物业)|报(了)?(警|派出所|110|119|120)"
                       r"|(是|因为)[\u4e00-\u9fff]{1,12}(问题|坏了|堵了|松了|老化|漏)")
# words to everyone: a notice or a plan for the day, not a reply about one case
TO_EVERYONE = re.compile(r"请大家|大家(注意|留意|慢点|别|不要)|各位|通知[：:]|温馨提示|安排[：:]"
                         r"|谢谢配合|请配合|各(楼道?|单元|楼栋|户)|全体"
                         r"|大家[^，,。 ]{0,6}(一下|检查|收好?|关好)")
ACK = re.compile(r"收到|记下了?|记住了|知道了|明白|我(来)?跟进|马上|立刻|立即|这就|赶紧|在路上"
                 r"|好滴|好哒|👌|了解|收倒|手到|知道啦|晓得|记一下|稍等|清楚|已阅|已登记|看到啦|"
                 r"看见了|没问题|来了|来啦"
                 r"|已签收"
                 r"|现在(就)?(去|过去|过来|到)|过去了|我来(处理|看)|我去(看|处理)|好的|好嘞|看到了"
                 r"|^\s*(ok|OK|Ok|嗯嗯?|行)\s*[!！。.]?\s*$")
# a bare acknowledgement: nothing in it but 收到 / 好的 / 马上到 (and case numbers)
BARE_ACK = re.compile(r"(?:[#＃]\d+|[@＠]\S+|收到|好的?|好嘞|嗯|ok|OK|明白|知道了|我这边|我们|我"
                      r"|马上(?:到|去|过去|来)?(?:看看?|看一下)?|来了|来啦|"
                      r"这就(?:去|来|过去|到)|[\s，,。.!！~～])*")
CLAIMED_STATES = ("acknowledged", "in_progress")
ACKNOWLEDGEABLE = ("open", "assigned", "reopened", "transferred")
# an acknowledgement or a plan answers the ping of the last few minutes, or of the last hour
RECENT_PINGS = (timedelta(minutes=15), timedelta(hours=1))
# the property manager answers for the property's trades when the words pin the case down
MANAGING = frozenset({"property_service"})
PICK_LIMIT = 5  # more candidates than this: the bot asks for the number without a list
FRESH_EMERGENCY = timedelta(minutes=15)  # an acknowledgement or plan this soon after one
# safety instructions to everyone (大家别开关灯 别点火 开窗, 别靠近, 别围着): the sender is on
# the emergency
SAFETY = re.compile(r"别(?:开关|点火|打火|开灯|碰|靠近|围|坐电梯|扶|动他|动她|挪|慌|扒门)"
                    r"|开窗|先别|不要(?:开关|点火|靠近|碰)|远离|撤离|疏散")


# what a colleague named in the words is doing (王师傅马上到, 王师傅已经在路上了, 让王师傅去弄)
_DOER = re.compile(r"^(?:已经|已|马上|立刻|先|也|正在|正|在|就|今天|明天|明早|上午|下午|中午|晚上|"
                   r"等下|等会儿?|一会儿?|这就|待会儿?|\d+点)*"
                   r"(?:去|到|过去|过来|上去|下去|来|在路上|路上|在弄|在修|修|换|弄|处理|查|看|通|拿|带|赶)")
_SENT = ("让", "叫", "派", "请", "安排", "通知", "喊", "找")
# an instruction to a colleague @-mentioned first: @王师傅 8号楼地下室爆管 先去关阀
_INSTRUCTION = re.compile(r"去|过去|过来|上去|下去|看看|看一下|处理|关|修|换|通|拿")


def relayed_colleague(text: str, colleagues: list[Member]) -> Member | None:
    """The one colleague the words say does the work (陈经理: “收到 下午让王师傅去弄”,
    “王师傅已经在路上了”, “@王师傅 先去关阀”); None when none or several.  Words that only
    address a colleague (@周阿姨 收到) relay nothing."""
    found = []
    stripped = text.lstrip(" @＠")
    for member in colleagues:
        name = member.name
        at = text.find(name) if name and len(name) >= 2 else -1
        if at < 0:
            continue
        after = text[at + len(name):].lstrip(" ，,：:")
        sent = text[:at].rstrip(" @＠").endswith(_SENT)
        told = stripped.startswith(name) and text.lstrip().startswith(("@", "＠")) \
            and _INSTRUCTION.search(after) is not None
        if sent or told or _DOER.match(after):
            found.append(member)
    return found[0] if len(found) == 1 else None


def reply_intent(text: str) -> str | None:
    """RESOLVE, PROGRESS, CLAIM, or None for words that do none of them.

    General rules, not a phrase list: a completed result (修好了, 已恢复, 没事了) is a fix
    unless the words also say the work is not done (还没好), is only partly or for now
    done (先…, 临时, 一部分) or is still under way (正在换, 在查原因); a result still to
    come (中午前弄好), a time word before a deed (明天上午来换), an intention (查一下, 我让
    保安去…) or a step under way (已联系厂家, 等配件, 是线路的问题) is progress; 收到,
    好的, 马上, 这就, 记下了 acknowledge.  A question (修好了吗？, 下午几点) reports
    nothing; a result beside a question (好了吗 我这边阀门已经开了), a result that waits for
    something else (修好了再跟你说) or a safety step (阀门已经关了, 水停了) is progress; a
    sign-off (有问题再联系) says nothing about more work."""
    text = ASSURANCE.sub(f" {ASSURED} ", SIGN_OFF.sub(" ", text))
    if bare_acknowledgement(text) and ACK.search(text):
        return CLAIM  # 马上到, 收到 这就去: nothing but the 签收
    clauses = _clauses(text)
    told = [c for c in clauses if not ASKS.search(c)]
    asked = len(told) < len(clauses)
    if not told:
        return None  # only questions
    text = " ".join(told)
    not_done = NOT_DONE.search(text) is not None
    more_to_come = (PLAN.search(text) or UNDER_WAY.search(text) or FUTURE_DONE.search(text)
                    or CONDITIONAL.search(text))
    result = DONE.search(text) or ALREADY.search(text)
    done = DONE.search(text) or ((ALREADY.search(text) or SETTLED.search(text))
                                 and not more_to_come)
    safety_step = MITIGATION.search(text)
    step = (safety_step and not RESTORED.search(text)
            and not DONE.search(text, safety_step.end())) or CONDITIONAL.search(text)
    if (done and not not_done and not ONGOING.search(text) and not PARTIAL.search(text)
            and not step and not asked and not _only_future(text)):
        return RESOLVE
    if (not_done or more_to_come or ONGOING.search(text) or step or (result and asked)
            or ((result or RESULT_ANY.search(text)) and PARTIAL.search(text))
            or (PARTIAL.search(text) and "了" in text) or TRY.search(text)):
        return PROGRESS
    if ACK.search(text):
        return CLAIM
    return None


def _only_future(text: str) -> bool:
    """Every completed-looking result is one still to come (争取今天处理好了再说)."""
    return FUTURE_DONE.search(text) is not None and not any(
        (DONE.search(part) or ALREADY.search(part)) and not FUTURE_DONE.search(part)
        for part in _clauses(text))


CLAUSE = re.compile(r"[^，,。.!！?？;；\s]+[?？]?")


def _clauses(text: str) -> list[str]:
    """The clauses of the words, each with its question mark (修好了吗？)."""
    return CLAUSE.findall(text)


def bare_acknowledgement(text: str) -> bool:
    """收到 / 好的 / 马上到 and nothing else."""
    return BARE_ACK.fullmatch(text.strip()) is not None


def to_everyone(text: str) -> bool:
    """“各位早，今天保洁安排：…” / “请大家把纸箱收一收”: said to everyone, not about a case."""
    return TO_EVERYONE.search(text) is not None


def reply_action(intent: str, case: Case, text: str = "") -> str | None:
    """What the reply does to this case: RESOLVE, PROGRESS, CLAIM, or None (a bare 收到
    for a case already acknowledged).  An agreement reached (谈好了, 签了承诺, 答应了) about
    a dispute between neighbours (noise, parking, pets …) resolves it, even with what was
    agreed still to come (以后8点半结束).  An acknowledgement with news in it (“我现在过去了”,
    “燃气公司的人也在路上了”) about a case already acknowledged is a progress note."""
    if intent == PROGRESS and case.category in DISPUTES and SETTLED.search(text) \
            and not NOT_DONE.search(text):
        return RESOLVE  # 跟广场舞领队谈好了 以后8点半结束: the agreement settles a dispute
    if intent in (RESOLVE, PROGRESS):
        return intent
    if case.state in ACKNOWLEDGEABLE:
        return CLAIM
    return PROGRESS if text and not bare_acknowledgement(text) else None


def needs_acknowledgement(case: Case) -> bool:
    """A plan for a case still waiting for its 签收 acknowledges it as well."""
    return case.state in ACKNOWLEDGEABLE


def _responsible_for(member: Member, case: Case, community: CommunityConfig) -> bool:
    if case.assignee_id == member.id:
        return True
    routed = bool(member.role_codes & _answering_roles(case, community))
    if case.urgent:
        # danger first: many hands — the routed people and any staff member stay on an
        # urgent case even when someone else signed for it (bot.domain.permissions)
        return routed or bool(member.role_codes & STAFF_ROLES)
    if case.assignee_id is not None and case.state not in ("open", "reopened"):
        return False  # someone else has taken it
    return routed


def _other_kind_of_place(said: dict, known: dict) -> bool:
    """A named spot against an address without one (东门 / 5号楼): not the same place,
    though no part of them disagrees."""
    return bool(known) and bool(said.get("place")) != bool(known.get("place"))


def _managed(case: Case, community: CommunityConfig) -> bool:
    """A case of the property's trades (routed to repair, cleaning or the front desk)."""
    return bool(_answering_roles(case, community) & STAFF_ROLES)


def _answering_roles(case: Case, community: CommunityConfig) -> set[str]:
    """The roles the case is routed to and those of its current tier."""
    return (set(routed_roles(community, case.category))
            | set(tier_roles(community, case.category, case.tier)))


def _pinned(evidence: Evidence, case: Case) -> bool:
    """The words name the case's place or its thing."""
    return bool((evidence.place and case.location and same_place(evidence.place, case.location))
                or (evidence.keywords and shares_a_word(evidence.keywords, case.keywords)))


def _names_a_complainant(case: Case, text: str) -> bool:
    """The words name one of the case's residents without @ (李奶奶, 小周; two characters
    at least)."""
    return any(x.member.name and len(x.member.name) >= 2 and x.member.name in text
               for x in case.complainants)


@dataclass(frozen=True)
class Evidence:
    """What an unnamed reply says about its case besides its intent."""

    mentioned: frozenset[int] = frozenset()  # residents it @-mentions (member ids)
    text: str = ""  # the words, for the residents they name without @ (“小周回家摸摸”)
    place: dict = field(default_factory=dict)  # the place it names
    keywords: tuple[str, ...] = ()  # the classifier's words in it (充电桩, 道闸, 路灯)
    pinged: dict[int, datetime] = field(default_factory=dict)  # case id -> last ping
    now: datetime | None = None
    # case id -> the sender's latest 签收 or note on it in the last hour (asked only when
    # the other evidence leaves several cases)
    worked_on: Callable[[], dict[int, datetime]] = lambda: {}


def candidates(member: Member, intent: str, open_cases: list[Case],
               community: CommunityConfig, evidence: Evidence) -> list[Case]:
    """The cases an unnamed reply may be about, by number (see the module docstring).

    Of the cases the sender answers for (assigned, or routed to their role and taken by
    nobody else; for an acknowledgement only those still waiting for one; none of those,
    the property manager answers for the property's cases the words name by place or
    thing: 东门道闸修好了):
      * a reply that @-mentions residents is about their cases (“@老吴 收到”), and only
        those;
      * a reply that names a place is about the cases there (“7号楼门禁修好了”), and only
        those; none there, the cases whose place says nothing against it (702 said of a
        case at 7号楼1单元; a place-less case whose resident it names), else those in the
        same building (the flat upstairs of a leak);
      * of several left, those whose words it shares (“充电桩是第三方的，已报给运营商”),
        if any;
      * of several left, the one the sender signed for or noted progress on in the last
        hour, if only one: still talking about what they were just working on;
      * of several left, an acknowledgement or a fix goes to the one case assigned to the
        sender, if one (as interfaces.md says);
      * else an acknowledgement or a plan goes to the one case the bot
        @-mentioned the sender about in the last few minutes, or else in the last hour
        (`RECENT_PINGS`), or to the one urgent case among those (“马上到” right after an
        emergency), or to the one urgent case opened in the last 15 minutes
        (`FRESH_EMERGENCY`: danger first, whoever was pinged); a fix needs more than time
        to tell.
    """
    found = _said_of([c for c in open_cases if _responsible_for(member, c, community)
                      and reply_action(intent, c, evidence.text) is not None], evidence)
    if not found and member.role_codes & MANAGING and (evidence.place or evidence.keywords):
        # the property manager on the team's work (东门道闸修好了, a repair case): the
        # property's cases the words pin down by their place or their thing
        found = _said_of([c for c in open_cases if _managed(c, community)
                          and _pinned(evidence, c)
                          and reply_action(intent, c, evidence.text) is not None], evidence)
    if not found and member.role_codes & COORDINATOR_ROLES and (
            evidence.mentioned or evidence.text):
        # a grid worker or moderator, who may work on any case, to a resident by name
        # (@小许 明天上午十点我陪你上1502当面说): that resident's case
        found = _said_of([c for c in open_cases
                          if (any(x.member_id in evidence.mentioned for x in c.complainants)
                              or _names_a_complainant(c, evidence.text))
                          and reply_action(intent, c, evidence.text) is not None], evidence)
    return _of_several(member, intent, found, evidence)


def _said_of(found: list[Case], evidence: Evidence) -> list[Case]:
    """The cases the words say they are about: the residents they @-mention, the place
    and the thing they name."""
    if evidence.mentioned:
        found = [c for c in found
                 if any(x.member_id in evidence.mentioned for x in c.complainants)]
    if evidence.place:
        # the cases there; else those whose place says nothing against it (a case with no
        # place, or 702 said of a case at 7号楼1单元)
        there = [c for c in found if c.location and same_place(evidence.place, c.location)]
        near = [c for c in found if not places_disagree(evidence.place, c.location)
                and not _other_kind_of_place(evidence.place, c.location)
                and (c.location or _names_a_complainant(c, evidence.text))]
        # the flat upstairs (“3号楼601上去看了” about a leak in 3号楼501): the same building
        building = [c for c in found if evidence.place.get("building")
                    and c.location.get("building") == evidence.place["building"]]
        placed = there or near or building
        if evidence.keywords and not any(shares_a_word(evidence.keywords, c.keywords)
                                         for c in placed):
            # 花园地砖补好了: the 地砖 case that named no place, not the fall in the garden
            placed = [c for c in there + near
                      if shares_a_word(evidence.keywords, c.keywords)] or placed
        found = placed
    return sorted(found, key=lambda c: c.id)


def _of_several(member: Member, intent: str, found: list[Case], evidence: Evidence
                ) -> list[Case]:
    """Of several cases, the one the words or the moment point to (all when none)."""
    if len(found) > 1 and evidence.text:
        theirs = [c for c in found if _names_a_complainant(c, evidence.text)]
        found = theirs or found
    if len(found) > 1 and evidence.keywords:
        alike = [c for c in found if shares_a_word(evidence.keywords, c.keywords)]
        found = alike or found
    if len(found) > 1 and evidence.text:
        found = most_alike(found, evidence.text)
    if len(found) > 1 and intent == PROGRESS and ACK.search(evidence.text):
        # 好的 明早8点到7号楼: a plan that acknowledges is for the case still waiting for
        # its 签收, when only one is
        waiting = [c for c in found if needs_acknowledgement(c)]
        if len(waiting) == 1:
            found = waiting
    if len(found) > 1:
        # still talking about what they were just working on (火灭了 after their 签收 of
        # the fire): the one case they signed for or noted in the last hour
        worked = evidence.worked_on()
        recent = [c for c in found if c.id in worked]
        if len(recent) == 1:
            found = recent
    if len(found) <= 1:
        return found
    mine = [c for c in found if c.assignee_id == member.id]
    if len(mine) == 1 and intent != PROGRESS:
        return mine  # interfaces.md: the single open case assigned to them
    if intent == RESOLVE or evidence.now is None:
        return found
    for window in RECENT_PINGS:
        since = evidence.now - window
        recent = [c for c in found if c.id in evidence.pinged and evidence.pinged[c.id] >= since]
        urgent = [c for c in recent if c.urgent]
        if len(recent) == 1:
            return recent
        if len(urgent) == 1:
            return urgent
    # danger first: “我两分钟到” right after an emergency is about the emergency
    fresh = [c for c in found if c.urgent and c.opened_at >= evidence.now - FRESH_EMERGENCY]
    return fresh if len(fresh) == 1 else found
