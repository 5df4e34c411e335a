"""gunicorn settings for scripts/serve (`--config python:config.gunicorn`).

Garbage collection: a worker holding thousands of sockets has close to a million live
objects, and each full collection walks them all, stopping every socket for hundreds of
milliseconds — scripts/bench/fanout.py saw broadcast p99 at 5,000 clients go from ~650 ms to
~200 ms with the settings below. What the worker loaded before serving (the app, SQLAlchemy,
the catalogue) is frozen out of collection, and young collections run every 50,000 net
allocations instead of 700 so that fewer short-lived objects get promoted, and old ones are
walked less often. Cycles still get collected, only later.
"""
from __future__ import annotations

import gc

GC_THRESHOLDS = (50_000, 20, 100)


def post_worker_init(worker) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
