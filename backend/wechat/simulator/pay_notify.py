"""WeChat Pay's notifications: encrypted, signed, POSTed, retried on WeChat's schedule.

A notification is delivered when ``deliver_due`` runs and its time has come on the sim
clock (``serve()`` runs it every second; tests advance the clock and call it). Only the
HTTP status counts: 200/204 is received; anything else, or no answer within 5 s, is retried
at 15s, 15s, 30s, 3m, 10m, 20m, 30m, 30m, 30m, 60m, 3h, 3h, 3h, 6h, 6h, then given up. Each
attempt is signed afresh (new timestamp and nonce) over the same body and id.

Test modes, armed for the next N notifications (``arm``):
- ``drop``: never sent; ``delay``: held until ``release``; ``reorder``: held, and released
  in reverse order; ``duplicate``: sent twice; ``forge``: only a wrongly signed copy is sent
  (never retried); ``signtest``: a ``WECHATPAY/SIGNTEST/`` probe goes first (never retried);
  ``stale``: the first attempt carries a timestamp 10 minutes old.
"""
from __future__ import annotations

import itertools
import json
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import requests

from .pay_records import rfc3339
from .pay_sign import Signer
from .pay_store import NoStore
from .state import Clock

logger = logging.getLogger(__name__)

RETRY_SCHEDULE = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800,
                  21600, 21600)
DELIVERY_TIMEOUT = 5.0
STALE_SECONDS = 600
MODES = ("normal", "drop", "delay", "duplicate", "reorder", "forge", "signtest", "stale")
RECEIVED = (200, 204)

Deliver = Callable[[str, dict, bytes], "int | None"]


@dataclass
class Delivery:
    """One sequence of attempts to hand one body to one URL."""
    seq: int
    id: str
    event_type: str
    url: str
    body: bytes
    kind: str = "genuine"         # genuine | forged | signtest
    due: float | None = 0.0       # None: held or finished
    held: str | None = None       # "delay" | "reorder"
    stale_first: bool = False
    attempts: int = 0
    state: str = "pending"        # pending | held | sending | received | given_up | refused
    log: list[dict] = field(default_factory=list)

    @property
    def retries(self) -> bool:
        return self.kind == "genuine"

    def row(self) -> tuple[str, str, dict]:
        return ("delivery", str(self.seq), {**asdict(self), "body": self.body.decode()})

    @classmethod
    def from_row(cls, row: dict) -> Delivery:
        delivery = cls(**{**row, "body": row["body"].encode()})
        if delivery.state == "sending":   # the process died mid-attempt: it is due again
            delivery.state = "pending"
        return delivery


def http_post(url: str, headers: dict, body: bytes) -> int | None:
    try:
        return requests.post(url, data=body, headers={**headers, "Content-Type": "application/json"},
                             timeout=DELIVERY_TIMEOUT).status_code
    except requests.RequestException:
        return None


class Notifier:
    def __init__(self, signer: Signer, clock: Clock, deliver: Deliver | None = None, store=None):
        self.signer, self.clock = signer, clock
        self.deliver: Deliver = deliver or http_post
        self.store = store or NoStore()
        self._lock = threading.Lock()
        self.reset()

    def load(self, rows: list[dict]) -> None:
        """The deliveries a previous process left (from the state file)."""
        deliveries = [Delivery.from_row(row) for row in rows]
        with self._lock:
            self._deliveries = sorted(deliveries, key=lambda d: d.seq)
            self._seq = itertools.count(max((d.seq for d in deliveries), default=0) + 1)
            last = max((a.get("n", 0) for d in deliveries for a in d.log), default=0)
            self._attempt_seq = itertools.count(last + 1)

    def reset(self) -> None:
        with self._lock:
            self._deliveries: list[Delivery] = []
            self._armed: list[str] = []
            self._seq = itertools.count(1)
            self._attempt_seq = itertools.count(1)
            self._dropped: list[dict] = []

    def arm(self, mode: str, count: int = 1) -> list[str]:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        with self._lock:
            if mode == "normal":
                self._armed.clear()
            else:
                self._armed.extend([mode] * count)
            return list(self._armed)

    def enqueue(self, event_type: str, summary: str, original_type: str, url: str, resource: dict) -> str:
        """Queue a notification as WeChat would send it; returns its id."""
        body = self.envelope(event_type, summary, original_type, resource)
        return self.enqueue_body(event_type, url, body)

    def envelope(self, event_type: str, summary: str, original_type: str, resource: dict,
                 notification_id: str | None = None) -> bytes:
        sealed = self.signer.encrypt(json.dumps(resource, ensure_ascii=False, separators=(",", ":")),
                                     associated_data=original_type)
        envelope = {"id": notification_id or secrets.token_hex(18), "create_time": rfc3339(self.clock.now()),
                    "resource_type": "encrypt-resource", "event_type": event_type, "summary": summary,
                    "resource": {"original_type": original_type, **sealed}}
        return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()

    def enqueue_body(self, event_type: str, url: str, body: bytes) -> str:
        notification_id = json.loads(body)["id"]
        with self._lock:
            mode = self._armed.pop(0) if self._armed else "normal"
            now = self.clock.now()

            def add(**options) -> None:
                options.setdefault("due", now)
                delivery = Delivery(next(self._seq), notification_id, event_type, url, body, **options)
                self._deliveries.append(delivery)
                self.store.put(*delivery.row())
            if mode == "drop":
                self._dropped.append({"id": notification_id, "event_type": event_type, "url": url})
            elif mode in ("delay", "reorder"):
                add(due=None, held=mode, state="held")
            elif mode == "forge":
                add(kind="forged")
            else:
                if mode == "signtest":
                    add(kind="signtest")
                add(stale_first=mode == "stale")
                if mode == "duplicate":
                    add()
        return notification_id

    def release(self) -> None:
        """Held notifications become due now: delayed ones in order, reordered ones reversed."""
        with self._lock:
            held = [d for d in self._deliveries if d.state == "held"]
            order = [d for d in held if d.held == "delay"] + [d for d in reversed(held) if d.held == "reorder"]
            now = self.clock.now()
            for delivery in order:
                self.store.delete("delivery", str(delivery.seq))
                delivery.seq, delivery.due, delivery.state = next(self._seq), now, "pending"
                self.store.put(*delivery.row())

    def deliver_due(self) -> int:
        """Send every attempt whose time has come; returns how many were sent."""
        with self._lock:
            now = self.clock.now()
            due = sorted((d for d in self._deliveries if d.state == "pending" and d.due <= now),
                         key=lambda d: (d.due, d.seq))
            for delivery in due:
                delivery.state = "sending"
        for delivery in due:
            self._attempt(delivery)
        return len(due)

    def _attempt(self, delivery: Delivery) -> None:
        now = self.clock.now()
        stamp = int(now) - (STALE_SECONDS if delivery.stale_first and delivery.attempts == 0 else 0)
        if delivery.kind == "signtest":
            headers = self.signer.signtest_headers(stamp)
        else:
            headers = self.signer.signed_headers(delivery.body, stamp, forged=delivery.kind == "forged")
        try:
            status = self.deliver(delivery.url, headers, delivery.body)
        except Exception:   # a test's deliver hook failing is "no answer", as a crash would be
            logger.exception("pay notification delivery raised")
            status = None
        with self._lock:
            delivery.attempts += 1
            delivery.log.append({"attempt": delivery.attempts, "status": status, "at": now,
                                 "n": next(self._attempt_seq)})
            if status in RECEIVED:
                delivery.state, delivery.due = "received", None
            elif not delivery.retries:
                delivery.state, delivery.due = "refused", None
            elif delivery.attempts > len(RETRY_SCHEDULE):
                delivery.state, delivery.due = "given_up", None
            else:
                delivery.state = "pending"
                delivery.due = now + RETRY_SCHEDULE[delivery.attempts - 1]
            self.store.put(*delivery.row())
        logger.info("pay notification %s attempt %d -> %s", delivery.event_type, delivery.attempts, status)

    def listing(self) -> dict:
        """Every delivery with its attempts, and a flat list of attempts in time order."""
        with self._lock:
            deliveries = [{"id": d.id, "event_type": d.event_type, "url": d.url, "kind": d.kind,
                           "state": d.state, "next_attempt_at": d.due, "attempts": list(d.log)}
                          for d in sorted(self._deliveries, key=lambda d: d.seq)]
            attempts = sorted(({"id": d["id"], "event_type": d["event_type"], "url": d["url"],
                                "kind": d["kind"], **a} for d in deliveries for a in d["attempts"]),
                              key=lambda a: a["n"])
            return {"deliveries": deliveries, "attempts": attempts, "dropped": list(self._dropped),
                    "armed": list(self._armed)}
