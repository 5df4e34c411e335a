"""Login with a wx.login code; logout."""
from __future__ import annotations

from flask import g

from backend.api.auth import public, wechat
from backend.api.blueprint import Blueprint
from backend.extensions import db
from backend.services.people import auth
from miniprogram_api.schemas import CodeSchema, LoginResultSchema

blp = Blueprint("mp_auth", __name__, url_prefix="/api/mp/auth", description="Mini-program login")


@blp.route("/login", methods=["POST"])
@blp.arguments(CodeSchema)
@blp.response(200, LoginResultSchema)
@blp.doc(security=[])
@public
def login(body):
    """Exchange a wx.login code for a bearer token (a new WeChat user becomes a resident)."""
    user, token, row = auth.login(wechat(), body["code"])
    db.session.commit()
    return {"token": token, "expires_at": row.expires_at, "user": user}


@blp.route("/logout", methods=["POST"])
@blp.response(204)
def logout():
    """Revoke the token this request was made with."""
    auth.logout(g.token_row)
    db.session.commit()
