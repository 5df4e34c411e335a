"""The lock files under requirements/ and the pyproject.toml they were made from.

scripts/lock writes a digest of pyproject.toml's dependency lists into each lock it makes;
scripts/check compares (offline, in milliseconds) so that a dependency added to pyproject.toml
without `scripts/lock` fails the check instead of going missing from every install.

    python scripts/lib/lockfile.py stamp   [--root DIR]   after pip-compile: write the digest
    python scripts/lib/lockfile.py check   [--root DIR]   exit 1, saying why, when a lock is stale
    python scripts/lib/lockfile.py install-digest         print what ensure_venv stamps an install with

Standard library only: it runs before any venv exists.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tomllib
from pathlib import Path

# Installed by scripts/run and scripts/serve; by scripts/test, scripts/check and CI. The
# runtime lock is compiled under the dev lock as a constraint, so it has the same pins.
LOCKS = ("runtime", "dev")
STAMP = "# pyproject-dependencies-sha256: "
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def lock_path(root: Path, name: str) -> Path:
    return root / "requirements" / f"{name}.txt"


def dependencies_digest(pyproject: Path) -> str:
    """sha256 of what a lock is resolved from; other tables of the file ([tool.*]) may change
    freely without making the locks stale."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    wanted = {key: project.get(key) for key in ("requires-python", "dependencies", "optional-dependencies")}
    canonical = json.dumps(wanted, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def install_digest(pyproject: Path) -> str:
    """sha256 of what an install of the project depends on: [project], [build-system] and
    setuptools' settings, not the tools' ([tool.ruff], [tool.pytest...]), so that tuning
    a tool does not reinstall the venv (ensure_venv's stamp)."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    tools = data.get("tool", {})
    wanted = {"project": data.get("project"), "build-system": data.get("build-system"),
              "setuptools": tools.get("setuptools")}
    return hashlib.sha256(json.dumps(wanted, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def stamped_digest(lock: Path) -> str | None:
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith(STAMP):
            return line[len(STAMP):].strip()
    return None


def pins(lock: Path) -> dict[str, str]:
    """{canonical name: version} of every `name==version` line."""
    return {re.sub(r"[-_.]+", "-", name).lower(): version
            for name, version in PIN.findall(lock.read_text(encoding="utf-8"))}


def stamp(root: Path) -> None:
    """Put the digest under pip-compile's header (replacing an older one)."""
    line = STAMP + dependencies_digest(root / "pyproject.toml")
    for name in LOCKS:
        lock = lock_path(root, name)
        kept = [row for row in lock.read_text(encoding="utf-8").splitlines() if not row.startswith(STAMP)]
        header_end = next((i for i, row in enumerate(kept) if not row.startswith("#")), len(kept))
        kept.insert(header_end, line)
        lock.write_text("\n".join(kept) + "\n", encoding="utf-8")


def problems(root: Path) -> list[str]:
    found = []
    digest = dependencies_digest(root / "pyproject.toml")
    for name in LOCKS:
        lock = lock_path(root, name)
        if not lock.is_file():
            found.append(f"{lock.relative_to(root)} is missing")
        elif stamped_digest(lock) != digest:
            found.append(f"{lock.relative_to(root)} was not made from pyproject.toml's current dependencies")
    if found:
        return found
    runtime, dev = pins(lock_path(root, "runtime")), pins(lock_path(root, "dev"))
    # ensure_venv counts a dev install as a runtime one too: that holds only if dev has them all.
    for package, version in sorted(runtime.items()):
        if dev.get(package) != version:
            found.append(f"requirements/dev.txt pins {package} to {dev.get(package)}, runtime.txt to {version}")
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("stamp", "check", "install-digest"))
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    args = parser.parse_args(argv)
    if args.command == "stamp":
        stamp(args.root)
        return 0
    if args.command == "install-digest":
        print(install_digest(args.root / "pyproject.toml"))
        return 0
    found = problems(args.root)
    for problem in found:
        print(f"lock: {problem}", file=sys.stderr)
    if found:
        print("lock: run scripts/lock (docs/dependencies.md)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
