"""WeChat's error envelope: HTTP 200 with ``{"errcode", "errmsg"}``.

Real errmsg values carry a trailing ``rid: ...`` request id that changes on every call; the
simulator adds one too so that no client comes to depend on matching errmsg text.
"""
from __future__ import annotations

import secrets

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40029: "invalid code",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    40163: "code been used",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    43101: "user refuse to accept the msg",
    45009: "reach max api daily quota limit",
    47001: "data format error",
    47003: "argument invalid!",
}


class WxFailure(Exception):
    """A WeChat error answer; raised anywhere in the simulator, rendered by one handler."""

    def __init__(self, errcode: int, detail: str = ""):
        super().__init__(errcode, detail)
        self.errcode = errcode
        self.detail = detail

    def body(self) -> dict:
        text = ERRMSG[self.errcode]
        if self.detail:
            text = f"{text} {self.detail}"
        return {"errcode": self.errcode, "errmsg": f"{text} rid: {new_rid()}"}


def new_rid() -> str:
    return "-".join(secrets.token_hex(4) for _ in range(3))
