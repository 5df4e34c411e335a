"""Socket.IO settings from the environment: threading unless told, only known modes and
transports, origins as a list."""
from __future__ import annotations

import pytest

from config.settings import ConfigError, load


def test_defaults_are_the_development_shape():
    settings = load({})
    assert settings["SOCKETIO_ASYNC_MODE"] == "threading"
    assert settings["SOCKETIO_TRANSPORTS"] == ("polling", "websocket")
    assert settings["SOCKETIO_CORS_ORIGINS"] == "*"
    assert settings["RESYNC_MAX_ENTRIES"] == 50 and settings["SOCKET_RECHECK_SECONDS"] == 15


def test_the_production_shape_is_spelled_out():
    settings = load({"SOCKETIO_ASYNC_MODE": "gevent", "SOCKETIO_TRANSPORTS": "websocket",
                     "SOCKETIO_CORS_ORIGINS": "https://a.example, https://b.example"})
    assert settings["SOCKETIO_ASYNC_MODE"] == "gevent"
    assert settings["SOCKETIO_TRANSPORTS"] == ("websocket",)
    assert settings["SOCKETIO_CORS_ORIGINS"] == ["https://a.example", "https://b.example"]


@pytest.mark.parametrize("env", [{"SOCKETIO_ASYNC_MODE": "eventlet"}, {"SOCKETIO_TRANSPORTS": "carrier-pigeon"},
                                 {"SOCKETIO_TRANSPORTS": " , "}, {"RESYNC_MAX_ENTRIES": "0"}])
def test_unknown_values_are_refused(env):
    with pytest.raises(ConfigError):
        load(env)
