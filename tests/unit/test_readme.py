"""README.md is what a newcomer follows: one configuration table naming every setting
config/settings.py reads, and examples that use the ports scripts/run was started with."""
from __future__ import annotations

import re
from pathlib import Path

from config import settings

README = Path(__file__).resolve().parents[2] / "README.md"


class Asked(dict):
    """An environment that remembers every variable the settings ask it for."""

    def __init__(self, values: dict):
        super().__init__(values)
        self.names: set[str] = set()

    def get(self, key, default=None):
        self.names.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.names.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.names.add(key)
        return super().__contains__(key)


def asked_for(values: dict) -> set[str]:
    env = Asked(values)
    try:
        settings.load(env)
    except settings.ConfigError:   # production refuses the defaults, after reading everything
        pass
    return env.names


def configuration_section() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return text.split("\n## Configuration (environment)\n", 1)[1].split("\n## ", 1)[0].splitlines()


def table_rows() -> list[str]:
    return [line for line in configuration_section() if line.startswith("|")]


def test_the_configuration_is_one_table():
    lines = configuration_section()
    first = lines.index(table_rows()[0])
    assert lines[first:first + len(table_rows())] == table_rows(), "prose splits the table"
    text = README.read_text(encoding="utf-8")
    assert text.count("| variable | default | meaning |") == 1
    setting_rows = [line for line in text.splitlines() if re.match(r"\| `[A-Z][A-Z0-9_]+`", line)]
    assert set(setting_rows) <= set(table_rows()), "a setting's row outside the table"


def test_every_setting_is_in_the_table():
    named = {name for row in table_rows() for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}
    read = asked_for({}) | asked_for({"SHAOBAO_ENV": "production"})
    assert read - named == set()


def test_no_example_writes_a_port_in():
    assert re.findall(r"127\.0\.0\.1:\d+", README.read_text(encoding="utf-8")) == []
