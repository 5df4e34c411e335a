"""A resident's orders for social services: order, pay, follow, confirm and rate, cancel,
dispute."""
from __future__ import annotations

from flask import g

from backend.api import order_schemas as shared
from backend.api.blueprint import Blueprint
from backend.api.order_routes import add_order_routes, detail
from backend.api.schemas import ID
from backend.extensions import db
from backend.services import runtime
from backend.services.errors import Conflict
from backend.services.orders import actions, payments
from miniprogram_api import order_schemas as schemas

blp = Blueprint("mp_orders", __name__, url_prefix="/api/mp/orders",
                description="Order, pay for and follow social services")


@blp.route("", methods=["POST"])
@blp.arguments(schemas.OrderCreateSchema)
@blp.response(201, shared.OrderDetailSchema)
@blp.alt_response(200, schema=shared.OrderDetailSchema,
                  description="a retry with a client_id already used: the first order")
def create(body):
    """Order a service where you live; pay within ORDER_PAY_MINUTES (POST .../payment)."""
    order, created = actions.create(g.user.id, body)
    db.session.commit()
    return detail(g.viewer, order.id), 201 if created else 200


@blp.route(f"/<{ID}:order_id>/payment", methods=["POST"])
@blp.response(200, schemas.PaymentParamsSchema)
def pay(order_id):
    """The parameters for wx.requestPayment (a JSAPI prepay at WeChat Pay, made once per
    order). The result comes by WeChat Pay's notification: follow the order for it."""
    checkout = payments.checkout(g.viewer, order_id)
    db.session.commit()   # no transaction stays open during the call to WeChat Pay
    prepay_id = checkout.prepay_id or payments.prepay(checkout)
    db.session.commit()
    if prepay_id is None:
        raise Conflict("this order is not waiting for payment", code="not_payable")
    return runtime.pay().payment_params(prepay_id)

add_order_routes(blp, mine=True)
