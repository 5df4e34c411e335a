"""Social services end to end over HTTP, as the demo county's people would use them.

王秀英 finds house cleaning where she lives, orders two hours and pays on her phone (the
simulator plays WeChat Pay and notifies the server on its own); 冯晓梅 of the provider accepts,
serves and completes it; 王秀英 confirms and rates it, and the provider is paid less the
platform's fee. A second order is cancelled after paying, and the refund comes back. The
county's administrator reads both orders' books.
"""
from __future__ import annotations

import sys
import time
import uuid

import requests
from demo import API, SIM, SPOT, Person, StepFailed, check


def wait_for(person: Person, path: str, step: str, done, seconds: float = 30) -> dict:
    """Poll until WeChat Pay's notification (sent by the simulator on its own) has landed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = person.get(path, step)
        if done(found):
            return found
        time.sleep(0.5)
    raise StepFailed(f"{step}: not within {seconds:.0f} s")


def order_and_pay(resident: Person, offering_id: int, region_id: int) -> dict:
    order = resident.post("/api/mp/orders", "王秀英 orders two hours of cleaning", json={
        "client_id": uuid.uuid4().hex, "offering_id": offering_id, "region_id": region_id,
        "address": "文昌路1号3单元201", "quantity": 2, "service_date": "2026-12-01"})
    params = resident.post(f"/api/mp/orders/{order['id']}/payment", "the phone asks for wx.requestPayment's parameters")
    check(requests.post(f"{SIM}/sim/pay/request-payment", json={**params, "openid": "demo-resident-1"}, timeout=10),
          "王秀英 pays on her phone (WeChat Pay simulator)")
    return wait_for(resident, f"/api/mp/orders/{order['id']}", "WeChat Pay's notification credits the payment",
                    lambda o: o["state"] == "paid")


def step(person: Person, face: str, order_id: int, action: str, label: str, **payload) -> dict:
    version = person.get(f"/api/{face}/orders/{order_id}", f"{label}: read the order")["version"]
    return person.post(f"/api/{face}/orders/{order_id}/actions/{action}", label,
                       json={"version": version, "payload": payload})


def main() -> int:
    resident, staff = Person("demo-resident-1", "resident"), Person("demo-provider-staff-1", "provider")
    county = Person("demo-county-admin", "county")
    home = resident.get(f"/api/mp/locate?lng={SPOT['lng']}&lat={SPOT['lat']}&coord_system=gcj02",
                        "where 王秀英 lives")["region"]
    found = resident.get(f"/api/mp/services?region_id={home['id']}&q=保洁", "search the catalogue for 保洁")
    cleaning = next(s for s in found if s["title"] == "家政保洁")
    print(f"{home['name']}: {cleaning['title']} by {cleaning['provider']['name']}, "
          f"{cleaning['price_fen'] / 100:.2f} yuan per {cleaning['unit']}")

    served = order_and_pay(resident, cleaning["id"], home["id"])
    for action, label in (("accept", "冯晓梅 accepts"), ("start", "冯晓梅 starts"), ("complete", "冯晓梅 completes")):
        step(staff, "console", served["id"], action, label)
    step(resident, "mp", served["id"], "confirm", "王秀英 confirms and rates 5", rating=5, comment="干净利落")

    cancelled = order_and_pay(resident, cleaning["id"], home["id"])
    step(resident, "mp", cancelled["id"], "cancel", "王秀英 cancels before acceptance", reason="家里临时有事")
    wait_for(resident, f"/api/mp/orders/{cancelled['id']}", "WeChat Pay's refund notification",
             lambda o: any(r["status"] == "success" for r in o["refunds"]))

    for order in (served, cancelled):
        entry = resident.get(f"/api/mp/orders/{order['id']}", "the order's timeline")
        books = county.get(f"/api/console/orders/{order['id']}/ledger", "the county reads the books")
        print(f"\norder {entry['out_trade_no']}: {entry['state']}, paid {entry['paid_fen']} fen, "
              f"refunded {entry['refunded_fen']} fen")
        for row in entry["timeline"]:
            print(f"  {row['seq']:>2} {row['action']:<16} {row['from_state'] or '':<10} -> {row['to_state']}")
        print("  books:", {k: v for k, v in books["balances"].items() if v}, "problems:", books["problems"] or "none")
        if books["problems"]:
            raise StepFailed(f"order {order['id']}: the books do not hold: {books['problems']}")
    print(f"\nall steps succeeded against {API}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (StepFailed, requests.RequestException) as failed:
        print(f"demo failed: {failed}", file=sys.stderr)
        sys.exit(1)
