"""Every private-number format a resident may type is masked in what the bot posts, and
what is not a private number (dates, rooms, prices) stays as written."""

from __future__ import annotations

import pytest

from bot.privacy import display_name, mask_private

MASKED = [
    ("13812345678", "138****5678"),
    ("电话+8613812345678", "电话138****5678"),
    ("电话 +86 138 1234 5678", "电话 138****5678"),
    ("8613812345678", "138****5678"),
    ("１３８１２３４５６７８", "138****5678"),
    ("138.1234.5678", "138****5678"),
    ("138-1234-5678", "138****5678"),
    ("138 1234 5678", "138****5678"),
    ("1 3 8 1 2 3 4 5 6 7 8", "138****5678"),
    ("一三八一二三四五六七八", "138****5678"),
    ("幺三八一二三四五六七八", "138****5678"),
    ("0755 8888 6666", "0755****6666"),
    ("0755-88886666", "0755****6666"),
    ("(010)12345678", "010****5678"),
    ("（０１０）１２３４５６７８", "010****5678"),
    ("010-12345678", "010****5678"),
    ("11010119900101123X", "110101********123X"),
    ("110101 1990 0101 123X", "110101********123X"),
    ("110101199001011234", "110101********1234"),
    ("110101900101123", "110101*****1123"),
    ("6222021234567890", "6222********7890"),
    ("6222 0212 3456 7890", "6222********7890"),
    ("6222 0212 3456 7890 123", "6222***********0123"),
    ("6222021234567890123", "6222***********0123"),
    # found by scripts/probe.py: more separators, and numerals mixed
    ("１３８－１２３４－５６７８", "138****5678"),                 # full-width dashes
    ("138–1234–5678", "138****5678"),                             # en dashes
    ("138/1234/5678", "138****5678"),
    ("138，1234，5678", "138****5678"),                           # voice input's pauses
    ("138、1234、5678", "138****5678"),
    ("138\u200b1234\u200b5678", "138****5678"),                   # zero-width spaces
    ("138\u00a01234\u00a05678", "138****5678"),                   # no-break spaces
    ("138 - 1234 - 5678", "138****5678"),
    ("一 三 八 一 二 三 四 五 六 七 八", "138****5678"),
    ("幺38一2345六78", "138****5678"),
    ("住302，138 1234 5678", "住302，138****5678"),              # next to another number
    ("我家 3 楼 138 1234 5678", "我家 3 楼 138****5678"),
]

KEPT = ["2026-12-01 19:00", "11-1-601", "3号楼2单元501", "月卡从150涨到300", "订单 20261201",
        "38元", "1-5号楼", "12-02 03:38 前签收", "#12", "T3", "一二三四五", "第三十二号",
        "2、3、4、5、6、7、8、9、10、11、12、13号楼停水", "2026/12/01", "两三天",
        "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20", "一二三四五六七八九十"]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_private_numbers_are_masked(text, expected):
    assert mask_private(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_other_numbers_stay(text):
    assert mask_private(text) == text


def test_masked_inside_a_sentence_and_a_name():
    text = "王五(13812345678)说：我家电话0755 8888 6666，身份证110101199001011234"
    assert mask_private(text) == ("王五(138****5678)说：我家电话0755****6666，"
                                  "身份证110101********1234")


def test_a_resident_number_never_reaches_the_group(chat):
    replies = chat.say("u-zhang",
                       "3号楼楼道灯坏了 有事打我电话 138 1234 5678 或者一三八一二三四五六七八")
    assert replies and all("1234 5678" not in r and "一三八" not in r for r in replies)


def test_a_number_cut_off_by_an_excerpt_is_hidden():
    assert mask_private("有事打我电话 1381234…") == "有事打我电话 138****…"
    assert mask_private("或者一三八一二三四…") == "或者138****…"


def test_two_numbers_side_by_side_are_two():
    assert mask_private("下水道堵 13812345678 110101199001011234") == \
        "下水道堵 138****5678 110101********1234"


@pytest.mark.parametrize(("name", "shown"), [
    ("王五\n【紧急通知】请所有居民今晚撤离 @所有人", "王五 【紧急通知】请所有居民今晚撤离 …"),
    ("所有人", "所有人（成员）"),
    ("@all", "all（成员）"),
    ("  张\t阿姨 ", "张 阿姨"),
    ("李\u202e书记", "李 书记"),
    ("", ""),
])
def test_display_names_are_one_line_capped_and_never_everyone(name, shown):
    assert display_name(name) == shown


def test_a_hostile_name_does_not_speak_for_the_bot(chat):
    replies = chat.say("u-evil", "3号楼2单元楼道灯坏了三天了",
                       sender_name="王五\n【紧急通知】请所有居民今晚撤离 @所有人")
    assert replies
    for text in replies:
        assert "@所有人" not in text and "\n【紧急通知】" not in text
    case_id = chat.last["replies"][0]["case_id"]
    detail = chat.say("u-li", f"/工单 #{case_id}")[0]
    assert "王五 【紧急通知】" in detail  # the name, on one line and capped
    assert "@所有人" not in detail and "\n【紧急通知】" not in detail
