"""The audit trail of administrative changes (and of reveals of personal data), written in
the caller's transaction.

The trail is append-only: nothing here or elsewhere updates or deletes a row, and on
PostgreSQL a trigger refuses both (migration 0012). It is kept at least AUDIT_RETENTION_DAYS
(180 at the least, refused below at start-up); nothing deletes rows at all today.
"""
from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.extensions import db
from backend.models import AuditEntry
from backend.services import access, clock
from backend.services.errors import Invalid

log = logging.getLogger("shaobao.audit")
ZONE = ZoneInfo("Asia/Shanghai")
EXPORT_COLUMNS = ("id", "at", "actor_id", "action", "object_type", "object_id", "scope_path", "before", "after")
EXPORT_BATCH = 500
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def record(actor_id: int | None, action: str, obj, before: dict | None, after: dict | None,
           scope_path: str | None) -> None:
    """One row per change of a model row; snapshots are plain dicts (phones masked)."""
    record_raw(actor_id, action, type(obj).__tablename__, str(obj.id), before, after, scope_path)


def record_raw(actor_id: int | None, action: str, object_type: str, object_id: str,
               before: dict | None, after: dict | None, scope_path: str | None) -> AuditEntry:
    entry = AuditEntry(at=clock.now(), actor_id=actor_id, action=action, object_type=object_type,
                       object_id=object_id, scope_path=scope_path, before=before, after=after)
    db.session.add(entry)
    log.info("audit action=%s object=%s:%s actor=%s", action, object_type, object_id, actor_id)
    return entry


def _days(query, first: date | None, last: date | None):
    """Entries of the Beijing days first..last (both included; open when absent)."""
    if first and last and first > last:
        raise Invalid("from is after to", fields={"from": ["must not be after to"]})
    if first:
        query = query.where(AuditEntry.at >= datetime.combine(first, time(0), ZONE))
    if last:
        query = query.where(AuditEntry.at < datetime.combine(last + timedelta(days=1), time(0), ZONE))
    return query


def listing(viewer, object_type: str | None, object_id: str | None, first: date | None = None,
            last: date | None = None):
    """Entries the viewer may read, newest first. A page of them goes through seen()."""
    query = _days(access.visible(viewer, AuditEntry).order_by(AuditEntry.id.desc()), first, last)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    return query


def seen(viewer, entries) -> list:
    """A page of entries as the viewer may read them (the anonymity rule, in access)."""
    return access.audit_as_seen(viewer, entries)


def export(viewer, first: date | None, last: date | None) -> Iterator[str]:
    """The trail of the Beijing days first..last as CSV text, oldest first, for the audit
    administrator. The export itself is recorded (the caller commits before streaming) and
    holds the trail as it stood before it; the rows are read in batches as the file is
    sent, never all at once."""
    access.ensure_audit_exporter(viewer)
    query = _days(access.visible(viewer, AuditEntry), first, last)
    exported = record_raw(viewer.user_id, "audit.export", "audit_log", "-", None,
                          {"from": first.isoformat() if first else None,
                           "to": last.isoformat() if last else None}, None)
    db.session.flush()
    return _csv_lines(viewer, query.where(AuditEntry.id < exported.id))


def _csv_lines(viewer, query) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    after_id = 0
    while True:
        batch = db.session.scalars(query.where(AuditEntry.id > after_id).order_by(AuditEntry.id)
                                   .limit(EXPORT_BATCH)).all()
        for entry in seen(viewer, batch):
            writer.writerow([_cell(getattr(entry, column)) for column in EXPORT_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(batch) < EXPORT_BATCH:
            return
        after_id = batch[-1].id


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
