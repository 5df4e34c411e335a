"""The WeChat simulator remembers WeChat Pay across a restart, as WeChat would: a payment,
a refund and a profit share made before `flask wechat-sim` is stopped are still there when
it is started again on the same VAR_DIR (its state file beside the database), in the order
query, the refund query, the profit-share query and the next day's trade bill; the
notification it could not deliver is still being retried.

Real processes: the simulator as scripts/run starts it, the service's own WeChat Pay client."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from backend.wechat.pay import PayClient
from backend.wechat.pay_bill import BillRow
from backend.wechat.pay_keys import DEV_SP_NAME, ensure_dev_keys
from config.settings import load
from tests.e2e.conftest import ROOT, free_port, stop_group, until

pytestmark = pytest.mark.e2e
SUB_MCHID = "1900000109"
OPENID = "o_restart_payer"
BEIJING = ZoneInfo("Asia/Shanghai")
NOWHERE = "http://127.0.0.1:9"   # no server: notifications stay due, retried on WeChat's schedule


class Simulator:
    """`flask wechat-sim` on a VAR_DIR, started and stopped by the test."""

    def __init__(self, var_dir):
        self.var_dir, self.process, self.url = var_dir, None, None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SHAOBAO_", "DATABASE_URL", "FLASK_"))}
        self.env.update(SHAOBAO_VAR_DIR=str(var_dir), FLASK_APP="backend.app:create_app", PYTHONUNBUFFERED="1")

    def start(self) -> str:
        port = free_port()
        self.log = open(self.var_dir.parent / f"sim-{port}.log", "w")   # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([sys.executable, "-m", "flask", "wechat-sim", "--port", str(port)], cwd=ROOT,
                                        env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.url = f"http://127.0.0.1:{port}"
        until(self._up, "the WeChat simulator", timeout=120, every=0.2)
        return self.url

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the simulator exited: {(self.var_dir.parent / self.log.name).read_text()}")
        try:
            return requests.get(f"{self.url}/sim/clock", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process, signal.SIGTERM)
            self.log.close()
            self.process = None


@pytest.fixture()
def simulator(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    ensure_dev_keys(var_dir / "wechatpay")   # the set the simulator reads too
    sim = Simulator(var_dir)
    yield sim
    sim.stop()


def client(sim: Simulator) -> PayClient:
    settings = load({"SHAOBAO_VAR_DIR": str(sim.var_dir)})
    keys = ensure_dev_keys(sim.var_dir / "wechatpay")
    return PayClient(base_url=sim.url, sp_mchid=settings["WECHATPAY_SP_MCHID"], sp_appid=settings["WECHATPAY_SP_APPID"],
                     private_key_pem=keys.merchant_private_key_pem, cert_serial_no=keys.cert_serial_no,
                     apiv3_key=keys.apiv3_key, public_key_pem=keys.platform_public_key_pem,
                     public_key_id=keys.public_key_id, notify_url=f"{NOWHERE}/api/pay/notify/transaction",
                     refund_notify_url=f"{NOWHERE}/api/pay/notify/refund", sp_name=DEV_SP_NAME)


def paid(pay: PayClient, sim: Simulator, out_trade_no: str, total_fen: int) -> str:
    prepay_id = pay.jsapi_prepay(out_trade_no=out_trade_no, sub_mchid=SUB_MCHID, description="上门保洁",
                                 total_fen=total_fen, payer_openid=OPENID,
                                 time_expire=datetime.now(UTC) + timedelta(minutes=30))
    answer = requests.post(f"{sim.url}/sim/pay/request-payment",
                           json={**pay.payment_params(prepay_id), "openid": OPENID}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["transaction_id"]


def test_a_restarted_simulator_still_knows_yesterdays_payments(simulator):
    simulator.start()
    pay = client(simulator)
    refunded = paid(pay, simulator, "RESTART000001", 10_000)
    pay.refund(out_refund_no="RESTART000001R1", out_trade_no="RESTART000001", sub_mchid=SUB_MCHID,
               refund_fen=3_000, total_fen=10_000, reason="少做了一小时")
    requests.post(f"{simulator.url}/sim/pay/refunds/settle", json={"out_refund_no": "RESTART000001R1",
                                                                   "status": "SUCCESS"}, timeout=5).raise_for_status()
    shared = paid(pay, simulator, "RESTART000002", 5_000)
    pay.add_platform_receiver(sub_mchid=SUB_MCHID)
    pay.profit_share(sub_mchid=SUB_MCHID, transaction_id=shared, out_order_no="RESTART000002S",
                     platform_fee_fen=250, description="订单分账")
    notifications = requests.get(f"{simulator.url}/sim/pay/notifications", timeout=5).json()["deliveries"]
    simulator.stop()

    simulator.start()
    pay = client(simulator)
    first = pay.query(out_trade_no="RESTART000001", sub_mchid=SUB_MCHID)
    assert first is not None, "the restarted simulator forgot the payment"
    assert (first.trade_state, first.transaction_id, first.total_fen) == ("REFUND", refunded, 10_000)
    refund = pay.query_refund(out_refund_no="RESTART000001R1", sub_mchid=SUB_MCHID)
    assert (refund.status, refund.refund_fen) == ("SUCCESS", 3_000)
    second = pay.query(out_trade_no="RESTART000002", sub_mchid=SUB_MCHID)
    assert (second.trade_state, second.transaction_id) == ("SUCCESS", shared)
    share = pay.query_profit_share(sub_mchid=SUB_MCHID, transaction_id=shared, out_order_no="RESTART000002S")
    assert share is not None and [r["amount"] for r in share["receivers"]] == [250]
    # The same profit share again is the first one, not a second (WeChat keys it by out_order_no).
    again = pay.profit_share(sub_mchid=SUB_MCHID, transaction_id=shared, out_order_no="RESTART000002S",
                             platform_fee_fen=250, description="订单分账")
    assert again["order_id"] == share["order_id"]

    # Two days on, the bill of the day (and of the next, near midnight) lists them all.
    requests.post(f"{simulator.url}/sim/clock", json={"advance_seconds": 2 * 86_400}, timeout=5).raise_for_status()
    day = first.success_time.astimezone(BEIJING).date()
    lines: list[BillRow] = pay.trade_bill(day) + pay.trade_bill(day + timedelta(days=1))  # near midnight
    assert sorted((line.out_trade_no, line.trade_state) for line in lines) == [
        ("RESTART000001", "REFUND"), ("RESTART000001", "SUCCESS"), ("RESTART000002", "SUCCESS")]

    # The notifications nobody received are still WeChat's to send, with their attempts.
    kept = requests.get(f"{simulator.url}/sim/pay/notifications", timeout=5).json()["deliveries"]
    assert [d["id"] for d in kept] == [d["id"] for d in notifications]
    assert all(d["state"] in ("pending", "sending") for d in kept)
