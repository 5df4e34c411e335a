"""The one error shape: {"error": {"code", "message", "fields"}}."""
from __future__ import annotations

import logging

import marshmallow as ma
import redis
from flask import jsonify
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from backend.extensions import db
from backend.services.errors import DomainError

log = logging.getLogger("shaobao.errors")
HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large",
              415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
              500: "internal_error", 503: "unavailable"}


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "machine-readable reason"})
    message = ma.fields.String(required=True)
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(),
                            metadata={"description": "per-field problems, for 422"})


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


# How long a client waits before retrying what an outage refused (README: 503 means retry).
RETRY_AFTER_SECONDS = 5
# What every 404 says: the services' own texts may name a model or a table ("user_account
# 7 not found"), which tells a prober how the data is stored.
NOT_FOUND_MESSAGE = "not found, or not yours to see"


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    # Whatever a failed request flushed is dropped here, so nothing half-written can ride
    # along with a later commit in the same context.
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the database being gone is what is being answered)
        log.warning("rollback failed while answering an error", exc_info=True)
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response


def _flatten(problems, prefix: str, into: dict) -> None:
    """{"features": {0: {"properties": {"code": [...]}}}} -> {"features.0.properties.code": [...]}"""
    if isinstance(problems, dict):
        for key, value in problems.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), into)
    else:
        into[prefix or "_"] = problems


def _webargs_fields(messages) -> dict:
    """webargs nests problems by location ({"json": {...}}); the client wants the fields."""
    fields: dict = {}
    if not isinstance(messages, dict):
        return {"_": messages}
    for location, problems in messages.items():
        _flatten(problems, "" if isinstance(problems, dict) else location, fields)
    return fields


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if "messages" in data:
        return error_response(status, "invalid", "the request did not validate",
                              _webargs_fields(data["messages"]))
    message = NOT_FOUND_MESSAGE if status == 404 else error.description or error.name
    response = error_response(status, HTTP_CODES.get(status, "error"), message)
    for name, value in error.get_headers():
        if name.lower() in ("allow", "retry-after"):  # a 405 names what the route does allow
            response.headers[name] = value
    return response


def handle_domain_error(error: DomainError):
    message = NOT_FOUND_MESSAGE if error.code == "not_found" else error.message
    response = error_response(error.status, error.code, message, error.fields)
    if error.status == 503:   # WeChat busy or away: a phone retries after this, as for any outage
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def handle_data_error(error: DataError):
    """A value the schemas let through but the column cannot hold (a number out of its
    range, a text longer than it): the client's mistake, refused with nothing written."""
    log.warning("data error: %s", error.orig.__class__.__name__)
    return error_response(422, "invalid", "a value does not fit what is stored (too long or out of range)")


def handle_unavailable(error: Exception):
    """The database or Redis cannot be reached: nothing was done, try again shortly."""
    log.error("dependency unavailable: %s", type(error).__name__)
    response = error_response(503, "unavailable", "a service this needs is unreachable; retry shortly")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


# What an outage raises: the database driver's lost or refused connection (SQLAlchemy wraps
# it as OperationalError or InterfaceError; the pool's wait as TimeoutError), Redis's.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, redis.exceptions.ConnectionError,
               redis.exceptions.TimeoutError)


def handle_integrity_error(error: IntegrityError):
    """A unique key lost a race that the service's own check could not see coming."""
    log.warning("integrity error: %s", error.orig.__class__.__name__)
    return error_response(409, "conflict", "the change conflicts with another one; reload and retry")


def handle_stale(error: StaleDataError):
    """Two requests changed one case at once; the one that lost sees the winner's version."""
    log.info("stale update refused: %s", type(error).__name__)
    return error_response(409, "stale", "the case changed since you read it; reload and try again")


def handle_unexpected(error: Exception):
    log.exception("unhandled error")
    return error_response(500, "internal_error", "something went wrong on our side")
