"""Development and test key material for WeChat Pay API v3, made once into a directory.

Production keys come from WeChat Pay's merchant platform (the merchant API certificate's
private key and serial, the API v3 key, the WeChat Pay public key and its ``PUB_KEY_ID_``).
Outside production the server and the loopback simulator must agree on a made-up set: the
simulator checks the merchant's signatures with the merchant public key and signs with the
platform private key whose public half the server trusts. Both read the same directory
(``var/wechatpay`` by default), so the first process to need it makes it and the others reuse
it. Secret files are 0600 and the directory 0700.

Dev serials and key ids carry a ``DEV`` marker so the production check can refuse them.
"""
from __future__ import annotations

import fcntl
import json
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEV_SP_MCHID = "1900000001"
DEV_SP_NAME = "韶保演示服务商"
DEV_SERIAL_PREFIX = "DE7E"          # hex, as real certificate serials are
DEV_PUBLIC_KEY_ID_PREFIX = "PUB_KEY_ID_DEV"

MERCHANT_KEY = "apiclient_key.pem"          # merchant private key (names as WeChat ships them)
MERCHANT_PUBLIC = "apiclient_pub.pem"       # its public half: only the simulator needs it
PLATFORM_KEY = "sim_platform_key.pem"       # the simulator's signing key
PLATFORM_PUBLIC = "pub_key.pem"             # the "WeChat Pay public key" the server trusts
APIV3_KEY = "apiv3_key"
IDS = "ids.json"
SECRET_FILES = (MERCHANT_KEY, PLATFORM_KEY, APIV3_KEY)
ALL_FILES = (MERCHANT_KEY, MERCHANT_PUBLIC, PLATFORM_KEY, PLATFORM_PUBLIC, APIV3_KEY, IDS)


@dataclass(frozen=True)
class DevPayKeys:
    directory: Path
    cert_serial_no: str
    public_key_id: str
    apiv3_key: str
    merchant_private_key_pem: str
    merchant_public_key_pem: str
    platform_private_key_pem: str
    platform_public_key_pem: str

    @property
    def merchant_private_key_path(self) -> Path:
        return self.directory / MERCHANT_KEY

    @property
    def platform_public_key_path(self) -> Path:
        return self.directory / PLATFORM_PUBLIC

    def __repr__(self) -> str:   # never print keys
        return f"DevPayKeys(directory={str(self.directory)!r}, public_key_id={self.public_key_id!r})"


def ensure_dev_keys(directory: Path) -> DevPayKeys:
    """The key set in ``directory``, made first if any file is missing."""
    directory = Path(directory)
    if not _complete(directory):
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        # The server and the simulator start together: one makes the set, the other waits.
        with open(directory / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not _complete(directory):
                _generate(directory)
    return load_dev_keys(directory)


def _complete(directory: Path) -> bool:
    return all((directory / name).exists() for name in ALL_FILES)


def load_dev_keys(directory: Path) -> DevPayKeys:
    directory = Path(directory)
    ids = json.loads((directory / IDS).read_text())
    return DevPayKeys(
        directory=directory, cert_serial_no=ids["cert_serial_no"], public_key_id=ids["public_key_id"],
        apiv3_key=(directory / APIV3_KEY).read_text().strip(),
        merchant_private_key_pem=(directory / MERCHANT_KEY).read_text(),
        merchant_public_key_pem=(directory / MERCHANT_PUBLIC).read_text(),
        platform_private_key_pem=(directory / PLATFORM_KEY).read_text(),
        platform_public_key_pem=(directory / PLATFORM_PUBLIC).read_text())


def is_dev_material(cert_serial_no: str | None, public_key_id: str | None) -> bool:
    return bool((cert_serial_no or "").upper().startswith(DEV_SERIAL_PREFIX)
                or (public_key_id or "").startswith(DEV_PUBLIC_KEY_ID_PREFIX))


def new_apiv3_key() -> str:
    # WeChat's API v3 key is 32 printable characters used as raw AES-256 key bytes.
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


def _generate(directory: Path) -> None:
    merchant, platform = _rsa(), _rsa()
    files = {
        MERCHANT_KEY: _private_pem(merchant), MERCHANT_PUBLIC: _public_pem(merchant),
        PLATFORM_KEY: _private_pem(platform), PLATFORM_PUBLIC: _public_pem(platform),
        APIV3_KEY: new_apiv3_key() + "\n",
        IDS: json.dumps({"cert_serial_no": DEV_SERIAL_PREFIX + secrets.token_hex(18).upper(),
                         "public_key_id": DEV_PUBLIC_KEY_ID_PREFIX + secrets.token_hex(12).upper()}),
    }
    # ids.json last, and each file written aside then renamed: a reader that does not take
    # the lock still never sees half a set.
    for name in sorted(files, key=lambda n: n == IDS):
        _write(directory / name, files[name], secret=name in SECRET_FILES)


def _write(path: Path, text: str, secret: bool) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if secret else 0o644)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()
