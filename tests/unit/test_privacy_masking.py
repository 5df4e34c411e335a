"""Phone and ID-card numbers in free text are masked; ordinary numbers are left alone."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.services.privacy.masking import contains_personal_number, mask_text, mask_value

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(("text", "shown"), [
    ("电话13812345678谢谢", "电话138****5678谢谢"),
    ("call 138 1234 5678 please", "call 138****5678 please"),
    ("138-1234-5678", "138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("86 199 0000 1111", "86 199****1111"),
    ("１３８１２３４５６７８", "138****5678"),
    ("联系人:王,15900001111;备用17700002222", "联系人:王,159****1111;备用177****2222"),
    ("身份证110101199003071234", "身份证110101********1234"),
    ("ID 110101 19900307 123X.", "ID 110101********123X."),
    ("110101-19900307-123x", "110101********123X"),
    ("座机010-62345678", "座机010-****5678"),
    ("0571-87654321", "0571-****4321"),
    ("(0571)87654321", "0571-****4321"),
    ("（021）6234 5678", "021-****5678"),
    ("02162345678", "021-****5678"),
])
def test_numbers_are_masked(text, shown):
    assert mask_text(text) == shown


@pytest.mark.parametrize("text", [
    "2026-12-02 08:00:00", "2026年12月2日下午3点", "¥1234.50", "共 12,345.67 元", "case #12345",
    "案件 1024 已退单", "grid 110101001001001",  # a 15-digit grid code
    "transaction 4200001234567890123456789012",  # 28 digits: WeChat's transaction id
    "order SB20261202000123", "13812345678901 (14 digits)", "1381234567 (10 digits)",
    "12345678901 (starts 12)", "qty 10 price 2345678", "110101209913451234 (month 13)",
    "no numbers at all", "", "坐标 116.397128, 39.916527", "0.5 公里",
])
def test_ordinary_numbers_are_left_alone(text):
    assert mask_text(text) == text
    assert not contains_personal_number(text)


def test_none_and_nested_values():
    assert mask_text(None) is None
    payload = {"note": "打13812345678", "n": 3, "list": ["110101199003071234", None, {"x": "010-62345678"}]}
    assert mask_value(payload) == {"note": "打138****5678", "n": 3,
                                   "list": ["110101********1234", None, {"x": "010-****5678"}]}


mobiles = st.builds(lambda second, rest: f"1{second}{rest}",
                    st.sampled_from("3456789"), st.text("0123456789", min_size=9, max_size=9))
# Text around a number that never touches it with a digit.
surroundings = st.text(st.characters(blacklist_categories=("Nd",), blacklist_characters="*"), max_size=20)


@st.composite
def id_cards(draw):
    region = draw(st.text("0123456789", min_size=6, max_size=6))
    year = draw(st.integers(1900, 2030))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    tail = draw(st.text("0123456789", min_size=3, max_size=3)) + draw(st.sampled_from("0123456789Xx"))
    return f"{region}{year:04d}{month:02d}{day:02d}{tail}"


def _split(number: str, draw, separators) -> str:
    """The number with a separator (or none) drawn for each gap."""
    out = number[0]
    for digit in number[1:]:
        out += draw(separators) + digit
    return out


@given(mobiles, surroundings, surroundings, st.booleans())
def test_any_mobile_in_any_text_is_masked(number, before, after, wide):
    written = number.translate(FULL_WIDTH) if wide else number
    shown = mask_text(before + written + after)
    assert number not in shown and written not in shown
    assert number[:3] + "****" + number[-4:] in shown
    assert shown.startswith(before) and shown.endswith(after)


@given(id_cards(), surroundings, surroundings, st.data())
def test_any_id_card_number_is_masked_even_split(number, before, after, data):
    written = _split(number, data.draw, st.sampled_from(["", "", "", " ", "-"]))
    shown = mask_text(before + written + after)
    # The birth date is gone, wherever separators were.
    assert number[6:14] not in re.sub(r"[ \-]", "", shown)
    assert number[:6] + "********" + number[-4:].upper() in shown


@given(st.text(st.characters(blacklist_categories=("Nd",)), max_size=200))
def test_text_without_digits_is_unchanged(text):
    assert mask_text(text) == text


@settings(max_examples=300)
@given(st.text(st.sampled_from(list("0123456789 -+()年月日.,:#元X*电话") + ["\n"]), max_size=80))
def test_masking_is_idempotent_and_never_adds_digits(text):
    once = mask_text(text)
    assert mask_text(once) == once
    assert len(re.findall(r"\d", once)) <= len(re.findall(r"\d", text))


@given(st.dates(), st.times(), st.integers(0, 10**7), st.integers(0, 99))
def test_dates_times_and_amounts_survive(day, time, yuan, fen):
    text = (f"{day.isoformat()} {time.strftime('%H:%M:%S')} 金额 {yuan}.{fen:02d} 元 "
            f"{day.year}年{day.month}月{day.day}日")
    assert mask_text(text) == text
