"""The application factory: create_app(overrides) -> a short list of register_* steps.

The composition root: the one module that imports every layer, builds the clients and the
effect handler map and hands them in; nothing imports it but the entry points."""
from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import redis
from flask import Flask
from sqlalchemy import event
from wechatpy.session.redisstorage import RedisStorage

from backend import (
    health,
    models,  # noqa: F401  (registers the tables)
)
from backend.api import hardening, limits
from backend.api.auth import authenticate_request
from backend.api.openapi import API_SETTINGS, Api
from backend.cli import COMMANDS
from backend.console import BLUEPRINTS as CONSOLE
from backend.effects import delivery, order_notices, pushes, subscribe_messages
from backend.effects import wechat_pay as pay_effects
from backend.extensions import db, migrate
from backend.interop import wechat_pay as pay_callbacks
from backend.log_privacy import MaskPhones, formatter
from backend.realtime import handlers as sockets
from backend.realtime.push import bind
from backend.services import runtime
from backend.services.clock import OffsetFileClock
from backend.wechat.miniprogram import MiniProgramClient
from backend.wechat.pay import PayClient, PayUnavailable
from backend.wechat.pay_settings import client_options
from config import settings
from miniprogram_api import BLUEPRINTS as MINIPROGRAM

log = logging.getLogger("shaobao.app")


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.json.ensure_ascii = False  # names are Chinese: send them readable, in UTF-8
    register_config(app, overrides)
    register_logging(app)
    register_database(app)
    register_runtime(app)
    register_effects(app)
    register_api(app)
    register_hardening(app)
    limits.register(app)
    register_sockets(app)
    register_health(app)
    register_cli(app)
    return app


def register_config(app: Flask, overrides: dict | None) -> None:
    app.config.update(settings.load())
    app.config.update(overrides or {})
    # hide_parameters: a database error's text would otherwise carry the bound values
    # (a phone number) into the logs.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "hide_parameters": True,
                                               **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}


def register_logging(app: Flask) -> None:
    """One JSON object per line on stderr (LOG_FORMAT=text: a plain line for a terminal),
    unless the process set up logging itself (pytest, an embedding host)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter(app.config["LOG_FORMAT"]))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    # No full mobile number in any line: on every handler (whatever logger the record
    # comes from) and on werkzeug's own logger, whose access lines carry query strings.
    for handler in root.handlers:
        if not any(isinstance(f, MaskPhones) for f in handler.filters):
            handler.addFilter(MaskPhones())
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, MaskPhones) for f in werkzeug.filters):
        werkzeug.addFilter(MaskPhones())


def register_database(app: Flask) -> None:

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _sqlite_transactions(db.engine)


def _sqlite_transactions(engine) -> None:
    """Let SQLAlchemy, not pysqlite, begin transactions (so SAVEPOINT works), enforce
    foreign keys, and let the server, scheduler and tests share the file (WAL, waits).

    BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that read and
    then writes after another writer committed fails with SQLITE_BUSY at once, whatever
    the busy timeout; the embedded database serialises writers instead."""
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        _begin_immediate(connection)


# SQLite's own wait for the write lock is a sleep inside C: under gevent it would stop every
# greenlet of the process, the lock holder's too, until the timeout. So SQLite waits only a
# moment, and the wait for the lock is a loop of Python sleeps (a greenlet switch under gevent).
SQLITE_BUSY_MS = 20
SQLITE_LOCK_WAIT_SECONDS = 10.0


def _begin_immediate(connection) -> None:
    raw = connection.connection.dbapi_connection  # below SQLAlchemy: a refusal is not an error yet
    deadline = time.monotonic() + SQLITE_LOCK_WAIT_SECONDS
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def register_runtime(app: Flask) -> None:
    """Build the clock and the WeChat clients once, here, and hand them to the services
    (backend.services.runtime). A test-only clock file (SHAOBAO_CLOCK_FILE) moves this
    process's time; tests may still swap the runtime's clock afterwards."""
    held = runtime.Runtime(settings=app.config, wechat=_miniprogram_client(app.config))
    if app.config.get("CLOCK_FILE"):
        held.clock = OffsetFileClock(app.config["CLOCK_FILE"])
    attach_pay_client(held)
    runtime.install(app, held)


def _miniprogram_client(config):
    storage = None
    if config["REDIS_URL"]:
        # Timeouts: a Redis that hangs must cost a report its content check, not its answer.
        client = redis.Redis.from_url(config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=2)
        storage = RedisStorage(client, prefix="shaobao:wechat")
    return MiniProgramClient(config["WECHAT_APPID"], config["WECHAT_SECRET"], config["WECHAT_API_BASE"],
                             timeout=config["WECHAT_TIMEOUT_SECONDS"], session_storage=storage)


def attach_pay_client(held) -> None:
    """WeChat Pay's client, on the runtime's clock (a test's or the end-to-end offset
    clock judges notification freshness and stamps payment params). Off or keyless, the
    reason is kept: the money paths answer it as PayUnavailable, the rest of the app runs."""
    try:
        held.pay = PayClient(**client_options(held.settings), clock=lambda: held.clock().timestamp())
    except PayUnavailable as exc:
        held.pay_unavailable = str(exc)
    except (OSError, ValueError) as exc:
        # A key file missing or unreadable (a migration job without the key mount) must not
        # stop the process: the money paths answer why, and the log says it loudly.
        held.pay_unavailable = f"WeChat Pay keys could not be loaded: {type(exc).__name__}: {exc}"
        log.error("%s", held.pay_unavailable)


def register_effects(app: Flask) -> None:
    """The relay's handler map (one handler per kind of effect the services write), handed
    to delivery with the after-commit hooks; the scheduler's and the CLI's sweeps use it too."""
    delivery.install(app, {"push": pushes.deliver, "subscribe_message": subscribe_messages.deliver,
                           "order_push": order_notices.push, "order_message": order_notices.message,
                           "pay_refund": pay_effects.refund, "pay_settle": pay_effects.settle,
                           "pay_close": pay_effects.close})


def register_api(app: Flask) -> None:
    for key, value in API_SETTINGS.items():
        app.config.setdefault(key, value)
    api = Api(app)
    app.before_request(authenticate_request)
    for blueprint in MINIPROGRAM + CONSOLE + (pay_callbacks.blp,):
        api.register_blueprint(blueprint)


def register_hardening(app: Flask) -> None:
    """nosniff and no-store on the answers (backend.api.hardening)."""
    hardening.register(app)


def register_sockets(app: Flask) -> None:
    """Socket.IO on /socket.io/ (backend.realtime.handlers), in the configured async mode."""
    if app.config["SOCKETIO_ASYNC_MODE"] == "gevent":
        from gevent import monkey  # noqa: PLC0415  (gevent is the [serve] extra's, absent in dev)
        if not monkey.is_module_patched("socket"):
            # Unpatched, every blocking call (database, Redis) stalls all sockets of the process.
            raise settings.ConfigError("SOCKETIO_ASYNC_MODE=gevent needs a gevent-patched process: "
                                       "run it with gunicorn -k gevent (scripts/serve)")
    sockets.register(bind(app), app)
    # A socket connecting starts this process's relay thread, which sweeps the pushes the
    # scheduler left (no Redis) even if no request came first.
    app.extensions[sockets.SERVING_HOOK] = delivery.serving


def register_health(app: Flask) -> None:
    app.register_blueprint(health.blp)


def register_cli(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
