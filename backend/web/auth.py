"""Bearer authentication for the API faces."""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request

from backend.services import access, auth
from backend.services.errors import NotAuthenticated


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send Authorization: Bearer <token> from POST /api/mp/auth/login")
    return token.strip()


def login_required(view):
    """Resolve the token and the viewer (from the grants as they are now) before the view."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        g.user, g.token_row = auth.authenticate(bearer_token())
        g.viewer = access.viewer_for(g.user)
        return view(*args, **kwargs)
    return wrapper


def wechat():
    """The mini-program client create_app built (pointed at WeChat or the simulator)."""
    return current_app.extensions["shaobao.wechat"]
