"""gunicorn settings for scripts/serve (`--config python:config.gunicorn`).

Garbage collection: a worker holding thousands of sockets has close to a million live
objects, and each full collection walks them all, stopping every socket for hundreds of
milliseconds — scripts/bench/fanout.py saw broadcast p99 at 5,000 clients go from ~650 ms to
~150 ms with the settings below. What the worker loaded before serving (the app, SQLAlchemy,
the catalogue) is frozen out of collection, young collections run every 10,000 net
allocations instead of 700 (fewer short-lived objects get promoted), and the old generation
is walked ten times less often. Cycles still get collected, only later.
"""
from __future__ import annotations

import gc

GC_THRESHOLDS = (10_000, 20, 100)


def post_worker_init(worker) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
