"""One writer, one handler map: the outbox writes every kind of effect (a batch of the
scheduler's as one INSERT); the relay delivers with the map create_app built, the same map
for requests, the scheduler's sweep and `flask outbox sweep`; an effect whose kind has no
handler there is never taken for delivered: it is retried with its reason (a process of a
newer release may deliver it) and dead after the usual attempts, money kinds never."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from backend.effects import delivery
from backend.extensions import db
from backend.models import Case, OutboxEffect
from backend.services import access, audiences, clock, outbox, runtime
from tests.integration.case_helpers import report
from tests.integration.order_helpers import Shop, row

PAY_CALLS = {"pay_refund", "pay_settle", "pay_close"}   # written by services/orders refunds, settlements


@pytest.fixture()
def shop(client, as_user, sim, app):
    shop = Shop(client, as_user, sim, app)
    yield shop
    shop.close()


def effects_of(**column) -> list[OutboxEffect]:
    (name, value), = column.items()
    return db.session.scalars(sa.select(OutboxEffect).where(getattr(OutboxEffect, name) == value)
                              .order_by(OutboxEffect.id)).all()


def test_every_kind_the_writer_writes_has_a_handler(app):
    written = {audiences.CASE.push, audiences.CASE.message, audiences.ORDER.push, audiences.ORDER.message}
    assert set(delivery.handlers(app)) == written | PAY_CALLS


def again_now(effect: OutboxEffect, attempts: int) -> None:
    """As if the effect had been tried `attempts` times and its back-off were over."""
    effect.attempts, effect.next_attempt_at = attempts, clock.now()
    db.session.commit()


def test_an_effect_of_a_kind_without_a_handler_is_retried_then_dead(app, ctx):
    effect = outbox.add(kind="fax", payload={"to": "nobody"})
    db.session.commit()
    delivery.sweep()
    assert (effect.outcome, effect.attempts, effect.last_error) == (
        None, 1, "no handler for effects of kind 'fax'")
    assert effect.next_attempt_at > clock.now()   # backed off, not delivered
    delivery.sweep()
    assert effect.attempts == 1                   # not before its back-off is over
    again_now(effect, runtime.setting("OUTBOX_MAX_ATTEMPTS") - 1)
    delivery.sweep()
    assert (effect.outcome, effect.last_error) == ("dead", "no handler for effects of kind 'fax'")


def test_money_owed_without_a_handler_is_never_given_up(app, ctx, monkeypatch):
    monkeypatch.delitem(delivery.handlers(app), "pay_refund")
    effect = outbox.add(kind="pay_refund", payload={"refund_id": 0})
    db.session.commit()
    again_now(effect, runtime.setting("OUTBOX_MAX_ATTEMPTS") + 5)
    delivery.sweep()
    assert (effect.outcome, effect.last_error) == (None, "no handler for effects of kind 'pay_refund'")


def test_the_relay_delivers_with_the_map_it_was_handed(app, ctx, monkeypatch):
    """A push for a case that does not exist is skipped by its handler; with the handler
    taken out of the app's map, the relay has none and says so."""
    skipped = outbox.add(kind="push", payload={"case_id": 0, "event": "x", "seq": 1})
    db.session.commit()
    delivery.sweep()
    monkeypatch.delitem(delivery.handlers(app), "push")
    orphan = outbox.add(kind="push", payload={"case_id": 0, "event": "x", "seq": 1})
    db.session.commit()
    delivery.sweep()
    assert (skipped.outcome, orphan.outcome) == ("skipped", None)
    assert orphan.last_error == "no handler for effects of kind 'push'"


def test_flask_outbox_sweep_uses_the_apps_map(app, ctx, monkeypatch):
    seen = []
    monkeypatch.setitem(delivery.handlers(app), "push", lambda effect: seen.append(effect.id))
    effect = outbox.add(kind="push", payload={"case_id": 0, "event": "x", "seq": 1})
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["outbox", "sweep"])
    assert result.exit_code == 0 and "nothing due" in result.output   # no Redis: pushes are the server's
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    result = app.test_cli_runner().invoke(args=["outbox", "sweep"])
    assert result.exit_code == 0 and "delivered" in result.output
    db.session.refresh(effect)
    assert effect.id in seen and effect.outcome == "delivered"


def test_a_batch_of_case_changes_is_one_insert(as_user):
    cases = [db.session.get(Case, report(as_user("demo-resident-1"))["id"]) for _ in range(3)]
    inserts = []

    def count(_conn, _cursor, statement, *_):
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX_EFFECT"):
            inserts.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        outbox.cases_changed([(case, "overdue", 7) for case in cases])
        db.session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(inserts) == 1
    for case in cases:
        assert [(e.kind, e.payload) for e in effects_of(case_id=case.id)][-1] == (
            "push", {"case_id": case.id, "event": "overdue", "seq": 7})


def test_an_order_step_writes_one_push_and_a_message_per_person_told(shop):
    """"paid" is told to the resident and the provider (the audiences table): one message to
    the resident and one to each of the provider's staff, after the step's push."""
    order = shop.paid_order()
    placed = row(order["id"])
    effects = effects_of(order_id=order["id"])
    assert [(e.kind, e.payload) for e in effects if e.kind == "order_push"] == [
        ("order_push", {"order_id": order["id"], "event": "create", "seq": 1}),
        ("order_push", {"order_id": order["id"], "event": "pay", "seq": 2})]
    staff = access.provider_staff(placed.provider_id)
    assert staff
    told = [(e.recipient_id, e.payload) for e in effects if e.kind == "order_message"]
    assert sorted(told, key=lambda t: t[0]) == sorted(
        [(person, {"step": "order_update", "event": "paid", "order_id": order["id"]})
         for person in (placed.resident_id, *staff)], key=lambda t: t[0])
    pay_push = next(e for e in effects if e.payload.get("event") == "pay")
    assert all(e.id > pay_push.id for e in effects if e.kind == "order_message")
