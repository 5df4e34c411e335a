"""Log lines: one JSON object per line (python-json-logger), and no personal numbers in them.

MaskPhones rewrites mainland mobile numbers wherever a record carries them: the message and
the fields passed with extra=, for every handler; our formatters mask the finished line
again, which covers tracebacks.
"""
from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from backend.models.people import mask_phone

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# What a LogRecord carries of its own; anything else came in through extra=.
STANDARD = frozenset(RESERVED_ATTRS) | {"taskName"}
FORMATS = ("json", "text")


def mask(value):
    """The value with every mobile number masked, inside lists and dicts too."""
    if isinstance(value, str):
        return MOBILE.sub(lambda m: mask_phone(m.group()), value)
    if isinstance(value, int) and not isinstance(value, bool) and MOBILE.fullmatch(str(value)):
        return mask_phone(str(value))
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [mask(v) for v in value]
    return value


class MaskPhones(logging.Filter):
    """Rewrite any mainland mobile number in a record as 138****1234."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        for key, value in list(vars(record).items()):
            if key not in STANDARD and not key.startswith("_"):
                setattr(record, key, mask(value))
        return True


class _Masked:
    """The last word: the whole line as formatted, tracebacks included (the formatter makes
    their text after the filters ran)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


class JsonLines(_Masked, JsonFormatter):
    """{"time", "level", "logger", "message", ...the extra= fields}: one object per line."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         json_ensure_ascii=False)  # names are Chinese: keep them readable

    def formatTime(self, record: logging.LogRecord, datefmt=None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class TextLines(_Masked, logging.Formatter):
    """The human-readable line (LOG_FORMAT=text) for a developer's terminal."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")


def formatter(kind: str) -> logging.Formatter:
    return JsonLines() if kind == "json" else TextLines()
