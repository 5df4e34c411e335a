"""The extra fields a category's form asks for, after Open311 GeoReport v2 service attributes.

A definition list lives with each category (config/catalogue.json, then the database, edited
in the console); `check_definitions` guards it when loaded or edited, `validate` checks what a
phone submits against it. Standard library only, so the loader, the API and the engine can
all use it without pulling in the app.

Values are JSON as decoded, typed strictly: a form that sends "12" for an integer has a bug
the reporter should hear about rather than have silently papered over.
"""
from __future__ import annotations

import math
import re
from datetime import datetime

TYPES = ("string", "text", "number", "integer", "boolean", "datetime",
         "singlevaluelist", "multivaluelist")
LIST_TYPES = ("singlevaluelist", "multivaluelist")
NUMERIC_TYPES = ("number", "integer")
STRING_TYPES = ("string", "text")

# Without a cap a single field could carry megabytes into every case row, timeline and export.
DEFAULT_MAX_LENGTH = {"string": 200, "text": 2000}

KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# Option keys may start with a digit ("lt_1m2") since they often encode bands of a quantity.
OPTION_KEY = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")

_DEFINITION_KEYS = {"key", "label", "type", "required", "options", "min", "max",
                    "max_length", "description"}
# Control characters other than these would break exports and SMS templates; "string" is one
# line (Open311's distinction from "text"), so it admits none.
_TEXT_CONTROLS = {"\n", "\r", "\t"}


class AttributeErrors(ValueError):
    """Every problem with the submitted values, keyed by field key, so a form can mark each."""

    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields
        super().__init__("; ".join(f"{key}: {', '.join(msgs)}" for key, msgs in fields.items()))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _definition_problems(index: int, definition) -> list[str]:
    if not isinstance(definition, dict):
        return [f"field {index}: must be an object"]
    key = definition.get("key")
    where = f"field {key!r}" if isinstance(key, str) else f"field {index}"
    problems = []
    unknown = sorted(set(definition) - _DEFINITION_KEYS, key=str)
    if unknown:
        problems.append(f"unknown properties {unknown}")
    if not isinstance(key, str) or not KEY.match(key):
        problems.append("key must be snake_case ASCII, starting with a letter, at most 64 characters")
    label = definition.get("label")
    if not isinstance(label, str) or not label.strip():
        problems.append("label must be a non-empty string")
    if "description" in definition and not isinstance(definition["description"], str):
        problems.append("description must be a string")
    if not isinstance(definition.get("required", False), bool):
        problems.append("required must be true or false")
    kind = definition.get("type")
    if kind not in TYPES:
        problems.append(f"type must be one of {', '.join(TYPES)}")

    if kind in LIST_TYPES:
        problems.extend(_option_problems(definition.get("options")))
    elif "options" in definition:
        problems.append("options are only for list types")

    for bound in ("min", "max"):
        if bound not in definition:
            continue
        value = definition[bound]
        if kind not in NUMERIC_TYPES:
            problems.append(f"{bound} is only for number and integer")
        elif not (_is_int(value) if kind == "integer" else _is_number(value)):
            problems.append(f"{bound} must be {'an integer' if kind == 'integer' else 'a finite number'}")
    low, high = definition.get("min"), definition.get("max")
    if _is_number(low) and _is_number(high) and low > high:
        problems.append("min must not exceed max")

    if "max_length" in definition:
        length = definition["max_length"]
        if kind not in STRING_TYPES:
            problems.append("max_length is only for string and text")
        elif not _is_int(length) or length < 1:
            problems.append("max_length must be a positive integer")
    return [f"{where}: {problem}" for problem in problems]


def _option_problems(options) -> list[str]:
    if not isinstance(options, list) or not options:
        return ["a list type needs a non-empty list of options"]
    problems, seen = [], set()
    for option in options:
        if not isinstance(option, dict) or set(option) != {"key", "label"}:
            problems.append("each option is exactly {key, label}")
            continue
        key, label = option["key"], option["label"]
        if not isinstance(key, str) or not OPTION_KEY.match(key):
            problems.append(f"option key {key!r} must be snake_case ASCII")
        elif key in seen:
            problems.append(f"option key {key!r} is repeated")
        else:
            seen.add(key)
        if not isinstance(label, str) or not label.strip():
            problems.append(f"option {key!r} needs a non-empty label")
    return problems


def check_definitions(definitions) -> None:
    """Raise ValueError naming every problem with a field definition list."""
    if not isinstance(definitions, list):
        raise ValueError("field definitions must be a list")
    problems, seen = [], set()
    for index, definition in enumerate(definitions):
        problems.extend(_definition_problems(index, definition))
        key = definition.get("key") if isinstance(definition, dict) else None
        if isinstance(key, str):
            if key in seen:
                problems.append(f"field {key!r}: key is repeated")
            seen.add(key)
    if problems:
        raise ValueError("; ".join(problems))


def _is_blank(value) -> bool:
    # Forms send "" for an untouched input and [] for an untouched checkbox group; both mean
    # the reporter gave nothing, which is what "required" is about.
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _clean_string(definition: dict, value) -> tuple[object, list[str]]:
    if not isinstance(value, str):
        return None, ["must be a string"]
    value = value.strip()
    kind = definition["type"]
    allowed = _TEXT_CONTROLS if kind == "text" else set()
    errors = []
    if any((ord(c) < 32 or ord(c) == 127) and c not in allowed for c in value):
        errors.append("must be a single line" if kind == "string" else "must not contain control characters")
    limit = definition.get("max_length", DEFAULT_MAX_LENGTH[kind])
    if len(value) > limit:
        errors.append(f"must be at most {limit} characters")
    return value, errors


def _clean_number(definition: dict, value) -> tuple[object, list[str]]:
    if definition["type"] == "integer":
        if not _is_int(value):
            return None, ["must be an integer"]
    elif not (_is_int(value) or isinstance(value, float)):
        return None, ["must be a number"]
    elif not math.isfinite(value):
        return None, ["must be a finite number"]
    errors = []
    if "min" in definition and value < definition["min"]:
        errors.append(f"must be at least {definition['min']}")
    if "max" in definition and value > definition["max"]:
        errors.append(f"must be at most {definition['max']}")
    return value, errors


def _clean_datetime(definition: dict, value) -> tuple[object, list[str]]:
    if not isinstance(value, str):
        return None, ["must be an ISO 8601 date-time string"]
    text = value.strip()
    try:
        # fromisoformat would take non-ASCII digits in some positions; ISO 8601 does not.
        if not text.isascii():
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None, ["must be an ISO 8601 date-time string"]
    if moment.tzinfo is None:
        # Without an offset "08:00" is ambiguous between the phone's, the server's and UTC.
        return None, ["must include a timezone offset"]
    return moment.isoformat(), []


def _option_keys(definition: dict) -> list[str]:
    return [option["key"] for option in definition["options"]]


def _clean_single(definition: dict, value) -> tuple[object, list[str]]:
    keys = _option_keys(definition)
    if not isinstance(value, str) or value not in keys:
        return None, [f"must be one of: {', '.join(keys)}"]
    return value, []


def _clean_multi(definition: dict, value) -> tuple[object, list[str]]:
    keys = _option_keys(definition)
    if not isinstance(value, list):
        return None, [f"must be a non-empty list of: {', '.join(keys)}"]
    errors, chosen = [], set()
    for item in value:
        if not isinstance(item, str) or item not in keys:
            errors.append(f"unknown option {item!r}; options are: {', '.join(keys)}")
        elif item in chosen:
            errors.append(f"option {item!r} is repeated")
        else:
            chosen.add(item)
    # The catalogue's order, so the same choice always stores and compares the same way.
    return [key for key in keys if key in chosen], errors


def _clean_boolean(definition: dict, value) -> tuple[object, list[str]]:
    if not isinstance(value, bool):
        return None, ["must be true or false"]
    return value, []


_CLEANERS = {
    "string": _clean_string, "text": _clean_string,
    "number": _clean_number, "integer": _clean_number,
    "boolean": _clean_boolean, "datetime": _clean_datetime,
    "singlevaluelist": _clean_single, "multivaluelist": _clean_multi,
}


def validate(definitions: list[dict], values: dict | None) -> dict:
    """The cleaned values, in definition order, leaving out optional fields not given.

    `definitions` must have passed check_definitions. Raises AttributeErrors listing every
    problem at once; a body that is not an object is reported under "_schema", the key
    marshmallow uses for errors not tied to one field.
    """
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise AttributeErrors({"_schema": ["fields must be an object"]})
    errors: dict[str, list[str]] = {}
    defined = {definition["key"]: definition for definition in definitions}
    for key in values:
        if key not in defined:
            errors[str(key)] = ["unknown field"]

    cleaned = {}
    for key, definition in defined.items():
        value = values.get(key)
        if _is_blank(value):
            if definition.get("required", False):
                errors[key] = ["required"]
            continue
        result, problems = _CLEANERS[definition["type"]](definition, value)
        if problems:
            errors[key] = problems
        else:
            cleaned[key] = result
    if errors:
        raise AttributeErrors(errors)
    return cleaned
