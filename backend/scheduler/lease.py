"""Exactly one active scheduler across machines: whoever holds the lock runs the jobs; the
others wait (standby) and retry.

PostgreSQL: a session-level advisory lock (pg_try_advisory_lock) held by a connection of
its own, opened outside the pool (closing a pooled connection would hand it back with the
lock still held) and in autocommit (no transaction left open for the process's life). The
server frees the lock when that session ends, so a process that dies, however it dies,
lets a standby in. Should the connection break while the process lives, the lock may
already be someone else's: check() notices at the next tick and the process stops.

SQLite: an fcntl lock on a file beside the database file (two processes sharing a database
must find the same lock, whatever their VAR_DIR); the kernel frees it when the process
dies. A SQLite database without a file (in memory) is only ever one process's: VAR_DIR.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

# The advisory lock's key: "shaobao" in ASCII as a 64-bit integer, so it cannot collide
# with the small integers other software sharing the database tends to use.
LOCK_KEY = int.from_bytes(b"shaobao", "big")
# Notice a dead server or network within about a minute instead of TCP's hours.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}


class LeaseLost(RuntimeError):
    """The lock this process held is gone: another scheduler may be active now."""


class PostgresLease:
    def __init__(self, url: sa.URL):
        self.engine = sa.create_engine(url, poolclass=NullPool, connect_args=KEEPALIVES)
        self.connection = None

    def describe(self) -> str:
        return f"PostgreSQL advisory lock {LOCK_KEY}"

    def try_acquire(self) -> bool:
        try:
            if self.connection is None:
                self.connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            return bool(self.connection.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"),
                                               {"key": LOCK_KEY}))
        except sa.exc.SQLAlchemyError:
            self.release()  # the database is unreachable: try afresh next time
            return False

    def check(self) -> None:
        try:
            self.connection.scalar(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as exc:
            raise LeaseLost("the connection holding the scheduler lock broke") from exc

    def release(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()  # NullPool: the session ends, the lock with it
            except sa.exc.SQLAlchemyError:
                pass
            self.connection = None

    def close(self) -> None:
        self.release()
        self.engine.dispose()


class FileLease:
    def __init__(self, path: Path):
        self.path = path
        self.file = None

    def describe(self) -> str:
        return f"file lock {self.path}"

    def try_acquire(self) -> bool:
        if self.file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = open(self.path, "a+")  # noqa: SIM115 (held open for the process's life)
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"{os.getpid()}\n")  # for a person wondering who holds it
        self.file.flush()
        return True

    def check(self) -> None:
        """A lock held on an open file cannot be taken away."""

    def release(self) -> None:
        if self.file is not None:
            self.file.close()  # closing the descriptor drops the lock
            self.file = None

    def close(self) -> None:
        self.release()


def for_database(engine: sa.Engine, var_dir: str) -> PostgresLease | FileLease:
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresLease(url)
    if url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:" and not database.startswith("file::memory:"):
            return FileLease(Path(database).resolve().with_name(Path(database).name + ".scheduler-lock"))
        return FileLease(Path(var_dir) / "scheduler.lock")
    raise RuntimeError(f"no scheduler lock for {url.get_backend_name()} databases")
