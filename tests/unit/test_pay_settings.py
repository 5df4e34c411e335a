"""WeChat Pay settings: dev defaults that work on a bare machine, production that refuses them."""
import pytest

from backend.wechat.pay_keys import ensure_dev_keys
from backend.wechat.pay_settings import client_options
from backend.wechat.pay_types import PayUnavailable
from config import settings

PRODUCTION = {"SHAOBAO_ENV": "production", "DATABASE_URL": "postgresql://u@h/db", "SECRET_KEY": "x" * 40,
              "WECHAT_APPID": "wx1234567890abcdef", "WECHAT_SECRET": "s" * 32,
              "SOCKETIO_CORS_ORIGINS": "https://console.example.gov.cn"}
REAL_PAY = {"WECHATPAY_SP_MCHID": "1612345678", "WECHATPAY_SP_NAME": "某某科技有限公司",
            "WECHATPAY_CERT_SERIAL_NO": "5157F09EFDC096DE15EBE81A47057A72",
            "WECHATPAY_PRIVATE_KEY_PATH": "/etc/shaobao/apiclient_key.pem",
            "WECHATPAY_APIV3_KEY": "k" * 32, "WECHATPAY_PUBLIC_KEY_PATH": "/etc/shaobao/pub_key.pem",
            "WECHATPAY_PUBLIC_KEY_ID": "PUB_KEY_ID_0114232204812345",
            "WECHATPAY_NOTIFY_BASE": "https://shaobao.example.gov.cn/"}


def test_development_defaults_point_at_the_simulator(tmp_path):
    config = settings.load({"SHAOBAO_VAR_DIR": str(tmp_path), "WECHAT_SIM_PORT": "5200", "PORT": "5001"})
    assert config["WECHATPAY_BASE_URL"] == "http://127.0.0.1:5200"
    assert config["WECHATPAY_SP_MCHID"] == settings.DEV_WECHATPAY_SP_MCHID
    assert config["WECHATPAY_SP_APPID"] == config["WECHAT_APPID"]
    assert config["WECHATPAY_NOTIFY_BASE"] == "http://127.0.0.1:5001"
    assert config["WECHATPAY_PRIVATE_KEY_PATH"] is None and config["WECHATPAY_TIMEOUT_SECONDS"] == 5.0


def test_client_options_fall_back_to_the_dev_key_directory(tmp_path):
    config = settings.load({"SHAOBAO_VAR_DIR": str(tmp_path)})
    options = client_options(config)
    keys = ensure_dev_keys(tmp_path / "wechatpay")
    assert options["cert_serial_no"] == keys.cert_serial_no
    assert options["public_key_pem"] == keys.platform_public_key_pem
    assert options["notify_url"] == "http://127.0.0.1:5000/api/pay/notify/transaction"
    assert options["refund_notify_url"] == "http://127.0.0.1:5000/api/pay/notify/refund"


def test_production_without_pay_starts_and_the_client_says_so():
    config = settings.load(PRODUCTION)
    assert config["WECHATPAY_BASE_URL"] == "https://api.mch.weixin.qq.com"
    assert config["WECHATPAY_SP_MCHID"] is None
    with pytest.raises(PayUnavailable, match="not configured"):
        client_options(config)


def test_production_with_real_pay_settings_starts():
    config = settings.load({**PRODUCTION, **REAL_PAY})
    assert config["WECHATPAY_NOTIFY_BASE"] == "https://shaobao.example.gov.cn"


@pytest.mark.parametrize("change, problem", [
    ({"WECHATPAY_SP_MCHID": settings.DEV_WECHATPAY_SP_MCHID}, "WECHATPAY_SP_MCHID is the development default"),
    ({"WECHATPAY_NOTIFY_BASE": "http://shaobao.example.gov.cn"}, "WECHATPAY_NOTIFY_BASE"),
    ({"WECHATPAY_PUBLIC_KEY_ID": "PUB_KEY_ID_DEV0123"}, "development key material"),
    ({"WECHATPAY_CERT_SERIAL_NO": "DE7E0123"}, "development key material"),
    ({"WECHATPAY_APIV3_KEY": "short"}, "32 bytes"),
    ({"WECHATPAY_PRIVATE_KEY_PATH": ""}, "WECHATPAY_PRIVATE_KEY_PATH is not set"),
    ({"WECHATPAY_BASE_URL": "http://127.0.0.1:5100"}, "WECHATPAY_BASE_URL"),
])
def test_production_refuses_dev_pay_material(change, problem):
    with pytest.raises(settings.ConfigError, match=problem):
        settings.load({**PRODUCTION, **REAL_PAY, **change})


def test_production_refuses_keys_from_the_dev_directory(tmp_path):
    change = {"SHAOBAO_VAR_DIR": str(tmp_path),
              "WECHATPAY_PRIVATE_KEY_PATH": str(tmp_path / "wechatpay" / "apiclient_key.pem")}
    with pytest.raises(settings.ConfigError, match="development key directory"):
        settings.load({**PRODUCTION, **REAL_PAY, **change})
