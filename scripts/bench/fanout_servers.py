"""The Socket.IO servers scripts/bench/fanout.py compares, as WSGI apps for gunicorn.

ours(): the real application (create_app: token checked at connect, rooms from the access
module) plus one bench-only event that calls push_case, the path the relay takes.
bare(mode): python-socketio with nothing of ours, the floor for the library in that mode.
"""
from __future__ import annotations

import os

import socketio


def bare(async_mode: str):
    sio = socketio.Server(async_mode=async_mode, transports=["websocket"])

    @sio.on("connect")
    def connect(sid, environ, auth=None):
        sio.enter_room(sid, "bench")

    @sio.on("bench_trigger")
    def trigger(sid, data):
        sio.emit("bench", data, to="bench")

    from backend.realtime.push import WithoutCompression
    return WithoutCompression(socketio.WSGIApp(sio))


def ours():
    from backend.app import create_app
    from backend.realtime.push import push_case

    app = create_app()
    case_id = int(os.environ["BENCH_CASE_ID"])

    def trigger(data):
        push_case(case_id, "bench", {"round": data["round"]})

    app.extensions["socketio"].on_event("bench_trigger", trigger)
    return app

