"""WeChat Pay's notifications (standard interop, no bearer token: the signature is the
credential). Answered within WeChat's 5 seconds: verify, record, apply under the order's
row lock, commit, answer. Only the status counts to WeChat: 204 received; 4xx "not taken"
(a forgery is not retried by WeChat; a genuine one we could not match is, and each retry is
answered the same way)."""
from __future__ import annotations

from flask import request

from backend.api.blueprint import Blueprint
from backend.extensions import db
from backend.services import runtime
from backend.services.orders import pay_notices

blp = Blueprint("pay_callbacks", __name__, url_prefix="/api/pay/notify",
                description="WeChat Pay API v3 notifications (payment and refund results)")


@blp.route("/<any(transaction, refund):kind>", methods=["POST"])
@blp.response(204)
def notify(kind):
    """A WeChat Pay notification: 204 when taken, the one error shape otherwise."""
    received = pay_notices.receive(runtime.pay(), kind, request.headers, request.get_data())
    db.session.commit()
    if received.error is not None:
        raise received.error
    return "", 204
