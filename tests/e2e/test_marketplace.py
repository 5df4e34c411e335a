"""Social services end to end, as scripts/run starts them: a resident finds a service where
they live, pays on the phone (the simulator plays WeChat Pay and posts its signed, encrypted
notifications to the server over HTTP, on its own), is served, confirms and rates; another
order is cancelled after paying and the refund comes back; the county reads both ledgers."""
from __future__ import annotations

import os
import subprocess
import uuid

import pytest
import requests

from tests.e2e.conftest import ROOT, get, login, until

pytestmark = pytest.mark.e2e
HOME = "lng=112.9932&lat=37.4237&coord_system=gcj02"   # 文昌社区第一网格


def call(running, method: str, path: str, token: str, **body):
    response = requests.request(method, f"{running['api']}{path}", json=body or None, timeout=10,
                                headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 300, (path, response.status_code, response.text)
    return response.json() if response.content else None


def step(running, token: str, face: str, order_id: int, action: str, **payload):
    version = get(running, f"/api/{face}/orders/{order_id}", token).json()["version"]
    return call(running, "POST", f"/api/{face}/orders/{order_id}/actions/{action}", token,
                version=version, payload=payload)


def order_and_pay(running, resident: str, offering_id: int, region_id: int) -> int:
    order = call(running, "POST", "/api/mp/orders", resident, client_id=uuid.uuid4().hex,
                 offering_id=offering_id, region_id=region_id, address="文昌路1号3单元", quantity=2,
                 service_date="2026-12-01")
    params = call(running, "POST", f"/api/mp/orders/{order['id']}/payment", resident)
    paid = requests.post(f"{running['sim']}/sim/pay/request-payment",
                         json={**params, "openid": "demo-resident-1"}, timeout=10)
    assert paid.status_code == 200 and paid.json()["errMsg"] == "requestPayment:ok", paid.text
    until(lambda: get(running, f"/api/mp/orders/{order['id']}", resident).json()["state"] == "paid",
          "WeChat Pay's notification to credit the payment", timeout=30)
    return order["id"]


def test_find_pay_serve_rate_and_get_a_refund(running):
    resident, staff = login(running, "demo-resident-1"), login(running, "demo-provider-staff-1")
    county = login(running, "demo-county-admin")
    home = get(running, f"/api/mp/locate?{HOME}", resident).json()["region"]["id"]
    services = get(running, f"/api/mp/services?region_id={home}&q=保洁", resident).json()
    [cleaning] = [s for s in services if s["title"] == "家政保洁"]

    served = order_and_pay(running, resident, cleaning["id"], home)
    for action in ("accept", "start", "complete"):
        step(running, staff, "console", served, action)
    done = step(running, resident, "mp", served, "confirm", rating=5, comment="干净利落")
    assert done["state"] == "confirmed"

    cancelled = order_and_pay(running, resident, cleaning["id"], home)
    step(running, resident, "mp", cancelled, "cancel", reason="家里临时有事")
    refunded = until(lambda: [r for r in get(running, f"/api/mp/orders/{cancelled}", resident).json()["refunds"]
                              if r["status"] == "success"], "the refund's notification", timeout=60)
    assert refunded[0]["amount_fen"] == 10_000

    served_books = get(running, f"/api/console/orders/{served}/ledger", county).json()
    assert served_books["problems"] == []
    assert served_books["balances"]["payer"] == -10_000
    cancelled_books = get(running, f"/api/console/orders/{cancelled}/ledger", county).json()
    assert cancelled_books["problems"] == [] and not any(cancelled_books["balances"].values())
    attempts = requests.get(f"{running['sim']}/sim/pay/notifications", timeout=5).json()["attempts"]
    assert {a["status"] for a in attempts} == {204}
    assert [a["event_type"] for a in attempts].count("REFUND.SUCCESS") == 1


def test_scripts_demo_services(running):
    port, sim_port = running["ports"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHAOBAO_", "DATABASE_URL", "FLASK_"))}
    env.update(PORT=str(port), WECHAT_SIM_PORT=str(sim_port))
    demo = subprocess.run([str(ROOT / "scripts/demo"), "services"], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=300)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "all steps succeeded" in demo.stdout
    assert demo.stdout.count("problems: none") == 2
    assert "confirm" in demo.stdout and "refund_success" in demo.stdout
