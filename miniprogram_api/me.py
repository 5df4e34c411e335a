"""The signed-in user: profile, grants, phone binding."""
from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from backend.extensions import db
from backend.services import auth
from backend.web.auth import wechat
from backend.web.schemas import UserSchema
from miniprogram_api.schemas import CodeSchema, PhoneBoundSchema

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
