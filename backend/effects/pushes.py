"""Socket.IO pushes: one per case change, to everyone who may see the case (the sockets
module asks the access module which rooms). Socket.IO delivers at most once; a client that
missed one resyncs by sequence number, so a push that cannot go out is retried briefly and
then given up as dead, never blocking the effects behind it."""
from __future__ import annotations

from backend.effects.relay import Retry
from backend.models import OutboxEffect


def deliver(effect: OutboxEffect) -> None:
    from backend.effects import sockets
    payload = effect.payload
    try:
        sockets.push_case(payload["case_id"], payload["event"], {"seq": payload["seq"]})
    except ConnectionError as exc:  # the message queue (Redis) is away
        raise Retry(f"{type(exc).__name__}: {exc}") from None
