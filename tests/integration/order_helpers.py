"""Driving the marketplace as its people do, against the suite's simulator: the resident
orders and pays on the phone (the simulator checks the paySign as WeChat would), WeChat
Pay's notifications are delivered into the app (the simulator's deliver hook posts them to
the test client: the app is not served over HTTP here), the provider's staff and the
county act in the console."""
from __future__ import annotations

import uuid
from datetime import timedelta

import requests
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Offering, Order, OutboxEffect
from backend.models.types import utcnow
from backend.services import runtime
from backend.services.finance import ledger
from backend.wechat.simulator import pay_world_of
from tests.integration.market_fixtures import TOWNSHIP_CODE, inside

RESIDENT = "demo-resident-1"
STAFF = "demo-provider-staff-1"
COUNTY = "demo-county-admin"


class Shop:
    def __init__(self, client, as_user, sim, app=None):
        self.sim, self.app, self.offset = sim, app, timedelta()
        self.world = pay_world_of(sim.app)
        self.world.reset()
        self.world.clock.reset()   # the session's simulator: an earlier test may have moved it
        self.world.notifier.deliver = self._deliver_to(client)
        self.resident, self.staff, self.county = as_user(RESIDENT), as_user(STAFF), as_user(COUNTY)

    @staticmethod
    def _deliver_to(client):
        def deliver(url: str, headers: dict, body: bytes) -> int:
            path = "/" + url.split("/", 3)[3]
            return client.post(path, data=body, headers={**headers, "Content-Type": "application/json"}).status_code
        return deliver

    def offering(self, title: str) -> Offering:
        return db.session.scalar(sa.select(Offering).where(Offering.title == title))

    def order(self, title: str = "家政保洁", *, who=None, **extra) -> dict:
        body = {"client_id": uuid.uuid4().hex, "offering_id": self.offering(title).id,
                "region_id": inside(TOWNSHIP_CODE).id, "address": "文昌路1号3单元", "quantity": 2,
                "service_date": "2026-12-01", **extra}
        response = (who or self.resident).post("/api/mp/orders", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def payment(self, order_id: int) -> dict:
        response = self.resident.post(f"/api/mp/orders/{order_id}/payment")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def phone_pays(self, params: dict, openid: str = RESIDENT) -> dict:
        """wx.requestPayment on the phone: the simulator takes the money."""
        answer = requests.post(f"{self.sim.url}/sim/pay/request-payment", json={**params, "openid": openid},
                               timeout=5)
        assert answer.status_code == 200, answer.json()
        return answer.json()

    def notify_mode(self, mode: str, count: int = 1) -> None:
        requests.post(f"{self.sim.url}/sim/pay/notify-mode", json={"mode": mode, "count": count},
                      timeout=5).raise_for_status()

    def deliver(self) -> int:
        """WeChat Pay sends what is due (in this thread, into the test client)."""
        return self.world.notifier.deliver_due()

    def release(self) -> int:
        self.world.notifier.release()
        return self.deliver()

    def settle_refund(self, out_refund_no: str, status: str = "SUCCESS") -> None:
        requests.post(f"{self.sim.url}/sim/pay/refunds/settle",
                      json={"out_refund_no": out_refund_no, "status": status}, timeout=5).raise_for_status()

    def paid_order(self, title: str = "家政保洁", **extra) -> dict:
        order = self.order(title, **extra)
        self.phone_pays(self.payment(order["id"]))
        assert self.deliver() == 1
        return self.get(order["id"])

    def get(self, order_id: int, who=None) -> dict:
        response = (who or self.resident).get(f"/api/mp/orders/{order_id}" if who is None
                                              else f"/api/console/orders/{order_id}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def step(self, who, order_id: int, action: str, payload: dict | None = None, *, face: str = "console"):
        version = self.get(order_id)["version"]
        return who.post(f"/api/{face}/orders/{order_id}/actions/{action}",
                        json={"version": version, "payload": payload or {}})

    def later(self, seconds: float) -> None:
        """Time passes for the app and the simulator together (notifications stay fresh)."""
        self.offset += timedelta(seconds=seconds)
        runtime.of(self.app).clock = lambda: utcnow() + self.offset
        self.world.clock.advance(seconds)

    def close(self) -> None:
        if self.app is not None:
            runtime.of(self.app).clock = utcnow

    def attempts(self) -> list[dict]:
        return self.world.notifier.listing()["attempts"]


def balances(order_id: int) -> dict[str, int]:
    return {k: v for k, v in ledger.balances(order_id).items() if v}


def row(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    db.session.refresh(order)
    return order


def dead_effects() -> list[OutboxEffect]:
    return list(db.session.scalars(sa.select(OutboxEffect).where(OutboxEffect.outcome == "dead")))
