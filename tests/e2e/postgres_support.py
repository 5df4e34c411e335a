"""A throwaway PostgreSQL cluster of a test's own (as scripts/lib/services.sh starts the
suite's), so the test may restart it under running processes without disturbing others."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.e2e.conftest import free_port
from tests.e2e.realtime_support import need

USER = "shaobao"


def _bin_dir() -> str | None:
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if all(os.access(f"{directory}/{tool}", os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    found = shutil.which("pg_ctl")
    return str(Path(found).resolve().parent) if found else None


class Cluster:
    def __init__(self):
        self.bin = need("PostgreSQL (initdb, pg_ctl)", _bin_dir())
        # Under /tmp: as root the server runs as postgres, who cannot enter pytest's tmp_path.
        self.dir = Path(tempfile.mkdtemp(prefix="shaobao-pg-", dir="/tmp"))
        self.data, self.log = self.dir / "data", self.dir / "postgres.log"
        self.port = free_port()
        self.url = f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def _as_owner(self, *command: str, timeout: float = 120) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, "env", f"HOME={self.dir}", "LC_ALL=C", *command], cwd=self.dir, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, timeout=timeout)

    def start(self) -> Cluster:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        if not self.data.exists():
            self._as_owner(f"{self.bin}/initdb", "-D", str(self.data), "-A", "trust", "-U", USER, "-E", "UTF8",
                           "--no-locale", "--no-sync")
            with open(self.data / "postgresql.conf", "a") as conf:
                conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                           f"unix_socket_directories = '{self.dir}'\nfsync = off\nsynchronous_commit = off\n")
        self._as_owner(f"{self.bin}/pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")
        return self

    def restart(self, mode: str = "fast") -> None:
        """What an operator's restart does: every session ends, the server comes back."""
        self._as_owner(f"{self.bin}/pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60",
                       "-l", str(self.log), "restart")

    def stop(self) -> None:
        try:
            self._as_owner(f"{self.bin}/pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(self.dir, ignore_errors=True)
