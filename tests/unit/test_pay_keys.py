"""The made-up WeChat Pay key set: made once, reused, private files private."""
import stat

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from backend.wechat import pay_keys
from backend.wechat.pay_keys import ensure_dev_keys, is_dev_material


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_made_once_then_reused(tmp_path):
    first = ensure_dev_keys(tmp_path / "wechatpay")
    second = ensure_dev_keys(tmp_path / "wechatpay")
    assert first == second
    assert first.public_key_id.startswith("PUB_KEY_ID_")
    assert len(first.apiv3_key.encode()) == 32


def test_secret_files_are_owner_only(tmp_path):
    keys = ensure_dev_keys(tmp_path / "wechatpay")
    assert mode(keys.directory) == 0o700
    for name in pay_keys.SECRET_FILES:
        assert mode(keys.directory / name) == 0o600, name
    assert mode(keys.platform_public_key_path) == 0o644


def test_a_missing_file_makes_a_whole_new_set(tmp_path):
    keys = ensure_dev_keys(tmp_path)
    (tmp_path / pay_keys.PLATFORM_KEY).unlink()
    again = ensure_dev_keys(tmp_path)
    assert again.platform_private_key_pem != keys.platform_private_key_pem
    assert again.merchant_private_key_pem != keys.merchant_private_key_pem   # never half old, half new


def test_the_halves_belong_together(tmp_path):
    keys = ensure_dev_keys(tmp_path)
    for private, public in ((keys.merchant_private_key_pem, keys.merchant_public_key_pem),
                            (keys.platform_private_key_pem, keys.platform_public_key_pem)):
        signature = serialization.load_pem_private_key(private.encode(), None).sign(
            b"m", padding.PKCS1v15(), hashes.SHA256())
        serialization.load_pem_public_key(public.encode()).verify(
            signature, b"m", padding.PKCS1v15(), hashes.SHA256())
    assert keys.merchant_public_key_pem != keys.platform_public_key_pem


def test_repr_shows_no_key(tmp_path):
    keys = ensure_dev_keys(tmp_path)
    assert "PRIVATE" not in repr(keys) and keys.apiv3_key not in repr(keys)


def test_dev_material_is_recognisable(tmp_path):
    keys = ensure_dev_keys(tmp_path)
    assert is_dev_material(keys.cert_serial_no, None)
    assert is_dev_material(None, keys.public_key_id)
    assert not is_dev_material("5157F09EFDC096DE15EBE81A47057A72", "PUB_KEY_ID_0114232204812345")
