"""Checking a WeChat Pay notification before anything acts on it.

wechatpayv3's ``callback`` answers None for every kind of failure and skips two checks
WeChat asks for, so the order here is ours: a ``WECHATPAY/SIGNTEST/`` probe, a key id that
is not ours, a timestamp outside 5 minutes (a replay), the RSA-SHA256 signature over
``TIMESTAMP\\nNONCE\\nBODY\\n``, the envelope's shape, then AES-256-GCM with the API v3 key.
Each refusal names its reason, so the caller can log it and answer 4xx (WeChat then
retries a genuine one).
"""
from __future__ import annotations

import json
from collections.abc import Mapping

from wechatpayv3.utils import aes_decrypt, rsa_verify

from .pay_types import Notification, NotificationRefused, parse_time

NOTIFY_WINDOW_SECONDS = 300
SIGNTEST_PREFIX = "WECHATPAY/SIGNTEST/"
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"


def verify_notification(headers: Mapping[str, str], body: bytes | str, *, public_key, public_key_id: str,
                        apiv3_key: str, now: float) -> Notification:
    header = {key.lower(): value for key, value in headers.items()}
    signature = header.get("wechatpay-signature", "")
    if signature.startswith(SIGNTEST_PREFIX):
        raise NotificationRefused("signtest_probe")
    if header.get("wechatpay-serial") != public_key_id:
        raise NotificationRefused("unknown_serial", "not the configured WeChat Pay public key id")
    stamp = header.get("wechatpay-timestamp", "")
    check_timestamp(stamp, now)
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        raise NotificationRefused("bad_signature", "the body is not UTF-8") from None
    if (header.get("wechatpay-signature-type", SIGNATURE_TYPE) != SIGNATURE_TYPE
            or not rsa_verify(stamp, header.get("wechatpay-nonce", ""), text, signature, public_key)):
        raise NotificationRefused("bad_signature")
    envelope = _envelope(text)
    return Notification(id=envelope["id"], event_type=envelope["event_type"],
                        created_at=_time_or_none(envelope.get("create_time")),
                        resource=_decrypt(envelope["resource"], apiv3_key))


def check_timestamp(raw: str, now: float) -> None:
    try:
        stamp = int(raw)
    except ValueError:
        raise NotificationRefused("stale_timestamp", "no usable Wechatpay-Timestamp") from None
    if abs(now - stamp) > NOTIFY_WINDOW_SECONDS:
        raise NotificationRefused("stale_timestamp", f"{int(now - stamp)} s off")


def _envelope(text: str) -> dict:
    try:
        envelope = json.loads(text)
    except ValueError:
        raise NotificationRefused("bad_body", "not JSON") from None
    resource = envelope.get("resource") if isinstance(envelope, dict) else None
    if (not isinstance(resource, dict) or envelope.get("resource_type") != "encrypt-resource"
            or resource.get("algorithm") != "AEAD_AES_256_GCM"
            or not all(isinstance(resource.get(k), str) and resource[k] for k in ("nonce", "ciphertext"))
            or not all(isinstance(envelope.get(k), str) and envelope[k] for k in ("id", "event_type"))):
        raise NotificationRefused("bad_body", "not a WeChat Pay notification")
    return envelope


def _decrypt(resource: dict, apiv3_key: str) -> dict:
    try:
        plain = aes_decrypt(nonce=resource["nonce"], ciphertext=resource["ciphertext"],
                            associated_data=resource.get("associated_data") or "", apiv3_key=apiv3_key)
    except (ValueError, TypeError):   # bad base64, a nonce of the wrong length
        plain = None
    if plain is None:
        raise NotificationRefused("decrypt_failed")
    try:
        data = json.loads(plain)
    except ValueError:
        raise NotificationRefused("bad_body", "the decrypted resource is not JSON") from None
    if not isinstance(data, dict):
        raise NotificationRefused("bad_body", "the decrypted resource is not an object")
    return data


def _time_or_none(value):
    try:
        return parse_time(value)
    except (TypeError, ValueError):
        return None
