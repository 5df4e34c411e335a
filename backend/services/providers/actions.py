"""Review steps on a provider: ask the onboarding flow (workflows.provider_flow), then write
what it decided — status, reason, the timeline row, the audit entry — in one transaction.
Approval also stores the sub-merchant number and makes the applicant the provider's staff."""
from __future__ import annotations

import logging

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Grant, Provider
from backend.services import access, audit, clock
from backend.services.errors import Conflict, Forbidden, Invalid, NotFound
from backend.services.providers import areas
from backend.services.providers import log as provider_log
from backend.services.providers.applications import snapshot
from workflows import definition, engine
from workflows.provider_flow import LEVEL, PROVIDER_FLOW

log = logging.getLogger("shaobao.providers")
REFUSALS = {"wrong_state": Conflict, "guard": Conflict, "not_allowed": Forbidden,
            "invalid_payload": Invalid, "unknown_action": NotFound}
# The engine words its refusals for cases; these say the same of a provider.
MESSAGES = {"wrong_state": "{action} cannot be taken while the provider is {state}",
            "not_allowed": "you may not {action} this provider",
            "unknown_action": "there is no action {action!r}"}


def _decide(viewer, provider: Provider, action: str, payload: dict) -> definition.Decision:
    actor = definition.Actor(viewer.user_id, access.provider_relations(viewer, provider))
    try:
        return engine.decide(PROVIDER_FLOW, definition.Facts(state=provider.status, level=LEVEL),
                             actor, action, payload)
    except engine.Refused as refusal:
        message = MESSAGES.get(refusal.code, refusal.message).format(action=action, state=provider.status)
        raise REFUSALS[refusal.code](message, code=refusal.code,
                                     fields={k: [v] for k, v in refusal.fields.items()}) from None


def _approve(viewer, provider: Provider, sub_mchid: str) -> None:
    """Payments to this provider go to its sub-merchant account; its applicant runs it."""
    taken = db.session.scalar(sa.select(Provider.id).where(Provider.sub_mchid == sub_mchid,
                                                           Provider.id != provider.id))
    if taken is not None:
        raise Conflict("this sub-merchant number belongs to another provider", code="sub_mchid_in_use",
                       fields={"sub_mchid": ["already used"]})
    provider.sub_mchid = sub_mchid
    held = db.session.scalar(sa.select(Grant.id).where(
        Grant.user_id == provider.applicant_id, Grant.role == "provider_staff",
        Grant.provider_id == provider.id))
    if held is None:
        grant = Grant(user_id=provider.applicant_id, role="provider_staff", provider_id=provider.id,
                      created_by_id=viewer.user_id)
        db.session.add(grant)
        db.session.flush()
        audit.record(viewer.user_id, "grant.create", grant, None,
                     {"user_id": grant.user_id, "role": grant.role, "provider_id": provider.id},
                     areas.county_path(provider))


def _end_staff(viewer, provider: Provider) -> None:
    """A provider no longer certified has no staff: their grants (and with them the orders,
    residents' addresses included) go with the certification."""
    for grant in db.session.scalars(sa.select(Grant).where(Grant.role == "provider_staff",
                                                           Grant.provider_id == provider.id)):
        audit.record(viewer.user_id, "grant.delete", grant,
                     {"user_id": grant.user_id, "role": grant.role, "provider_id": provider.id}, None,
                     areas.county_path(provider))
        db.session.delete(grant)
    db.session.flush()


def act(viewer, provider_id: int, action: str, payload: dict, version: int | None) -> Provider:
    """Take a review step as the viewer. version is what the client last read: anything
    else is a 409, never a silent overwrite of another reviewer's decision."""
    provider = access.get_visible(viewer, Provider, provider_id)
    if version is not None and version != provider.version:
        raise Conflict("the provider changed since you read it; reload and try again", code="stale")
    decision = _decide(viewer, provider, action, payload)
    before = snapshot(provider)
    if action == "approve":
        _approve(viewer, provider, decision.payload["sub_mchid"])
    if action == "revoke":
        _end_staff(viewer, provider)
    provider.status = decision.to_state
    # The latest reason is shown on the application; reinstating or resubmitting clears it.
    provider.status_reason = decision.payload.get("reason")
    provider.updated_at = clock.now()
    db.session.flush()
    provider_log.append(provider, action, viewer.user_id, decision.from_state, decision.to_state,
                        decision.payload)
    audit.record(viewer.user_id, f"provider.{action}", provider, before, snapshot(provider),
                 areas.county_path(provider))
    log.info("provider action provider=%s action=%s %s->%s actor=%s", provider.id, action,
             decision.from_state, decision.to_state, viewer.user_id)
    return provider
