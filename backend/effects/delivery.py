"""Delivery of effects after commit: the hooks that see what a commit wrote, the worker
that hands it to the relay, and the relay's handler map as the app was given it.

install(app, handlers) keeps the map on the app (create_app builds it) and makes every
commit that wrote effects hand them to the relay once the request is done: from a
background thread (production), inside the request (tests: an answer means delivered) or
not at all (left to the sweeper). The sweeper (sweep(): `flask outbox sweep`, and the
scheduler every tick) delivers whatever a dead process left behind, with the same map.
"""
from __future__ import annotations

import logging
import queue
import threading

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
    app.after_request(_after_request)


def handlers(app: Flask | None = None) -> dict[str, relay.Handler]:
    """The handler map this app was given (a test swaps an entry of it)."""
    return (app or current_app).extensions[KEY]


def sweep(limit: int = relay.CLAIM_MAX) -> dict[str, int]:
    """Deliver what is due in the outbox, with this app's handlers."""
    return relay.sweep(handlers(), limit)


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


class _Worker:
    """One background thread per process delivering what requests committed, in order."""

    def __init__(self, app: Flask):
        self.app, self.queue = app, queue.Queue()
        threading.Thread(target=self._run, name="outbox-relay", daemon=True).start()

    def put(self, ids: list[int]) -> None:
        self.queue.put(ids)

    def _run(self) -> None:
        while True:
            ids = list(self.queue.get())
            while not self.queue.empty():  # what piled up meanwhile goes in the same claim
                ids.extend(self.queue.get_nowait())
            try:
                with self.app.app_context():
                    relay.deliver(handlers(self.app), ids)
            except Exception:  # the sweeper delivers them later; this thread must live on
                log.exception("delivering effects %s after commit failed", ids)


_workers: dict[int, _Worker] = {}
_workers_lock = threading.Lock()


def _worker(app: Flask) -> _Worker:
    # Started on first use, so a forking server starts one in each worker, after the fork.
    with _workers_lock:
        if id(app) not in _workers:
            _workers[id(app)] = _Worker(app)
        return _workers[id(app)]
