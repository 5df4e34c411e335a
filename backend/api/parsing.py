"""The request parser every blueprint uses (backend.api.blueprint.Blueprint).

What cannot be walked or stored is refused here, before marshmallow or the database sees
it, in the one error shape: JSON nested deeper than MAX_DEPTH (a deep enough body made the
standard parser raise RecursionError, a 500), text no database stores (a lone surrogate
fails to encode, a NUL byte fails on PostgreSQL), integers beyond 64 bits, NaN and
infinities. Query integers are bounded like the 32-bit keys they filter on, so a huge
`page` or `provider_id` is a 422 rather than an overflow in the driver. A body that is not
JSON is a 415; an empty body where a change or a search is asked for is a 422, not a 200
that did nothing."""
from __future__ import annotations

import json
import math

import marshmallow as ma
from flask import request
from webargs import core
from webargs.flaskparser import FlaskParser, abort
from werkzeug.exceptions import UnsupportedMediaType

from backend.api.schemas import MAX_ID

MAX_DEPTH = 32
MAX_BODY_INT = 2**63 - 1  # PostgreSQL's BIGINT; the schemas bound their ids tighter
MAX_QUERY_INT = MAX_ID    # every integer in a query filters on, or pages over, 32-bit keys


def text_problem(text: str) -> str | None:
    """Why this text cannot be stored, or None."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid Unicode)"
    return None


def _printable(key: str) -> str:
    """A field name safe to send back in the error (it may be the offending text itself)."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _value_problem(value) -> str | None:
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and abs(value) > MAX_BODY_INT:
        return "an integer beyond 64 bits"
    if isinstance(value, float) and not math.isfinite(value):
        return "not a finite number"
    return None


def _children(item, path: str):
    pairs = item.items() if isinstance(item, dict) else enumerate(item)
    for key, child in pairs:
        yield key, f"{path}.{_printable(str(key))}" if path else _printable(str(key)), child


def json_problems(value) -> dict[str, list[str]]:
    """Every place in a parsed JSON document that cannot be accepted (walked without recursion)."""
    problems: dict[str, list[str]] = {}
    stack = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                problems[path or "_"] = [f"nested deeper than {MAX_DEPTH} levels"]
                continue
            for key, child_path, child in _children(item, path):
                reason = text_problem(key) if isinstance(key, str) else None
                if reason:
                    problems[child_path] = [f"a field name {reason}"]
                else:
                    stack.append((child, child_path, depth + 1))
        elif (reason := _value_problem(item)) is not None:
            problems[path or "_"] = [reason]
    return problems


def _asks_for_a_change() -> bool:
    """PATCH, PUT and the search routes: an empty body there is a mistake, never a request."""
    return request.method in ("PATCH", "PUT") or request.path.endswith("/search")


def _text_problems(values) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for key, items in values.lists():
        for text in (key, *items):
            if isinstance(text, str) and (reason := text_problem(text)):
                problems[_printable(key)] = [reason]
    return problems


def _integer_fields(schema: ma.Schema):
    for name, field in schema.fields.items():
        inner = getattr(field, "inner", None)  # a List or DelimitedList of integers
        if isinstance(field, ma.fields.Integer) or isinstance(inner, ma.fields.Integer):
            yield field.data_key or name


def _beyond(raw: str, bound: int) -> bool:
    """An integer (or a comma-separated list of them) beyond the bound, read as marshmallow
    reads it: int() takes "1_000", signs, spaces and any Unicode digits, so a pattern of
    ASCII digits let a huge `page=1_000_..._000` through to the driver. Other text is left
    for marshmallow to judge (int() refuses more than 4,300 digits, and so does it)."""
    for part in raw.split(","):
        try:
            number = int(part)
        except ValueError:
            continue
        if abs(number) > bound:
            return True
    return False


class EdgeParser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 422

    def _raw_load_json(self, req):
        data = req.get_data(cache=True)
        if not data.strip():
            if _asks_for_a_change():
                abort(422, messages={"json": ["send the change as a JSON object"]})
            return core.missing
        if not core.is_json(req.mimetype):
            raise UnsupportedMediaType("send the body as application/json")
        try:
            value = json.loads(data.decode("utf-8"))
        except RecursionError:
            abort(422, messages={"json": [f"nested deeper than {MAX_DEPTH} levels"]})
        except (UnicodeDecodeError, ValueError):  # ValueError: JSONDecodeError, a 5,000-digit number
            abort(400, messages={"json": ["Invalid JSON body."]})
        problems = json_problems(value)
        if problems:
            abort(422, messages={"json": problems})
        return value

    def load_querystring(self, req, schema):
        problems = _text_problems(req.args)
        for key in _integer_fields(schema):
            if any(_beyond(raw, MAX_QUERY_INT) for raw in req.args.getlist(key)):
                problems[key] = [f"must be at most {MAX_QUERY_INT}"]
        if problems:
            abort(422, messages={"query": problems})
        return super().load_querystring(req, schema)

    def load_form(self, req, schema):
        problems = _text_problems(req.form)
        if problems:
            abort(422, messages={"form": problems})
        return super().load_form(req, schema)


EDGE_PARSER = EdgeParser()
