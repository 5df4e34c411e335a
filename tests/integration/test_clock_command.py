"""`flask clock`: the development clock file the server, the scheduler and the WeChat
simulator share (scripts/run sets it; `scripts/demo clock` runs these commands)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from backend.models.types import utcnow
from backend.services.clock import OffsetFileClock


@pytest.fixture()
def clock_file(app, tmp_path, monkeypatch):
    path = tmp_path / "clock"
    monkeypatch.setitem(app.config, "CLOCK_FILE", str(path))
    return path


def flask_clock(app, *args):
    return app.test_cli_runner().invoke(args=["clock", *args])


@pytest.mark.parametrize(("given", "seconds"), [("2h", 7200), ("+90m", 5400), ("1d12h", 129_600),
                                                ("45s", 45), ("600", 600), ("+1d2h3m4s", 93_784)])
def test_advance_moves_the_file_forward_by_a_duration(app, clock_file, given, seconds):
    result = flask_clock(app, "advance", given)
    assert result.exit_code == 0, result.output
    assert OffsetFileClock(clock_file).offset() == seconds
    moved = OffsetFileClock(clock_file)()
    assert abs(moved - utcnow() - timedelta(seconds=seconds)) < timedelta(seconds=5)


def test_advances_add_up_and_show_tells_how_far(app, clock_file):
    flask_clock(app, "advance", "1d")
    flask_clock(app, "advance", "2h")
    result = flask_clock(app, "show")
    assert result.exit_code == 0
    assert result.output.startswith("+1d 2h ahead of real time: now ")
    assert "Beijing" in result.output and str(clock_file) in result.output


def test_show_on_an_unmoved_clock(app, clock_file):
    assert flask_clock(app, "show").output.startswith("+0s ahead of real time")


@pytest.mark.parametrize("given", ["-2h", "2 hours", "h", "2x", "", "1.5h"])
def test_only_forward_durations_are_understood(app, clock_file, given):
    result = flask_clock(app, "advance", "--", given)   # "--": "-2h" reaches the argument
    assert result.exit_code == 2 and "is not a duration" in result.output
    assert not clock_file.exists()


def test_without_a_clock_file_it_says_how_to_get_one(app, monkeypatch):
    monkeypatch.setitem(app.config, "CLOCK_FILE", None)
    result = flask_clock(app, "advance", "2h")
    assert result.exit_code == 1 and "SHAOBAO_CLOCK_FILE is not set" in result.output
