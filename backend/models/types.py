"""Column types shared by the models."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

# Python None is SQL NULL (not the JSON text 'null'), so "IS NOT NULL" means "has a value".
JSONType = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, so values come back naive there; naive input is refused so
    that a local time can never be stored as if it were UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def one_of(column, values, dialect: str) -> sa.ColumnElement[bool]:
    """column IN values; on PostgreSQL one array parameter (`= ANY(:values)`), so that a
    batch of hundreds of ids keeps the statement text short and identical on every call:
    psycopg parses it once, and the server plans it like any other."""
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))
