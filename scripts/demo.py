"""The 吹哨报到 loop, end to end over HTTP, as the people in the demo county would run it.

A resident reports exposed rubbish with a photo; the 凤鸣街道 hub files it and whistles the
城管 team stationed there (lead) and the county 城管局 (co-handler); the team returns it as
outside its area, the hub rules it back; both report in; the team handles it and reports a
result; the grid worker finds it not done (rework), then done; the resident rates it.
"""
from __future__ import annotations

import io
import os
import sys
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import requests
from PIL import Image, ImageDraw

API = f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
SIM = f"http://127.0.0.1:{os.environ.get('WECHAT_SIM_PORT', '5100')}"
SPOT = {"lng": 112.9932, "lat": 37.4237, "coord_system": "gcj02"}   # 文昌社区第一网格
SHANGHAI = ZoneInfo("Asia/Shanghai")


class StepFailed(RuntimeError):
    pass


def check(response: requests.Response, step: str, expected=(200, 201)) -> dict:
    if response.status_code not in expected:
        raise StepFailed(f"{step}: HTTP {response.status_code} {response.text[:300]}")
    return response.json() if response.content else {}


class Person:
    def __init__(self, openid: str, label: str):
        self.label = label
        code = check(requests.post(f"{SIM}/sim/wx-login", json={"openid": openid}, timeout=10),
                     f"wx.login for {openid}")["code"]
        login = check(requests.post(f"{API}/api/mp/auth/login", json={"code": code}, timeout=10),
                      f"login as {openid}")
        self.headers = {"Authorization": f"Bearer {login['token']}"}
        self.name = login["user"]["name"]

    def get(self, path: str, step: str) -> dict:
        return check(requests.get(f"{API}{path}", headers=self.headers, timeout=10), step)

    def post(self, path: str, step: str, **kwargs) -> dict:
        return check(requests.post(f"{API}{path}", headers=self.headers, timeout=30, **kwargs), step)

    def photo(self, text: str) -> int:
        image = Image.new("RGB", (800, 600), (120, 140, 110))
        ImageDraw.Draw(image).text((20, 20), text, fill=(255, 255, 255))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        return self.post("/api/mp/photos", f"{self.label} uploads a photo",
                         files={"file": ("photo.jpg", buffer.getvalue(), "image/jpeg")})["id"]

    def act(self, case_id: int, action: str, **payload) -> dict:
        version = self.get(f"/api/mp/cases/{case_id}/actions", f"{self.label} reads the case")["version"]
        detail = self.post(f"/api/mp/cases/{case_id}/actions/{action}", f"{self.label}: {action}",
                           json={"version": version, "payload": payload})
        print(f"  ✓ {self.label:<22} {action:<20} → {detail['state']}")
        return detail


def leaf(resident: Person, code: str) -> dict:
    for top in resident.get("/api/mp/categories", "read the catalogue"):
        for node in top["children"]:
            if node["category"]["code"] == code:
                return node["category"]
    raise StepFailed(f"category {code} is not in the catalogue")


def departments(hub: Person) -> dict[str, int]:
    return {d["code"]: d["id"] for d in hub.get("/api/console/departments", "list departments")}


def report(resident: Person) -> dict:
    category = leaf(resident, "T06-01")
    quantity = next(f for f in category["fields"] if f["key"] == "quantity")["options"][-1]["key"]
    body = {"client_id": f"demo-{uuid.uuid4().hex[:16]}", "category_id": category["id"],
            "description": "文昌路与新华街路口有一大堆生活垃圾，已经好几天没人清理，气味很大。",
            "address": "文昌路与新华街交叉口东北角", "attributes": {"quantity": quantity},
            "photo_ids": [resident.photo("rubbish at the corner")], **SPOT}
    case = resident.post("/api/mp/cases", "the resident reports", json=body)
    print(f"  ✓ {resident.label:<22} {'report':<20} → {case['state']}  (case {case['id']})")
    return case


def run() -> dict:
    resident = Person("demo-resident-1", "resident 王秀英")
    hub = Person("demo-hub-dispatcher-1", "hub 凤鸣街道")
    team = Person("demo-dept-staff-2", "城管凤鸣执法中队")
    bureau = Person("demo-dept-staff-1", "县城市管理局")
    grid = Person("demo-grid-worker-1", "grid worker 李娜")
    case_id = report(resident)["id"]
    ids = departments(hub)
    hub.act(case_id, "accept", note="属实，立案")
    hub.act(case_id, "whistle", lead_department_id=ids["D06-001"], co_department_ids=[ids["D06"]],
            note="请执法中队牵头清理，城管局协助")
    team.act(case_id, "return_case", reason="wrong_area", note="该点位不在本中队责任区")
    hub.act(case_id, "arbitrate_uphold", note="经核实属于凤鸣执法中队责任区，退单不予支持")
    bureau.act(case_id, "sign_in")
    team.act(case_id, "sign_in")
    team.act(case_id, "add_note", note="已联系环卫公司安排车辆", photo_ids=[team.photo("truck")])
    bureau.act(case_id, "co_opinion", opinion="建议增设分类垃圾桶，防止反复堆放")
    team.act(case_id, "submit_result", note="垃圾已清运", photo_ids=[team.photo("cleaned")])
    grid.act(case_id, "verify_fail", reason="角落仍有少量垃圾", photo_ids=[grid.photo("left over")])
    team.act(case_id, "submit_result", note="已彻底清理并消杀", photo_ids=[team.photo("clean")])
    grid.act(case_id, "verify_pass", photo_ids=[grid.photo("verified")], note="现场已清理干净")
    return resident.act(case_id, "rate", rating="satisfied", comment="处理很及时，谢谢")


def print_timeline(case: dict) -> None:
    print(f"\nCase {case['id']} — {case['category']['name']} — now {case['state_label']} "
          f"({case['state']}), rework {case['rework_count']}")
    print(f"{'time (Beijing)':<20} {'actor':<10} {'as':<28} {'action':<18} state")
    for entry in case["timeline"]:
        at = datetime.fromisoformat(entry["at"]).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
        state = f"{entry['from_state'] or '—'} → {entry['to_state']}"
        print(f"{at:<20} {entry['actor'] or '—':<10} {entry['actor_role']:<28} {entry['action']:<18} {state}")


def main() -> int:
    print(f"Driving one case through the loop against {API} (simulator {SIM})")
    try:
        case = run()
    except (StepFailed, requests.RequestException) as exc:
        print(f"\n✗ demo failed: {exc}", file=sys.stderr)
        return 1
    print_timeline(case)
    if case["state"] != "closed":
        print(f"✗ the case ended {case['state']}, not closed", file=sys.stderr)
        return 1
    print("\n✓ every step succeeded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
