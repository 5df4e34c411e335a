"""Delivery of effects after commit: the hooks that see what a commit wrote, the worker
that hands it to the relay, and the relay's handler map as the app was given it.

install(app, handlers) keeps the map on the app (create_app builds it) and makes every
commit that wrote effects hand them to the relay once the request is done: from a
background thread (production), inside the request (tests: an answer means delivered) or
not at all (left to the sweeper). The sweeper (sweep_apart(): `flask outbox sweep`, and
the scheduler every tick) delivers whatever a dead process left behind, with the same map.

A socket push is delivered only by a process that reaches the sockets: one that serves
them, or any process when REDIS_URL joins them. Without Redis the scheduler (a process
of its own, serving no socket) leaves pushes alone, and each server process sweeps them
from its relay thread every OUTBOX_PUSH_SWEEP_SECONDS (docs/realtime.md).
"""
from __future__ import annotations

import logging
import queue
import threading
import time

from flask import Flask, current_app
from sqlalchemy import event

from backend.effects import relay
from backend.extensions import Session, db
from backend.models import OutboxEffect
from backend.services import runtime

log = logging.getLogger("shaobao.relay")
_PENDING, _COMMITTED = "outbox.pending", "outbox.committed"
KEY = "shaobao.effect_handlers"


def install(app: Flask, handlers: relay.Handlers) -> None:
    app.extensions[KEY] = dict(handlers)
    if not getattr(Session, "_outbox_hooks", False):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_soft_rollback", _rolled_back)
        Session._outbox_hooks = True
    app.before_request(_serving)
    app.after_request(_after_request)


def handlers(app: Flask | None = None) -> dict[str, relay.Handler]:
    """The handler map this app was given (a test swaps an entry of it)."""
    return (app or current_app).extensions[KEY]


def sweep(limit: int = relay.CLAIM_MAX) -> dict[str, int]:
    """Deliver what is due in the outbox, with this app's handlers, from a process that
    reaches the sockets (it serves them, or REDIS_URL joins it to those who do)."""
    return relay.sweep(handlers(), limit)


def sweep_apart(limit: int = relay.CLAIM_MAX) -> dict[str, int]:
    """The same from a process that serves no socket (the scheduler, `flask outbox sweep`):
    without the message queue its emits would reach only its own empty server, so it
    leaves socket pushes to the server processes' relays."""
    if runtime.setting("REDIS_URL"):
        return relay.sweep(handlers(), limit)
    return relay.sweep(handlers(), limit, leave=relay.PUSHES)


def _collect(session, _flush_context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxEffect)]
    if ids:
        session.info.setdefault(_PENDING, []).extend(ids)


def _committed(session) -> None:
    if session.info.get(_PENDING):
        session.info.setdefault(_COMMITTED, []).extend(session.info.pop(_PENDING))


def _rolled_back(session, _previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING, None)


def committed_effects() -> list[int]:
    """Ids of the effects this session committed since last asked."""
    return db.session.info.pop(_COMMITTED, [])


def dispatch_committed() -> None:
    """Hand what this session committed to the relay, the way the configuration says."""
    ids = committed_effects()
    mode = runtime.setting("OUTBOX_DELIVERY")
    if not ids or mode == "off":
        return
    if mode == "inline":
        relay.deliver(handlers(), ids)
    else:
        _worker(current_app._get_current_object()).put(ids)


def _after_request(response):
    dispatch_committed()
    return response


def _serving() -> None:
    """This process serves requests (and so sockets): start its relay thread now, so that
    it sweeps the pushes other processes left (no Redis) even before anything commits."""
    app = current_app._get_current_object()
    if id(app) not in _workers and app.config["OUTBOX_DELIVERY"] == "thread":
        _worker(app)


def serving(app: Flask) -> None:
    """The same, from a socket connecting (no request hook runs for Socket.IO)."""
    if id(app) not in _workers and app.config["OUTBOX_DELIVERY"] == "thread":
        _worker(app)


class _Worker:
    """One background thread per process delivering what requests committed, in order;
    without Redis also the pushes written elsewhere (the scheduler's), every few seconds."""

    def __init__(self, app: Flask):
        self.app, self.queue = app, queue.Queue()
        threading.Thread(target=self._run, name="outbox-relay", daemon=True).start()

    def put(self, ids: list[int]) -> None:
        self.queue.put(ids)

    def _every(self) -> float | None:
        """Seconds between sweeps of pushes; None with Redis (the scheduler's own sweep
        reaches every process's sockets then) or with delivery after commit turned off."""
        config = self.app.config
        if config["REDIS_URL"] or config["OUTBOX_DELIVERY"] != "thread":
            return None
        return config["OUTBOX_PUSH_SWEEP_SECONDS"]

    def _run(self) -> None:
        swept = time.monotonic()
        while True:
            every = self._every()
            wait = None if every is None else max(0.0, swept + every - time.monotonic())
            try:
                ids = list(self.queue.get(timeout=wait))
            except queue.Empty:
                ids = []
            while not self.queue.empty():  # what piled up meanwhile goes in the same claim
                ids.extend(self.queue.get_nowait())
            if ids:
                self._deliver(ids)
            if every is not None and time.monotonic() >= swept + every:
                self._sweep_pushes()
                swept = time.monotonic()

    def _deliver(self, ids: list[int]) -> None:
        try:
            with self.app.app_context():
                relay.deliver(handlers(self.app), ids)
        except Exception:  # the sweeper delivers them later; this thread must live on
            log.exception("delivering effects %s after commit failed", ids)

    def _sweep_pushes(self) -> None:
        try:
            with self.app.app_context():
                swept = relay.CLAIM_MAX
                while swept >= relay.CLAIM_MAX:   # a full claim: more may be due
                    swept = sum(relay.sweep(handlers(self.app), relay.CLAIM_MAX, only=relay.PUSHES).values())
        except Exception:  # the database restarting: the next round tries again
            log.exception("sweeping socket pushes failed")


_workers: dict[int, _Worker] = {}
_workers_lock = threading.Lock()


def _worker(app: Flask) -> _Worker:
    # Started on first use, so a forking server starts one in each worker, after the fork.
    with _workers_lock:
        if id(app) not in _workers:
            _workers[id(app)] = _Worker(app)
        return _workers[id(app)]
