"""统一社会信用代码 (GB 32100-2015): a generated valid code passes, any single change fails,
and the verdict agrees with python-stdnum's wherever stdnum can judge the code."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc
from stdnum.exceptions import InvalidFormat

from backend.services.providers.credit_code import CHARSET, KINDS, PROVINCES, CreditCodeError, is_valid, normalise

KNOWN = ("91350100M000100Y43", "91110000600037341L", "52140730MA0LQ3C4D5")


@st.composite
def first17s(draw) -> str:
    """The first 17 characters of a code our structure rules accept."""
    authority = draw(st.sampled_from(sorted(KINDS)))
    kind = draw(st.sampled_from(KINDS[authority]))
    area = draw(st.sampled_from(sorted(PROVINCES))) + draw(st.text("0123456789", min_size=4, max_size=4))
    return authority + kind + area + draw(st.text(CHARSET, min_size=9, max_size=9))


@st.composite
def valid_codes(draw) -> str:
    first17 = draw(first17s())
    return first17 + uscc.calc_check_digit(first17)


@given(valid_codes())
def test_a_generated_code_passes(code):
    assert normalise(code) == code
    assert normalise(" " + code.lower()[:9] + " " + code[9:]) == code  # typed loosely


@given(valid_codes(), st.integers(0, 17), st.characters(codec="utf-8"))
def test_any_single_change_fails(code, position, replacement):
    if replacement.upper() == code[position] or replacement.isspace() or not replacement.upper():
        return  # not a change once normalised
    changed = code[:position] + replacement + code[position + 1:]
    assert not is_valid(changed), changed


@given(first17s(), st.sampled_from(CHARSET))
def test_the_check_character_agrees_with_stdnum(first17, last):
    code = first17 + last
    if code[0].isdigit():
        assert is_valid(code) == uscc.is_valid(code), code
    else:  # stdnum refuses letter authorities outright (see the next test); the check still agrees
        assert is_valid(code) == (last == uscc.calc_check_digit(first17)), code


@given(st.text(CHARSET + "IOSVZ ab", max_size=22))
def test_on_any_input_we_accept_nothing_stdnum_finds_wrong(raw):
    # Our rules are stdnum's (length, characters, check) plus the authority, kind and area:
    # a code we accept with a digit authority, stdnum accepts too.
    if is_valid(raw) and normalise(raw)[0].isdigit():
        assert uscc.validate(raw) == normalise(raw)


def test_letter_authorities_are_why_we_keep_our_table():
    first17 = "N2140730MA0LQ3C4D"   # 农业: a village's collective economic organisation
    code = first17 + uscc.calc_check_digit(first17)
    assert is_valid(code)
    with pytest.raises(InvalidFormat):
        uscc.validate(code)


@pytest.mark.parametrize("code", KNOWN)
def test_real_codes_pass(code):
    assert is_valid(code) and uscc.is_valid(code)


@pytest.mark.parametrize(("code", "says"), [
    ("9135010000010Y43", "18 characters, not 16"),
    ("91350100M000100I43", "I"),
    ("X1350100M000100Y43", "1st character"),
    ("94350100M000100Y43", "2nd character"),
    ("91990100M000100Y43", "characters 3 to 8"),
    ("91350100M000100Y44", "check character"),
])
def test_the_message_says_what_is_wrong(code, says):
    with pytest.raises(CreditCodeError) as error:
        normalise(code)
    assert says in str(error.value)
