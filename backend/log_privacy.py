"""Logging helpers: keep personal numbers out of log lines."""
from __future__ import annotations

import logging
import re

from backend.models.people import mask_phone

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


class MaskPhones(logging.Filter):
    """Rewrite any mainland mobile number in a record as 138****1234."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = MOBILE.sub(lambda m: mask_phone(m.group()), message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
