"""Builders for the money tests: providers, orders and their ledger movements written with
the ORM and the ledger service directly (the order flow has its own tests)."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Grant, Offering, Order, Provider, Refund, Region, Settlement, User
from backend.services.finance import ledger

_serial = itertools.count(1)
COUNTY = "140730"
COMMUNITY = "140730001001"


def user(openid: str) -> User:
    return db.session.scalar(sa.select(User).where(User.openid == openid))


def region(code: str) -> Region:
    return db.session.scalar(sa.select(Region).where(Region.code == code))


def provider(name: str = "颐养助老服务社", staff_openid: str | None = None) -> Provider:
    """An approved provider with a sub-merchant number; staff_openid (a new user) staffs it."""
    n = next(_serial)
    found = Provider(name=name, credit_code=f"91140730FN{n:06d}{n % 10}X", contact_name="刘芳",
                     contact_phone="13700002222", categories=["elderly_care"], status="approved",
                     sub_mchid=f"1990{n:06d}", applicant_id=user("demo-resident-1").id)
    db.session.add(found)
    db.session.flush()
    if staff_openid:
        staff = User(openid=staff_openid, name="服务社职员", phone=f"1370000{n:04d}")
        db.session.add(staff)
        db.session.flush()
        db.session.add(Grant(user_id=staff.id, role="provider_staff", provider_id=found.id))
    db.session.add(Offering(provider_id=found.id, title="上门助浴", category="elderly_care",
                            price_fen=100, unit="visit", status="listed"))
    db.session.flush()
    return found


def order(prov: Provider, amount_fen: int, *, region_code: str = COMMUNITY, resident: str = "demo-resident-1",
          state: str = "created") -> Order:
    n = next(_serial)
    offering_id = db.session.scalar(sa.select(Offering.id).where(Offering.provider_id == prov.id).limit(1))
    where = region(region_code)
    made = Order(out_trade_no=f"SBT{n:010d}{prov.id:04d}", client_id=f"fin-{n}", resident_id=user(resident).id,
                 offering_id=offering_id, provider_id=prov.id, region_id=where.id, region_path=where.path,
                 address="凤鸣路1号", title="上门助浴", quantity=1, unit_price_fen=amount_fen, amount_fen=amount_fen,
                 state=state, pay_expires_at=datetime.now(UTC) + timedelta(minutes=30))
    db.session.add(made)
    db.session.flush()
    return made


def pay(made: Order, at: datetime, transaction_id: str | None = None, ledger_fen: int | None = None) -> Order:
    """Credit the whole amount as WeChat would: payment movement, paid_at = success time."""
    made.transaction_id = transaction_id or f"4200{made.id:024d}"
    made.paid_fen, made.paid_at, made.state = made.amount_fen, at, "paid"
    ledger.record(made, "payment", made.transaction_id, ledger_fen or made.amount_fen)
    db.session.flush()
    return made


def refund(made: Order, amount_fen: int, at: datetime, status: str = "success") -> Refund:
    """A refund in the given final status, settled at `at` (success moves the money)."""
    number = len(made.refunds) + 1
    found = Refund(order_id=made.id, out_refund_no=f"{made.out_trade_no}R{number}", amount_fen=amount_fen,
                   reason="test", status=status, created_at=at,
                   settled_at=at if status in ("success", "closed", "abnormal") else None)
    made.refunds.append(found)
    if status == "success":
        found.refund_id = f"5030{found.order_id:010d}{number:04d}"
        made.refunded_fen += amount_fen
        ledger.record(made, "refund", found.out_refund_no, amount_fen)
    elif status in ("requested", "processing"):
        made.refund_pending_fen += amount_fen
    db.session.flush()
    return found


def settle(made: Order, fee_bp: int = 500) -> Settlement:
    """Share what is left: the fee rounded down (a fraction of a fen stays with the provider)."""
    amount = made.unrefunded_fen
    fee = amount * fee_bp // 10_000
    found = Settlement(order_id=made.id, provider_id=made.provider_id, out_order_no=f"{made.out_trade_no}S",
                       provider_fen=amount - fee, fee_fen=fee, status="finished")
    db.session.add(found)
    if fee:
        ledger.record(made, "platform_fee", found.out_order_no, fee)
    ledger.record(made, "profit_share", found.out_order_no, amount - fee)
    db.session.flush()
    return found
