"""Creates from phones carry a client-generated id: the same id twice gives the first result.

A village network drops answers, and the phone sends again. The key is stored in the same
transaction as what it created, so either both exist or neither; a different body under a
used key is a client bug, refused (422); a retry racing the first request loses on the
unique key and answers 409 (the phone retries once more and gets the result).
"""
from __future__ import annotations

import functools
import hashlib
import json

import sqlalchemy as sa

from backend.extensions import db
from backend.models import IdempotencyKey
from backend.services.errors import Invalid


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


def remember(owner: str, key: str, body: dict, status: int, response: dict) -> None:
    # Flushed with the rest of the transaction: a racing retry fails there, on the unique key.
    db.session.add(IdempotencyKey(owner=owner, key=key, request_hash=request_hash(body),
                                  status=status, response=response))
