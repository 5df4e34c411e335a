"""What WeChat accepts in a subscribe message's ``data``, by the type its keys are named after.

A key such as ``thing3`` is a template field of type ``thing``; WeChat refuses a value that
breaks that type's limit with 47003 ``data.thing3.value invalid``. Overlong ``thing`` values
(over 20 characters) are the usual way real notifications fail, so the simulator enforces
the documented limits instead of accepting any string.
"""
from __future__ import annotations

import re

from .errors import WxFailure

HAN = "\u4e00-\u9fff"
RULES = {
    "thing": re.compile(r".{1,20}", re.S),
    "number": re.compile(r"(?=[0-9.]{1,32}$)[0-9]+(\.[0-9]+)?"),
    "letter": re.compile(r"[A-Za-z]{1,32}"),
    "symbol": re.compile(rf"[^0-9A-Za-z{HAN}\s]{{1,5}}"),
    "character_string": re.compile(r"[\x21-\x7e]{1,32}"),
    "amount": re.compile(r"[¥$€£]?[0-9]{1,10}(\.[0-9]+)?元?"),
    "phone_number": re.compile(rf"[^A-Za-z{HAN}]{{1,17}}"),
    "car_number": re.compile(rf"[{HAN}A-Za-z0-9][A-Za-z0-9]{{0,6}}[{HAN}A-Za-z0-9]?"),
    "phrase": re.compile(rf"[{HAN}]{{1,5}}"),
    "name": re.compile(rf"[{HAN}A-Za-z·. ]{{1,10}}|[A-Za-z·. ]{{11,20}}"),
}
FIELD = re.compile(r"([a-z_]+?)\d+")


def check_data(data) -> None:
    """Raise 47003 as WeChat would for a data object it refuses."""
    if not isinstance(data, dict) or not data:
        raise WxFailure(47003, "data is empty")
    for key, item in data.items():
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str) or not value:
            raise WxFailure(47003, f"data.{key}.value is empty")
        if not _fits(key, value):
            raise WxFailure(47003, f"data.{key}.value invalid")


def _fits(key: str, value: str) -> bool:
    field = FIELD.fullmatch(key)
    rule = RULES.get(field.group(1)) if field else None
    return rule is None or rule.fullmatch(value) is not None
