"""Content-addressed photo storage on local disk."""
import hashlib
import os
import stat
import threading

import pytest

from backend.media.storage import InvalidKey, LocalPhotoStore, make_key, parse_key

DATA = b"\xff\xd8\xff pretend this is a photo"
SHA = hashlib.sha256(DATA).hexdigest()
ORIGINAL = f"{SHA}.original.jpg"


@pytest.fixture
def store(tmp_path):
    return LocalPhotoStore(tmp_path / "photos")


def files_under(path):
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())


def test_put_get_exists(store):
    assert not store.exists(ORIGINAL)
    store.put(ORIGINAL, DATA)
    assert store.exists(ORIGINAL)
    assert store.get(ORIGINAL) == DATA
    assert store.path(ORIGINAL) == store.root / SHA[:2] / SHA[2:4] / ORIGINAL


def test_renditions_are_named_after_the_original(store):
    display = make_key(SHA, "display", "jpg")
    store.put(display, b"smaller")
    assert store.get(display) == b"smaller"
    assert store.path(display).parent == store.path(ORIGINAL).parent


def test_a_missing_key_is_a_key_error(store):
    with pytest.raises(KeyError):
        store.get(ORIGINAL)


def test_put_again_is_a_no_op(store):
    store.put(ORIGINAL, DATA)
    before = os.stat(store.path(ORIGINAL))
    store.put(ORIGINAL, DATA)
    after = os.stat(store.path(ORIGINAL))
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert files_under(store.root) == [f"{SHA[:2]}/{SHA[2:4]}/{ORIGINAL}"]


def test_an_original_must_be_what_its_key_names(store):
    with pytest.raises(InvalidKey):
        store.put(ORIGINAL, DATA + b"!")
    assert not store.exists(ORIGINAL)


def test_files_are_readable_by_a_web_server(store):
    store.put(ORIGINAL, DATA)
    assert stat.S_IMODE(os.stat(store.path(ORIGINAL)).st_mode) == 0o644


@pytest.mark.parametrize("key", [
    "../../etc/passwd",
    f"../{SHA}.original.jpg",
    f"{SHA}.original.jpg/../../x",
    f"/{SHA}.original.jpg",
    f"{SHA.upper()}.original.jpg",
    f"{SHA[:-1]}.original.jpg",
    f"{SHA}.raw.jpg",
    f"{SHA}.original.gif",
    f"{SHA}.original.jpg\n",
    f"{SHA}.original.jpg\x00",
    f"{SHA}.original",
    "",
    None,
    SHA.encode(),
])
def test_bad_keys_are_refused_before_touching_the_disk(store, tmp_path, key):
    for call in (lambda: store.put(key, DATA), lambda: store.get(key),
                 lambda: store.exists(key), lambda: store.path(key)):
        with pytest.raises(InvalidKey):
            call()
    assert files_under(tmp_path) == []


def test_make_key_checks_its_parts():
    assert parse_key(make_key(SHA, "thumbnail", "jpg")) == (SHA, "thumbnail", "jpg")
    with pytest.raises(InvalidKey):
        make_key(SHA, "thumbnail/../..", "jpg")
    with pytest.raises(ValueError):  # InvalidKey is a ValueError for callers that want that
        make_key("abc", "original", "jpg")


def test_concurrent_puts_of_one_key_leave_one_whole_file(store):
    data = os.urandom(1 << 20)
    key = make_key(hashlib.sha256(data).hexdigest(), "original", "png")
    start = threading.Barrier(16)
    errors = []

    def put():
        start.wait()
        try:
            store.put(key, data)
        except Exception as exc:  # collected: an exception in a thread would only be printed
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.get(key) == data
    assert len(files_under(store.root)) == 1  # no temporary file left behind


def test_a_failed_write_leaves_nothing(store, monkeypatch):
    real_fsync = os.fsync

    def full_disk(fd):
        if stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        store.put(ORIGINAL, DATA)
    assert not store.exists(ORIGINAL)
    assert files_under(store.root) == []
