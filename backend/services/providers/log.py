"""The provider's certification timeline: one immutable ProviderLog row per step."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Provider, ProviderLog
from backend.services import clock


def append(provider: Provider, action: str, actor_id: int | None, from_state: str | None,
           to_state: str, payload: dict) -> ProviderLog:
    """The next row; the provider row's version check keeps two steps from taking one seq."""
    last = db.session.scalar(sa.select(sa.func.max(ProviderLog.seq))
                             .where(ProviderLog.provider_id == provider.id)) or 0
    row = ProviderLog(provider_id=provider.id, seq=last + 1, action=action, actor_id=actor_id,
                      from_state=from_state, to_state=to_state, payload=payload, at=clock.now())
    db.session.add(row)
    db.session.flush()
    return row


def timeline(provider_id: int) -> list[ProviderLog]:
    return list(db.session.scalars(sa.select(ProviderLog).where(ProviderLog.provider_id == provider_id)
                                   .order_by(ProviderLog.seq)))
