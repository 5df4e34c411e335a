"""Content-addressed photo files behind a small interface, so the disk can later be object storage.

A key is `<sha256 of the original>.<variant>.<ext>`: the same photo uploaded twice (a phone on a
village network retries) lands on the same files, and a file, once written, never changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

VARIANTS = ("original", "display", "thumbnail")
EXTENSIONS = ("jpg", "png", "webp")
_KEY = re.compile(rf"([0-9a-f]{{64}})\.({'|'.join(VARIANTS)})\.({'|'.join(EXTENSIONS)})")


class InvalidKey(ValueError):
    """A key that is not ours; refused before it gets near a path."""


class PhotoStore(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Store data under key; a key already stored is left as it is."""

    def get(self, key: str) -> bytes:
        """The stored bytes; KeyError if there are none."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> bool:
        """Remove the file under key; whether there was one (deleting twice is harmless)."""


def make_key(sha256: str, variant: str, ext: str) -> str:
    key = f"{sha256}.{variant}.{ext}"
    parse_key(key)
    return key


def parse_key(key: str) -> tuple[str, str, str]:
    """(sha256, variant, ext) of a valid key; InvalidKey for anything else."""
    match = _KEY.fullmatch(key) if isinstance(key, str) else None
    if match is None:
        raise InvalidKey(f"not a photo key: {key!r}")
    return match[1], match[2], match[3]


class LocalPhotoStore:
    """Files under root/ab/cd/<key>; safe across threads and processes by atomic rename."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        parse_key(key)
        # Two levels of 256 keep directories small enough to list at a few million photos.
        return self.root / key[:2] / key[2:4] / key

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> bool:
        """Retention removes photo originals; a file already gone is not an error."""
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(self.path(key).parent)
        return True

    def put(self, key: str, data: bytes) -> None:
        _check_content(key, data)
        target = self.path(key)
        if target.is_file():
            return
        _make_dirs(target.parent, self.root)
        _write_atomically(target, data)


def _check_content(key: str, data: bytes) -> None:
    # Only an original can be checked against its key; renditions are named after it.
    sha256, variant, _ = parse_key(key)
    if variant == "original" and hashlib.sha256(data).hexdigest() != sha256:
        raise InvalidKey(f"{key!r} does not name these bytes")


def _write_atomically(target: Path, data: bytes) -> None:
    # Readers see the whole file or none of it; racing writers of one key write the same
    # bytes, so whichever rename lands last changes nothing.
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o644)  # mkstemp's 0600 would hide it from a web server
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _fsync_dir(target.parent)


def _make_dirs(directory: Path, root: Path) -> None:
    # A rename is durable only once its directory entry is, and so on up to the root.
    missing = [d for d in (directory.parent, directory) if not d.is_dir()]
    root.mkdir(parents=True, exist_ok=True)
    for new in missing:
        new.mkdir(exist_ok=True)
        _fsync_dir(new.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
