"""A loopback WeChat for tests, scripts/run and the demo: no database; the mini-program
side's state in memory, WeChat Pay's also on disk when served (``serve()``: VAR_DIR/
wechat_sim.sqlite, read back at start, so a restart forgets no payment, as WeChat would not).

It answers at WeChat's real paths with WeChat's shapes and error codes (``mp``), and offers
``/sim/...`` endpoints that play the phone's part and inject faults (``control``). WeChat Pay
API v3 (``pay``, ``pay_control``) joins when a PaySimConfig is given, on the same clock and
fault table; ``serve()`` gives it the development key set the server reads too.
"""
from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import Flask, request
from gunicorn.app.base import BaseApplication
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.serving import WSGIRequestHandler

from config.settings import DEV_WECHAT_APPID, DEV_WECHAT_SECRET, load

from ..pay_keys import ensure_dev_keys
from ..pay_settings import KEY_SETTINGS, dev_key_dir
from . import control, mp, pay_control
from . import pay as pay_api
from .errors import WxFailure
from .pay_sign import PaySimConfig
from .pay_state import PayWorld
from .state import Clock, World

__all__ = ["create_simulator_app", "serve", "world_of", "pay_world_of", "QuietRequestHandler",
           "World", "Clock", "PaySimConfig", "PayWorld", "dev_pay_config", "default_state_file"]

logger = logging.getLogger(__name__)

LABEL_OTHER = 21000
# Words the simulated content check calls risky, with WeChat's label for each.
DEFAULT_RISKY_WORDS = {"赌博": 20006, "代开发票": 20008, "枪支": 20006, "毒品": 20006, "色情": 20002}
DEFAULT_SUBSCRIBE_DAILY_QUOTA = 1000
STATE_FILE_NAME = "wechat_sim.sqlite"


def create_simulator_app(appid: str, secret: str, *, clock: Clock | Callable[[], float] | None = None,
                         risky_words: dict[str, int] | Iterable[str] | None = None,
                         subscribe_daily_quota: int = DEFAULT_SUBSCRIBE_DAILY_QUOTA,
                         pay: PaySimConfig | None = None) -> Flask:
    """The simulator as a Flask app, for one mini-program app (appid, secret), with WeChat
    Pay for one service provider when ``pay`` is given."""
    app = Flask(__name__)
    app.json.ensure_ascii = False
    sim_clock = clock if isinstance(clock, Clock) else Clock(clock)
    world = World(sim_clock, _labelled(risky_words), subscribe_daily_quota)
    world.add_app(appid, secret)
    app.extensions["wechat_simulator"] = world
    app.register_blueprint(mp.bp)
    app.register_blueprint(control.bp)
    if pay is not None:
        app.extensions["wechat_pay_simulator"] = PayWorld(pay, sim_clock)
        app.register_blueprint(pay_api.bp)
        app.register_blueprint(pay_control.bp)
    app.register_error_handler(MethodNotAllowed, _wrong_method)
    app.register_error_handler(NotFound, _not_found)
    return app


def world_of(app: Flask) -> World:
    """The in-memory state behind a simulator app, for in-process tests."""
    return app.extensions["wechat_simulator"]


def pay_world_of(app: Flask) -> PayWorld:
    """The simulated WeChat Pay behind a simulator app created with ``pay=``."""
    return app.extensions["wechat_pay_simulator"]


def dev_pay_config(**options) -> PaySimConfig | None:
    """WeChat Pay for the service provider the environment's settings describe, with the
    development key set the server falls back to (VAR_DIR/wechatpay); None when the
    settings name real keys, whose platform half the simulator cannot have."""
    settings = load()
    if not settings["WECHATPAY_SP_MCHID"] or any(settings[key] for key in KEY_SETTINGS):
        logger.warning("WeChat Pay simulator off: the settings name keys it cannot hold")
        return None
    return PaySimConfig.from_keys(ensure_dev_keys(dev_key_dir(settings)),
                                  sp_mchid=settings["WECHATPAY_SP_MCHID"],
                                  sp_appid=settings["WECHATPAY_SP_APPID"], **options)


def default_state_file() -> Path:
    """Where a served simulator keeps WeChat Pay's state: VAR_DIR, beside the database."""
    return Path(load()["VAR_DIR"]) / STATE_FILE_NAME


def serve(host: str = "127.0.0.1", port: int = 5100, appid: str = DEV_WECHAT_APPID,
          secret: str = DEV_WECHAT_SECRET, state_file: str | Path | None = None, **options) -> None:
    """Serve the simulator until interrupted: one gunicorn worker (the simulated world lives
    in its memory) with threads and HTTP keep-alive, as WeChat's servers keep connections
    open (werkzeug's server closes every one, which cost each content check a TCP connect).
    WeChat Pay is on with the development keys unless ``pay=None`` is passed, its state
    kept in ``state_file`` (default: ``default_state_file()``) and read back by the worker
    when it starts; its notifications go out from a thread in the worker, every second."""
    if "pay" not in options:
        options["pay"] = dev_pay_config(state_file=str(state_file or default_state_file()))
    app = create_simulator_app(appid, secret, **options)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Bound here so the log line names the real port (port 0: any free one).
    listener = socket.create_server((host, port))
    listener.set_inheritable(True)
    logger.info("WeChat simulator for %s listening on http://%s:%d", appid, host,
                listener.getsockname()[1])
    settings = {"bind": f"fd://{listener.fileno()}", "workers": 1, "worker_class": "gthread",
                "threads": 16, "keepalive": 30, "graceful_timeout": 3, "loglevel": "warning"}
    if "wechat_pay_simulator" in app.extensions:
        # In the worker, not here: gunicorn forks it, and threads do not survive a fork. A
        # worker gunicorn starts again reads the state file afresh (the master's copy of the
        # world is the one it had at start).
        settings["post_worker_init"] = lambda worker: _start_worker(pay_world_of(app))
    _Standalone(app, settings).run()


def _start_worker(pay_world: PayWorld) -> None:
    pay_world.load()
    logger.info("WeChat Pay simulator state: %s", pay_world.config.state_file or "in memory only")
    start_notification_pump(pay_world)


def start_notification_pump(pay_world: PayWorld, interval: float = 1.0) -> threading.Event:
    """Settle refunds and send due notifications every ``interval`` seconds; set the
    returned event to stop."""
    stop = threading.Event()

    def pump() -> None:
        while not stop.wait(interval):
            try:
                pay_world.tick()
                pay_world.notifier.deliver_due()
            except Exception:   # one bad round must not end notifications for good
                logger.exception("WeChat Pay notification pump")

    threading.Thread(target=pump, name="wechat-pay-notifications", daemon=True).start()
    return stop


class _Standalone(BaseApplication):
    """gunicorn around an app object; no access log (WeChat puts secrets in query strings)."""

    def __init__(self, app: Flask, settings: dict):
        self.application, self.settings = app, settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.settings.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


class QuietRequestHandler(WSGIRequestHandler):
    """Access log without query strings: WeChat puts the secret and tokens there."""

    def log_request(self, code="-", size="-") -> None:
        path = getattr(self, "path", "(bad request line)").split("?", 1)[0]
        self.log("info", '"%s %s" %s %s', getattr(self, "command", "-"), path, code, size)


def _labelled(words: dict[str, int] | Iterable[str] | None) -> dict[str, int]:
    if words is None:
        return dict(DEFAULT_RISKY_WORDS)
    if isinstance(words, dict):
        return dict(words)
    return {word: LABEL_OTHER for word in words}


def _wrong_method(error: MethodNotAllowed):
    # WeChat answers a wrong method with its own error codes, not HTTP 405.
    if request.path.startswith("/sim/"):
        return error
    if request.path.startswith("/v3/"):
        return {"code": "METHOD_NOT_ALLOWED", "message": "method not allowed"}, 405
    return WxFailure(43002 if request.method == "GET" else 43001).body()


def _not_found(error: NotFound):
    if request.path.startswith("/v3/"):
        return {"code": "NOT_FOUND", "message": "no such API"}, 404
    return error
