"""Helpers for case tests: photos, reports and actions over HTTP, as the phones make them."""
from __future__ import annotations

import io
import itertools

import sqlalchemy as sa
from PIL import Image

from backend.extensions import db
from backend.models import Category, Department, User

IN_G1 = (112.9932, 37.4237)         # 文昌社区第一网格 (grid worker 1, township 凤鸣街道)
IN_G2 = (113.1312, 37.3371)         # 石门村第三网格 (龙泉镇)
_ids = itertools.count(1)


def category_id(code: str) -> int:
    return db.session.scalar(sa.select(Category.id).where(Category.code == code))


def department_id(code: str) -> int:
    return db.session.scalar(sa.select(Department.id).where(Department.code == code))


def user_id(openid: str) -> int:
    return db.session.scalar(sa.select(User.id).where(User.openid == openid))


def jpeg(colour=(200, 80, 40), size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def upload(caller, colour=(200, 80, 40)) -> int:
    response = caller.post("/api/mp/photos", data={"file": (io.BytesIO(jpeg(colour)), "p.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    return response.json["id"]


def report(caller, code="T06-02", at=IN_G1, expect=201, **extra):
    body = {"client_id": f"draft-{next(_ids):06d}", "category_id": category_id(code),
            "description": "路边有一堆垃圾没人清理", "address": "文昌路12号",
            "lng": at[0], "lat": at[1], "coord_system": "gcj02", **extra}
    response = caller.post("/api/mp/cases", json=body)
    assert response.status_code == expect, response.json
    return response.json


def act(caller, case_id, action, expect=200, **payload):
    version = caller.get(f"/api/mp/cases/{case_id}").json["version"]
    response = caller.post(f"/api/mp/cases/{case_id}/actions/{action}",
                           json={"version": version, "payload": payload})
    assert response.status_code == expect, (action, response.json)
    return response.json
