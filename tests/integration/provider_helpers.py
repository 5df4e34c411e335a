"""Helpers for marketplace tests: applications, review steps and offerings over HTTP."""
from __future__ import annotations

import itertools
from datetime import timedelta

import sqlalchemy as sa
from stdnum.cn.uscc import calc_check_digit as check_char

from backend.extensions import db
from backend.models import Offering, Provider, Region
from backend.models.types import utcnow
from tests.integration.case_helpers import upload

_serial = itertools.count(1)
DEMO_PROVIDER_CODE = "52140730MA0LQ3C4D5"   # 颐康, approved, county-wide
DEMO_APPLICATION_CODE = "91140730MA0LQ1A2B2"  # 安居, applied


def region_id(code: str) -> int:
    return db.session.scalar(sa.select(Region.id).where(Region.code == code))


def provider_id(credit_code: str) -> int:
    return db.session.scalar(sa.select(Provider.id).where(Provider.credit_code == credit_code,
                                                          Provider.status != "rejected"))


def offering_id(title: str) -> int:
    return db.session.scalar(sa.select(Offering.id).where(Offering.title == title))


def new_code() -> str:
    first17 = f"91140730MA{next(_serial):07d}"
    return first17 + check_char(first17)


def application(caller, *, areas=("140730001",), categories=("elderly_care",), code=None, **extra) -> dict:
    body = {"name": "凤鸣社区助老服务站", "credit_code": code or new_code(), "contact_name": "赵敏",
            "contact_phone": "13700001111", "categories": list(categories),
            "area_region_ids": [region_id(a) for a in areas], "licence_photo_ids": [upload(caller)],
            **extra}
    return body


def apply(caller, expect=201, **kwargs) -> dict:
    response = caller.post("/api/mp/providers", json=application(caller, **kwargs))
    assert response.status_code == expect, response.json
    return response.json


def review(caller, pid, action, expect=200, **payload):
    version = caller.get(f"/api/console/providers/{pid}").json["version"]
    response = caller.post(f"/api/console/providers/{pid}/actions/{action}",
                           json={"version": version, "payload": payload})
    assert response.status_code == expect, (action, response.json)
    return response.json


def create_offering(caller, pid, expect=201, **extra) -> dict:
    body = {"title": "上门陪诊", "category": "elderly_care", "price_fen": 6000, "unit": "visit",
            "description": "陪同老人就医，挂号取药", **extra}
    response = caller.post(f"/api/console/providers/{pid}/offerings", json=body)
    assert response.status_code == expect, response.json
    return response.json


def listed(caller, oid, listed=True, expect=200) -> dict:
    response = caller.post(f"/api/console/offerings/{oid}/{'list' if listed else 'unlist'}", json={})
    assert response.status_code == expect, response.json
    return response.json


def catalogue_ids(caller, region_code, **query) -> set[int]:
    response = caller.get("/api/mp/services", query_string={"region_id": region_id(region_code),
                                                            "page_size": 100, **query})
    assert response.status_code == 200, response.json
    return {row["id"] for row in response.json}


def slot_specs(count=2, capacity=2) -> list[dict]:
    start = (utcnow() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    return [{"starts_at": (start + timedelta(hours=3 * i)).isoformat(),
             "ends_at": (start + timedelta(hours=3 * i + 2)).isoformat(), "capacity": capacity}
            for i in range(count)]
