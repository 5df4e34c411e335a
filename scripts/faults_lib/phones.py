"""Simulated phones: residents reporting cases and ordering and paying services, as the
mini-program does. A request that meets a network error, 502, 503 or 504 is sent again with
the same client id (Retry-After honoured) until it is answered or a minute has passed; any
other answer ends it. Every attempt is written to the journal (recovery times come from it);
an answer 200/201 is an acknowledgement, which the audit then looks for in the database."""
from __future__ import annotations

import datetime as dt
import random
import threading
import time
from dataclasses import dataclass, field

import requests

RETRIED = (502, 503, 504)
GIVE_UP_SECONDS = 60
TIMEOUT_SECONDS = 15
HOME = {"lng": 112.9932, "lat": 37.4237, "coord_system": "gcj02"}   # 文昌社区第一网格


@dataclass
class Attempt:
    started: float
    ended: float
    what: str
    status: int | None        # None: a network error (refused, reset, timed out)


@dataclass
class Journal:
    """What the phones saw, shared by their threads."""

    attempts: list[Attempt] = field(default_factory=list)
    acked: dict[str, dict[str, int]] = field(default_factory=lambda: {"report": {}, "order": {}})
    paid: dict[int, str] = field(default_factory=dict)          # order id -> transaction id
    unanswered: dict[str, int] = field(default_factory=dict)    # what -> gave up after retries
    refused: dict[str, int] = field(default_factory=dict)       # "what status" -> count
    samples: dict[str, str] = field(default_factory=dict)       # "what status" -> the first body
    lock: threading.Lock = field(default_factory=threading.Lock)

    def attempt(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)

    def ack(self, what: str, client_id: str, object_id: int) -> None:
        with self.lock:
            self.acked[what][client_id] = object_id

    def count(self, table: str, key: str) -> None:
        with self.lock:
            bucket = getattr(self, table)
            bucket[key] = bucket.get(key, 0) + 1


@dataclass
class Catalogue:
    """What every phone needs to know once: a category to report in, a service to order."""

    category_id: int
    region_id: int
    offering_id: int


def login(api: str, sim: str, openid: str) -> str:
    code = requests.post(f"{sim}/sim/wx-login", json={"openid": openid}, timeout=10).json()["code"]
    response = requests.post(f"{api}/api/mp/auth/login", json={"code": code}, timeout=30)
    response.raise_for_status()
    return response.json()["token"]


def catalogue(api: str, token: str) -> Catalogue:
    headers = {"Authorization": f"Bearer {token}"}
    tree = requests.get(f"{api}/api/mp/categories", headers=headers, timeout=30).json()
    category = next(n["category"]["id"] for t in tree for n in t["children"] if n["category"]["code"] == "T06-02")
    region = requests.get(f"{api}/api/mp/locate", params=HOME, headers=headers, timeout=30).json()["region"]["id"]
    services = requests.get(f"{api}/api/mp/services", params={"region_id": region}, headers=headers,
                            timeout=30).json()
    offering = next(s["id"] for s in services if s["title"] == "家政保洁")
    return Catalogue(category, region, offering)


class Phone(threading.Thread):
    def __init__(self, number: int, api: str, sim: str, token: str, where: Catalogue, journal: Journal,
                 stop: threading.Event, order_share: float):
        super().__init__(daemon=True, name=f"phone-{number}")
        self.label, self.api, self.sim, self.where = f"faults-p{number:02d}", api, sim, where
        self.journal, self.stop, self.order_share = journal, stop, order_share
        self.number, self.openid = number, f"faults-phone-{number}"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.serial = 0
        self.random = random.Random(number)

    def run(self) -> None:
        while not self.stop.is_set():
            self.serial += 1
            if self.random.random() < self.order_share:
                self.order_and_pay()
            else:
                self.report()
            self.stop.wait(self.random.uniform(0.0, 0.1))

    def report(self) -> None:
        client_id = f"{self.label}-r{self.serial:06d}"
        body = {"client_id": client_id, "category_id": self.where.category_id,
                "description": f"故障演练 {client_id}: 路面塌陷", **HOME}
        answer = self.send("report", "POST", f"{self.api}/api/mp/cases", body)
        if answer is not None and answer.status_code in (200, 201):
            self.journal.ack("report", client_id, answer.json()["id"])

    def order_and_pay(self) -> None:
        client_id = f"{self.label}-o{self.serial:06d}"
        # A day of its own: the demo offering takes a few orders a day (409 day_full otherwise).
        day = (dt.date.today() + dt.timedelta(days=1 + self.number * 2000 + self.serial)).isoformat()
        body = {"client_id": client_id, "offering_id": self.where.offering_id, "region_id": self.where.region_id,
                "address": "文昌路1号", "service_date": day}
        answer = self.send("order", "POST", f"{self.api}/api/mp/orders", body)
        if answer is None or answer.status_code not in (200, 201):
            return
        order_id = answer.json()["id"]
        self.journal.ack("order", client_id, order_id)
        params = self.send("payment", "POST", f"{self.api}/api/mp/orders/{order_id}/payment", None)
        if params is None or params.status_code != 200:
            return
        paid = self.send("pay", "POST", f"{self.sim}/sim/pay/request-payment", {**params.json(), "openid": self.openid})
        if paid is not None and paid.status_code == 200:
            self.journal.paid[order_id] = paid.json()["transaction_id"]

    def send(self, what: str, method: str, url: str, body: dict | None) -> requests.Response | None:
        """The request until answered with something other than 502/503/504, or None when a
        minute of retries has passed (or the run is ending)."""
        give_up, pause = time.monotonic() + GIVE_UP_SECONDS, 0.2
        while True:
            started = time.monotonic()
            try:
                answer = self.session.request(method, url, json=body, timeout=TIMEOUT_SECONDS)
                status = answer.status_code
            except requests.RequestException:
                answer, status = None, None
            self.journal.attempt(Attempt(started, time.monotonic(), what, status))
            if status is not None and status not in RETRIED:
                if status >= 300:
                    self.journal.count("refused", f"{what} {status}")
                    self.journal.samples.setdefault(f"{what} {status}", answer.text.strip()[:160])
                return answer
            if time.monotonic() > give_up or self.stop.is_set():
                self.journal.count("unanswered", what)
                return None
            time.sleep(self.backoff(answer, pause))
            pause = min(pause * 2, 2.0)

    @staticmethod
    def backoff(answer: requests.Response | None, pause: float) -> float:
        after = answer.headers.get("Retry-After") if answer is not None else None
        if after and after.isdigit():
            return min(float(after), 5.0)
        return pause
