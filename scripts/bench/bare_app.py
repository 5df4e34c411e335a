"""The baseline for scripts/bench/intake.py: a bare Flask endpoint doing one INSERT on
the same database, served the same way (gunicorn gthread)."""
from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, request

from config.settings import database_url

engine = sa.create_engine(database_url(os.environ["DATABASE_URL"], None), pool_size=10)
rows = sa.Table("bench_row", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("body", sa.JSON))
app = Flask(__name__)


@app.post("/bare")
def bare():
    with engine.begin() as connection:
        new_id = connection.execute(rows.insert().values(body=request.get_json()).returning(rows.c.id)).scalar()
    return {"id": new_id}, 201


def create_table() -> None:
    rows.metadata.create_all(engine)
