"""The WeChat simulator answers as WeChat does: paths, shapes, error codes, lifetimes."""
from __future__ import annotations

import re
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from backend.wechat.simulator import world_of
from tests.integration.wechat_fixtures import APPID, SECRET, SimDriver, in_process, simulator_app

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = "tmpl-case-progress"
GOOD_DATA = {"thing1": {"value": "路灯不亮"}, "phrase2": {"value": "已受理"}}


@pytest.fixture
def sim() -> SimDriver:
    """Here the simulator under test runs in process, on its own frozen clock: it stands in
    for the suite's live `sim` in this module."""
    return in_process(simulator_app())


def code2session(sim, js_code, appid=APPID, secret=SECRET, **extra):
    return sim.wx("GET", "/sns/jscode2session", appid=appid, secret=secret, js_code=js_code,
                  grant_type="authorization_code", **extra)


def send(sim, token, touser="o_resident", template_id=TEMPLATE, data=GOOD_DATA, **extra):
    body = {"touser": touser, "template_id": template_id, "data": data, **extra}
    return sim.wx("POST", "/cgi-bin/message/subscribe/send", json=body, access_token=token)


def sec_check(sim, token, content="小区路灯坏了", openid="o_resident", **overrides):
    body = {"version": 2, "openid": openid, "scene": 2, "content": content, **overrides}
    return sim.wx("POST", "/wxa/msg_sec_check", json=body, access_token=token)


def errcode(body) -> int:
    return body.get("errcode", 0)


# -- access tokens ---------------------------------------------------------------------

def test_token_answers_a_token_for_two_hours(sim):
    body = sim.wx("GET", "/cgi-bin/token", grant_type="client_credential", appid=APPID, secret=SECRET)
    assert set(body) == {"access_token", "expires_in"}
    assert body["expires_in"] == 7200 and len(body["access_token"]) >= 100


@pytest.mark.parametrize("params, expected", [
    ({"grant_type": "client_credential", "appid": "wx_other", "secret": SECRET}, 40013),
    ({"grant_type": "client_credential", "appid": APPID, "secret": "wrong"}, 40125),
    ({"grant_type": "password", "appid": APPID, "secret": SECRET}, 40002),
])
def test_token_refuses_bad_credentials(sim, params, expected):
    body = sim.wx("GET", "/cgi-bin/token", **params)
    assert errcode(body) == expected
    assert body["errmsg"]


@pytest.mark.parametrize("body, expected", [
    ({"grant_type": "client_credential", "appid": "wx_other", "secret": SECRET}, 40013),
    ({"grant_type": "client_credential", "appid": APPID, "secret": "wrong"}, 40125),
    ({"grant_type": "authorization_code", "appid": APPID, "secret": SECRET}, 40002),
    ({"grant_type": "client_credential", "appid": APPID, "secret": SECRET, "force_refresh": "yes"}, 47001),
])
def test_stable_token_refuses_bad_requests(sim, body, expected):
    assert errcode(sim.wx("POST", "/cgi-bin/stable_token", json=body)) == expected


def test_stable_token_is_stable_until_forced(sim):
    first = sim.token()
    assert sim.token() == first
    forced = sim.token(force_refresh=True)
    assert forced != first
    assert sim.token() == forced


def test_a_forced_refresh_leaves_the_old_token_usable_for_five_minutes(sim):
    sim.login("o_resident")
    old = sim.token()
    new = sim.token(force_refresh=True)
    sim.advance(299)
    assert errcode(sec_check(sim, old)) == 0
    sim.advance(2)
    assert errcode(sec_check(sim, old)) == 40001
    assert errcode(sec_check(sim, new)) == 0


def test_stable_token_renews_itself_in_its_last_five_minutes(sim):
    sim.login("o_resident")
    first = sim.token()
    sim.advance(7200 - 299)
    renewed = sim.token()
    assert renewed != first
    assert errcode(sec_check(sim, first)) == 0, "the old token lives out its two hours"
    sim.advance(300)
    assert errcode(sec_check(sim, first)) == 42001
    assert errcode(sec_check(sim, renewed)) == 0


def test_stable_token_counts_down_expires_in(sim):
    sim.token()
    sim.advance(1000)
    body = sim.wx("POST", "/cgi-bin/stable_token",
                  json={"grant_type": "client_credential", "appid": APPID, "secret": SECRET})
    assert body["expires_in"] == 6200


def test_basic_and_stable_tokens_do_not_retire_each_other(sim):
    sim.login("o_resident")
    stable = sim.token()
    for _ in range(2):
        sim.wx("GET", "/cgi-bin/token", grant_type="client_credential", appid=APPID, secret=SECRET)
    sim.advance(600)
    assert errcode(sec_check(sim, stable)) == 0


def test_a_new_basic_token_retires_the_previous_one_after_five_minutes(sim):
    sim.login("o_resident")
    get = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    old = sim.wx("GET", "/cgi-bin/token", **get)["access_token"]
    sim.wx("GET", "/cgi-bin/token", **get)
    assert errcode(sec_check(sim, old)) == 0
    sim.advance(301)
    assert errcode(sec_check(sim, old)) == 40001


@pytest.mark.parametrize("token, expected", [(None, 41001), ("", 41001), ("forged", 40001)])
def test_endpoints_check_the_access_token(sim, token, expected):
    sim.login("o_resident")
    params = {} if token is None else {"access_token": token}
    for path, body in [("/wxa/msg_sec_check", {"version": 2}), ("/wxa/business/getuserphonenumber", {}),
                       ("/cgi-bin/message/subscribe/send", {})]:
        assert errcode(sim.wx("POST", path, json=body, **params)) == expected, path


def test_an_expired_token_answers_42001(sim):
    token = sim.token()
    sim.advance(7200)
    assert errcode(sec_check(sim, token)) == 42001


def test_wrong_http_method_answers_wechat_codes(sim):
    assert errcode(sim.wx("GET", "/cgi-bin/stable_token")) == 43002
    assert errcode(sim.wx("POST", "/sns/jscode2session")) == 43001


# -- login -------------------------------------------------------------------------------

def test_code2session_answers_the_login(sim):
    body = code2session(sim, sim.login("o_resident"))
    assert body["openid"] == "o_resident"
    assert body["session_key"]
    assert "unionid" not in body and "errcode" not in body


def test_code2session_includes_a_unionid_only_when_there_is_one(sim):
    body = code2session(sim, sim.login("o_resident", unionid="u_zhang"))
    assert body["unionid"] == "u_zhang"


def test_code2session_ignores_an_access_token(sim):
    body = code2session(sim, sim.login("o_resident"), access_token="anything")
    assert body["openid"] == "o_resident"


def test_each_login_gets_a_new_session_key(sim):
    first = code2session(sim, sim.login("o_resident"))["session_key"]
    assert code2session(sim, sim.login("o_resident"))["session_key"] != first


def test_a_login_code_works_once(sim):
    code = sim.login("o_resident")
    code2session(sim, code)
    assert errcode(code2session(sim, code)) == 40163


def test_a_login_code_dies_after_five_minutes(sim):
    fresh, stale = sim.login("o_a"), sim.login("o_b")
    sim.advance(300)
    assert code2session(sim, fresh)["openid"] == "o_a"
    sim.advance(1)
    assert errcode(code2session(sim, stale)) == 40029


@pytest.mark.parametrize("overrides, expected", [
    ({"js_code": "never-issued"}, 40029),
    ({"appid": "wx_other"}, 40013),
    ({"secret": "wrong"}, 40125),
    ({"js_code": ""}, 41008),
])
def test_code2session_refuses(sim, overrides, expected):
    args = {"js_code": sim.login("o_resident"), "appid": APPID, "secret": SECRET, **overrides}
    assert errcode(code2session(sim, args.pop("js_code"), **args)) == expected


def test_a_refused_secret_does_not_use_up_the_code(sim):
    code = sim.login("o_resident")
    code2session(sim, code, secret="wrong")
    assert code2session(sim, code)["openid"] == "o_resident"


# -- phone number -------------------------------------------------------------------------

def test_phone_number_answers_phone_info(sim):
    token, code = sim.token(), sim.phone_code("13800138000")
    body = sim.wx("POST", "/wxa/business/getuserphonenumber", json={"code": code}, access_token=token)
    assert body["errcode"] == 0 and body["errmsg"] == "ok"
    assert body["phone_info"] == {
        "phoneNumber": "13800138000", "purePhoneNumber": "13800138000", "countryCode": "86",
        "watermark": {"timestamp": 1_790_000_000, "appid": APPID}}


@pytest.mark.parametrize("spoil", ["reuse", "expire", "unknown"])
def test_phone_codes_are_single_use_and_short_lived(sim, spoil):
    token, code = sim.token(), sim.phone_code("13800138000")
    ask = lambda c: sim.wx("POST", "/wxa/business/getuserphonenumber", json={"code": c}, access_token=token)  # noqa: E731
    if spoil == "reuse":
        ask(code)
    elif spoil == "expire":
        sim.advance(301)
    else:
        code = "never-issued"
    assert errcode(ask(code)) == 40029


# -- subscribe messages ---------------------------------------------------------------------

def test_a_message_without_acceptance_is_refused(sim):
    sim.login("o_resident")
    body = send(sim, sim.token())
    assert errcode(body) == 43101
    assert body["errmsg"].startswith("user refuse to accept the msg")


def test_one_acceptance_delivers_one_message(sim):
    sim.login("o_resident")
    token = sim.token()
    assert sim.subscribe("o_resident", TEMPLATE) == 1
    body = send(sim, token, page="pages/case/detail?id=7")
    assert body["errcode"] == 0 and body["errmsg"] == "ok" and isinstance(body["msgid"], int)
    assert body["msgid"] > 2**32, "msgids need 64-bit storage"
    assert errcode(send(sim, token)) == 43101
    [message] = sim.messages("o_resident")
    assert message["msgid"] == body["msgid"]
    assert message["data"] == GOOD_DATA and message["page"] == "pages/case/detail?id=7"
    assert message["miniprogram_state"] == "formal" and message["lang"] == "zh_CN"


def test_acceptances_count_per_template_and_accumulate(sim):
    sim.login("o_resident")
    token = sim.token()
    sim.subscribe("o_resident", TEMPLATE, count=2)
    assert errcode(send(sim, token, template_id="tmpl-other")) == 43101
    assert [errcode(send(sim, token)) for _ in range(3)] == [0, 0, 43101]
    assert len({m["msgid"] for m in sim.messages()}) == 2


def test_messages_to_strangers_are_refused(sim):
    assert errcode(send(sim, sim.token(), touser="o_never_logged_in")) == 40003


@pytest.mark.parametrize("data", [
    {"thing1": "路灯不亮"}, {"thing1": {"value": 3}}, {"thing1": {"value": ""}}, {}, None,
])
def test_badly_shaped_data_is_refused(sim, data):
    sim.login("o_resident")
    sim.subscribe("o_resident", TEMPLATE)
    assert errcode(send(sim, sim.token(), data=data)) == 47003


@pytest.mark.parametrize("field, value, accepted", [
    ("thing1", "东城街道幸福小区3号楼北侧路灯", True),
    ("thing1", "东城街道幸福小区3号楼北侧路灯不亮已经一周了", False),
    ("phrase2", "已受理", True), ("phrase2", "正在处理中了", False), ("phrase2", "OK", False),
    ("number3", "12.5", True), ("number3", "十二", False),
    ("character_string4", "SB-2026-000123", True), ("character_string4", "编号123", False),
    ("amount5", "¥35.00", True), ("amount5", "三十五元", False),
    ("name6", "张三", True), ("name6", "欧阳东方明月清风长空万里", False),
    ("time7", "2026年9月21日 15:01", True), ("custom8", "任意内容", True),
])
def test_data_values_must_fit_their_field_type(sim, field, value, accepted):
    sim.login("o_resident")
    sim.subscribe("o_resident", TEMPLATE)
    body = send(sim, sim.token(), data={field: {"value": value}})
    assert errcode(body) == (0 if accepted else 47003)
    if not accepted:
        assert f"data.{field}.value invalid" in body["errmsg"]


def test_bad_state_or_lang_is_refused(sim):
    sim.login("o_resident")
    token = sim.token()
    assert errcode(send(sim, token, miniprogram_state="production")) == 47003
    assert errcode(send(sim, token, lang="fr_FR")) == 47003


def test_the_daily_quota_stops_sends_until_midnight_beijing():
    sim = in_process(simulator_app(subscribe_daily_quota=2))
    sim.login("o_resident")
    token = sim.token()
    sim.subscribe("o_resident", TEMPLATE, count=5)
    assert [errcode(send(sim, token)) for _ in range(3)] == [0, 0, 45009]
    sim.advance(86400)
    token = sim.token()
    assert errcode(send(sim, token)) == 0


# -- content security ------------------------------------------------------------------------

def test_plain_content_passes(sim):
    sim.login("o_resident")
    body = sec_check(sim, sim.token())
    assert body["errcode"] == 0 and body["errmsg"] == "ok"
    assert body["result"] == {"suggest": "pass", "label": 100}
    assert body["trace_id"] and body["detail"][0]["strategy"] == "content_model"


def test_content_with_a_risky_word_is_risky(sim):
    sim.login("o_resident")
    body = sec_check(sim, sim.token(), content="楼下有人聚众赌博")
    assert body["result"] == {"suggest": "risky", "label": 20006}
    keyword = [d for d in body["detail"] if d["strategy"] == "keyword"]
    assert keyword[0]["keyword"] == "赌博"


def test_risky_words_are_configurable():
    sim = in_process(simulator_app(risky_words=["广告位招租"]))
    sim.login("o_resident")
    token = sim.token()
    assert sec_check(sim, token, content="广告位招租")["result"]["suggest"] == "risky"
    assert sec_check(sim, token, content="楼下有人赌博")["result"]["suggest"] == "pass"


@pytest.mark.parametrize("overrides", [
    {"version": 1}, {"version": None}, {"scene": 5}, {"scene": "2"}, {"content": ""},
    {"content": None}, {"openid": None},
])
def test_malformed_content_checks_answer_47001(sim, overrides):
    sim.login("o_resident")
    assert errcode(sec_check(sim, sim.token(), **overrides)) == 47001


def test_content_checks_need_a_known_openid(sim):
    assert errcode(sec_check(sim, sim.token(), openid="o_never_logged_in")) == 40003


def test_a_body_that_is_not_json_answers_47001(sim):
    sim.login("o_resident")
    client = sim.app.test_client()
    response = client.post(f"/wxa/msg_sec_check?access_token={sim.token()}", data=b"version=2")
    assert response.get_json()["errcode"] == 47001


# -- faults, clock, reset -----------------------------------------------------------------------

def test_a_busy_fault_answers_minus_one_then_clears(sim):
    code = sim.login("o_resident")
    sim.fault("/sns/jscode2session", "busy", count=1)
    busy = code2session(sim, code)
    assert busy["errcode"] == -1 and busy["errmsg"].startswith("system error")
    assert code2session(sim, code)["openid"] == "o_resident", "the busy answer used nothing up"


def test_an_http500_fault_answers_500(sim):
    sim.fault("/cgi-bin/stable_token", "http500", count=2)
    statuses = [sim.call("POST", "/cgi-bin/stable_token", json={})[0] for _ in range(3)]
    assert statuses == [500, 500, 200]


def test_a_wildcard_fault_hits_every_wechat_path_but_not_control(sim):
    sim.fault("*", "busy", count=None)
    assert errcode(sim.wx("GET", "/cgi-bin/token")) == -1
    assert errcode(sim.wx("POST", "/wxa/msg_sec_check", json={})) == -1
    sim.login("o_resident")
    assert len(sim.control("GET", "/sim/faults")["faults"]) == 1
    sim.control("DELETE", "/sim/faults")
    assert sim.token()


def test_a_timeout_fault_answers_normally_after_its_delay(sim):
    code = sim.login("o_resident")
    sim.fault("/sns/jscode2session", "timeout", delay_seconds=0.01)
    assert code2session(sim, code)["openid"] == "o_resident"
    assert sim.control("GET", "/sim/faults")["faults"] == []


@pytest.mark.parametrize("fault", [
    {"path": "sns", "mode": "busy"}, {"path": "*", "mode": "slow"},
    {"path": "*", "mode": "busy", "count": 0}, {"path": "*", "mode": "timeout", "delay_seconds": -1},
])
def test_malformed_faults_are_refused(sim, fault):
    status, body = sim.call("POST", "/sim/faults", json=fault)
    assert status == 400 and body["error"]


def test_calls_are_counted_per_path(sim):
    sim.token()
    sim.token()
    sim.fault("/cgi-bin/token", "busy")
    sim.wx("GET", "/cgi-bin/token")
    assert sim.calls() == {"/cgi-bin/stable_token": 2, "/cgi-bin/token": 1}


def test_the_clock_only_moves_forward(sim):
    start = sim.control("GET", "/sim/clock")["now"]
    assert sim.advance(90) == start + 90
    status, _ = sim.call("POST", "/sim/clock", json={"advance_seconds": -5})
    assert status == 400


def test_reset_forgets_everything(sim):
    code = sim.login("o_resident")
    token = sim.token()
    sim.subscribe("o_resident", TEMPLATE)
    send(sim, token)
    sim.fault("*", "busy", count=None)
    sim.advance(60)
    sim.control("POST", "/sim/reset")
    assert sim.messages() == [] and sim.calls() == {}
    assert sim.control("GET", "/sim/clock")["now"] == 1_790_000_000
    assert errcode(code2session(sim, code)) == 40029
    assert errcode(send(sim, token)) == 40001


@pytest.mark.parametrize("path, body", [
    ("/sim/wx-login", {}), ("/sim/wx-login", {"openid": 7}), ("/sim/phone-code", {"phone": "+86 138"}),
    ("/sim/subscribe", {"openid": "o_nobody", "template_id": TEMPLATE}),
    ("/sim/wx-login", {"openid": "o_x", "appid": "wx_other"}),
])
def test_control_endpoints_refuse_bad_bodies(sim, path, body):
    status, answer = sim.call("POST", path, json=body)
    assert status == 400 and answer["error"]


def test_state_is_shared_with_the_world_object(sim):
    sim.login("o_resident")
    assert world_of(sim.app).is_user("o_resident")


def test_the_module_serves_on_loopback_and_logs_its_url():
    command = [sys.executable, "-m", "backend.wechat.simulator", "--port", "0"]
    with subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True) as process:
        try:
            url = started_url(process)
            answer = requests.get(f"{url}/sim/clock", timeout=5)
            assert answer.status_code == 200 and answer.json()["now"] > 0
            answer.close()
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)
            process.stderr.read()
    assert process.returncode == 0


def started_url(process: subprocess.Popen, timeout: float = 15.0) -> str:
    """The URL from the simulator's start line (read without hanging if it never comes)."""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while selector.select(timeout):
            line = process.stderr.readline()
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if found:
                return found.group(1)
            assert line, "the simulator exited before it started listening"
    raise AssertionError("the simulator did not log its URL in time")
