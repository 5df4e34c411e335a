"""Bearer authentication for the API faces: every /api/mp/ and /api/console/ route needs a
valid token, before its input is even parsed, unless the view is marked public."""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request

from backend.services import runtime
from backend.services.errors import NotAuthenticated
from backend.services.people import api_clients, auth

PROTECTED_PREFIXES = ("/api/mp/", "/api/console/")


def public(view):
    """Mark a view that answers without a token (login)."""
    view.public = True
    return view


def api_key(view):
    """A machine's view: the X-Api-Key header is checked before the body is parsed, so a
    missing or wrong key is a 401 whatever was sent. Place it right under the route."""
    @wraps(view)
    def checked(*args, **kwargs):
        g.api_client = api_clients.authenticate(request.headers.get("X-Api-Key", ""))
        return view(*args, **kwargs)
    return public(checked)


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
