"""Record administrative changes in the audit trail, in the caller's transaction."""
from __future__ import annotations

import logging

from backend.extensions import db
from backend.models import AuditEntry

log = logging.getLogger("shaobao.audit")


def record(actor_id: int | None, action: str, obj, before: dict | None, after: dict | None) -> None:
    """One row per change; snapshots are plain dicts the caller made (no secrets in them)."""
    entry = AuditEntry(actor_id=actor_id, action=action, object_type=type(obj).__tablename__,
                       object_id=str(obj.id), before=before, after=after)
    db.session.add(entry)
    log.info("audit action=%s object=%s:%s actor=%s", action, entry.object_type, obj.id, actor_id)
