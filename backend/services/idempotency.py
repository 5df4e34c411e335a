"""Creates from phones carry a client-generated id: the same id twice gives the first result.

A village network drops answers, and the phone sends again. The key is stored in the same
transaction as what it created, so either both exist or neither; a different body under a
used key is a client bug, refused (422); a retry racing the first request loses on the
unique key and gets the first request's answer.
"""
from __future__ import annotations

import functools
import hashlib
import json

import sqlalchemy as sa

from backend.extensions import db
from backend.models import IdempotencyKey
from backend.models.types import utcnow
from backend.services import dialect
from backend.services.errors import Conflict, Invalid


def request_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
                          .encode()).hexdigest()


@functools.cache
def _key_query():
    """Built once: every create from a phone asks it."""
    return sa.select(IdempotencyKey).where(IdempotencyKey.owner == sa.bindparam("owner"),
                                           IdempotencyKey.key == sa.bindparam("key"))


def replay(owner: str, key: str, body: dict) -> dict | None:
    """The stored result for this key, or None if the key is new."""
    row = db.session.scalar(_key_query(), {"owner": owner, "key": key})
    if row is None:
        return None
    if row.request_hash != request_hash(body):
        raise Invalid("this client id was already used for a different request",
                      code="idempotency_mismatch", fields={"client_id": ["used for another request"]})
    return row.response


def claim(owner: str, key: str, body: dict, status: int, response: dict) -> bool:
    """Store the key with its answer unless it is already taken: False means a racing
    request with the same key committed first (PostgreSQL waits for it to finish) and the
    caller must roll back and replay. One statement: no savepoint around the caller's work
    to survive a unique-key failure."""
    values = {"owner": owner, "key": key, "request_hash": request_hash(body), "status": status,
              "response": response, "created_at": utcnow()}
    insert = dialect.insert(IdempotencyKey).values(values)
    taken = db.session.execute(insert.on_conflict_do_nothing(
        index_elements=["owner", "key"]).returning(IdempotencyKey.id)).first()
    return taken is not None


def won_by_another(owner: str, key: str, body: dict, what: str) -> dict:
    """The stored answer of the request that took this key first, when this one lost the
    race for it (PostgreSQL made it wait for the winner's commit): this one's work is
    rolled back - the caller keeps nothing else in the request's transaction. A winner that
    rolled back leaves no answer: the phone is told to send again."""
    db.session.rollback()
    stored = replay(owner, key, body)
    if stored is None:
        raise Conflict(f"{what} could not be completed; send it again", code="retry")
    return stored


def violates(exc, constraint: str, table: str, columns: tuple[str, ...]) -> bool:
    """The IntegrityError is this unique key's (a racing twin), not another constraint's.
    PostgreSQL names the constraint; SQLite names its columns."""
    text = str(exc.orig)
    return constraint in text or ", ".join(f"{table}.{c}" for c in columns) in text
