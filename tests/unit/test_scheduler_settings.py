"""The scheduler's settings and the test-only clock file."""
from datetime import timedelta

import pytest

from backend.models.types import utcnow
from backend.services.clock import OffsetFileClock
from config import settings

PRODUCTION = {"SHAOBAO_ENV": "production", "DATABASE_URL": "postgresql://u@h/db", "SECRET_KEY": "x" * 40,
              "WECHAT_APPID": "wx1234567890abcdef", "WECHAT_SECRET": "s" * 32,
              "SOCKETIO_CORS_ORIGINS": "https://console.example.gov.cn"}


def test_defaults():
    config = settings.load({})
    assert config["SCHEDULER_TICK_SECONDS"] == 2 and config["DEADLINE_WARN_SHARE"] == 0.8
    assert config["SCHEDULER_EXPECTED"] is False and config["CLOCK_FILE"] is None


def test_production_expects_a_scheduler_unless_told_otherwise():
    assert settings.load(PRODUCTION)["SCHEDULER_EXPECTED"] is True
    assert settings.load({**PRODUCTION, "SCHEDULER_EXPECTED": "false"})["SCHEDULER_EXPECTED"] is False


def test_production_refuses_the_test_clock():
    with pytest.raises(settings.ConfigError, match="SHAOBAO_CLOCK_FILE"):
        settings.load({**PRODUCTION, "SHAOBAO_CLOCK_FILE": "/tmp/clock"})
    assert settings.load({"SHAOBAO_CLOCK_FILE": "/tmp/clock"})["CLOCK_FILE"] == "/tmp/clock"


@pytest.mark.parametrize(("key", "value"), [("DEADLINE_WARN_SHARE", "1.5"), ("DEADLINE_WARN_SHARE", "0"),
                                            ("SCHEDULER_TICK_SECONDS", "-1"), ("SCHEDULER_BATCH_SIZE", "x"),
                                            ("SCHEDULER_EXPECTED", "maybe")])
def test_bad_values_are_config_errors(key, value):
    with pytest.raises(settings.ConfigError, match=key):
        settings.load({key: value})


def test_the_clock_file_moves_time_forward(tmp_path):
    clock = OffsetFileClock(tmp_path / "clock")
    assert abs(clock() - utcnow()) < timedelta(seconds=1)      # no file: real time
    clock.advance(3600)
    clock.advance(1800)
    assert clock.offset() == 5400
    assert abs(clock() - utcnow() - timedelta(seconds=5400)) < timedelta(seconds=1)
