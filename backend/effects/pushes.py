"""Socket.IO pushes: one per case change, to everyone who may see the case (the sockets
module asks the access module which rooms). A push tells the case's state and latest seq
as they are when it goes out; Socket.IO delivers at most once and a client that missed one
resyncs by seq, so a push that cannot go out is retried briefly, then given up as dead."""
from __future__ import annotations

from backend.effects.outcomes import Final, Retry
from backend.models import OutboxEffect
from backend.realtime import push


def deliver(effect: OutboxEffect) -> None:
    try:
        push.push_case(effect.payload["case_id"], effect.payload["event"])
    except push.PushUnavailable as exc:   # the message queue (Redis) is away
        raise Retry(str(exc)) from None
    except LookupError as exc:
        raise Final("skipped", str(exc)) from None
