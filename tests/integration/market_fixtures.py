"""Marketplace test data made through the models (providers and offerings have their own
tests through the API): an approved provider with a sub-merchant number, a listed offering
sold in one township, and orders placed through the order service."""
from __future__ import annotations

import itertools
import uuid

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Grant, Offering, OfferingArea, Provider, ProviderArea, Region, User

COUNTY_CODE = "140730"
TOWNSHIP_CODE = "140730001"          # 凤鸣街道
OTHER_TOWNSHIP_CODE = "140730100"    # 柳河镇
_numbers = itertools.count(1)


def region(code: str) -> Region:
    return db.session.scalar(sa.select(Region).where(Region.code == code))


def inside(code: str) -> Region:
    """A community or grid inside the region with this code (where residents live)."""
    parent = region(code)
    return db.session.scalar(sa.select(Region).where(Region.path.startswith(parent.path), Region.id != parent.id)
                             .order_by(Region.path.desc()).limit(1))


def provider(applicant_id: int, *, status: str = "approved", sub_mchid: str | None = None) -> Provider:
    n = next(_numbers)
    row = Provider(name=f"测试服务中心{n}", credit_code=f"TEST{uuid.uuid4().hex[:14].upper()}",
                   contact_name="测试", contact_phone="13800000000", categories=["housekeeping"],
                   status=status, sub_mchid=sub_mchid or f"19{n:08d}", applicant_id=applicant_id)
    row.areas.append(ProviderArea(region_id=region(COUNTY_CODE).id))
    db.session.add(row)
    db.session.flush()
    return row


def offering(provider_row: Provider, *, price_fen: int = 5000, area_code: str = TOWNSHIP_CODE,
             daily_capacity: int | None = None) -> Offering:
    row = Offering(provider_id=provider_row.id, title="家政保洁", category="housekeeping",
                   description="两小时上门保洁", price_fen=price_fen, unit="hour", status="listed",
                   daily_capacity=daily_capacity)
    row.areas.append(OfferingArea(region_id=region(area_code).id))
    db.session.add(row)
    db.session.flush()
    return row


def staff(user: User, provider_row: Provider) -> Grant:
    grant = Grant(user_id=user.id, role="provider_staff", provider_id=provider_row.id)
    db.session.add(grant)
    db.session.flush()
    return grant


def order_body(offering_row: Offering, **extra) -> dict:
    return {"client_id": uuid.uuid4().hex, "offering_id": offering_row.id,
            "region_id": inside(TOWNSHIP_CODE).id, "address": "文昌路1号", "quantity": 2, **extra}
