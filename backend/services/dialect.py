"""INSERT ... ON CONFLICT for the database in use: PostgreSQL and SQLite spell it alike, but
SQLAlchemy gives each dialect its own construct."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from backend.extensions import db


def insert(model):
    module = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(model)
