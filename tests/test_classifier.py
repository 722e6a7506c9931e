"""Tests of the message classifier (bot/nlp): targets on the dev set and the hard cases,
normalisation, locations, role hints, negation, community lexicon and the CLI functions."""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.nlp import (
    CATEGORIES,
    INTENTS,
    Classification,
    Classifier,
    classify,
    parse_location,
    validate_extra,
)
from bot.nlp.cli import run_classify, run_evaluate
from bot.nlp.evaluation import evaluate
from bot.nlp.normalize import Normalizer

CORPUS = Path(__file__).resolve().parents[1] / "bot" / "nlp" / "corpus"
DEV_SET = CORPUS / "dev.jsonl"
HARD_CASES = CORPUS / "hard_cases.jsonl"
# Fresh messages written to the labelling rules of shared/data/README.md, not tuned line by line.
BLIND_SETS = [CORPUS / f"{name}.jsonl"
              for name in ("blind", "blind2", "blind3", "blind4", "blind5", "blind6")]


def _load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier()


# -- scored targets -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_result(clf):
    if not DEV_SET.exists():
        pytest.skip(f"dev set not found at {DEV_SET}")
    return evaluate(_load(DEV_SET), clf)


def test_dev_complaint_f1(dev_result):
    assert dev_result["complaint"]["f1"] >= 0.95


def test_dev_category_accuracy(dev_result):
    assert dev_result["category"]["accuracy"] >= 0.92


def test_dev_urgent_recall_and_precision(dev_result):
    assert dev_result["urgent"]["recall"] == 1.0
    assert dev_result["urgent"]["precision"] >= 0.8


def test_hard_cases_file_is_well_formed():
    records = _load(HARD_CASES)
    assert 80 <= len(records) <= 160
    assert len({r["id"] for r in records}) == len(records)
    for r in records:
        assert r["intent"] in INTENTS
        assert (r["category"] in CATEGORIES) if r["is_complaint"] else r["category"] is None


def test_hard_cases_thresholds(clf):
    result = evaluate(_load(HARD_CASES), clf)
    assert result["complaint"]["f1"] >= 0.9
    assert result["category"]["accuracy"] >= 0.85
    assert result["urgent"]["recall"] >= 0.85
    assert result["urgent"]["precision"] >= 0.8
    assert result["intent"]["accuracy"] >= 0.8


@pytest.mark.parametrize("path", BLIND_SETS, ids=lambda p: p.stem)
def test_blind_sets_thresholds(clf, path):
    records = _load(path)
    assert len({r["id"] for r in records}) == len(records)
    for r in records:
        assert r["intent"] in INTENTS
        assert (r["category"] in CATEGORIES) if r["is_complaint"] else r["category"] is None
    result = evaluate(records, clf)
    assert result["complaint"]["f1"] >= 0.9
    assert result["category"]["accuracy"] >= 0.85
    assert result["urgent"]["recall"] >= 0.9
    assert result["urgent"]["precision"] >= 0.8


@pytest.mark.parametrize("text, category", [
    ("3号楼电梯怎么还没修好", "elevator"),            # a named object beats the service cue
    ("電梯又壞咗 成個禮拜都冇人修", "elevator"),       # …and beats 没人修 (property_service)
    ("东门道闸又坏了 车进不来排了一长溜", "facility"),  # the topic comes first
    ("楼下把公共绿地圈成自家院子了 物业管不管", "neighbor"),  # 物业管不管 is a call for action
    ("电动车充电棚的插座全坏了 只能拉回家充", "ev_charging"),
    ("我的电动车电瓶昨晚被偷了 停在楼下的", "security"),
])
def test_category_regressions(text, category):
    result = classify(text)
    assert result.is_complaint and result.category == category


@pytest.mark.parametrize("text", [
    "马桶堵了 通了两天还是冲不下去",          # a resolution taken back (还是)
    "楼下那家天天晚上打麻将 哗啦哗啦到两三点",  # two fault words, no object word
    "广场舞音响开那么大声 九点半了还在跳 老鼻子吵了",
    "楼道里忒脏了 物业那帮人也不来瞅瞅",       # intensified fault word
    "新能源车位都被燃油车占着 我们电车去哪充",  # a rhetorical 去哪 next to a clear problem
    "还没修？",
])
def test_complaint_regressions(text):
    assert classify(text).is_complaint


@pytest.mark.parametrize("text, urgent", [
    ("我妈卡在电梯里了 停在7楼和8楼中间", True),
    ("3号楼1单元电梯困人了 我妈在里面", True),      # trigger inside a longer token
    ("9号楼一楼好大一股液化气的味道 是不是哪里漏了", True),
    ("整栋楼暖气全停了 屋里只有十度", True),
    ("楼道里推了四五辆电动车 还在充电 着火了谁负责", False),  # hypothetical
    ("天然气打不着火了 是不是停气了", False),
    ("楼道窗户玻璃碎了一直没换 风呼呼往里灌", False),
])
def test_urgent_regressions(text, urgent):
    result = classify(text)
    assert result.is_complaint and result.urgent is urgent


@pytest.mark.parametrize("text, role", [
    ("防水补漏 不漏不收钱 十年老师傅 有需要联系", "resident"),
    ("昨天的火灾演练大家参与度挺高的", "resident"),
    ("上次燃气泄漏那事多亏了保安小哥 现在想想还后怕", "resident"),
    ("冬季用火用电安全提醒:不要私拉电线 人走断电 发现燃气泄漏立即开窗", "grid_worker"),
    ("请问燃气报警器在哪里能买到", "resident"),
    ("停水的话热水器要关吗", "resident"),
])
def test_non_complaint_regressions(text, role):
    assert not classify(text, role).is_complaint


# -- output shape ------------------------------------------------------------------------------


def test_to_dict_has_interface_keys_in_order():
    result = classify("3号楼2单元501室 卫生间天花板漏水了")
    d = result.to_dict()
    assert list(d) == ["is_complaint", "category", "urgent", "location", "keywords", "intent"]
    assert d["is_complaint"] is True and d["category"] == "water_leak"
    assert d["location"] == {"building": "3", "unit": "2", "room": "501"}
    assert "漏水" in d["keywords"]
    json.dumps(d, ensure_ascii=False)


def test_classification_is_frozen():
    result = classify("电梯坏了")
    assert isinstance(result, Classification)
    with pytest.raises(AttributeError):
        result.is_complaint = False


def test_categories_follow_the_interface_table():
    assert list(CATEGORIES)[:3] == ["water_leak", "plumbing", "utility_outage"]
    assert list(CATEGORIES)[-1] == "other" and len(CATEGORIES) == 17
    assert CATEGORIES["fire_safety"] == "消防与安全隐患"
    assert list(INTENTS) == ["complaint", "inquiry", "notice", "feedback", "other"]


# -- normalisation -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer({"电悌": "电梯", "楼导": "楼道"})


def test_fullwidth_becomes_halfwidth(normalizer):
    assert normalizer.normalize("３号楼！？ＡＢ").text == "3号楼!?AB"


def test_traditional_becomes_simplified(normalizer):
    assert normalizer.normalize("樓道燈壞了").text == "楼道灯坏了"


def test_typos_are_mapped(normalizer):
    assert normalizer.normalize("电悌又停了 楼导好黑").text == "电梯又停了 楼道好黑"


def test_emoji_removed_and_tone_kept(normalizer):
    norm = normalizer.normalize("修好了👍👍 谢谢🙏")
    assert "👍" not in norm.text and "🙏" not in norm.text
    assert norm.praise_emoji and norm.polite_emoji and not norm.joke_emoji


def test_mentions_removed_for_matching_kept_for_location(normalizer):
    norm = normalizer.normalize("@物业小李 @王师傅 楼道灯坏了")
    assert norm.text == "楼道灯坏了"
    assert norm.loc_text.startswith("@物业小李") and norm.mentioned


def test_repeated_punctuation_folded(normalizer):
    norm = normalizer.normalize("又停水了!!!。。。")
    assert norm.text == "又停水了!。" and norm.emphasis


def test_every_tone_emoji_is_one_the_emoji_pattern_removes():
    """normalize() reads the tone flags off the emoji it removes: each must be one."""
    from bot.nlp.normalize import _EMOJI_RE, _TONE_EMOJI

    assert all(_EMOJI_RE.fullmatch(e) for tone in _TONE_EMOJI for e in tone)


def test_whitespace_and_astral_traditional_characters(normalizer):
    assert normalizer.normalize(" 楼道\t\n灯  坏了\u3000 ").text == "楼道 灯 坏了"
    assert normalizer.normalize("楼道 灯").text == "楼道 灯"
    assert normalizer.normalize("𫜦😂").text == normalizer.normalize("𫜦").text
    assert normalizer.normalize("𫜦😂").joke_emoji


def test_segmenter_cuts_exactly_as_jieba_does():
    """The classifier's own segmenter against jieba's Tokenizer.lcut(HMM=False) with the
    same words added, on every corpus line (raw and normalised) and on scrambled text."""
    import random

    import jieba

    from bot.nlp.segmenter import Segmenter

    clf = Classifier(model=None)
    words = list(clf._table)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in words:
        if len(word) > 1 and not word.isascii():
            tokenizer.add_word(word)
    segmenter = Segmenter(words)
    texts = [r["text"] for path in sorted(CORPUS.glob("*.jsonl")) for r in _load(path)]
    texts += [clf._normalizer.normalize(t).text for t in texts]
    rnd = random.Random(7)
    alphabet = sorted(set("".join(texts)))
    texts += ["".join(rnd.choices(alphabet, k=rnd.randint(0, 40))) for _ in range(3000)]
    differing = [t for t in texts if segmenter.cut(t) != tokenizer.lcut(t, HMM=False)]
    assert not differing


def test_quick_pattern_test_agrees_with_searching_each_pattern():
    """The lookahead-guarded alternation (patterns.py) says "some pattern matches" exactly
    when one does, for the lexicon's complaint and danger patterns."""
    import random
    import re

    from bot.nlp.patterns import any_match, first_chars

    assert first_chars(re.compile("(?<!是)不是.{0,3}吗")) == frozenset("不")
    assert first_chars(re.compile("(打|叫)?个?(119|[23])")) == frozenset("打叫个123")
    for loose in (".吗", "a?b*", "[^x]y", r"\d+天", "[一-龥]+", "(?i)abc", "x|"):
        assert first_chars(re.compile(loose)) is None, loose
    assert any_match([re.compile("abc"), re.compile(".x")]) is None
    clf = Classifier(model=None)
    texts = [clf._normalizer.normalize(r["text"]).text
             for path in sorted(CORPUS.glob("*.jsonl")) for r in _load(path)]
    rnd = random.Random(3)
    alphabet = sorted(set("".join(texts)))
    texts += ["".join(rnd.choices(alphabet, k=rnd.randint(0, 30))) for _ in range(3000)]
    for patterns in (list(clf._patterns), [p for p, _ in clf._urgent_patterns]):
        quick = any_match(patterns)
        assert quick is not None
        assert [bool(quick.search(t)) for t in texts] == [
            any(p.search(t) for p in patterns) for t in texts]


def test_location_patterns_are_skipped_only_when_they_cannot_match():
    """Each location pattern is searched only when what it needs is in the text
    (location.py); a pattern that matched without it would be skipped wrongly."""
    import random

    from bot.nlp import location as loc

    needs = {loc._TRIPLE_RE: lambda t: "-" in t,
             loc._HAO_ROOM_RE: lambda t: "号" in t and loc._ROOM_DIGITS.search(t),
             loc._BUILDING_RE: loc._BUILDING_MARKS.search,
             loc._LETTER_BUILDING_RE: loc._BUILDING_MARKS.search,
             loc._UNIT_RE: lambda t: "单元" in t,
             **{p: loc._ROOM_DIGITS.search for p in (
                 loc._ROOM_SUFFIX_RE, loc._ROOM_AFTER_MARK_RE, loc._ROOM_CONTEXT_RE,
                 loc._ROOM_NEIGHBOUR_RE)}}
    clf = Classifier(model=None)
    texts = [clf._normalizer.normalize(r["text"]).loc_text
             for path in sorted(CORPUS.glob("*.jsonl")) for r in _load(path)]
    rnd = random.Random(9)
    pieces = list("0123456789-一二三十两号楼栋幢座#单元室户房AbZ住我家楼上下的 ,、和")
    pieces += ["号楼", "单元", "号房", "房间", "楼上", "隔壁", "业主", "11-2-301", "302"]
    texts += ["".join(rnd.choices(pieces, k=rnd.randint(1, 14))) for _ in range(5000)]
    for pattern, need in needs.items():
        assert all(need(t) for t in texts if pattern.search(t)), pattern.pattern


def test_one_lexicon_look_up_per_token():
    """The merged look-up (term tags, starts a longer term) says what the term table and
    the prefix set say, for every term, every prefix and a few words that are neither."""
    clf = Classifier(model=None)
    table = clf._table
    prefixes = {t[:k] for t in table for k in range(1, len(t))}
    for word in [*table, *prefixes, "不是词", "zzz", "电梯电梯电梯"]:
        assert clf._lookup.get(word, (None, False)) == (table.get(word), word in prefixes)


def test_classify_traditional_and_fullwidth_message():
    result = classify("５號樓電梯壞了，困人了！！")
    assert result.is_complaint and result.category == "elevator" and result.urgent
    assert result.location == {"building": "5"}


# -- location ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("3号楼漏水", {"building": "3"}),
    ("三号楼顶楼渗水", {"building": "3", "place": "楼顶"}),
    ("十一栋门口的台阶碎了", {"building": "11"}),
    ("3栋2单元", {"building": "3", "unit": "2"}),
    ("5幢的电梯", {"building": "5"}),
    ("8#2单元楼道灯", {"building": "8", "unit": "2"}),
    ("3#楼2单元1101业主", {"building": "3", "unit": "2", "room": "1101"}),
    ("12号302 下水道堵了", {"building": "12", "room": "302"}),
    ("11-1-601家里没人", {"building": "11", "unit": "1", "room": "601"}),
    ("2单元302的 你家装修", {"unit": "2", "room": "302"}),
    ("501室漏水", {"room": "501"}),
    ("楼上1802的 太吵了", {"room": "1802"}),
    ("B座2单元电梯", {"building": "B", "unit": "2"}),
    ("地库B2一直渗水", {"place": "地下车库"}),
    ("南门口快递车堵路", {"place": "南门"}),
    ("车棚的灯坏了", {"place": "车棚"}),
    ("2号楼、3号楼明天停电", {}),
    ("1-5号楼停水", {}),
    ("月卡从150涨到300", {}),
    ("住26楼 电梯坏了", {}),
    ("今天天气不错", {}),
    # a comma or greeting before the building is no list (7,8号楼 is one)
    ("物业你好，3号楼2单元电梯坏了", {"building": "3", "unit": "2"}),
    ("物业你好,3号楼2单元电梯坏了", {"building": "3", "unit": "2"}),
    ("师傅,5号楼的灯又不亮了", {"building": "5"}),
    ("喂，七栋三单元", {"building": "7", "unit": "3"}),
    ("7,8号楼停水", {}),
    ("3号楼和5号楼都停电了", {}),
    ("3栋、5栋都停水", {}),
])
def test_parse_location(text, expected):
    assert parse_location(text) == expected


def test_location_from_mention():
    assert parse_location("@3栋1单元 明天上午电梯维保") == {"building": "3", "unit": "1"}


# -- role hints, negation, intents ----------------------------------------------------------


def test_staff_planned_outage_notice_is_not_a_complaint():
    text = "【停水通知】因管网维修,明天上午9:00-12:00 1-5号楼停水,请提前储水"
    result = classify(text, role="staff")
    assert not result.is_complaint and result.category is None
    assert result.intent == "notice" and not result.urgent


@pytest.mark.parametrize("text", ["收到马上到", "收到,马上派师傅过去", "已修好"])
def test_staff_replies_are_not_complaints(text):
    result = classify(text, role="staff")
    assert not result.is_complaint and result.intent == "feedback"


def test_same_text_from_resident_is_a_complaint():
    assert classify("明天还停水吗 今天已经停了一整天了 怎么还没来水", "resident").is_complaint


def test_unknown_role_counts_as_resident():
    text = "楼道灯坏了半个月了 没人修"
    assert classify(text, role="landlord") == classify(text, role="resident")


@pytest.mark.parametrize("text", ["现在不漏了 谢谢", "修好了", "电梯修好了,谢谢师傅", "来电了"])
def test_resolution_is_feedback(text):
    result = classify(text)
    assert not result.is_complaint and result.intent == "feedback"


def test_negated_resolution_is_still_a_complaint():
    result = classify("说是修好了 结果还没修好 又漏了")
    assert result.is_complaint and result.category == "water_leak"


@pytest.mark.parametrize("text, intent", [
    ("请问物业电话多少?", "inquiry"),
    ("谢谢保安小哥帮忙搬东西", "feedback"),
    ("早上好各位邻居", "other"),
    ("我同意装充电桩", "feedback"),
])
def test_intents_of_non_complaints(text, intent):
    result = classify(text)
    assert not result.is_complaint and result.intent == intent


@pytest.mark.parametrize("text, category", [
    ("怎么还没人来修??", "property_service"),
    ("楼上天天半夜拖椅子 吵得睡不着", "noise"),
    ("谁家的狗又在草坪上拉屎 能不能管管", "pets"),
    ("下水道又堵了 这礼拜第二次了", "plumbing"),
])
def test_complaint_constructions(text, category):
    result = classify(text)
    assert result.is_complaint and result.category == category


@pytest.mark.parametrize("text", [
    "5号楼2单元楼道里好大一股煤气味",
    "电梯困人了 我妈在里面",
    "整栋楼都停电了 也没通知",
])
def test_urgent(text):
    assert classify(text).urgent


@pytest.mark.parametrize("text, complaint, urgent", [
    ("建议物业把门口翘起来的地砖修一下 已经绊倒好几个老人了", True, False),  # a suggestion
    ("我建议业委会换届选举放在周末", False, False),                        # an opinion
    ("电梯又挂了", True, False),                                          # 又…了 after an object
    ("物业费今年涨不涨啊", False, False),                                  # an A-not-A question
    ("12楼有户人家往外冒黑烟 有没有人知道是哪户", True, True),             # an alarm asks for help
    ("请问家里闻到燃气味应该打哪个电话？提前问一下 存着", False, False),  # a polite question
    ("电梯卡住了 我和孩子在里面", True, True),
    ("电梯里面有股尿骚味 还有人在里面抽烟", True, False),
    ("看新闻说隔壁小区电梯困了人", False, False),
])
def test_round3_4_rules(text, complaint, urgent):
    result = classify(text)
    assert (result.is_complaint, result.urgent) == (complaint, urgent)


def test_near_miss_is_not_urgent():
    result = classify("单元门闭门器坏了 差点夹到老人的手")
    assert result.is_complaint and not result.urgent


def test_thread_safe_concurrent_classify(clf):
    texts = [r["text"] for r in _load(HARD_CASES)]
    expected = [clf.classify(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(clf.classify, texts * 4))
    assert got == expected * 4


# -- community lexicon -------------------------------------------------------------------------

EXTRA = {
    "categories": {"facility": {"objects": ["快递柜"], "faults": ["吞件"]},
                   "fire_safety": {"signals": ["胶皮味"]}},
    "urgent": ["胶皮味"],
}


def test_extra_lexicon_changes_category():
    text = "小区的智能快递柜老是吞件 取不出来"
    assert Classifier(model=None).classify(text).category != "facility"  # the rules alone
    assert Classifier(EXTRA, model=None).classify(text).category == "facility"
    result = Classifier(EXTRA).classify(text)
    assert result.is_complaint and result.category == "facility"


def test_extra_lexicon_adds_urgent_word():
    text = "地库闻到一股胶皮味 物业快来看看"
    assert not classify(text).urgent
    result = Classifier(EXTRA).classify(text)
    assert result.is_complaint and result.category == "fire_safety" and result.urgent


def test_extra_lexicon_accepts_config_fragment():
    result = Classifier({"lexicon": EXTRA}).classify("小区的智能快递柜老是吞件")
    assert result.category == "facility"


def test_invalid_extra_lexicon_is_refused():
    with pytest.raises(ValueError, match="water_leek"):
        Classifier({"categories": {"water_leek": {"objects": ["水"]}}})


def test_validate_extra_reports_key_paths():
    problems = validate_extra({
        "categories": {"water_leek": {"objects": ["x"]},
                       "facility": {"objs": ["a"], "faults": "刷不开"}},
        "urgent": ["冒烟", ""],
        "colour": "red",
    })
    assert ("categories.water_leek", "unknown category") in problems
    paths = [path for path, _ in problems]
    assert "categories.facility.objs" in paths and "categories.facility.faults" in paths
    assert "urgent[1]" in paths and "colour" in paths


def test_validate_extra_accepts_good_lexicon():
    assert validate_extra(EXTRA) == []
    assert validate_extra(None) == []


# -- CLI functions -----------------------------------------------------------------------------


def test_run_classify_single_text():
    out = io.StringIO()
    assert run_classify("3号楼电梯坏了", "resident", None, out=out) == 0
    d = json.loads(out.getvalue())
    assert d["category"] == "elevator" and d["location"] == {"building": "3"}
    assert "电梯" in out.getvalue()  # ensure_ascii=False


def test_run_classify_file_keeps_ids(tmp_path):
    path = tmp_path / "in.jsonl"
    lines = [{"id": "a1", "text": "楼道灯坏了", "sender_role": "resident"},
             {"id": 7, "text": "明天停水通知", "sender_role": "staff"}]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                    encoding="utf-8")
    out = io.StringIO()
    assert run_classify(None, "resident", str(path), out=out) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in rows] == ["a1", 7]
    assert list(rows[0])[:2] == ["id", "is_complaint"]
    assert rows[0]["is_complaint"] and not rows[1]["is_complaint"]


def test_run_classify_missing_file(tmp_path, capsys):
    code = run_classify(None, "resident", str(tmp_path / "nope.jsonl"), out=io.StringIO())
    assert code != 0
    err = capsys.readouterr().err
    assert "nope.jsonl" in err and "Traceback" not in err


def test_run_classify_bad_json_line(tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "text": "电梯坏了"}\n{not json\n', encoding="utf-8")
    out = io.StringIO()
    assert run_classify(None, "resident", str(path), out=out) == 1
    assert len(out.getvalue().splitlines()) == 1
    assert "bad.jsonl:2" in capsys.readouterr().err


def test_run_classify_needs_text_or_file(capsys):
    assert run_classify(None, "resident", None, out=io.StringIO()) == 2
    assert "usage" in capsys.readouterr().err


def test_run_evaluate_prints_report(capsys):
    out = io.StringIO()
    assert run_evaluate(str(HARD_CASES), out=out) == 0
    report = out.getvalue()
    for part in ("complaint: precision", "category accuracy", "denominator", "urgent: precision",
                 "intent accuracy", "category confusion"):
        assert part in report


def test_run_evaluate_missing_file(tmp_path, capsys):
    assert run_evaluate(str(tmp_path / "missing.jsonl"), out=io.StringIO()) == 2
    assert "missing.jsonl" in capsys.readouterr().err
