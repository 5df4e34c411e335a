"""The relay: delivers outbox effects after commit, retries with back-off, and settles each
with an outcome (delivered, skipped, refused, dead).

Claiming an effect moves its next_attempt_at a lease ahead in a committed transaction of
its own, so two relays (web workers delivering what they just committed, the scheduler
sweeping what is left) never take the same row, and a relay that dies lets go when the
lease passes: a restarted relay picks up what is left. The window between a delivery and
its settling is the only place an effect can go out twice (WeChat has no idempotency
key for subscribe messages, Socket.IO none for pushes): each effect is settled in its own
short transaction right after its attempt, pushes too, so a relay that dies (a worker
killed, the database restarting) can repeat at most the one effect in hand, never the
batch it had claimed (docs/realtime.md: a repeated push carries a seq clients drop).

The relay knows no channel: it is handed the handler of each kind of effect (the map
backend/app.py builds; delivery.handlers() reads it from the app). A handler returns when
it delivered, or raises Retry or Final (effects/outcomes.py).
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from backend.effects.outcomes import Final, Retry
from backend.extensions import db
from backend.models import OutboxEffect
from backend.services import clock, runtime

log = logging.getLogger("shaobao.relay")
BACK_OFF_FIRST_SECONDS = 5.0
BACK_OFF_MAX_SECONDS = 3600.0
Handler = Callable[[OutboxEffect], None]
Handlers = Mapping[str, Handler]   # effect kind -> its handler
CLAIM_MAX = 100
# Socket pushes: milliseconds each, tried before a batch's WeChat messages. Only a process
# that reaches the sockets may deliver them (delivery.py: who sweeps them).
PUSHES = ("push", "order_push")


def deliver(handlers: Handlers, ids: list[int]) -> dict[str, int]:
    """Deliver these effects now if still pending (what requests just committed)."""
    counts: dict[str, int] = {}
    for first in range(0, len(ids), CLAIM_MAX):
        for outcome, n in _run(handlers, ids[first:first + CLAIM_MAX], CLAIM_MAX).items():
            counts[outcome] = counts.get(outcome, 0) + n
    return counts


def sweep(handlers: Handlers, limit: int = CLAIM_MAX, *, only: tuple[str, ...] | None = None,
          leave: tuple[str, ...] = ()) -> dict[str, int]:
    """Deliver what is due: left by a relay that died, or waiting out a back-off; only
    these kinds (None: any), leaving those kinds to another process."""
    return _run(handlers, None, limit, only, leave)


def _run(handlers: Handlers, ids: list[int] | None, limit: int,
         only: tuple[str, ...] | None = None, leave: tuple[str, ...] = ()) -> dict[str, int]:
    counts: dict[str, int] = {}
    unavailable = set()
    effects, lease = _claim(ids, limit, only, leave)
    # An attempt must end inside the lease: after it, another relay may take the effect.
    last_start = lease - timedelta(seconds=runtime.setting("WECHAT_TIMEOUT_SECONDS") + 1)
    # Pushes first: they take milliseconds, a slow WeChat takes seconds per message.
    for effect in sorted(effects, key=lambda e: (e.kind not in PUSHES, e.id)):
        if effect.kind in unavailable or clock.now() > last_start:
            outcome = _settle(effect, lease, None, "not tried: its channel failed or the lease ran out",
                              counted=False)
        else:
            outcome = _attempt(handlers, effect, lease)
            if outcome == "retry":
                # Whatever failed it (WeChat busy or hanging, Redis away) fails the rest of
                # this batch too: they wait their back-off instead of a timeout each.
                unavailable.add(effect.kind)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


@functools.cache
def _claim_statement(by_ids: bool, only: bool = False, leave: bool = False):
    """Built once per shape (a relay runs it for every commit that wrote effects): take the
    due effects, oldest first, a lease ahead; SKIP LOCKED lets relays share the queue."""
    due = sa.select(OutboxEffect.id).where(OutboxEffect.outcome.is_(None),
                                           OutboxEffect.next_attempt_at <= sa.bindparam("now"))
    if by_ids:
        due = due.where(OutboxEffect.id.in_(sa.bindparam("ids", expanding=True)))
    if only:
        due = due.where(OutboxEffect.kind.in_(sa.bindparam("only", expanding=True)))
    if leave:
        due = due.where(OutboxEffect.kind.not_in(sa.bindparam("leave", expanding=True)))
    due = (due.order_by(OutboxEffect.next_attempt_at, OutboxEffect.id).limit(sa.bindparam("limit"))
           .with_for_update(skip_locked=True))
    return (sa.update(OutboxEffect).where(OutboxEffect.id.in_(due.scalar_subquery()))
            .values(next_attempt_at=sa.bindparam("lease"), attempts=OutboxEffect.attempts + 1)
            .returning(OutboxEffect)
            .execution_options(synchronize_session=False, populate_existing=True))


def _claim(ids: list[int] | None, limit: int, only: tuple[str, ...] | None = None,
           leave: tuple[str, ...] = ()) -> tuple[list[OutboxEffect], object]:
    """Take up to limit due effects (these ids, or any; only and leave filter the kinds)
    until the lease returned, committed. The lease is also the claim's mark: whoever
    settles must still find it in the row."""
    now = clock.now()
    lease = now + timedelta(seconds=runtime.setting("OUTBOX_LEASE_SECONDS"))
    params = {"now": now, "limit": limit, "lease": lease}
    if ids is not None:
        params["ids"] = ids
    if only is not None:
        params["only"] = list(only)
    if leave:
        params["leave"] = list(leave)
    statement = _claim_statement(ids is not None, only is not None, bool(leave))
    rows = db.session.scalars(statement, params).all()
    db.session.commit()
    return sorted(rows, key=lambda row: row.id), lease


def _attempt(handlers: Handlers, effect: OutboxEffect, lease) -> str:
    """The outcome, settled and committed right after the attempt."""
    handler = handlers.get(effect.kind)
    if handler is None:
        # A kind written by a newer release (a process of that release, during a rolling
        # deploy, delivers it) or a handler left out of the map: never passed for delivered;
        # retried with back-off, dead after the usual attempts (money kinds never), its
        # reason on the row for the console's dead letters.
        log.error("effect %s: no handler for kind %r", effect.id, effect.kind)
        return _settle(effect, lease, _retry_or_dead(effect), f"no handler for effects of kind {effect.kind!r}")
    try:
        handler(effect)
    except Retry as exc:
        if exc.after is not None:   # a wait known in advance: not a failed attempt
            return _settle(effect, lease, None, str(exc), counted=False, after=exc.after)
        return _settle(effect, lease, _retry_or_dead(effect), str(exc))
    except Final as exc:
        return _settle(effect, lease, exc.outcome, str(exc))
    except Exception as exc:  # a bug or a surprise in one effect must not stop the others
        log.exception("effect %s (%s) failed", effect.id, effect.kind)
        db.session.rollback()
        return _settle(effect, lease, _retry_or_dead(effect), f"{type(exc).__name__}: {exc}")
    return _settle(effect, lease, "delivered", None)


# Money owed to someone is never given up: a refund or a settlement WeChat Pay cannot take
# now (the sub-merchant's balance short, WeChat down for hours) is tried hourly until it goes.
NEVER_DEAD = ("pay_refund", "pay_settle", "pay_close")


def _retry_or_dead(effect: OutboxEffect) -> str | None:
    if effect.kind in NEVER_DEAD:
        return None
    return None if effect.attempts < runtime.setting("OUTBOX_MAX_ATTEMPTS") else "dead"


def _settle(effect: OutboxEffect, lease, outcome: str | None, error: str | None, *,
            counted: bool = True, after=None) -> str:
    """Record how the attempt ended (None: still pending, due again after a back-off or at
    `after`), committed with what the handler wrote - unless the claim was lost (the lease
    passed and another relay took the effect): then nothing is written."""
    now = clock.now()
    attempts = effect.attempts if counted else effect.attempts - 1
    values = {"outcome": outcome, "last_error": error[:200] if error else None, "attempts": attempts}
    if outcome is None:
        values["next_attempt_at"] = after or now + timedelta(seconds=back_off(attempts))
    else:
        values["delivered_at"] = now
    mine = db.session.execute(
        sa.update(OutboxEffect).where(OutboxEffect.id == effect.id, OutboxEffect.next_attempt_at == lease)
        .values(values).execution_options(synchronize_session=False)).rowcount
    if not mine:
        db.session.rollback()
        log.warning("effect %s (%s): the lease ran out before it settled; left to its new holder",
                    effect.id, effect.kind)
        return "lost"
    db.session.commit()
    for key, value in values.items():   # what this process holds matches the row (not dirty)
        set_committed_value(effect, key, value)
    if outcome not in ("delivered", "skipped"):
        log.warning("effect %s (%s) attempt %s: %s", effect.id, effect.kind, attempts,
                    outcome or f"retry ({error})")
    return outcome or "retry"


def back_off(attempts: int) -> float:
    """Seconds before the next attempt: 5, 10, 20 ... up to an hour."""
    return min(BACK_OFF_FIRST_SECONDS * 2 ** (max(attempts, 1) - 1), BACK_OFF_MAX_SECONDS)
