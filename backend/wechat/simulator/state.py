"""The simulator's world, in memory: apps, codes, tokens, subscriptions, sent messages.

Every rule that WeChat applies to these (code lifetime and single use, token lifetime and
refresh, one message per accepted subscription, a daily send quota) lives here, so the HTTP
modules only parse and render. One lock guards it all: the simulator is served threaded and
tests hit it concurrently. Time comes from an injectable clock with an offset that tests
advance instead of sleeping.
"""
from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass

from .errors import WxFailure
from .faults import FaultTable

CODE_TTL = 300          # wx.login and getPhoneNumber codes live five minutes
TOKEN_TTL = 7200
TOKEN_GRACE = 300       # WeChat keeps a replaced token usable this long, for a smooth hand-over
STABLE_EARLY = 300      # stable_token renews this long before expiry on its own
CHINA_OFFSET = 8 * 3600  # WeChat's daily quotas roll over at midnight Beijing time
FIRST_MSGID = 2_100_000_000_000_000_000  # real msgids need 64 bits; catch 32-bit columns


class Clock:
    """Wall time plus an offset that only moves forward."""

    def __init__(self, base=None):
        self._base = base or time.time
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._base() + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0


@dataclass
class Code:
    appid: str
    issued_at: float
    subject: dict       # openid/unionid for a login, phone for a phone code
    used: bool = False


@dataclass
class Token:
    appid: str
    kind: str           # "basic" (cgi-bin/token) or "stable": WeChat keeps them apart
    expires_at: float
    replaced_until: float | None = None


def _random(prefix: str, nbytes: int) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


class World:
    """All simulator state for one process; methods raise WxFailure as WeChat would answer."""

    def __init__(self, clock: Clock, risky_words: dict[str, int], subscribe_daily_quota: int):
        self.clock = clock
        self.risky_words = risky_words
        self.subscribe_daily_quota = subscribe_daily_quota
        self.faults = FaultTable()
        self.primary_appid: str | None = None
        self._apps: dict[str, str] = {}
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._clear()

    def _clear(self) -> None:
        self._codes: dict[str, Code] = {}
        self._phone_codes: dict[str, Code] = {}
        self._tokens: dict[str, Token] = {}
        self._current: dict[tuple[str, str], str] = {}
        self._openids: set[tuple[str, str]] = set()
        self._subscriptions: Counter = Counter()
        self._sent_per_day: Counter = Counter()
        self._messages: list[dict] = []
        self._calls: Counter = Counter()
        self._msgids = itertools.count(FIRST_MSGID)

    def add_app(self, appid: str, secret: str) -> None:
        with self._lock:
            self._apps[appid] = secret
            self.primary_appid = self.primary_appid or appid

    def has_app(self, appid: str) -> bool:
        with self._lock:
            return appid in self._apps

    def reset(self) -> None:
        """Forget everything but the apps; wake any request held by a timeout fault."""
        with self._lock:
            self._clear()
            self.faults.clear()
            self.clock.reset()
            self._wake.set()
            self._wake = threading.Event()

    def wait(self, seconds: float) -> None:
        """Sleep for a timeout fault; a reset ends it early so servers stop promptly."""
        with self._lock:
            wake = self._wake
        wake.wait(seconds)

    # -- credentials -------------------------------------------------------------------

    def check_app(self, appid: str | None, secret: str | None) -> None:
        if not appid:
            raise WxFailure(41002)
        with self._lock:
            expected = self._apps.get(appid)
        if expected is None:
            raise WxFailure(40013)
        if not secret:
            raise WxFailure(41004)
        if not secrets.compare_digest(secret.encode(), expected.encode()):
            raise WxFailure(40125)

    def basic_token(self, appid: str) -> tuple[str, int]:
        """cgi-bin/token: every call mints a new token and retires the previous one."""
        with self._lock:
            return self._mint(appid, "basic"), TOKEN_TTL

    def stable_token(self, appid: str, force_refresh: bool) -> tuple[str, int]:
        """cgi-bin/stable_token: the same token while it has life left, unless forced."""
        with self._lock:
            now = self.clock.now()
            value = self._current.get((appid, "stable"))
            token = self._tokens.get(value)
            if token and not force_refresh and token.expires_at - now > STABLE_EARLY:
                return value, int(token.expires_at - now)
            return self._mint(appid, "stable"), TOKEN_TTL

    def _mint(self, appid: str, kind: str) -> str:
        now = self.clock.now()
        old = self._tokens.get(self._current.get((appid, kind)))
        if old and old.expires_at > now:
            old.replaced_until = min(old.expires_at, now + TOKEN_GRACE)
        value = _random("SIM_", 96)
        self._tokens[value] = Token(appid, kind, now + TOKEN_TTL)
        self._current[(appid, kind)] = value
        return value

    def app_for_token(self, value: str | None) -> str:
        """The appid a request acts for, or the error WeChat gives for its access_token."""
        if not value:
            raise WxFailure(41001)
        with self._lock:
            token = self._tokens.get(value)
            now = self.clock.now()
            if token is None:
                raise WxFailure(40001)
            if now >= token.expires_at:
                raise WxFailure(42001)
            if token.replaced_until is not None and now >= token.replaced_until:
                raise WxFailure(40001)
            return token.appid

    # -- codes ---------------------------------------------------------------------------

    def issue_login_code(self, openid: str, unionid: str | None, appid: str | None = None) -> str:
        """What wx.login gives the phone; the openid becomes a user of the app."""
        appid = appid or self.primary_appid
        with self._lock:
            self._openids.add((appid, openid))
            code = _random("", 24)
            self._codes[code] = Code(appid, self.clock.now(), {"openid": openid, "unionid": unionid})
            return code

    def redeem_login_code(self, appid: str, code: str | None) -> dict:
        """jscode2session: the login's openid (and unionid), with a fresh session_key."""
        with self._lock:
            subject = self._redeem(self._codes, appid, code, used_errcode=40163)
        session = {"openid": subject["openid"], "session_key": _random("", 18)}
        if subject["unionid"]:
            session["unionid"] = subject["unionid"]
        return session

    def issue_phone_code(self, phone: str, appid: str | None = None) -> str:
        """What the getPhoneNumber button gives the phone."""
        with self._lock:
            code = _random("", 32)
            self._phone_codes[code] = Code(appid or self.primary_appid, self.clock.now(), {"phone": phone})
            return code

    def redeem_phone_code(self, appid: str, code: str | None) -> tuple[str, int]:
        """getuserphonenumber: the phone and when the user shared it."""
        with self._lock:
            entry = self._phone_codes.get(code or "")
            # WeChat answers a reused phone code with the same 40029 as an unknown one.
            subject = self._redeem(self._phone_codes, appid, code, used_errcode=40029)
            return subject["phone"], int(entry.issued_at)

    def _redeem(self, table: dict[str, Code], appid: str, code: str | None, used_errcode: int) -> dict:
        if not code:
            raise WxFailure(41008)
        entry = table.get(code)
        if entry is None or entry.appid != appid:
            raise WxFailure(40029)
        if entry.used:
            raise WxFailure(used_errcode)
        if self.clock.now() - entry.issued_at > CODE_TTL:
            raise WxFailure(40029)
        entry.used = True
        return entry.subject

    # -- users, subscriptions, messages ------------------------------------------------

    def require_user(self, appid: str, openid: str | None) -> None:
        with self._lock:
            if not openid or (appid, openid) not in self._openids:
                raise WxFailure(40003)

    def is_user(self, openid: str, appid: str | None = None) -> bool:
        with self._lock:
            return (appid or self.primary_appid, openid) in self._openids

    def subscribe(self, openid: str, template_id: str, count: int, appid: str | None = None) -> int:
        """The user accepted ``count`` messages of a template; returns how many are unused."""
        key = (appid or self.primary_appid, openid, template_id)
        with self._lock:
            self._subscriptions[key] += count
            return self._subscriptions[key]

    def send_subscribe_message(self, appid: str, message: dict) -> int:
        """Deliver one message: needs quota left today and an unused acceptance."""
        key = (appid, message["touser"], message["template_id"])
        with self._lock:
            today = (appid, int(self.clock.now() + CHINA_OFFSET) // 86400)
            if self._sent_per_day[today] >= self.subscribe_daily_quota:
                raise WxFailure(45009)
            if self._subscriptions[key] < 1:
                raise WxFailure(43101)
            self._subscriptions[key] -= 1
            self._sent_per_day[today] += 1
            msgid = next(self._msgids)
            self._messages.append({**message, "msgid": msgid, "sent_at": self.clock.now()})
            return msgid

    def messages(self, openid: str | None = None) -> list[dict]:
        with self._lock:
            return [dict(m) for m in self._messages if openid in (None, m["touser"])]

    # -- call log ------------------------------------------------------------------------

    def record_call(self, path: str) -> None:
        with self._lock:
            self._calls[path] += 1

    def calls(self) -> dict[str, int]:
        with self._lock:
            return dict(self._calls)
