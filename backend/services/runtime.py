"""What the composition root (backend/app.py create_app) hands to the services: the
settings, the clock and the WeChat clients, held in one object bound to the app.

Services, effects and faces read them from here and nowhere else, so what a process runs
with is decided in one place, and a test swaps one attribute (a fixed clock, a client
pointed at another simulator) instead of patching globals in a dozen modules.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from backend.models.types import utcnow
from backend.wechat.miniprogram import MiniProgramClient
from backend.wechat.pay import PayClient, PayUnavailable

KEY = "shaobao.runtime"


@dataclass
class Runtime:
    settings: Mapping[str, Any]
    wechat: MiniProgramClient
    # None when WeChat Pay is off or its keys are missing: `pay_unavailable` says why, and
    # the money paths answer PayUnavailable (503) instead of failing at start-up.
    pay: PayClient | None = None
    pay_unavailable: str = "WeChat Pay is not configured"
    clock: Callable[[], datetime] = utcnow

    def pay_client(self) -> PayClient:
        if self.pay is None:
            raise PayUnavailable(self.pay_unavailable)
        return self.pay


def install(app: Flask, runtime: Runtime) -> None:
    app.extensions[KEY] = runtime


def of(app: Flask) -> Runtime:
    return app.extensions[KEY]


def current() -> Runtime:
    return current_app.extensions[KEY]


def setting(name: str) -> Any:
    return current().settings[name]


def wechat() -> MiniProgramClient:
    return current().wechat


def pay() -> PayClient:
    return current().pay_client()
