"""Properties of the deadline arithmetic, on the shipped holiday data (2025-2026)."""
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.calendar import NATURAL_UNITS, UNITS, WORK_UNITS, Limit, WorkCalendar

CAL = WorkCalendar.from_file(Path(__file__).resolve().parents[2] / "config" / "calendar.json")
# Per test, not a loaded profile: a profile would change every other module's settings.
# No example database: the unit run must leave nothing behind in the work tree.
quick = settings(database=None, max_examples=150, deadline=None)

moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 30),
                       timezones=st.just(UTC))
dates = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 11, 30))
boundaries = [t for period in CAL.periods for t in period] + [time(0), time(12, 45), time(23)]
# Starts on the boundaries that matter, where off-by-one-interval mistakes live.
aligned = st.builds(lambda d, t: datetime.combine(d, t, tzinfo=CAL.zone), dates,
                    st.sampled_from(boundaries))
starts = st.one_of(moments, aligned)
work_units = st.sampled_from(sorted(WORK_UNITS))
amounts = st.integers(min_value=1, max_value=60)


@st.composite
def working_moments(draw):
    """A moment inside a working period (drawn directly: filtering would discard most)."""
    day = draw(dates.filter(CAL.is_working_day))
    start, end = draw(st.sampled_from(CAL.periods))
    length = datetime.combine(day, end) - datetime.combine(day, start)
    offset = draw(st.integers(min_value=0, max_value=length // timedelta(microseconds=1) - 1))
    return datetime.combine(day, start, tzinfo=CAL.zone) + timedelta(microseconds=offset)


def is_period_close(moment):
    local = moment.astimezone(CAL.zone)
    closes = {end for _, end in CAL.periods}
    return CAL.is_working_day(local.date()) and local.time() in closes


@quick
@given(starts, amounts, st.sampled_from(sorted(UNITS)))
def test_due_is_never_before_the_start(start, amount, unit):
    assert CAL.due(start, Limit(amount, unit)) >= start


@quick
@given(starts, amounts)
def test_n_work_hours_are_exactly_n_hours_of_working_time(start, n):
    # Exact even for a start at 10:17:33.123456 or on a holiday: the walk keeps microseconds.
    assert CAL.working_seconds(start, CAL.due(start, Limit(n, "work_hours"))) == n * 3600


@quick
@given(starts, amounts, amounts, st.sampled_from(sorted(UNITS)))
def test_due_is_monotone_in_the_amount(start, a, b, unit):
    shorter, longer = CAL.due(start, Limit(a, unit)), CAL.due(start, Limit(a + b, unit))
    assert shorter < longer


@quick
@given(starts, amounts, work_units)
def test_work_deadlines_fall_in_working_time_or_at_a_close(start, amount, unit):
    due = CAL.due(start, Limit(amount, unit))
    assert CAL.is_working_time(due) or is_period_close(due)
    # Landing at an opening would mean the last of the time ran out at the previous close.
    assert due.astimezone(CAL.zone).time() not in {begin for begin, _ in CAL.periods}


@quick
@given(starts, amounts)
def test_n_work_days_end_at_the_close_of_the_nth_working_day_after(start, n):
    due = CAL.due(start, Limit(n, "work_days")).astimezone(CAL.zone)
    received = start.astimezone(CAL.zone).date()
    between = [received + timedelta(k) for k in range(1, (due.date() - received).days + 1)]
    assert sum(map(CAL.is_working_day, between)) == n
    assert CAL.is_working_day(due.date()) and due.time() == CAL.periods[-1][1]


@quick
@given(starts, amounts, work_units, working_moments())
def test_remaining_then_resume_gives_back_the_due_time(start, amount, unit, now):
    due = CAL.due(start, Limit(amount, unit))
    assert CAL.resume(now, CAL.remaining(now, due, unit), unit) == due


@quick
@given(starts, amounts, st.sampled_from(sorted(NATURAL_UNITS)), moments)
def test_natural_clocks_round_trip_from_any_moment(start, amount, unit, now):
    due = CAL.due(start, Limit(amount, unit))
    assert CAL.resume(now, CAL.remaining(now, due, unit), unit) == due


@quick
@given(starts, amounts, moments, work_units)
def test_a_pause_loses_no_working_time(start, amount, resumed_after, unit):
    # Whole seconds: working_seconds floors, and two floors need not add up to one.
    start = start.replace(microsecond=0)
    due = CAL.due(start, Limit(amount, unit))
    paused = (start + (due - start) / 2).replace(microsecond=0)
    resumed = max(paused, resumed_after)
    new_due = CAL.resume(resumed, CAL.remaining(paused, due, unit), unit)
    assert (CAL.working_seconds(start, paused) + CAL.working_seconds(resumed, new_due)
            == CAL.working_seconds(start, due))


@quick
@given(starts, amounts, work_units, st.floats(0, 1), st.floats(0, 1))
def test_warnings_fall_between_start_and_due_in_order(start, amount, unit, s1, s2):
    due = CAL.due(start, Limit(amount, unit))
    low, high = sorted((s1, s2))
    assert start <= CAL.warn_at(start, due, low, unit) <= CAL.warn_at(start, due, high, unit) <= due


@quick
@given(moments, moments, moments)
def test_working_time_adds_up_over_consecutive_spans(a, b, c):
    a, b, c = sorted(m.replace(microsecond=0) for m in (a, b, c))
    assert CAL.working_seconds(a, c) == CAL.working_seconds(a, b) + CAL.working_seconds(b, c)
