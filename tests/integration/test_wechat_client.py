"""MiniProgramClient against the simulator served for real on 127.0.0.1."""
from __future__ import annotations

import logging
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from wechatpy.session.memorystorage import MemoryStorage

from backend.wechat.miniprogram import MiniProgramClient, WeChatError, WeChatUnavailable
from tests.integration.wechat_fixtures import APPID, SECRET

TEMPLATE = "tmpl-case-progress"
DATA = {"thing1": {"value": "路灯不亮"}, "phrase2": {"value": "已受理"}}
TOKEN_KEY = f"{APPID}_access_token"


def assert_leaks_nothing(error: Exception, *secrets: str) -> None:
    for text in (str(error), repr(error)):
        for secret in (SECRET, *secrets):
            assert secret not in text


def test_login_answers_openid_unionid_and_session_key(live_sim, mp_client):
    session = mp_client.code_to_session(live_sim.login("o_resident", unionid="u_zhang"))
    assert session["openid"] == "o_resident" and session["unionid"] == "u_zhang"
    assert session["session_key"]
    assert mp_client.code_to_session(live_sim.login("o_other"))["unionid"] is None


def test_a_used_code_is_a_wechat_error_not_an_outage(live_sim, mp_client):
    code = live_sim.login("o_resident")
    mp_client.code_to_session(code)
    with pytest.raises(WeChatError) as caught:
        mp_client.code_to_session(code)
    assert caught.value.errcode == 40163
    assert not isinstance(caught.value, WeChatUnavailable)
    assert_leaks_nothing(caught.value, code)


def test_an_expired_code_is_40029(live_sim, mp_client):
    code = live_sim.login("o_resident")
    live_sim.advance(301)
    with pytest.raises(WeChatError) as caught:
        mp_client.code_to_session(code)
    assert caught.value.errcode == 40029


def test_busy_wechat_is_unavailable_and_the_code_survives(live_sim, mp_client):
    code = live_sim.login("o_resident")
    live_sim.fault("/sns/jscode2session", "busy")
    with pytest.raises(WeChatUnavailable) as caught:
        mp_client.code_to_session(code)
    assert caught.value.errcode == -1
    assert mp_client.code_to_session(code)["openid"] == "o_resident"


def test_http_500_is_unavailable(live_sim, mp_client):
    live_sim.fault("/wxa/msg_sec_check", "http500")
    live_sim.login("o_resident")
    with pytest.raises(WeChatUnavailable) as caught:
        mp_client.msg_sec_check("o_resident", "小区路灯坏了")
    assert caught.value.errcode is None and "500" in caught.value.errmsg


def test_a_slow_wechat_is_unavailable_after_the_client_timeout(live_sim, client_factory):
    client = client_factory(timeout=0.3)
    code = live_sim.login("o_resident")
    live_sim.fault("/sns/jscode2session", "timeout", delay_seconds=30)
    with pytest.raises(WeChatUnavailable) as caught:
        client.code_to_session(code)
    assert caught.value.errcode is None
    assert_leaks_nothing(caught.value, code)


def test_login_needs_no_access_token_but_other_calls_do(live_sim, client_factory):
    client = client_factory(timeout=0.3)
    live_sim.fault("/cgi-bin/stable_token", "timeout", count=None, delay_seconds=30)
    # jscode2session takes appid and secret: a token outage must not stop logins.
    assert client.code_to_session(live_sim.login("o_resident"))["openid"] == "o_resident"
    assert "/cgi-bin/stable_token" not in live_sim.calls()
    with pytest.raises(WeChatUnavailable):
        client.phone_number(live_sim.phone_code("13812345678"))


def test_nothing_listening_is_unavailable_and_leaks_no_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = MiniProgramClient(APPID, SECRET, f"http://127.0.0.1:{port}", timeout=1.0)
    try:
        with pytest.raises(WeChatUnavailable) as caught:
            client.code_to_session("some-code")
    finally:
        client.close()
    assert "ConnectionError" in caught.value.errmsg
    assert_leaks_nothing(caught.value, "some-code")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_bad_credentials_are_wechat_errors(live_sim):
    client = MiniProgramClient(APPID, "not-the-secret", live_sim.url, timeout=2.0)
    try:
        with pytest.raises(WeChatError) as caught:
            client.msg_sec_check("o_resident", "你好")
    finally:
        client.close()
    assert caught.value.errcode == 40125
    assert_leaks_nothing(caught.value, "not-the-secret")


def test_phone_number(live_sim, mp_client):
    code = live_sim.phone_code("13800138000")
    assert mp_client.phone_number(code) == "13800138000"
    with pytest.raises(WeChatError) as caught:
        mp_client.phone_number(code)
    assert caught.value.errcode == 40029


def test_subscribe_message_needs_an_acceptance_per_message(live_sim, mp_client):
    live_sim.login("o_resident")
    with pytest.raises(WeChatError) as caught:
        mp_client.send_subscribe_message("o_resident", TEMPLATE, DATA)
    assert caught.value.errcode == 43101
    live_sim.subscribe("o_resident", TEMPLATE)
    msgid = mp_client.send_subscribe_message("o_resident", TEMPLATE, DATA, page="pages/case/detail?id=7")
    [message] = live_sim.messages("o_resident")
    assert message["msgid"] == msgid
    assert message["data"] == DATA and message["page"] == "pages/case/detail?id=7"
    with pytest.raises(WeChatError):
        mp_client.send_subscribe_message("o_resident", TEMPLATE, DATA)


def test_subscribe_message_to_a_stranger_is_40003(mp_client):
    with pytest.raises(WeChatError) as caught:
        mp_client.send_subscribe_message("o_stranger", TEMPLATE, DATA)
    assert caught.value.errcode == 40003


def test_msg_sec_check_tells_risky_from_pass(live_sim, mp_client):
    live_sim.login("o_resident")
    assert mp_client.msg_sec_check("o_resident", "小区东门路灯坏了", scene=2) == {"suggest": "pass", "label": 100}
    assert mp_client.msg_sec_check("o_resident", "帮人代开发票") == {"suggest": "risky", "label": 20008}


def test_one_token_serves_many_calls(live_sim, mp_client):
    live_sim.login("o_resident")
    mp_client.code_to_session(live_sim.login("o_resident"))
    mp_client.msg_sec_check("o_resident", "你好")
    mp_client.phone_number(live_sim.phone_code("13800138000"))
    calls = live_sim.calls()
    assert calls["/cgi-bin/stable_token"] == 1
    assert "/cgi-bin/token" not in calls


def test_the_token_lives_in_the_given_session_storage(live_sim, client_factory):
    storage = MemoryStorage()
    live_sim.login("o_resident")
    client_factory(session_storage=storage).msg_sec_check("o_resident", "你好")
    assert storage.get(TOKEN_KEY) == live_sim.token()


def test_an_expired_token_is_replaced_and_the_call_retried(live_sim, mp_client):
    live_sim.login("o_resident")
    mp_client.msg_sec_check("o_resident", "你好")
    live_sim.advance(7200)
    assert mp_client.msg_sec_check("o_resident", "你好")["suggest"] == "pass"
    assert live_sim.calls()["/cgi-bin/stable_token"] == 2


def test_processes_recover_from_a_refresh_without_knocking_each_other_out(live_sim, client_factory):
    live_sim.login("o_resident")
    stores = [MemoryStorage(), MemoryStorage()]
    first, second = (client_factory(session_storage=s) for s in stores)
    for client in (first, second):
        client.msg_sec_check("o_resident", "你好")
    shared = stores[0].get(TOKEN_KEY)
    assert stores[1].get(TOKEN_KEY) == shared

    newest = live_sim.token(force_refresh=True)   # a third process forced a new token
    first.msg_sec_check("o_resident", "你好")
    assert stores[0].get(TOKEN_KEY) == shared, "the old token still works for five minutes"

    live_sim.advance(301)
    for client in (first, second):
        client.msg_sec_check("o_resident", "你好")
    assert stores[0].get(TOKEN_KEY) == stores[1].get(TOKEN_KEY) == newest
    fetched = live_sim.calls()["/cgi-bin/stable_token"]
    first.msg_sec_check("o_resident", "你好")
    assert live_sim.calls()["/cgi-bin/stable_token"] == fetched


def test_logs_carry_no_secret_token_or_session_key(live_sim, mp_client, caplog):
    caplog.set_level(logging.DEBUG, logger="backend.wechat")
    caplog.set_level(logging.DEBUG, logger="wechatpy")
    live_sim.login("o_resident")
    session = mp_client.code_to_session(live_sim.login("o_resident"))
    live_sim.fault("/wxa/msg_sec_check", "busy")
    with pytest.raises(WeChatUnavailable):
        mp_client.msg_sec_check("o_resident", "你好")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "wechat msg_sec_check failed" in text
    for secret in (SECRET, live_sim.token(), session["session_key"]):
        assert secret not in text


def test_repr_shows_no_secret(live_sim, mp_client):
    assert SECRET not in repr(mp_client)


def test_concurrent_logins_through_one_client(live_sim, mp_client):
    openids = [f"o_worker_{n}" for n in range(12)]
    codes = [live_sim.login(openid) for openid in openids]
    with ThreadPoolExecutor(max_workers=6) as pool:
        sessions = list(pool.map(mp_client.code_to_session, codes))
    assert [s["openid"] for s in sessions] == openids
    assert len({s["session_key"] for s in sessions}) == len(openids)
