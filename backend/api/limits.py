"""Abuse limits: one table says which endpoint spends which limit setting, keyed by what.

Flask-Limiter counts in Redis when REDIS_URL is set (every worker and process shares the
counts), in memory otherwise. A limit that is breached answers 429 in the one error shape
with Retry-After. Counting never makes a request fail: when Redis cannot be reached the
counts move to this process's memory until it answers again, and any other storage error is
logged and the request served.

The client address is the peer's, unless TRUSTED_PROXY_COUNT says how many proxies of ours
stand in front (then X-Forwarded-For, as far back as those proxies wrote it): trusting the
header blindly would let anyone choose the address they are counted under."""
from __future__ import annotations

import math
import re
import time
from collections.abc import Callable

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_qualified_name
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.api import errors
from backend.services.people.api_clients import hash_key

# Kept in Redis under this prefix (beside the WeChat token and Socket.IO's channel).
KEY_PREFIX = "shaobao"
# Redis for counting must answer at once; a slow one loses to the in-memory fallback.
REDIS_TIMEOUT_SECONDS = 1.0


def by_address() -> str:
    return f"address:{request.remote_addr or 'unknown'}"


def by_user() -> str:
    """The bearer token's user (authenticate_request ran before any view); the address for
    a route that answers without one."""
    user = getattr(g, "user", None)
    return f"user:{user.id}" if user is not None else by_address()


def by_api_key() -> str:
    """The API client, by its key's hash (the key itself is never stored); without a key,
    the address (the view then refuses it)."""
    key = request.headers.get("X-Api-Key", "")
    return f"api_key:{hash_key(key)}" if key else by_address()


# endpoint -> (the setting holding its limit, whose requests count together). Endpoints
# naming one setting share one count (an application and its resubmission).
LIMITED: dict[str, tuple[str, Callable[[], str]]] = {
    "mp_auth.login": ("LIMIT_LOGIN", by_address),
    "mp_cases.report": ("LIMIT_REPORTS", by_user),
    "mp_photos.upload": ("LIMIT_PHOTOS", by_user),
    "mp_cases.support": ("LIMIT_SUPPORT", by_user),
    "mp_cases.similar": ("LIMIT_SIMILAR", by_user),
    "mp_orders.create": ("LIMIT_ORDERS", by_user),
    "mp_orders.pay": ("LIMIT_PAYMENTS", by_user),
    "mp_providers.apply": ("LIMIT_PROVIDER_APPLICATIONS", by_user),
    "mp_providers.resubmit": ("LIMIT_PROVIDER_APPLICATIONS", by_user),
    "console_cases.machine_intake": ("LIMIT_INTAKE", by_api_key),
}


def register(app: Flask) -> Limiter:
    """After the blueprints: wrap each listed view in its limit, and answer breaches."""
    if app.config["TRUSTED_PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXY_COUNT"])
    redis_url = app.config["REDIS_URL"]
    limiter = Limiter(
        by_address, app=app, key_prefix=KEY_PREFIX, strategy="moving-window",
        storage_uri=redis_url or "memory://",
        storage_options={"socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                         "socket_timeout": REDIS_TIMEOUT_SECONDS} if redis_url else {},
        in_memory_fallback_enabled=True, swallow_errors=True, headers_enabled=False)
    for endpoint, (setting, key) in LIMITED.items():
        app.view_functions[endpoint] = limiter.shared_limit(
            _configured(setting), scope=setting, key_func=key)(_view(app, endpoint))
    app.register_error_handler(RateLimitExceeded, _refuse)
    app.extensions["shaobao_limiter"] = limiter
    _document(app)
    return limiter


def _view(app: Flask, endpoint: str):
    """The endpoint's view; Flask-Limiter files a limit under the view's qualified name, so
    two limited views sharing one (routes added by a function, for both faces) would get
    each other's limits."""
    view = app.view_functions.get(endpoint)
    if view is None:
        raise LookupError(f"backend/api/limits.py limits {endpoint}, which is no endpoint")
    named = get_qualified_name(view)
    twins = [e for e in LIMITED if e != endpoint and e in app.view_functions
             and get_qualified_name(app.view_functions[e]) == named]
    if twins:
        raise LookupError(f"{endpoint} and {twins[0]} share the view name {named}: give them their own")
    return view


def _configured(setting: str) -> Callable[[], str]:
    """Read at each request, so a test can change it; empty means no limit."""
    return lambda: current_app.config[setting]


def _refuse(error: RateLimitExceeded):
    retry = retry_after_seconds()
    response = errors.error_response(
        429, "rate_limited", f"too many requests: at most {error.limit.limit}; retry in {retry} s")
    response.headers["Retry-After"] = str(retry)
    return response


def retry_after_seconds() -> int:
    """Whole seconds until the breached limit lets one more request through (at least 1)."""
    limiter: Limiter = current_app.extensions["shaobao_limiter"]
    breached = limiter.current_limit
    try:
        reset_at = breached.reset_at if breached is not None else time.time() + 1
    except Exception:   # noqa: BLE001  (storage gone since the breach: a guess beats a 500)
        reset_at = time.time() + 60
    return max(1, math.ceil(reset_at - time.time()))


def _document(app: Flask) -> None:
    """The OpenAPI document: a 429 answer, with Retry-After, on every limited operation."""
    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    paths = api.spec.to_dict()["paths"]
    for endpoint in LIMITED:
        for rule in app.url_map.iter_rules(endpoint):
            path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                operation = paths.get(path, {}).get(method.lower())
                if operation is not None:
                    operation.setdefault("responses", {})["429"] = TOO_MANY_REQUESTS


TOO_MANY_REQUESTS = {
    "description": "too many requests (error code rate_limited): wait Retry-After seconds",
    "headers": {"Retry-After": {"description": "seconds until a request may succeed",
                                "schema": {"type": "integer", "minimum": 1}}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}

