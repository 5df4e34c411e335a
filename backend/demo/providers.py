"""The demo marketplace from config/demo/providers.json: a certified provider with listed
offerings and its staff member, and an application waiting for review. Loaded by natural
keys (openids, credit codes, offering titles), so a second load adds nothing; slots are
opened only when their offering is first created, so a load on a later day adds none."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import sqlalchemy as sa

from backend.demo import people
from backend.extensions import db
from backend.models import Grant, Offering, OfferingArea, OfferingSlot, Provider, ProviderArea, Region, User
from backend.services import clock
from backend.services.providers import log

SHANGHAI = timezone(timedelta(hours=8))


def _region_id(code: str) -> int:
    return db.session.scalar(sa.select(Region.id).where(Region.code == code))


def _user_id(openid: str) -> int:
    return db.session.scalar(sa.select(User.id).where(User.openid == openid))


def _slots(offering: Offering, spec: dict) -> None:
    """spec: days ahead, start hours (Asia/Shanghai), hours long, capacity."""
    today = clock.now().astimezone(SHANGHAI).date()
    for day in range(1, spec["days"] + 1):
        for hour in spec["start_hours"]:
            starts = datetime.combine(today + timedelta(days=day), time(hour), SHANGHAI).astimezone(UTC)
            offering_slot = OfferingSlot(starts_at=starts, ends_at=starts + timedelta(hours=spec["hours"]),
                                         capacity=spec["capacity"])
            offering_slot.offering_id = offering.id
            db.session.add(offering_slot)


def _offerings(provider: Provider, rows: list[dict]) -> int:
    added = 0
    for row in rows:
        held = sa.select(Offering.id).where(Offering.provider_id == provider.id, Offering.title == row["title"])
        if db.session.scalar(held):
            continue
        offering = Offering(provider_id=provider.id, status="listed",
                            **{k: row[k] for k in ("title", "category", "description", "price_fen", "unit",
                                                   "daily_capacity")})
        offering.areas = [OfferingArea(region_id=_region_id(code)) for code in row["areas"]]
        db.session.add(offering)
        db.session.flush()
        if row["slots"]:
            _slots(offering, row["slots"])
        added += 1
    return added


def _staff(provider: Provider, openids: list[str]) -> int:
    added = 0
    for openid in openids:
        user_id = _user_id(openid)
        held = sa.select(Grant.id).where(Grant.user_id == user_id, Grant.role == "provider_staff",
                                         Grant.provider_id == provider.id)
        if not db.session.scalar(held):
            db.session.add(Grant(user_id=user_id, role="provider_staff", provider_id=provider.id))
            added += 1
    return added


def _provider(row: dict) -> tuple[Provider, bool]:
    provider = db.session.scalar(sa.select(Provider).where(Provider.credit_code == row["credit_code"],
                                                           Provider.status != "rejected"))
    if provider is not None:
        return provider, False
    provider = Provider(**{k: row[k] for k in ("name", "credit_code", "contact_name", "contact_phone",
                                               "categories", "status", "sub_mchid")},
                        applicant_id=_user_id(row["applicant"]))
    provider.areas = [ProviderArea(region_id=_region_id(code)) for code in row["areas"]]
    db.session.add(provider)
    db.session.flush()
    log.append(provider, "apply", provider.applicant_id, None, "applied", {"name": provider.name})
    if provider.status == "approved":
        log.append(provider, "approve", None, "applied", "approved",
                            {"sub_mchid": provider.sub_mchid, "note": "demo data"})
    return provider, True


def load(data: dict) -> dict:
    users, grants = people.load_users(data["users"])
    counts = {"providers": 0, "offerings": 0, "users": users, "grants": grants}
    for row in data["providers"]:
        provider, created = _provider(row)
        counts["providers"] += created
        counts["grants"] += _staff(provider, row["staff"])
        counts["offerings"] += _offerings(provider, row["offerings"])
    db.session.flush()
    return counts


def users(data: dict, names: dict) -> list[tuple[str, str, str]]:
    """(openid, name, roles) of the demo marketplace's users, for the README and scripts/run."""
    staff = {o: p["name"] for p in data["providers"] for o in p["staff"]}
    applied = {p["applicant"]: p["name"] for p in data["providers"] if p["status"] != "approved"}
    rows = []
    for user in data["users"]:
        held = [f"{g['role']} @ {names.get(g['region'], g['region'])}" for g in user["grants"]]
        if user["openid"] in staff:
            held.append(f"provider_staff @ {staff[user['openid']]}")
        if user["openid"] in applied:
            held.append(f"applicant of {applied[user['openid']]}")
        rows.append((user["openid"], user["name"], ", ".join(held)))
    return rows
