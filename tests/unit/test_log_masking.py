"""Phone numbers never reach a log line whole; the app's lines are JSON objects."""
import io
import json
import logging
import re
from datetime import datetime, timedelta

import pytest
from flask import Flask

from backend.app import register_logging
from backend.log_privacy import JsonLines, MaskPhones, TextLines


def test_numbers_in_access_logs_are_masked(caplog):
    logger = logging.getLogger("test.masking")
    logger.addFilter(MaskPhones())
    with caplog.at_level(logging.INFO, logger="test.masking"):
        logger.info('"GET /api/console/users?phone=%s HTTP/1.1" %s', "13700002222", 200)
        logger.info("order 123456789012345 untouched")
    assert "137****2222" in caplog.text
    assert "13700002222" not in caplog.text
    assert "123456789012345" in caplog.text


def test_the_filter_masks_extra_fields_for_any_handler(caplog):
    logger = logging.getLogger("test.masking")
    logger.addFilter(MaskPhones())
    with caplog.at_level(logging.INFO, logger="test.masking"):
        logger.info("staff added", extra={"phone": "13800001111", "contact": {"phones": ["13900003333"]},
                                          "order_id": 12345678901234})
    (record,) = caplog.records
    assert (record.phone, record.contact, record.order_id) == ("138****1111", {"phones": ["139****3333"]},
                                                               12345678901234)

def logged(formatter: logging.Formatter, emit) -> str:
    """What a handler with this formatter and the mask writes for the records emit() logs."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(MaskPhones())
    logger = logging.getLogger("test.json_lines")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
    return out.getvalue()


def test_a_record_is_one_json_line_with_its_extra_fields():
    text = logged(JsonLines(), lambda log: log.warning("order paid order=%s", 7, extra={
        "order_id": 7, "amount_fen": 5000, "note": "上门保洁"}))
    (line,) = text.splitlines()
    record = json.loads(line)
    assert record["level"] == "WARNING" and record["logger"] == "test.json_lines"
    assert record["message"] == "order paid order=7"
    assert (record["order_id"], record["amount_fen"], record["note"]) == (7, 5000, "上门保洁")
    assert datetime.fromisoformat(record["time"]).utcoffset() == timedelta(0)


def test_phones_in_extra_fields_and_tracebacks_are_masked():
    def emit(log):
        log.info("staff added phone=%s", "13700002222", extra={
            "phone": "13800001111", "contact": {"phones": ["13900003333"]}, "as_number": 13600004444})
        try:
            raise ValueError("no account for 13500005555")
        except ValueError:
            log.exception("lookup failed")
    text = logged(JsonLines(), emit)
    first, second = (json.loads(line) for line in text.splitlines())
    assert first["message"] == "staff added phone=137****2222"
    assert (first["phone"], first["contact"], first["as_number"]) == (
        "138****1111", {"phones": ["139****3333"]}, "136****4444")
    assert "135****5555" in second["exc_info"]
    assert not re.search(r"1[3-9]\d{9}", text), text


def test_text_lines_are_masked_too():
    text = logged(TextLines(), lambda log: log.info("bound %s", "13700002222"))
    assert text.endswith("INFO test.json_lines bound 137****2222\n")


@pytest.mark.parametrize(("kind", "made"), [("json", JsonLines), ("text", TextLines)])
def test_the_app_logs_in_the_configured_format_where_nothing_else_set_logging_up(kind, made):
    root, werkzeug = logging.getLogger(), logging.getLogger("werkzeug")
    kept = root.handlers[:], root.level, werkzeug.filters[:]
    root.handlers.clear()
    try:
        app = Flask(__name__)
        app.config["LOG_FORMAT"] = kind
        register_logging(app)
        (handler,) = root.handlers
        assert isinstance(handler.formatter, made) and root.level == logging.INFO
        assert any(isinstance(f, MaskPhones) for f in handler.filters)
    finally:
        root.handlers[:] = kept[0]
        root.setLevel(kept[1])
        werkzeug.filters[:] = kept[2]
