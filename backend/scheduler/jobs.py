"""The scheduler's jobs. Each drains its steps in bounded batches: claim a batch, act on
it, beat, commit — one transaction per batch, so a process killed mid-batch leaves that
batch wholly undone (a successor redoes it) and every earlier batch wholly done.

The tick takes "now" once and handles what was due then, in this order: red alerts first
(an overdue clock gets the red alert, which settles its yellow one, rather than both),
then escalations (they need the alert's escalate_at), then yellow warnings.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from backend.effects import delivery
from backend.extensions import db
from backend.scheduler import actions, alerts, claims
from backend.services import clock, heartbeat, runtime
from backend.services.cases import content_check
from backend.services.finance import reconciliation

log = logging.getLogger("shaobao.scheduler")


@dataclass(frozen=True)
class Step:
    name: str
    claim: Callable[[datetime, int], claims.Claimed]
    act: Callable[[claims.Claimed, datetime], int]


TICK = (Step("breached", claims.breaches, alerts.breach),
        Step("escalated", claims.escalations, actions.escalate),
        Step("warned", claims.warnings, alerts.warn))
ARCHIVE = (Step("archived", claims.callbacks, actions.archive),)
RECHECK_LIMIT = 20  # cases per run: a slow WeChat holds the job (and a shutdown) this long at most
SWEEP_LIMIT = 200   # effects per relay claim


def _drain(step: Step, moment: datetime, holder: heartbeat.Holder | None,
           stop: threading.Event | None) -> int:
    size = runtime.setting("SCHEDULER_BATCH_SIZE")
    total = 0
    while not (stop is not None and stop.is_set()):
        rows = step.claim(moment, size)
        if not rows:
            break
        total += step.act(rows, moment)
        if holder is not None:
            heartbeat.beat(holder, clock.now())
        db.session.commit()
        if len(rows) < size:
            break
    return total


def run_steps(steps, holder: heartbeat.Holder | None = None,
              stop: threading.Event | None = None) -> dict[str, int]:
    """Drain each step for what is due now; beat once more at the end (also when nothing
    was due: the beat says the scheduler looked). holder None: a tick by hand, no beat."""
    moment = clock.now()
    try:
        counts = {step.name: _drain(step, moment, holder, stop) for step in steps}
        if holder is not None:
            heartbeat.beat(holder, clock.now())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts


def tick(holder: heartbeat.Holder | None = None, stop: threading.Event | None = None) -> dict[str, int]:
    return run_steps(TICK, holder, stop)


def archive(holder: heartbeat.Holder | None = None, stop: threading.Event | None = None) -> dict[str, int]:
    return run_steps(ARCHIVE, holder, stop)


def recheck(limit: int = RECHECK_LIMIT) -> dict[str, int]:
    """Content security WeChat could not do at intake (content_check explains): read,
    end the transaction, ask WeChat holding no connection, then write the verdicts."""
    try:
        cases = content_check.pending(limit)
        db.session.commit()
        outcomes = content_check.decide(runtime.wechat(), cases)
        counts = content_check.record(outcomes)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if any(counts.values()):
        log.info("scheduler rechecked %s", counts)
    return counts


def sweep_outbox(stop: threading.Event | None = None) -> dict[str, int]:
    """Deliver what is due in the outbox: what the tick wrote in bulk (no request hands it
    to the relay at commit), what a process that died left, what waited out a back-off.
    The relay's own claims make this safe beside any other relay; one claim at a time,
    until fewer than a claim's worth were due. Socket pushes only with Redis: without it
    the scheduler reaches no socket, and the server processes' relays sweep them."""
    totals: dict[str, int] = {}
    while not (stop is not None and stop.is_set()):
        counts = delivery.sweep_apart(SWEEP_LIMIT)
        for outcome, count in counts.items():
            totals[outcome] = totals.get(outcome, 0) + count
        if sum(counts.values()) < SWEEP_LIMIT:
            break
    if totals:
        log.info("scheduler swept the outbox %s", totals)
    return totals


def reconcile() -> str | None:
    """Yesterday's WeChat Pay bill (Beijing), once it is ready and until a run of it
    succeeds; nothing where WeChat Pay is not configured. The run's status, or None."""
    if not runtime.setting("WECHATPAY_SP_MCHID"):
        return None
    try:
        day = reconciliation.due_day()
        if day is None:
            db.session.rollback()
            return None
        run = reconciliation.run(day)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return run.status
