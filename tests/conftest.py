"""Shared fixtures: the database under test, the app migrated onto it, a live simulator.

SHAOBAO_TEST_DATABASE_URL selects PostgreSQL (scripts/test sets it for the second run);
without it the suite runs on a fresh SQLite file.
"""
from __future__ import annotations

import os
import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from backend.services import runtime
from backend.wechat.pay_keys import ensure_dev_keys
from backend.wechat.simulator import PaySimConfig, QuietRequestHandler, create_simulator_app
from config.settings import LIMIT_DEFAULTS

# Fixture modules every test may name (pytest takes pytest_plugins only from the top-level
# conftest); a test module imports from them only constants and helpers.
pytest_plugins = ("tests.integration.wechat_fixtures", "tests.integration.pay_fixtures",
                  "tests.integration.scheduler_helpers")

SIM_APPID = "wx00000000000tests"
SIM_SECRET = "suite-secret-never-logged"
SIM_SP_MCHID = "1900000001"
# Every abuse limit stays on in the suite, each set here: high enough for the suite's own
# bursts (all its requests come from one address, many from the same demo users);
# tests/integration/test_limits.py lowers one at a time.
SUITE_LIMITS = {key: "10000/minute" for key in LIMIT_DEFAULTS}


def reset_postgres(url: str) -> None:
    """Start the run from an empty schema (a developer may reuse the database)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    from config.settings import database_url as normalise
    raw = os.environ.get("SHAOBAO_TEST_DATABASE_URL")
    if not raw:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'suite.sqlite3'}"
    url = normalise(raw, None)
    reset_postgres(url)
    return url


def fresh_database(test_url: str, name: str) -> str:
    """A fresh PostgreSQL database `name` beside the suite's (for a service or a server
    under test that must not share the suite's tables); its URL."""
    engine = sa.create_engine(test_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return test_url.rsplit("/", 1)[0] + f"/{name}"


class LiveServer:
    """A WSGI app served for real on 127.0.0.1 in a thread."""

    def __init__(self, app, handler=QuietRequestHandler):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=handler)
        self.url = f"http://127.0.0.1:{self.server.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture(scope="session")
def suite_pay_keys(tmp_path_factory):
    """The made-up WeChat Pay keys the suite's app and simulator share (one set: RSA key
    generation is slow)."""
    return ensure_dev_keys(tmp_path_factory.mktemp("wechatpay"))


def pay_settings(keys, base_url: str, notify_base: str) -> dict:
    """App config for WeChat Pay at base_url (a simulator) with these keys."""
    return {"WECHATPAY_BASE_URL": base_url, "WECHATPAY_SP_MCHID": SIM_SP_MCHID, "WECHATPAY_SP_APPID": SIM_APPID,
            "WECHATPAY_CERT_SERIAL_NO": keys.cert_serial_no,
            "WECHATPAY_PRIVATE_KEY_PATH": str(keys.merchant_private_key_path),
            "WECHATPAY_APIV3_KEY": keys.apiv3_key, "WECHATPAY_PUBLIC_KEY_PATH": str(keys.platform_public_key_path),
            "WECHATPAY_PUBLIC_KEY_ID": keys.public_key_id, "WECHATPAY_NOTIFY_BASE": notify_base}


@pytest.fixture(scope="session")
def sim(suite_pay_keys):
    """The WeChat simulator (WeChat Pay too), served over HTTP as the real WeChat would be."""
    pay = PaySimConfig.from_keys(suite_pay_keys, sp_mchid=SIM_SP_MCHID, sp_appid=SIM_APPID)
    server = LiveServer(create_simulator_app(SIM_APPID, SIM_SECRET, pay=pay))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(database_url, sim, suite_pay_keys, tmp_path_factory):
    """The application on a migrated database holding the demo county."""
    from flask_migrate import upgrade

    from backend.app import create_app
    from backend.demo import seed
    from backend.extensions import db
    from backend.services.catalogue import categories

    app = create_app({
        "SHAOBAO_ENV": "test", "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
        "VAR_DIR": str(tmp_path_factory.mktemp("var")), "REDIS_URL": None,
        "WECHAT_APPID": SIM_APPID, "WECHAT_SECRET": SIM_SECRET, "WECHAT_API_BASE": sim.url,
        "WECHAT_TIMEOUT_SECONDS": 2.0, "OUTBOX_DELIVERY": "inline", **SUITE_LIMITS,
        # Notifications reach the app through the simulator's deliver hook (the app is not
        # served over HTTP here): see tests/integration/order_helpers.py.
        **pay_settings(suite_pay_keys, sim.url, "http://127.0.0.1:9"),
    })
    with app.app_context():
        upgrade()
        categories.load_catalogue()
        categories.load_calendar()
        seed.load()
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()
    runtime.of(app).wechat.close()
