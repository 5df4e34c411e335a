"""Socket.IO handlers, shared by both faces (docs/realtime.md is the client's guide).

connect    the bearer token from the auth payload {"token": ...} (or an Authorization
           header, for clients that can set one); refused with connect_error
           {message, data: {"error": {code, message, fields}}} when missing or not valid.
subscribe  {case_id, since?} -> refused unless the user may see the case; with since,
           replay what came after it. (Notices of every case the user may see come anyway.)
resync     {"<case_id>": last_seq, ...} -> for each case: the missed entries, or refetch.
Answers come back as the ack, in the one error shape on failure. Pushes are the "case"
event (backend.realtime.push.push_case); replays "case_log"; "refetch" tells a client to
GET a case again.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import marshmallow as ma
from flask import current_app, request
from flask_socketio import SocketIO, disconnect, emit, join_room, leave_room, rooms
from marshmallow import validate
from socketio.exceptions import ConnectionRefusedError as Refused

from backend.api.case_schemas import TimelineEntrySchema
from backend.api.schemas import Id
from backend.extensions import db
from backend.services import access, runtime
from backend.services.cases import feed
from backend.services.errors import DomainError, Invalid, NotAuthenticated, NotFound
from backend.services.people import auth

log = logging.getLogger("shaobao.sockets")
# The rooms access.socket_rooms hands out; a refresh leaves the ones no longer backed by a grant.
ACCESS_ROOM_PREFIXES = ("user:", "region:", "dept:", "platform:")
# What create_app hands in to call when a socket connects (the effects layer may not be
# imported from here: it imports the push module beside this one).
SERVING_HOOK = "shaobao.serving"


@dataclass(frozen=True)
class SocketSession:
    user_id: int
    token_id: int


class Registry:
    """This process's open sockets and the token each was opened with."""

    def __init__(self):
        self.sessions: dict[str, SocketSession] = {}
        self.sweeping = False

    def snapshot(self) -> dict[str, SocketSession]:
        return dict(self.sessions)


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


class SubscribeSchema(ma.Schema):
    case_id = Id(required=True)
    since = ma.fields.Integer(validate=validate.Range(min=0), load_default=None,
                              metadata={"description": "the last seq you saw: what came after is replayed"})


RESYNC = ma.fields.Dict(keys=Id(), values=ma.fields.Integer(required=True, validate=validate.Range(min=0)))


def _registry() -> Registry:
    return current_app.extensions["shaobao.sockets"]


def _token(payload) -> str:
    if isinstance(payload, dict) and isinstance(payload.get("token"), str) and payload["token"].strip():
        return payload["token"].strip()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    raise NotAuthenticated('send {"token": "<bearer token from POST /api/mp/auth/login>"} as the auth payload')


def on_connect(payload=None):
    try:
        user, token_row, _ = auth.authenticate(_token(payload))
    except NotAuthenticated as exc:
        log.info("socket refused code=%s", exc.code)
        raise Refused(exc.message, error_body(exc.code, exc.message)) from None
    except Exception:  # the database restarting: say so rather than drop the socket mutely
        log.exception("socket connect failed")
        message = "the service is unavailable; retry shortly"
        raise Refused(message, error_body("unavailable", message)) from None
    for room in access.socket_rooms(user):
        join_room(room)
    _registry().sessions[request.sid] = SocketSession(user.id, token_row.id)
    _start_sweep()
    serving = current_app.extensions.get(SERVING_HOOK)
    if serving is not None:  # this process serves sockets: its relay must run (delivery.serving)
        serving(current_app._get_current_object())
    log.info("socket connected user=%s", user.id)


def on_disconnect(reason=None):
    _registry().sessions.pop(request.sid, None)


def answering(handler):
    """Run a client event; failures come back as the ack, in the one error shape. A token
    that died since connect also ends the socket."""
    @functools.wraps(handler)
    def wrapped(data=None):
        try:
            return handler(data)
        except ma.ValidationError as exc:
            return error_body("invalid", "the event did not validate", _fields(exc.messages))
        except NotAuthenticated as exc:
            disconnect()
            return error_body(exc.code, exc.message)
        except DomainError as exc:
            return error_body(exc.code, exc.message, exc.fields)
        except Exception:
            log.exception("socket event %s failed", handler.__name__)
            return error_body("internal_error", "something went wrong on our side")
    return wrapped


def _fields(messages) -> dict:
    return messages if isinstance(messages, dict) else {"_": messages}


def _caller():
    """The socket's user as of now (token still valid), with the viewer its grants make."""
    session = _registry().sessions.get(request.sid)
    if session is None:
        raise NotAuthenticated("this socket is not authenticated")
    user = auth.token_user(session.token_id)
    _refresh_rooms(user)
    return access.viewer_for(user)


def _refresh_rooms(user) -> None:
    """Join rooms of grants given since connect; leave those of grants taken back (hygiene:
    a push never names a removed grant's room anyway)."""
    wanted = set(access.socket_rooms(user))
    held = {r for r in rooms() if r.startswith(ACCESS_ROOM_PREFIXES)}
    for room in held - wanted:
        leave_room(room)
    for room in wanted - held:
        join_room(room)


def _deliver(answer: dict) -> dict:
    """Send a resync answer's entries (or its refetch) to this socket; return the summary."""
    entries = answer.pop("entries", None)
    if entries is not None:
        for entry in entries:
            emit("case_log", {"case_id": answer["case_id"], **TimelineEntrySchema().dump(entry)},
                 to=request.sid, ignore_queue=True)
        answer["replayed"] = len(entries)
    elif answer["status"] == "refetch":
        emit("refetch", {k: answer[k] for k in ("case_id", "seq", "state", "version", "reason")},
             to=request.sid, ignore_queue=True)
    return answer


@answering
def on_subscribe(data):
    body = SubscribeSchema().load(data if isinstance(data, dict) else {})
    viewer = _caller()
    case_id = body["case_id"]
    since = body["since"] if body["since"] is not None else feed.latest(case_id)[0]
    answer = feed.resync_one(viewer, case_id, since, runtime.setting("RESYNC_MAX_ENTRIES"))
    if answer["status"] == "not_found":
        raise NotFound(f"case {case_id} not found")
    return {"subscribed": case_id, **_deliver(answer)}


@answering
def on_resync(data):
    wanted = RESYNC.deserialize(data if isinstance(data, dict) else {})
    limit = runtime.setting("RESYNC_MAX_CASES")
    if len(wanted) > limit:
        raise Invalid(f"resync at most {limit} cases at once", fields={"_": [f"more than {limit} cases"]})
    viewer = _caller()
    most = runtime.setting("RESYNC_MAX_ENTRIES")
    return {"cases": [_deliver(feed.resync_one(viewer, case_id, seq, most))
                      for case_id, seq in sorted(wanted.items())]}


# --- ending sessions ---------------------------------------------------------------------

def _start_sweep() -> None:
    registry = _registry()
    if not registry.sweeping:
        registry.sweeping = True
        socketio = current_app.extensions["socketio"]
        socketio.start_background_task(_sweep, current_app._get_current_object(), socketio)


def _sweep(app, socketio: SocketIO) -> None:
    """Close sockets whose token was revoked or expired (or whose user was disabled) since
    they connected, every SOCKET_RECHECK_SECONDS, with one query for all of this process's."""
    registry: Registry = app.extensions["shaobao.sockets"]
    while True:
        socketio.sleep(app.config["SOCKET_RECHECK_SECONDS"])
        sessions = registry.snapshot()
        if not sessions:
            continue
        try:
            with app.app_context():
                dead = auth.dead_tokens({s.token_id for s in sessions.values()})
                db.session.remove()
        except Exception:  # the database may be restarting: try again next round
            log.exception("socket sweep failed")
            continue
        for sid, session in sessions.items():
            if session.token_id in dead:
                log.info("socket closed: token no longer valid user=%s", session.user_id)
                socketio.server.disconnect(sid, namespace="/", ignore_queue=True)


def register(socketio: SocketIO, app) -> None:
    app.extensions["shaobao.sockets"] = Registry()
    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", on_disconnect)
    socketio.on_event("subscribe", on_subscribe)
    socketio.on_event("resync", on_resync)
