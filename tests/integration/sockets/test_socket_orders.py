"""Order progress over real sockets: the relay's push of an order step reaches its resident,
its provider's staff and the county administrators, and no one else."""
from __future__ import annotations

import itertools
import uuid

import sqlalchemy as sa

from backend.effects import delivery
from backend.extensions import db
from backend.models import Offering, Region
from tests.integration.sockets.live import in_app

USERS = ("demo-resident-1", "demo-resident-2", "demo-provider-staff-1", "demo-provider-applicant-1",
         "demo-county-admin", "demo-hub-dispatcher-1", "demo-platform-admin")
HEARS = {"demo-resident-1", "demo-provider-staff-1", "demo-county-admin", "demo-platform-admin"}
markers = itertools.count(1000)


def order(live, phone) -> dict:
    with in_app(live):
        offering = db.session.scalar(sa.select(Offering.id).where(Offering.title == "家政保洁"))
        region = db.session.scalar(sa.select(Region.id).where(Region.code == "140730001001"))
    response = phone.post("/api/mp/orders", json={
        "client_id": uuid.uuid4().hex, "offering_id": offering, "region_id": region, "address": "文昌路1号",
        "service_date": "2026-12-02"})
    assert response.status_code == 201, response.json
    return response.json


def test_an_order_step_reaches_exactly_who_may_see_the_order(live):
    phones = {openid: live.phone(openid) for openid in USERS}
    ears = {openid: live.ear(phone.token) for openid, phone in phones.items()}
    with in_app(live):
        while sum(delivery.sweep().values()):   # what earlier tests on this server left behind
            pass
    placed = order(live, phones["demo-resident-1"])
    with in_app(live):
        assert delivery.sweep().get("delivered") == 1   # the order's first push (OUTBOX_DELIVERY is off here)
    marker = next(markers)
    for phone in phones.values():
        live.marker(phone.user_id, marker)
    heard = set()
    for openid, ear in ears.items():
        start = len(ear.log)
        ear.until("marker", lambda d: d["value"] == marker)
        pushes = [data for name, data in ear.log[start:] if name == "order"]
        if pushes:
            heard.add(openid)
            assert pushes == [{"order_id": placed["id"], "seq": 1, "event": "create", "state": "created",
                               "version": placed["version"], "at": pushes[0]["at"]}]
    assert heard == HEARS
    for openid in USERS:
        seen = phones[openid].get(f"/api/{'console' if openid != 'demo-resident-1' else 'mp'}/orders/{placed['id']}")
        assert (seen.status_code == 200) == (openid in HEARS), openid
