"""The abuse limits' settings: Flask-Limiter's syntax, empty for off, refused when unreadable."""
import pytest

from config import settings


def test_every_limited_thing_has_a_default_with_headroom():
    config = settings.load({})
    assert {key: config[key] for key in settings.LIMIT_DEFAULTS} == settings.LIMIT_DEFAULTS
    assert config["LIMIT_REPORTS"] == "10/minute;60/hour"
    assert config["TRUSTED_PROXY_COUNT"] == 0


def test_a_limit_is_read_as_given_and_empty_turns_it_off():
    config = settings.load({"LIMIT_LOGIN": "5/minute;50/hour", "LIMIT_SIMILAR": ""})
    assert (config["LIMIT_LOGIN"], config["LIMIT_SIMILAR"]) == ("5/minute;50/hour", "")


@pytest.mark.parametrize("value", ["ten a minute", "10/fortnight", "10/minute;x"])
def test_an_unreadable_limit_stops_start_up(value):
    with pytest.raises(settings.ConfigError, match="LIMIT_REPORTS"):
        settings.load({"LIMIT_REPORTS": value})


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "²"])
def test_the_trusted_proxy_count_is_a_whole_number(value):
    with pytest.raises(settings.ConfigError, match="TRUSTED_PROXY_COUNT"):
        settings.load({"TRUSTED_PROXY_COUNT": value})
