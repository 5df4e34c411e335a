"""The Socket.IO side of effects: the server object each app gets, the message queue that
joins several processes, and push_case, the one way anything tells sockets a case moved.

push_case is the stable interface for the outbox relay and the scheduler: call it after the
change committed. It works from a process that serves no socket (the scheduler, a CLI) as
long as REDIS_URL is set: the emit is published on the queue and every server process
delivers it to its own clients. Such a process never starts the queue's listener (python-
socketio starts it at the first client connection), so it is the write-only emitter the
Flask-SocketIO docs describe, on the same channel.
"""
from __future__ import annotations

import contextvars
import logging
import time

import socketio
from flask import Flask, current_app
from flask_socketio import SocketIO

from backend.extensions import db
from backend.models import Case
from backend.services import access
from backend.services.cases import feed

log = logging.getLogger("shaobao.sockets")
# Flask-SocketIO's default; python-socketio's RedisManager defaults to "socketio", and an
# emitter on another channel than the servers loses every event without a word.
CHANNEL = "flask-socketio"
_publish_failed: contextvars.ContextVar[bool] = contextvars.ContextVar("publish_failed", default=False)


class PushUnavailable(RuntimeError):
    """The message queue did not take the push: the relay should keep the effect and retry."""


# Told to every socket of a worker whose queue listener subscribed again after losing
# Redis: what was published meanwhile never reached it (docs/realtime.md).
RESYNC_NEEDED = "resync_needed"
LISTEN_RETRY_MAX_SECONDS = 30


class RedisQueue(socketio.RedisManager):
    """python-socketio's Redis manager, but a failed publish is reported to push_case (the
    stock one logs it and drops the event), and a listener that subscribes after failing
    to (Redis lost, or away when the worker started) tells its sockets to resync.

    A publish Redis took while this worker was not subscribed reached none of its sockets,
    though the relay counted it delivered (Redis cannot say who missed it). Once Redis
    confirms the new subscription, every later publish reaches the worker; everything
    before is in the database, which each socket's resync reads after that moment."""

    def _publish(self, data):
        sent = super()._publish(data)
        if sent is None:
            _publish_failed.set(True)
        return sent

    def _redis_listen_with_retries(self):
        # deaf: a subscription failed, so publishes may have gone unheard - after a lost
        # connection, or from the start (Redis away when the worker began serving sockets).
        retry, deaf = 1, False
        while True:
            try:
                self._redis_connect()
                # The subscribe confirmation is the moment the worker hears publishes again.
                self.pubsub = self.redis.pubsub(ignore_subscribe_messages=False)
                self.pubsub.subscribe(self.channel)
                for message in self.pubsub.listen():
                    if message["type"] == "subscribe":
                        retry = 1
                        if deaf:
                            deaf = False
                            self.resubscribed()
                    else:
                        yield message
            except Exception as exc:  # Redis away or restarting: the stock back-off, shorter
                deaf = True
                log.warning("socket queue: cannot receive from Redis (%s); retrying in %ss",
                            type(exc).__name__, retry)
                time.sleep(retry)
                retry = min(retry * 2, LISTEN_RETRY_MAX_SECONDS)

    def resubscribed(self) -> None:
        """Tell every socket of this worker (no other's: ignore_queue) to resync."""
        log.warning("socket queue: subscribed to Redis again; telling this worker's sockets to resync")
        self.server.emit(RESYNC_NEEDED, {"reason": "message_queue_reconnected"}, namespace="/",
                         ignore_queue=True)


def redis_queue(url: str) -> RedisQueue:
    # A connect timeout so a push fails fast when Redis is gone; no read timeout, which
    # would break the listener's idle wait on the channel.
    return RedisQueue(url, channel=CHANNEL, redis_options={"socket_connect_timeout": 2,
                                                           "socket_keepalive": True})


def server_options(config) -> dict:
    """The SocketIO options an app runs with: async mode, transports, queue, origins."""
    options = {"async_mode": config["SOCKETIO_ASYNC_MODE"],
               "transports": list(config["SOCKETIO_TRANSPORTS"]),
               # Authentication is the bearer token in the connect payload, never a cookie,
               # so a foreign page gains nothing by connecting: origins are not a defence here.
               "cors_allowed_origins": config["SOCKETIO_CORS_ORIGINS"],
               "manage_session": False, "logger": False, "engineio_logger": False,
               "ping_interval": config["SOCKETIO_PING_INTERVAL"]}
    if config["REDIS_URL"]:
        options["client_manager"] = redis_queue(config["REDIS_URL"])
    return options


class WithoutCompression:
    """WSGI middleware: websocket upgrades are answered without permessage-deflate (and
    gunicorn's socket is handed on without a class per request).

    simple-websocket accepts the extension whenever a client offers it (Node's ws does by
    default), and each compressing socket then keeps zlib state of about 300 KB on the server,
    for pushes of about 100 bytes that compression cannot shrink. scripts/bench/fanout.py
    measured 160 KB per connection with it, under 70 KB without it."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        sock = environ.pop("gunicorn.socket", None)
        if sock is not None:
            # engine.io's middleware finds gunicorn's socket and wraps it in a class it
            # defines anew for every request: ~2.4 KB a socket (tracemalloc, 1,000 sockets).
            # Handed over the way it would end up, in one class, simple-websocket takes it.
            environ["eventlet.input"] = _SocketInput(sock)
        return self.wsgi_app(environ, start_response)


class _SocketInput:
    __slots__ = ("socket",)

    def __init__(self, socket):
        self.socket = socket

    def get_socket(self):
        return self.socket


def bind(app: Flask) -> SocketIO:
    """One SocketIO per app (not a module-level extension): Flask-SocketIO keeps a single
    server per instance, so a second app (tests, a second process object) would take over
    the first one's server."""
    socketio = SocketIO(app, **server_options(app.config))
    app.wsgi_app = WithoutCompression(app.wsgi_app)
    return socketio


def emit_to_rooms(event: str, payload: dict, rooms: list[str]) -> None:
    """Emit on this app's server (to its own clients, and through the queue to the others')."""
    if not rooms:
        return
    token = _publish_failed.set(False)
    try:
        current_app.extensions["socketio"].emit(event, payload, to=rooms)
        if _publish_failed.get():
            raise PushUnavailable("the Socket.IO message queue (Redis) did not take the push")
    finally:
        _publish_failed.reset(token)


def push_case(case_id: int, event: str, extra: dict | None = None) -> None:
    """Tell every socket whose user may see the case now that it moved.

    The payload is {case_id, seq, event, state, version, at} (plus extra: ids and codes only);
    clients GET the case for the rest. Rooms come from access.case_rooms at this moment.
    Delivery is at most once: clients that missed it catch up with resync (seq numbers).
    Raises PushUnavailable if the queue is down (this process's own clients were served),
    LookupError if there is no such case."""
    case = db.session.get(Case, case_id)
    if case is None:
        raise LookupError(f"case {case_id} does not exist")
    payload = feed.notice(case, event, extra)
    rooms = access.case_rooms(case)
    emit_to_rooms("case", payload, rooms)
    log.info("push case=%s event=%s seq=%s rooms=%d", case_id, event, payload["seq"], len(rooms))
