"""The simulated WeChat Pay's memory on disk, so a restarted simulator still knows what
WeChat would: orders and payments, refunds, profit-sharing receivers and shares, the
notifications still to send (and their attempts) and the bill edits of the tamper knob.

One SQLite file (``serve()`` puts it in VAR_DIR, beside the service's database): a row per
record, written as the record changes, in WAL mode (what a write returned is on disk once
the process is gone, killed or not), and read back when a simulator starts. Bill files
are made again on request from the orders and refunds; the test knobs that bend the next
answers (notify modes, bad signatures) are not kept.

A connection belongs to the process that opened it (gunicorn forks its worker after the
app is built): reading at start uses a connection of its own, closed at once; writes open
one in the process that writes.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import asdict, fields
from pathlib import Path

from .pay_records import Order, Refund, Share

SCHEMA = ("CREATE TABLE IF NOT EXISTS record (kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, "
          "PRIMARY KEY (kind, key))")
KINDS = ("order", "refund", "receiver", "share", "delivery", "bill_edit")


def key_of(*parts) -> str:
    return json.dumps(list(parts), ensure_ascii=False)


def order_key(order: Order) -> str:
    return key_of(order.sub_mchid, order.out_trade_no)


class PayStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid: int | None = None

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(SCHEMA)
        return connection

    def _writer(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            self._connection, self._pid = self._open(), os.getpid()
        return self._connection

    def put(self, kind: str, key: str, body: dict) -> None:
        self.put_many([(kind, key, body)])

    def put_many(self, rows: list[tuple[str, str, dict]]) -> None:
        """Write records in one transaction (a refund and the order it changed together)."""
        values = [(kind, key, json.dumps(body, ensure_ascii=False)) for kind, key, body in rows]
        with self._lock:
            connection = self._writer()
            with connection:
                connection.execute("BEGIN")
                connection.executemany("INSERT OR REPLACE INTO record (kind, key, body) VALUES (?, ?, ?)", values)

    def delete(self, kind: str, key: str) -> None:
        with self._lock:
            self._writer().execute("DELETE FROM record WHERE kind = ? AND key = ?", (kind, key))

    def clear(self) -> None:
        with self._lock:
            self._writer().execute("DELETE FROM record")

    def load(self) -> dict[str, list[dict]]:
        """Every record by kind, in the order first written."""
        records: dict[str, list[dict]] = {kind: [] for kind in KINDS}
        if not self.path.exists():
            return records
        connection = self._open()
        try:
            for kind, body in connection.execute("SELECT kind, body FROM record ORDER BY rowid"):
                records.setdefault(kind, []).append(json.loads(body))
        finally:
            connection.close()
        return records

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None


class NoStore:
    """A simulator that keeps nothing (tests that start one per test)."""

    def put(self, kind: str, key: str, body: dict) -> None:
        pass

    def put_many(self, rows) -> None:
        pass

    def delete(self, kind: str, key: str) -> None:
        pass

    def clear(self) -> None:
        pass

    def load(self) -> dict[str, list[dict]]:
        return {kind: [] for kind in KINDS}

    def close(self) -> None:
        pass


# --- records as rows, and back --------------------------------------------------------------

def order_row(order: Order) -> tuple[str, str, dict]:
    return ("order", order_key(order), asdict(order))


def refund_row(refund: Refund) -> tuple[str, str, dict]:
    body = {f.name: getattr(refund, f.name) for f in fields(refund) if f.name != "order"}
    return ("refund", key_of(refund.order.sub_mchid, refund.out_refund_no), {**body, "order": order_key(refund.order)})


def share_row(share: Share) -> tuple[str, str, dict]:
    body = {f.name: getattr(share, f.name) for f in fields(share) if f.name not in ("order", "request")}
    return ("share", key_of(share.order.sub_mchid, share.out_order_no), {**body, "order": order_key(share.order)})


def orders_from(rows: list[dict]) -> dict[str, Order]:
    return {key_of(row["sub_mchid"], row["out_trade_no"]): Order(**row) for row in rows}


def refund_from(row: dict, orders: dict[str, Order]) -> Refund:
    return Refund(**{**row, "order": orders[row["order"]]})


def share_from(row: dict, orders: dict[str, Order]) -> Share:
    return Share(**{**row, "order": orders[row["order"]]})
