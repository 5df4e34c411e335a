"""After the run: what the database holds, set against what the phones were told and what
the socket listeners heard. Straight SQL on PostgreSQL, read-only."""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from . import logs
from .listeners import Heard
from .phones import Journal

PUSH_KIND = "push"      # the effect kind of a case's or an order's socket push (services/audiences.py)
SOCKET_MARGIN = dt.timedelta(seconds=2)


@dataclass
class Findings:
    figures: dict[str, int] = field(default_factory=dict)     # informational
    goals: dict[str, int] = field(default_factory=dict)       # each must be 0
    examples: dict[str, list] = field(default_factory=dict)   # a few offenders per goal

    def goal(self, name: str, offenders: list) -> None:
        self.goals[name] = len(offenders)
        if offenders:
            self.examples[name] = offenders[:5]


def rows(conn: psycopg.Connection, sql: str, *args) -> list[tuple]:
    with conn.cursor() as cursor:
        cursor.execute(sql, args)
        return cursor.fetchall()


def pending_effects(url: str) -> int:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return rows(conn, "SELECT count(*) FROM outbox_effect WHERE outcome IS NULL")[0][0]


def uncredited(url: str, journal: Journal) -> list[int]:
    """Orders the simulator said were paid whose payment the service has not recorded."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        credited = {r[0] for r in rows(conn, "SELECT id FROM service_order WHERE paid_fen > 0")}
    return sorted(set(journal.paid) - credited)


def drain(url: str, journal: Journal, seconds: float) -> float:
    """Wait (at most seconds) for the outbox to empty and every payment to be credited: the
    relay's retries and WeChat Pay's repeated notifications need their time."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if pending_effects(url) == 0 and not uncredited(url, journal):
                break
        except psycopg.Error:
            pass
        time.sleep(1)
    return time.monotonic() - started


def audit(url: str, journal: Journal, listeners: list[Heard], server_logs: list[Path]) -> Findings:
    found = Findings()
    with psycopg.connect(url, connect_timeout=10) as conn:
        _objects(conn, journal, found, "report", "case_file")
        _objects(conn, journal, found, "order", "service_order")
        _payments(conn, journal, found)
        _outbox(conn, found)
        _sockets(conn, listeners, found)
        emitted = logs.pushes(server_logs)
        _emitted_twice(conn, emitted, found)
    found.figures["unhandled errors (server logs)"] = logs.unhandled_errors(server_logs)
    return found


def _emitted_twice(conn, emitted, found: Findings) -> None:
    """A push emitted again by a later attempt of the relay (the first one's end never
    settled: its process killed, the database or Redis gone under it) is the at-least-once
    docs/realtime.md states; the client drops the repeated seq. Emitted twice by one
    attempt would be a relay that repeats itself: a defect."""
    attempts = {("case", case_id, event): n for case_id, event, n in rows(
        conn, "SELECT case_id, payload->>'event', max(attempts) FROM outbox_effect "
              "WHERE kind = %s AND case_id IS NOT NULL GROUP BY 1, 2", PUSH_KIND)}
    attempts.update({("order", int(order_id), event): n for order_id, event, n in rows(
        conn, "SELECT payload->>'order_id', payload->>'event', max(attempts) FROM outbox_effect "
              "WHERE kind = 'order_push' GROUP BY 1, 2")})
    twice = [key for key, n in emitted.items() if n > 1]
    # Each emission needs an attempt of its own: more emissions than attempts is the defect.
    again = [key for key in twice if attempts.get(key[:3], 1) >= emitted[key]]
    found.figures["pushes emitted (server logs)"] = sum(emitted.values())
    found.figures["pushes emitted again by a later attempt (server logs; dropped by seq)"] = len(again)
    found.goal("pushes emitted twice by one attempt (server logs)", [key for key in twice if key not in again])


def _objects(conn, journal: Journal, found: Findings, what: str, table: str) -> None:
    """Acknowledged objects present once each, under the id the phone was given."""
    stored: dict[str, list[int]] = {}
    for client_id, object_id in rows(conn, f"SELECT client_id, id FROM {table} WHERE client_id LIKE 'faults-%%'"):
        stored.setdefault(client_id, []).append(object_id)
    acked = journal.acked[what]
    found.figures[f"{what}s acknowledged"] = len(acked)
    found.figures[f"{what}s stored"] = len(stored)
    found.goal(f"{what}s lost", [c for c, i in acked.items() if i not in stored.get(c, [])])
    twice = [c for c, ids in stored.items() if len(ids) > 1]
    shared = [i for i, n in Counter(acked.values()).items() if n > 1]   # two client ids, one object
    found.goal(f"{what}s duplicated", twice + shared)


def _payments(conn, journal: Journal, found: Findings) -> None:
    found.figures["payments acknowledged by WeChat Pay"] = len(journal.paid)
    credits = rows(conn, """
        SELECT o.id FROM service_order o JOIN ledger_entry l ON l.order_id = o.id
        WHERE l.movement = 'payment' AND l.account = 'escrow' GROUP BY o.id, o.paid_fen, o.amount_fen
        HAVING count(*) > 1 OR sum(l.amount_fen) <> o.paid_fen OR o.paid_fen > o.amount_fen""")
    found.goal("payments credited twice", [r[0] for r in credits])
    credited = {r[0] for r in rows(conn, "SELECT id FROM service_order WHERE paid_fen > 0")}
    found.goal("payments never credited", sorted(set(journal.paid) - credited))


def _outbox(conn, found: Findings) -> None:
    for kind, outcome, count in rows(conn, "SELECT kind, coalesce(outcome, 'pending'), count(*) "
                                           "FROM outbox_effect GROUP BY 1, 2 ORDER BY 1, 2"):
        found.figures[f"outbox {kind} {outcome}"] = count
    never = rows(conn, "SELECT id FROM outbox_effect WHERE outcome IS NULL OR outcome = 'dead' ORDER BY id")
    found.goal("effects never delivered (outbox)", [r[0] for r in never])


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _sockets(conn, listeners: list[Heard], found: Findings) -> None:
    """Case pushes marked delivered while a listener was surely connected, yet not heard by it
    and followed by no `resync_needed` cue (with the cue the client's resync reads them); and
    notices a listener heard more than once though the relay sent them once (a push the relay
    tried again after a failure it could not tell from a success, Redis going away under the
    publish, is at-least-once as docs/realtime.md says: the client drops the repeated seq)."""
    delivered = rows(conn, "SELECT e.case_id, e.payload->>'event', e.delivered_at, e.attempts FROM outbox_effect e "
                           "WHERE e.kind = %s AND e.outcome = 'delivered' AND e.case_id IS NOT NULL", PUSH_KIND)
    tried_again = {(case_id, event) for case_id, event, _, attempts in delivered if attempts > 1}
    missed, covered, twice, repeats = [], 0, [], 0
    for number, heard in enumerate(listeners, 1):
        events = {(case_id, event) for case_id, event, _ in heard.notices}
        due = [(case_id, event, _utc(at)) for case_id, event, at, _ in delivered
               if at is not None and heard.was_connected(_utc(at), SOCKET_MARGIN)]
        unheard = [(case_id, event, at) for case_id, event, at in due if (case_id, event) not in events]
        missed += [(number, case_id, event) for case_id, event, at in unheard if not heard.cued_after(at)]
        covered += sum(1 for _, _, at in unheard if heard.cued_after(at))
        found.figures[f"listener {number}: pushes due while surely connected"] = len(due)
        for key, n in heard.notices.items():
            if n > 1 and key[:2] in tried_again:
                repeats += n - 1
            elif n > 1:
                twice.append((number, *key))
        found.figures[f"listener {number}: notices heard"] = sum(heard.notices.values())
        found.figures[f"listener {number}: reconnections"] = heard.drops
        found.figures[f"listener {number}: told to resync"] = len(heard.cues)
    found.figures["pushes missed, then a resync cue (read back by the resync)"] = covered
    found.figures["repeats of a push the relay tried again (dropped by seq)"] = repeats
    found.goal("pushes marked delivered, not heard, no resync cue (sockets)", missed)
    found.goal("pushes heard twice, sent once (sockets)", twice)
