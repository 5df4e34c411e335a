"""scripts/check's rules catch what they are meant to: each is shown a deliberate violation.

The import contracts run on a copy of the source packages with one offending module added;
ruff reads a probe from stdin under a path of the tree; the lock check gets a copy of
pyproject.toml and the locks. The tools are those of the dev lock, run beside this Python.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("backend", "miniprogram_api", "workflows", "config")
BIN = Path(sys.executable).parent
LAYERS = "Layers: faces -> api -> effects"
WORKFLOWS_PURE = "workflows/ is pure Python"
NO_CIRCLES = "No circle between the packages"


def run(command: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, **kwargs)


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    """lint-imports with the project's contracts on the packages found in `tree`."""
    # PYTHONPATH puts the copy ahead of the editable install of the real tree.
    # COLUMNS: one line per contract in the summary, however long its name.
    env = {"PATH": str(BIN), "PYTHONPATH": str(tree), "LANG": "C.UTF-8", "COLUMNS": "1000"}
    return run([str(BIN / "lint-imports"), "--no-logo", "--no-cache", "--config", str(ROOT / "pyproject.toml")],
               cwd=tree, env=env)


def broken(result: subprocess.CompletedProcess, contract: str) -> bool:
    return any(row.startswith(contract) and row.endswith(" BROKEN") for row in result.stdout.splitlines())


@pytest.fixture()
def source_copy(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_a_service_importing_effects_and_flask_in_workflows_break_their_contracts(source_copy):
    (source_copy / "backend/services/house_rule_probe.py").write_text(
        "from backend.effects import relay\n")
    (source_copy / "workflows/house_rule_probe.py").write_text("import flask\n")
    result = lint_imports(source_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken(result, LAYERS) and broken(result, WORKFLOWS_PURE)
    assert "backend.services.house_rule_probe -> backend.effects.relay" in result.stdout
    assert "workflows.house_rule_probe -> flask" in result.stdout


def test_a_circle_between_feature_packages_breaks_the_acyclic_contract(source_copy):
    (source_copy / "backend/services/geo/house_rule_probe.py").write_text(
        "from backend.services.cases import intake\n")
    result = lint_imports(source_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken(result, NO_CIRCLES)
    # cases.intake imports geo.lookup: the probe closes a circle geo <-> cases.
    assert ".geo -> .cases" in result.stdout or ".cases -> .geo" in result.stdout


def test_the_tree_keeps_every_import_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def ruff_codes(path: str, source: str) -> set[str]:
    """The rule codes ruff reports for `source` checked as if it were the file at `path`."""
    result = run([str(BIN / "ruff"), "check", "--no-cache", "--output-format", "concise", "--exit-zero",
                  "--stdin-filename", path, "-"], cwd=ROOT, input=source)
    assert result.returncode == 0, result.stderr
    return set(re.findall(r"^\S+:\d+:\d+: ([A-Z]+[0-9]+) ", result.stdout, re.MULTILINE))


def test_an_import_inside_a_function_fails_in_the_application_not_in_tests():
    probe = "def f():\n    from backend.services import clock\n\n    return clock\n"
    assert "PLC0415" in ruff_codes("backend/services/house_rule_probe.py", probe)
    assert "PLC0415" not in ruff_codes("tests/unit/house_rule_probe.py", probe)


def test_ruff_sorts_imports_with_the_project_first_party():
    unsorted = "from backend.services import clock\nimport flask\n\nprint(flask, clock)\n"
    assert "I001" in ruff_codes("backend/house_rule_probe.py", unsorted)
    ordered = "import flask\n\nfrom backend.services import clock\n\nprint(flask, clock)\n"
    assert ruff_codes("backend/house_rule_probe.py", ordered) == set()


def lock_check(root: Path) -> subprocess.CompletedProcess:
    return run([sys.executable, str(ROOT / "scripts/lib/lockfile.py"), "check", "--root", str(root)], cwd=root)


@pytest.fixture()
def lock_copy(tmp_path):
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "requirements", tmp_path / "requirements")
    return tmp_path


def test_the_locks_are_made_from_pyproject(lock_copy):
    result = lock_check(lock_copy)
    assert result.returncode == 0, result.stderr


def test_a_dependency_added_without_locking_makes_the_locks_stale(lock_copy):
    pyproject = lock_copy / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace('dependencies = [\n', 'dependencies = [\n    "humanize>=4",\n', 1),
                         encoding="utf-8")
    result = lock_check(lock_copy)
    assert result.returncode == 1
    assert "requirements/runtime.txt was not made from" in result.stderr
    assert "requirements/dev.txt was not made from" in result.stderr


def test_a_tool_setting_leaves_the_locks_fresh(lock_copy):
    pyproject = lock_copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace("line-length = 120", "line-length = 99"),
                         encoding="utf-8")
    assert lock_check(lock_copy).returncode == 0


def test_a_dev_lock_that_disagrees_with_the_runtime_lock_fails(lock_copy):
    dev = lock_copy / "requirements/dev.txt"
    dev.write_text(dev.read_text(encoding="utf-8").replace("\nflask==3.", "\nflask==9.", 1), encoding="utf-8")
    result = lock_check(lock_copy)
    assert result.returncode == 1
    assert "requirements/dev.txt pins flask to 9." in result.stderr
