"""The audit trail of administrative changes, written in the caller's transaction."""
from __future__ import annotations

import logging

from backend.extensions import db
from backend.models import AuditEntry
from backend.services import access

log = logging.getLogger("shaobao.audit")


def record(actor_id: int | None, action: str, obj, before: dict | None, after: dict | None,
           scope_path: str | None) -> None:
    """One row per change; snapshots are plain dicts the caller made (phones masked)."""
    entry = AuditEntry(actor_id=actor_id, action=action, object_type=type(obj).__tablename__,
                       object_id=str(obj.id), scope_path=scope_path, before=before, after=after)
    db.session.add(entry)
    log.info("audit action=%s object=%s:%s actor=%s", action, entry.object_type, obj.id, actor_id)


def listing(viewer, object_type: str | None, object_id: str | None):
    """Entries the viewer may read, newest first."""
    query = access.visible(viewer, AuditEntry).order_by(AuditEntry.id.desc())
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    return query
