"""The signed-in user: profile, grants, phone binding."""
from __future__ import annotations

from flask import g

from backend.api.auth import wechat
from backend.api.blueprint import Blueprint
from backend.api.schemas import UserSchema
from backend.extensions import db
from backend.services.people import auth, subscriptions
from miniprogram_api.schemas import CodeSchema, PhoneBoundSchema, SubscribeResultSchema, SubscriptionsSchema

blp = Blueprint("mp_me", __name__, url_prefix="/api/mp/me", description="The signed-in user")


@blp.route("", methods=["GET"])
@blp.response(200, UserSchema)
def me():
    """The signed-in user, with a masked phone and their grants."""
    return g.user


@blp.route("/phone", methods=["POST"])
@blp.arguments(CodeSchema)
@blp.response(200, PhoneBoundSchema)
def bind_phone(body):
    """Bind the phone number from a getPhoneNumber code."""
    user, token = auth.bind_phone(wechat(), g.user, body["code"])
    db.session.commit()
    return {"user": user, "token": token}


@blp.route("/subscriptions", methods=["GET"])
@blp.response(200, SubscriptionsSchema)
def subscriptions_held():
    """The template id of each step (ask wx.requestSubscribeMessage for these) and how many
    messages of each the user has accepted and not yet received."""
    return {"templates": subscriptions.templates(), "available": subscriptions.counts(g.user.id)}


@blp.route("/subscriptions", methods=["POST"])
@blp.arguments(SubscribeResultSchema)
@blp.response(200, SubscriptionsSchema)
def subscriptions_accepted(body):
    """Report wx.requestSubscribeMessage's result: each "accept" allows one message."""
    available = subscriptions.record(g.user.id, body["results"])
    db.session.commit()
    return {"templates": subscriptions.templates(), "available": available}
