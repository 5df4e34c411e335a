"""PayClient options from the app's config (``WECHATPAY_*``, see config/settings.py).

Outside production an unset key setting falls back to the made-up key set in
``VAR_DIR/wechatpay``, made on first use: the simulator reads the same directory, so the two
trust each other with nothing to configure.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .pay_keys import ensure_dev_keys
from .pay_types import PayUnavailable

KEY_SETTINGS = ("WECHATPAY_CERT_SERIAL_NO", "WECHATPAY_PRIVATE_KEY_PATH", "WECHATPAY_APIV3_KEY",
                "WECHATPAY_PUBLIC_KEY_PATH", "WECHATPAY_PUBLIC_KEY_ID")
TRANSACTION_NOTIFY_PATH = "/api/pay/notify/transaction"
REFUND_NOTIFY_PATH = "/api/pay/notify/refund"


def dev_key_dir(config: Mapping) -> Path:
    return Path(config["VAR_DIR"]) / "wechatpay"


def client_options(config: Mapping) -> dict:
    """Keyword arguments for PayClient (all but the clock)."""
    if not config.get("WECHATPAY_SP_MCHID"):
        raise PayUnavailable("WeChat Pay is not configured (WECHATPAY_SP_MCHID is unset)")
    settings = {key: config.get(key) for key in KEY_SETTINGS}
    if any(value is None for value in settings.values()):
        if config.get("SHAOBAO_ENV") == "production":
            raise PayUnavailable("WeChat Pay key settings are missing")
        keys = ensure_dev_keys(dev_key_dir(config))
        fallback = {"WECHATPAY_CERT_SERIAL_NO": keys.cert_serial_no,
                    "WECHATPAY_PRIVATE_KEY_PATH": str(keys.merchant_private_key_path),
                    "WECHATPAY_APIV3_KEY": keys.apiv3_key,
                    "WECHATPAY_PUBLIC_KEY_PATH": str(keys.platform_public_key_path),
                    "WECHATPAY_PUBLIC_KEY_ID": keys.public_key_id}
        settings = {key: value if value is not None else fallback[key] for key, value in settings.items()}
    notify_base = config["WECHATPAY_NOTIFY_BASE"].rstrip("/")
    return {
        "base_url": config["WECHATPAY_BASE_URL"], "sp_mchid": config["WECHATPAY_SP_MCHID"],
        "sp_appid": config["WECHATPAY_SP_APPID"], "sp_name": config.get("WECHATPAY_SP_NAME"),
        "cert_serial_no": settings["WECHATPAY_CERT_SERIAL_NO"],
        "private_key_pem": Path(settings["WECHATPAY_PRIVATE_KEY_PATH"]).read_text(),
        "apiv3_key": settings["WECHATPAY_APIV3_KEY"],
        "public_key_pem": Path(settings["WECHATPAY_PUBLIC_KEY_PATH"]).read_text(),
        "public_key_id": settings["WECHATPAY_PUBLIC_KEY_ID"],
        "notify_url": notify_base + TRANSACTION_NOTIFY_PATH,
        "refund_notify_url": notify_base + REFUND_NOTIFY_PATH,
        "timeout": config.get("WECHATPAY_TIMEOUT_SECONDS", 5.0),
    }
