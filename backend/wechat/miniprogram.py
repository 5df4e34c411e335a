"""The project's mini-program server client: a thin layer over wechatpy 1.8.18.

What it adds to wechatpy, and why:
- every URL starts at ``api_base`` (configuration), so tests, scripts/run and the demo talk to
  the loopback simulator; wechatpy hard-codes api.weixin.qq.com for tokens and per API group;
- the access token comes from ``cgi-bin/stable_token``: ``cgi-bin/token`` retires the previous
  token on every call, so web, worker and scheduler processes would knock each other out;
- one retry after a token error, forcing a new token only when WeChat insists on the one it
  refused, because forcing retires the token every other process is using;
- two exception classes callers can act on: WeChatUnavailable (try again later) and
  WeChatError (WeChat said no), neither carrying the secret, a token or a requests URL;
- the token store (Redis, shared by the processes) being away is WeChatUnavailable too:
  callers already take a report with its check pending, or retry a message, on that.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

import redis
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

logger = logging.getLogger(__name__)

TOKEN_ERRCODES = (40001, 40014, 42001)   # invalid, not latest, expired
# -1 is "system busy"; 45011 is the per-minute limit, which clears by itself.
UNAVAILABLE_ERRCODES = (-1, 45011)


class WeChatError(Exception):
    """WeChat refused a call; ``errcode`` is WeChat's (None for a bad HTTP answer)."""

    def __init__(self, errcode: int | None, errmsg: str):
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg

    def __str__(self) -> str:
        return f"WeChat error {self.errcode}: {self.errmsg}"


class WeChatUnavailable(WeChatError):
    """WeChat could not answer now (busy, timeout, connection, HTTP 5xx): worth a retry later."""


class _ConfiguredClient(WeChatClient):
    """wechatpy's client with every URL under ``api_base`` and stable-token fetching."""

    def __init__(self, appid: str, secret: str, api_base: str, timeout: float,
                 session: SessionStorage | None):
        super().__init__(appid, secret, session=session, timeout=timeout, auto_retry=False)
        # Instance attributes: wechatpy builds its API groups per client, so this stays local.
        self.API_BASE_URL = f"{api_base}/cgi-bin/"
        self.wxa.API_BASE_URL = f"{api_base}/"
        self._stable_token_url = f"{api_base}/cgi-bin/stable_token"

    def fetch_access_token(self, force_refresh: bool = False) -> dict:
        body = {"grant_type": "client_credential", "appid": self.appid,
                "secret": self.secret, "force_refresh": force_refresh}
        # wechatpy's own fetch sends no timeout; a hung token call would hang every caller.
        res = self._http.post(self._stable_token_url, json=body, timeout=self.timeout)
        if res.status_code >= 400:
            raise WeChatClientException(None, None, client=self, request=res.request, response=res)
        result = self._handle_result(res)
        if not isinstance(result, dict) or "access_token" not in result:
            raise WeChatClientException(None, "no access_token in the answer", client=self)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        logger.info("wechat stable access token fetched for %s (force=%s, expires in %ss)",
                    self.appid, force_refresh, expires_in)
        return result


class MiniProgramClient:
    """The WeChat mini-program server APIs the project uses."""

    def __init__(self, appid: str, secret: str, api_base: str, timeout: float = 5.0,
                 session_storage: SessionStorage | None = None):
        api_base = api_base.rstrip("/")
        self._secret = secret
        self._wxa_base = f"{api_base}/"
        self._client = _ConfiguredClient(appid, secret, api_base, timeout, session_storage)
        # Every call goes to api_base: decide its proxy once from the environment (HTTPS_PROXY,
        # NO_PROXY) instead of requests re-reading the environment on every call (measured:
        # a third of the client's CPU per content check).
        http = self._client._http
        http.proxies = requests.utils.get_environ_proxies(api_base)
        http.trust_env = False
        http.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._client._http.close()

    def __repr__(self) -> str:
        return f"MiniProgramClient(appid={self._client.appid!r}, api_base={self._wxa_base!r})"

    def code_to_session(self, code: str) -> dict:
        """Exchange a wx.login code: ``{"openid", "unionid" (or None), "session_key"}``."""
        # jscode2session needs no access token, but wechatpy fetches one for every call: a
        # token outage would stop all logins. An access_token of None stops the fetch, and
        # requests drops None-valued parameters, so none is sent.
        params = {"appid": self._client.appid, "secret": self._secret, "js_code": code,
                  "grant_type": "authorization_code", "access_token": None}
        result = self._call("code_to_session", lambda: self._client.get(
            "sns/jscode2session", params=params, api_base_url=self._wxa_base))
        return {"openid": _need(result, "openid"), "unionid": result.get("unionid"),
                "session_key": _need(result, "session_key")}

    def phone_number(self, code: str) -> str:
        """Exchange a getPhoneNumber code for the number without country code."""
        result = self._call("phone_number", lambda: self._wxa_post(
            "wxa/business/getuserphonenumber", {"code": code}))
        return _need(_need(result, "phone_info"), "purePhoneNumber")

    def send_subscribe_message(self, openid: str, template_id: str, data: dict,
                               page: str | None = None) -> int:
        """Send one subscribe message (uses up one acceptance); returns WeChat's msgid."""
        result = self._call("send_subscribe_message", lambda: self._client.wxa.send_subscribe_message(
            openid, template_id, data, page))
        return int(_need(result, "msgid"))

    def msg_sec_check(self, openid: str, content: str, scene: int = 1) -> dict:
        """Content security v2 verdict: ``{"suggest": pass|review|risky, "label"}``."""
        body = {"version": 2, "openid": openid, "scene": scene, "content": content}
        result = self._call("msg_sec_check", lambda: self._wxa_post("wxa/msg_sec_check", body))
        verdict = _need(result, "result")
        return {"suggest": _need(verdict, "suggest"), "label": _need(verdict, "label")}

    def _wxa_post(self, endpoint: str, body: dict):
        # client.post() joins onto .../cgi-bin/; these two endpoints live at the root.
        return self._client.post(endpoint, data=body, api_base_url=self._wxa_base)

    def _call(self, name: str, operation: Callable[[], object]) -> dict:
        try:
            result = self._with_token_retry(operation)
        except WeChatClientException as exc:
            raise self._failed(name, self._translate(exc)) from None
        except requests.RequestException as exc:
            raise self._failed(name, WeChatUnavailable(None, f"{type(exc).__name__} calling WeChat")) from None
        except redis.RedisError as exc:
            message = f"the access token store is unreachable ({type(exc).__name__})"
            raise self._failed(name, WeChatUnavailable(None, message)) from None
        if not isinstance(result, dict):
            raise self._failed(name, WeChatUnavailable(None, "WeChat answered with something not JSON"))
        return result

    def _with_token_retry(self, operation: Callable[[], object]):
        try:
            return operation()
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRCODES:
                raise
        self._renew_token()
        return operation()

    def _renew_token(self) -> None:
        key = self._client.access_token_key
        refused = self._client.session.get(key)
        self._client.fetch_access_token()
        if self._client.session.get(key) == refused:
            self._client.fetch_access_token(force_refresh=True)

    def _translate(self, exc: WeChatClientException) -> WeChatError:
        if exc.errcode is None:
            status = getattr(exc.response, "status_code", None)
            if status is None or status >= 500:
                return WeChatUnavailable(None, exc.errmsg or f"HTTP {status}")
            return WeChatError(None, f"HTTP {status}")
        kind = WeChatUnavailable if exc.errcode in UNAVAILABLE_ERRCODES else WeChatError
        return kind(exc.errcode, self._scrub(str(exc.errmsg)))

    def _scrub(self, text: str) -> str:
        """WeChat's errmsg is foreign text: make sure no credential rides out inside it."""
        try:
            token = self._client.session.get(self._client.access_token_key)
        except redis.RedisError:
            token = None  # the store went away meanwhile: only the secret is left to scrub
        for secret in (self._secret, token):
            if secret:
                text = text.replace(secret, "***")
        return text

    @staticmethod
    def _failed(name: str, error: WeChatError) -> WeChatError:
        logger.info("wechat %s failed: %s", name, error)
        return error


def _need(result, key: str):
    if not isinstance(result, dict) or key not in result:
        raise WeChatError(None, f"WeChat's answer lacks {key}")
    return result[key]
