"""Socket clients of the hub, as the dispatchers' screens are: they hear every case of the
county and count what they hear. Each reconnects at once when its socket drops (a worker
killed, Redis gone) and keeps the times it was connected, and when the server told it to
resync (`resync_needed`, docs/realtime.md: its worker's link to Redis broke and is back,
so notices may have been lost; a screen then resyncs and refetches its list). A notice the
outbox marks delivered while a listener was connected, never heard and followed by no such
cue, is a lost push; one heard twice is a push delivered twice."""
from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass, field

import socketio


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Heard:
    """What one listener heard: (case_id, event, seq) notices, and when it was connected."""

    notices: Counter = field(default_factory=Counter)
    cues: list[dt.datetime] = field(default_factory=list)   # when `resync_needed` came
    connected: list[list[dt.datetime | None]] = field(default_factory=list)  # [from, to or None]
    drops: int = 0

    def was_connected(self, moment: dt.datetime, margin: dt.timedelta) -> bool:
        """Connected from before moment - margin until after moment + margin."""
        now = utcnow()
        return any(start + margin <= moment and moment + margin <= (end or now) for start, end in self.connected)

    def cued_after(self, moment: dt.datetime) -> bool:
        """Told to resync after moment, on the connection that was up at moment."""
        for start, end in self.connected:
            if start <= moment <= (end or utcnow()):
                return any(moment <= cue <= (end or utcnow()) for cue in self.cues)
        return False


class Listener(threading.Thread):
    def __init__(self, api: str, token: str, stop: threading.Event, number: int):
        super().__init__(daemon=True, name=f"listener-{number}")
        self.api, self.token, self.stop = api, token, stop
        self.heard = Heard()
        self._gone = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            client = socketio.Client(reconnection=False)
            client.on("case", self._notice)
            client.on("resync_needed", lambda *_: self.heard.cues.append(utcnow()))
            client.on("disconnect", lambda *reason: self._gone.set())
            self._gone.clear()
            try:
                client.connect(self.api, auth={"token": self.token}, transports=["websocket"], wait_timeout=10)
            except (socketio.exceptions.ConnectionError, OSError, ValueError):
                self.stop.wait(0.5)
                continue
            interval = [utcnow(), None]
            self.heard.connected.append(interval)
            while not self.stop.is_set() and not self._gone.wait(0.5):
                pass
            interval[1] = utcnow()
            if not self.stop.is_set():
                self.heard.drops += 1
            client.disconnect()

    def _notice(self, notice: dict) -> None:
        self.heard.notices[(notice.get("case_id"), notice.get("event"), notice.get("seq"))] += 1
