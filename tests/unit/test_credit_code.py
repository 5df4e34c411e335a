"""统一社会信用代码 (GB 32100-2015): a generated valid code passes, any single change fails."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.services.providers.credit_code import CHARSET, KINDS, PROVINCES, CreditCodeError, check_char, is_valid, normalise

KNOWN = ("91350100M000100Y43", "91110000600037341L", "52140730MA0LQ3C4D5")


@st.composite
def valid_codes(draw) -> str:
    authority = draw(st.sampled_from(sorted(KINDS)))
    kind = draw(st.sampled_from(KINDS[authority]))
    area = draw(st.sampled_from(sorted(PROVINCES))) + draw(st.text("0123456789", min_size=4, max_size=4))
    body = draw(st.text(CHARSET, min_size=9, max_size=9))
    first17 = authority + kind + area + body
    return first17 + check_char(first17)


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


@pytest.mark.parametrize("code", KNOWN)
def test_real_codes_pass(code):
    assert is_valid(code)


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
