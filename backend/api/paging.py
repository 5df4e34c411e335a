"""Offset paging of a select for flask-smorest's @blp.paginate()."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db


def page(query, pagination_parameters):
    """Rows of the requested page; the total goes to the X-Pagination header."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    pagination_parameters.item_count = total
    return db.session.scalars(query.offset(pagination_parameters.first_item)
                              .limit(pagination_parameters.page_size)).all()


def page_rows(query, pagination_parameters):
    """page() for a select of several columns (an aggregate): its rows, not scalars."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    pagination_parameters.item_count = total
    return db.session.execute(query.offset(pagination_parameters.first_item)
                              .limit(pagination_parameters.page_size)).all()
