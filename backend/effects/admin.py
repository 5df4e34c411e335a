"""What administrators see of effect delivery: dead letters, and sending one again."""
from __future__ import annotations

import logging

from backend.extensions import db
from backend.models import Case, OutboxEffect
from backend.services import access, audit, clock
from backend.services.errors import Conflict

log = logging.getLogger("shaobao.relay")


def listing(viewer, outcome: str | None):
    """Effects the viewer watches, newest first; by outcome ("pending": not settled). A page
    of them goes through seen() before anyone reads it."""
    query = access.visible(viewer, OutboxEffect).order_by(OutboxEffect.id.desc())
    if outcome == "pending":
        return query.where(OutboxEffect.outcome.is_(None))
    return query.where(OutboxEffect.outcome == outcome) if outcome else query


def seen(viewer, effects) -> list:
    """A page of effects as the viewer may read them (the anonymity rule, in access)."""
    return access.effects_as_seen(viewer, effects)


def retry(viewer, effect_id: int):
    """Put a dead letter back in line (after its cause was fixed): attempts start over."""
    access.ensure_county_admin(viewer)
    effect = access.get_visible(viewer, OutboxEffect, effect_id)
    if effect.outcome != "dead":
        raise Conflict("only a dead letter can be sent again", code="not_dead")
    before = {"outcome": effect.outcome, "attempts": effect.attempts, "last_error": effect.last_error}
    effect.outcome, effect.attempts, effect.delivered_at = None, 0, None
    effect.next_attempt_at = clock.now()
    audit.record(viewer.user_id, "effect.retry", effect, before, {"outcome": None, "attempts": 0},
                 _case_path(effect))
    log.info("effect %s put back in line by user %s", effect.id, viewer.user_id)
    return seen(viewer, [effect])[0]


def _case_path(effect: OutboxEffect) -> str | None:
    case = db.session.get(Case, effect.case_id) if effect.case_id else None
    return case.region_path if case else None
