"""WeChat Pay v3's cryptography as WeChat's side does it: checks the merchant's request
signatures, signs answers and notifications with the platform key, encrypts resources.

The simulator knows one service provider (PaySimConfig): its mchid, its API certificate
serial and public key, its API v3 key; and keeps the platform key pair whose public half
(with ``public_key_id``) the merchant trusts.
"""
from __future__ import annotations

import base64
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEME = "WECHATPAY2-SHA256-RSA2048"
SIGNTEST_PREFIX = "WECHATPAY/SIGNTEST/"
REQUEST_WINDOW = 300
AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')


class PayFailure(Exception):
    """A WeChat Pay error answer: HTTP status with ``{"code", "message"}``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(status, code, message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass
class PaySimConfig:
    """The service provider the simulated WeChat Pay serves, and its own platform keys."""
    sp_mchid: str
    sp_appid: str
    cert_serial_no: str
    merchant_public_key_pem: str
    apiv3_key: str
    platform_private_key_pem: str
    public_key_id: str
    refund_seconds: float = 5.0           # PROCESSING -> SUCCESS on the sim clock
    profit_sharing_seconds: float = 60.0  # PROCESSING -> FINISHED on the sim clock
    # Request signatures are judged on the wall clock: wechatpayv3 signs with time.time()
    # and cannot be given another clock, while the sim clock is the simulated business time.
    request_clock: Callable[[], float] = time.time
    # (url, headers, body) -> HTTP status, or None for no answer; default: a real POST.
    deliver: Callable[[str, dict, bytes], int | None] | None = None
    # Where WeChat Pay's state is kept across restarts (pay_store.py); None: memory only.
    state_file: str | None = None

    @classmethod
    def from_keys(cls, keys, sp_mchid: str, sp_appid: str, **options) -> PaySimConfig:
        """From a backend.wechat.pay_keys.DevPayKeys set (the dev/test directory)."""
        return cls(sp_mchid=sp_mchid, sp_appid=sp_appid, cert_serial_no=keys.cert_serial_no,
                   merchant_public_key_pem=keys.merchant_public_key_pem, apiv3_key=keys.apiv3_key,
                   platform_private_key_pem=keys.platform_private_key_pem,
                   public_key_id=keys.public_key_id, **options)


@dataclass
class Signer:
    config: PaySimConfig
    _merchant_key: object = field(init=False, repr=False)
    _platform_key: object = field(init=False, repr=False)

    def __post_init__(self):
        self._merchant_key = serialization.load_pem_public_key(self.config.merchant_public_key_pem.encode())
        self._platform_key = serialization.load_pem_private_key(
            self.config.platform_private_key_pem.encode(), password=None)

    # -- what the merchant sends -----------------------------------------------------------

    def check_request(self, authorization: str, method: str, uri: str, body: str) -> None:
        """WeChat's checks of ``Authorization``; PayFailure 401 SIGN_ERROR if any fails."""
        scheme, _, rest = (authorization or "").partition(" ")
        fields = dict(AUTH_FIELD.findall(rest))
        if scheme != SCHEME or not {"mchid", "nonce_str", "signature", "timestamp", "serial_no"} <= fields.keys():
            raise sign_error("Authorization is missing or malformed")
        if fields["mchid"] != self.config.sp_mchid:
            raise sign_error("mchid does not match")
        if fields["serial_no"] != self.config.cert_serial_no:
            raise sign_error("serial_no is not the merchant's API certificate")
        try:
            stamp = int(fields["timestamp"])
        except ValueError:
            raise sign_error("timestamp is not a number") from None
        if abs(self.config.request_clock() - stamp) > REQUEST_WINDOW:
            raise sign_error("timestamp is more than 5 minutes off")
        message = f"{method}\n{uri}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n"
        if not self.verify_merchant(message, fields["signature"]):
            raise sign_error("signature does not verify")

    def verify_merchant(self, message: str, signature: str) -> bool:
        try:
            self._merchant_key.verify(base64.b64decode(signature, validate=True), message.encode(),
                                      padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return False
        return True

    def decrypt_sensitive(self, ciphertext: str) -> str:
        """A field the merchant encrypted with the platform public key (RSA-OAEP SHA1)."""
        oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
        return self._platform_key.decrypt(base64.b64decode(ciphertext), oaep).decode()

    # -- what WeChat sends -----------------------------------------------------------------

    def signed_headers(self, body: bytes, timestamp: int, forged: bool = False) -> dict:
        nonce = secrets.token_hex(16)
        signature = self.sign(f"{timestamp}\n{nonce}\n{body.decode()}\n")
        if forged:   # a valid signature over other bytes: only the check can tell
            signature = self.sign(f"{timestamp}\n{nonce}\n{body.decode()} \n")
        return {"Wechatpay-Timestamp": str(timestamp), "Wechatpay-Nonce": nonce,
                "Wechatpay-Serial": self.config.public_key_id, "Wechatpay-Signature": signature,
                "Wechatpay-Signature-Type": SCHEME}

    def signtest_headers(self, timestamp: int) -> dict:
        return {"Wechatpay-Timestamp": str(timestamp), "Wechatpay-Nonce": secrets.token_hex(16),
                "Wechatpay-Serial": self.config.public_key_id,
                "Wechatpay-Signature": SIGNTEST_PREFIX + secrets.token_urlsafe(48),
                "Wechatpay-Signature-Type": SCHEME}

    def sign(self, message: str) -> str:
        raw = self._platform_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode()

    def encrypt(self, plaintext: str, associated_data: str) -> dict:
        """A notification's ``resource``: AES-256-GCM with the merchant's API v3 key."""
        nonce = secrets.token_urlsafe(9)[:12]
        sealed = AESGCM(self.config.apiv3_key.encode()).encrypt(
            nonce.encode(), plaintext.encode(), associated_data.encode())
        return {"algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(sealed).decode(),
                "associated_data": associated_data, "nonce": nonce}


def sign_error(message: str) -> PayFailure:
    return PayFailure(401, "SIGN_ERROR", f"签名错误: {message}")
