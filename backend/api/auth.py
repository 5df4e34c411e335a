"""Bearer authentication for the API faces: every /api/mp/ and /api/console/ route needs a
valid token, before its input is even parsed, unless the view is marked public."""
from __future__ import annotations

from flask import current_app, g, request

from backend.services import runtime
from backend.services.errors import NotAuthenticated
from backend.services.people import auth

PROTECTED_PREFIXES = ("/api/mp/", "/api/console/")


def public(view):
    """Mark a view that answers without a token (login)."""
    view.public = True
    return view


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send Authorization: Bearer <token> from POST /api/mp/auth/login")
    return token.strip()


def authenticate_request():
    """before_request: resolve the token and the viewer (from the grants as they are now).
    Unknown routes under the prefixes answer 401 too, so routes are not probed anonymously."""
    if not request.path.startswith(PROTECTED_PREFIXES):
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "public", False):
        return
    g.user, g.token_row, g.viewer = auth.authenticate(bearer_token())


def wechat():
    """The mini-program client create_app built (pointed at WeChat or the simulator)."""
    return runtime.wechat()
