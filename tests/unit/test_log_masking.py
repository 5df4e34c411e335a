"""Phone numbers never reach a log line whole."""
import logging

from backend.log_privacy import MaskPhones


def test_numbers_in_access_logs_are_masked(caplog):
    logger = logging.getLogger("test.masking")
    logger.addFilter(MaskPhones())
    with caplog.at_level(logging.INFO, logger="test.masking"):
        logger.info('"GET /api/console/users?phone=%s HTTP/1.1" %s', "13700002222", 200)
        logger.info("order 123456789012345 untouched")
    assert "137****2222" in caplog.text
    assert "13700002222" not in caplog.text
    assert "123456789012345" in caplog.text
