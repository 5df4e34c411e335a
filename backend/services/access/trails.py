"""The county's trails: the audit trail of changes (reveals of personal data included) and
the delivery trail of effects (dead letters).

Who reads the audit trail (三员分立): the audit administrator all of it, each county's
administrators their county's; the platform and security administrators none of it (their
own acts are in it). Both trails join people to cases, so what a row says of a person goes
through the anonymity rule (cases.reporter_hidden) before anyone reads it: the reporter
of an anonymous case is blanked wherever a row names them.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from backend.models import AuditEntry, Case, Order, OutboxEffect
from backend.services.access.cases import hidden_reporters
from backend.services.access.viewer import Viewer, under_any
from backend.services.errors import Forbidden

# Keys of an audit snapshot that name a person (by id), and what describes one.
PERSON_KEYS = ("user_id", "reporter_id", "recipient_id", "actor_id", "holder_id", "subject_id", "whose")
PERSON_DETAILS = ("name", "phone", "phone_masked")


def audit_filter(viewer: Viewer):
    """The audit administrator reads the whole trail; each county's administrators the
    changes made in their county."""
    if viewer.is_audit_admin:
        return sa.true()
    return under_any(AuditEntry.scope_path, viewer.paths(("county_admin",)))


def ensure_audit_exporter(viewer: Viewer) -> None:
    """The trail leaves the system (a CSV file) only through the audit administrator."""
    if not viewer.is_audit_admin:
        raise Forbidden("only the audit administrator exports the audit trail")


def effect_filter(viewer: Viewer):
    """A county's administrators watch the delivery of effects about their county's cases
    and orders (dead letters: what could not be delivered); platform administrators all."""
    if viewer.is_platform_admin:
        return sa.true()
    paths = viewer.paths(("county_admin",))
    if not paths:
        return sa.false()
    return sa.or_(OutboxEffect.case_id.in_(sa.select(Case.id).where(under_any(Case.region_path, paths))),
                  OutboxEffect.order_id.in_(sa.select(Order.id).where(under_any(Order.region_path, paths))))


# --- what a row may say of a person -------------------------------------------------------------

@dataclass
class EffectSeen:
    """An effect as one viewer reads it: its recipient blanked where the rule hides them."""
    effect: OutboxEffect
    recipient_id: int | None

    def __getattr__(self, name):
        return getattr(self.effect, name)


def effects_as_seen(viewer: Viewer, effects) -> list:
    """A page of effects: a message to the reporter of an anonymous case does not say who
    got it (the county may still send a dead one again)."""
    hidden = hidden_reporters(viewer, {e.case_id for e in effects})
    return [EffectSeen(e, None) if e.case_id in hidden and e.recipient_id == hidden[e.case_id] else e
            for e in effects]


@dataclass
class AuditSeen:
    """An audit entry as one viewer reads it: the hidden reporter blanked."""
    entry: AuditEntry
    actor_id: int | None
    object_id: str | None
    before: dict | None
    after: dict | None

    def __getattr__(self, name):
        return getattr(self.entry, name)


def _case_of(entry: AuditEntry) -> int | None:
    """The case an entry is about: its object, or a case_id its snapshots name."""
    if entry.object_type == Case.__tablename__ and entry.object_id.isdigit():
        return int(entry.object_id)
    for snapshot in (entry.after, entry.before):
        value = (snapshot or {}).get("case_id")
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return int(value)
    return None


def _names(snapshot: dict | None, person: int) -> bool:
    return any(str((snapshot or {}).get(key)) == str(person) for key in PERSON_KEYS)


def _blank(snapshot: dict | None) -> dict | None:
    if snapshot is None:
        return None
    return {k: (None if k in PERSON_KEYS or k in PERSON_DETAILS else v) for k, v in snapshot.items()}


def _entry_seen(entry: AuditEntry, person: int):
    about_person = entry.object_type == "user_account" and entry.object_id == str(person)
    if not (entry.actor_id == person or about_person or _names(entry.before, person) or _names(entry.after, person)):
        return entry
    return AuditSeen(entry, None if entry.actor_id == person else entry.actor_id,
                     None if about_person else entry.object_id, _blank(entry.before), _blank(entry.after))


def audit_as_seen(viewer: Viewer, entries) -> list:
    """A page of audit entries: an entry about a case (its object, or a case_id in its
    snapshots) that names the case's hidden reporter (as actor, object or in a snapshot)
    names nobody: actor, object and the person fields of its snapshots are blanked."""
    cases = {entry.id: _case_of(entry) for entry in entries}
    hidden = hidden_reporters(viewer, set(cases.values()))
    return [_entry_seen(e, hidden[cases[e.id]]) if cases[e.id] in hidden else e for e in entries]
