"""The audit trail of administrative changes, written in the caller's transaction."""
from __future__ import annotations

import logging

from backend.extensions import db
from backend.models import AuditEntry
from backend.services import access

log = logging.getLogger("shaobao.audit")


def record(actor_id: int | None, action: str, obj, before: dict | None, after: dict | None,
           scope_path: str | None) -> None:
    """One row per change of a model row; snapshots are plain dicts (phones masked)."""
    record_raw(actor_id, action, type(obj).__tablename__, str(obj.id), before, after, scope_path)


def record_raw(actor_id: int | None, action: str, object_type: str, object_id: str,
               before: dict | None, after: dict | None, scope_path: str | None) -> None:
    db.session.add(AuditEntry(actor_id=actor_id, action=action, object_type=object_type,
                              object_id=object_id, scope_path=scope_path, before=before, after=after))
    log.info("audit action=%s object=%s:%s actor=%s", action, object_type, object_id, actor_id)


def listing(viewer, object_type: str | None, object_id: str | None):
    """Entries the viewer may read, newest first."""
    query = access.visible(viewer, AuditEntry).order_by(AuditEntry.id.desc())
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    return query
