"""Headers every answer carries (register(app), one step of create_app).

- `X-Content-Type-Options: nosniff` on everything: a photo or a JSON answer is never run
  as a script or a page by a browser that guesses types.
- `Cache-Control: no-store` on every /api/ answer: nearly all of them are personal (cases,
  phones, photos served to handlers) and all but login need a token; nothing there is
  worth keeping in a shared or browser cache.
Banners are the server's: gunicorn (scripts/serve) sends a bare `Server: gunicorn`, no
version; a `Server` header set here would only be sent twice."""
from __future__ import annotations

from flask import Flask, Response, request


def _harden(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def register(app: Flask) -> None:
    app.after_request(_harden)
