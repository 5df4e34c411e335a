"""Configuration from the environment."""
import pytest

from config import settings


def test_development_defaults_to_sqlite_under_var(tmp_path):
    config = settings.load({"SHAOBAO_VAR_DIR": str(tmp_path)})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'shaobao.sqlite3'}"
    assert config["REDIS_URL"] is None
    assert config["WECHAT_API_BASE"] == "http://127.0.0.1:5100"


def test_postgres_urls_use_psycopg3():
    config = settings.load({"DATABASE_URL": "postgres://u@h/db"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_production_refuses_defaults():
    with pytest.raises(settings.ConfigError) as err:
        settings.load({"SHAOBAO_ENV": "production"})
    message = str(err.value)
    for problem in ("DATABASE_URL", "SECRET_KEY", "WECHAT_SECRET", "WECHAT_APPID", "SOCKETIO_CORS_ORIGINS"):
        assert problem in message


def test_production_starts_when_told_everything():
    config = settings.load({"SHAOBAO_ENV": "production", "DATABASE_URL": "postgresql://u@h/db",
                            "SECRET_KEY": "x" * 40, "WECHAT_APPID": "wx1234567890abcdef",
                            "WECHAT_SECRET": "s" * 32,
                            "SOCKETIO_CORS_ORIGINS": "https://console.example.gov.cn"})
    assert config["SHAOBAO_ENV"] == "production"
    assert config["SOCKETIO_CORS_ORIGINS"] == ["https://console.example.gov.cn"]
    assert config["WECHAT_API_BASE"] == "https://api.weixin.qq.com"


def test_unknown_environment_is_refused():
    with pytest.raises(settings.ConfigError):
        settings.load({"SHAOBAO_ENV": "staging"})


@pytest.mark.parametrize("value", ["abc", "0", "-3"])
def test_bad_numbers_are_config_errors(value):
    with pytest.raises(settings.ConfigError, match="TOKEN_TTL_HOURS"):
        settings.load({"TOKEN_TTL_HOURS": value})


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf"])
def test_numbers_must_be_finite(raw):
    with pytest.raises(settings.ConfigError, match="OUTBOX_LEASE_SECONDS must be a positive finite number"):
        settings.load({"OUTBOX_LEASE_SECONDS": raw})
    with pytest.raises(settings.ConfigError, match="DEADLINE_WARN_SHARE"):
        settings.load({"DEADLINE_WARN_SHARE": raw})
