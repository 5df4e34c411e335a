"""The one way money paths take an order: its row locked until commit and read afresh, so
what a racing transaction committed first is what this one sees. Every path that changes
an order's money takes the order's row first (then its refund or settlement), so two of
them never wait on each other."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Order


def order(*criteria) -> Order | None:
    """The order matching criteria (Order.id == ..., Order.out_trade_no == ...), locked."""
    return db.session.scalar(sa.select(Order).where(*criteria).with_for_update()
                             .execution_options(populate_existing=True))
