"""Phone and ID-card numbers typed into free text, masked. Pure: standard library only.

What is masked (digits may be ASCII or full-width, as Chinese input methods type them):
- mainland mobiles, 1[3-9] and 9 more digits, optionally grouped 3-4-4 by a space or a dash,
  optionally after +86/86: 138****5678;
- landlines with their area code (0 and 2-3 digits, a local number of 7-8 digits starting
  2-9, as local numbers do), split by a dash, a space or a bracket or not: 010-****5678;
  a local number without its area code is not recognised (it looks like any other number);
- resident ID numbers: 17 digits and a digit or X, optionally split by spaces or dashes,
  whose digits 7-14 are a plausible birth date: 110101********123X.
A number is a candidate only when no digit touches it on either side, so a case number, an
amount, a date, a time or a 28-digit WeChat transaction id is left alone; a 15-digit grid
code has no birth date where an 18-digit ID has one. Masked text holds `*`, so masking twice
changes nothing.
"""
from __future__ import annotations

import re

_D = "[0-9０-９]"
_SEP = "[ \\-－]"
_NOT_DIGIT_BEFORE = "(?<![0-9０-９])"
_NOT_DIGIT_AFTER = "(?![0-9０-９])"

_ID_CARD = re.compile(
    _NOT_DIGIT_BEFORE + f"(?:{_D}{_SEP}?){{17}}[0-9０-９XxＸｘ]" + _NOT_DIGIT_AFTER)
_MOBILE = re.compile(
    _NOT_DIGIT_BEFORE + f"((?:[+＋]?[8８][6６]{_SEP}?)?)"
    + f"([1１][3-9３-９]{_D}{_SEP}?{_D}{{4}}{_SEP}?{_D}{{4}})" + _NOT_DIGIT_AFTER)
_LANDLINE = re.compile(
    _NOT_DIGIT_BEFORE + f"[(（]?[0０]{_D}{{2,3}}[)）]?{_SEP}?[2-9２-９]{_D}{{2,3}}{_SEP}?{_D}{{4}}"
    + _NOT_DIGIT_AFTER)

_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")


def _digits(text: str) -> str:
    return re.sub(r"[^0-9X]", "", text.translate(_FULL_WIDTH).upper())


def _plausible_birth(digits: str) -> bool:
    year, month, day = int(digits[6:10]), int(digits[10:12]), int(digits[12:14])
    return 1880 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def _id_card(match: re.Match) -> str:
    digits = _digits(match[0])
    if not _plausible_birth(digits):
        return match[0]
    return digits[:6] + "*" * 8 + digits[-4:]


def _mobile(match: re.Match) -> str:
    digits = _digits(match[2])
    return match[1] + digits[:3] + "****" + digits[-4:]


def _landline(match: re.Match) -> str:
    text = match[0]
    digits = _digits(text)
    # The area code is 3 digits for 010 and 02x, 4 for the rest.
    area = 3 if digits[1] in "12" else 4
    local = digits[area:]
    return digits[:area] + "-" + "*" * (len(local) - 4) + local[-4:]


def mask_text(text: str | None) -> str | None:
    """The text with every phone and ID-card number in it masked; None stays None."""
    if not text:
        return text
    text = _ID_CARD.sub(_id_card, text)
    text = _MOBILE.sub(_mobile, text)
    return _LANDLINE.sub(_landline, text)


def mask_value(value):
    """A JSON-like value (a log payload, a form's attributes) with its strings masked."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    return value


def contains_personal_number(text: str | None) -> bool:
    """Whether masking would change the text."""
    return bool(text) and mask_text(text) != text
