"""The working calendar on hand-checked cases (Beijing wall-clock times throughout)."""
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from workflows.calendar import Limit, WorkCalendar, load_calendar

BEIJING = ZoneInfo("Asia/Shanghai")
CONFIG = Path(__file__).resolve().parents[2] / "config" / "calendar.json"
BARE = WorkCalendar(set(), set())
OFFICIAL = WorkCalendar.from_file(CONFIG)


def bj(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=BEIJING)


def hours(n):
    return Limit(n, "work_hours")


def days(n):
    return Limit(n, "work_days")


# 2026-03-09 .. 2026-03-16 is a week without holidays: Mon 9, Thu 12, Fri 13, Sat 14, Mon 16.

def test_friday_afternoon_plus_four_work_hours_is_monday_before_noon():
    due = BARE.due(bj(2026, 3, 13, 16), hours(4))
    assert due == bj(2026, 3, 16, 11, 30)
    assert due.tzinfo is UTC


def test_a_limit_started_at_lunch_runs_from_the_afternoon_opening():
    assert BARE.due(bj(2026, 3, 11, 12, 30), hours(2)) == bj(2026, 3, 11, 15, 30)


def test_a_limit_running_out_at_noon_is_due_at_noon_not_after_lunch():
    assert BARE.due(bj(2026, 3, 11, 10), hours(2)) == bj(2026, 3, 11, 12)


def test_a_limit_started_on_saturday_starts_on_monday():
    assert BARE.due(bj(2026, 3, 14, 10), hours(1)) == bj(2026, 3, 16, 10)
    assert BARE.due(bj(2026, 3, 14, 10), days(1)) == bj(2026, 3, 16, 17, 30)


def test_a_limit_started_at_23_00_starts_next_morning():
    assert BARE.due(bj(2026, 3, 10, 23), hours(1)) == bj(2026, 3, 11, 10)


def test_days_are_beijing_days_not_utc_days():
    # 01:00 Wednesday in Beijing is still Tuesday in UTC; the receipt day is Wednesday.
    start = bj(2026, 3, 11, 1)
    assert start.astimezone(UTC).day == 10
    assert BARE.due(start, days(1)) == bj(2026, 3, 12, 17, 30)


def test_three_work_days_from_a_thursday_end_on_tuesday_close():
    assert BARE.due(bj(2026, 3, 12, 9, 1), days(3)) == bj(2026, 3, 17, 17, 30)
    assert BARE.due(bj(2026, 3, 12, 23, 59), days(3)) == bj(2026, 3, 17, 17, 30)


def test_national_day_week_and_its_make_up_saturday():
    start = bj(2026, 9, 30, 16)
    # Oct 1-7 off, Thu 8 and Fri 9 work, Saturday 10 is the make-up working day.
    assert OFFICIAL.due(start, days(3)) == bj(2026, 10, 10, 17, 30)
    assert OFFICIAL.due(start, hours(4)) == bj(2026, 10, 8, 11, 30)
    assert BARE.due(start, days(3)) == bj(2026, 10, 5, 17, 30)


def test_a_make_up_sunday_is_worked():
    # Fri Sep 18 2026, then Sunday Sep 20 is worked instead of Oct 1-7.
    assert OFFICIAL.due(bj(2026, 9, 18, 16), hours(4)) == bj(2026, 9, 20, 11, 30)
    assert OFFICIAL.is_working_time(bj(2026, 9, 20, 10))
    assert not OFFICIAL.is_working_time(bj(2026, 10, 5, 10))


def test_the_spring_festival_2026_closes_nine_days():
    off = [d for d in (date(2026, 2, 14) + timedelta(n) for n in range(15))
           if not OFFICIAL.is_working_day(d)]
    assert off == [date(2026, 2, 15) + timedelta(n) for n in range(9)]
    assert OFFICIAL.is_working_day(date(2026, 2, 14))
    assert OFFICIAL.is_working_day(date(2026, 2, 28))


def test_natural_units_ignore_the_calendar():
    saturday_night = bj(2026, 3, 14, 23, 50)
    assert OFFICIAL.due(saturday_night, Limit(30, "minutes")) == bj(2026, 3, 15, 0, 20)
    assert OFFICIAL.due(bj(2026, 10, 1, 12), Limit(2, "hours")) == bj(2026, 10, 1, 14)


def test_working_time_is_half_open():
    assert BARE.is_working_time(bj(2026, 3, 11, 9))
    assert not BARE.is_working_time(bj(2026, 3, 11, 12))
    assert not BARE.is_working_time(bj(2026, 3, 11, 12, 45))
    assert BARE.is_working_time(bj(2026, 3, 11, 17, 29))
    assert not BARE.is_working_time(bj(2026, 3, 14, 10))


def test_working_seconds_across_a_weekend():
    assert BARE.working_seconds(bj(2026, 3, 13, 16), bj(2026, 3, 16, 10)) == 9000
    assert BARE.working_seconds(bj(2026, 3, 9), bj(2026, 3, 16)) == 5 * 7 * 3600
    assert BARE.working_seconds(bj(2026, 3, 16, 10), bj(2026, 3, 13, 16)) == 0


def test_pause_over_a_weekend_keeps_the_total_working_time():
    start = bj(2026, 3, 12, 15)
    due = BARE.due(start, hours(8))
    assert due == bj(2026, 3, 13, 16)
    paused, resumed = bj(2026, 3, 13, 11), bj(2026, 3, 16, 15)
    left = BARE.remaining(paused, due, "work_hours")
    assert left == 3.5 * 3600
    new_due = BARE.resume(resumed, left, "work_hours")
    assert new_due == bj(2026, 3, 17, 10)
    used = BARE.working_seconds(start, paused) + BARE.working_seconds(resumed, new_due)
    assert used == 8 * 3600


def test_a_clock_resumed_on_saturday_restarts_on_monday():
    assert BARE.resume(bj(2026, 3, 14, 10), 1800, "work_days") == bj(2026, 3, 16, 9, 30)


def test_an_overdue_clock_stays_overdue_by_the_same_amount():
    due, paused, resumed = bj(2026, 3, 13, 17), bj(2026, 3, 16, 10), bj(2026, 3, 18, 10)
    left = BARE.remaining(paused, due, "work_hours")
    assert left == -1.5 * 3600
    new_due = BARE.resume(resumed, left, "work_hours")
    assert new_due == bj(2026, 3, 17, 17)


def test_natural_clocks_pause_in_natural_seconds():
    due = bj(2026, 3, 14, 10, 30)
    assert OFFICIAL.remaining(bj(2026, 3, 14, 10, 10), due, "minutes") == 1200
    assert OFFICIAL.resume(bj(2026, 3, 15, 3), 1200, "minutes") == bj(2026, 3, 15, 3, 20)


def test_extension_counts_from_the_current_due_time():
    assert BARE.extend(bj(2026, 3, 17, 17, 30), days(2)) == bj(2026, 3, 19, 17, 30)
    assert BARE.extend(bj(2026, 3, 13, 17, 30), hours(1)) == bj(2026, 3, 16, 10)
    assert BARE.extend(bj(2026, 3, 13, 17, 30), Limit(2, "hours")) == bj(2026, 3, 13, 19, 30)


def test_yellow_warning_at_four_fifths():
    assert OFFICIAL.warn_at(bj(2026, 3, 13, 10), bj(2026, 3, 13, 12), 0.8, "hours") \
        == bj(2026, 3, 13, 11, 36)
    assert OFFICIAL.warn_at(bj(2026, 3, 13, 10), bj(2026, 3, 13, 12), 0.5, "minutes") \
        == bj(2026, 3, 13, 11)
    # 4 work_hours from Friday 16:00: 3h12m of working time is Monday 10:42.
    start = bj(2026, 3, 13, 16)
    assert BARE.warn_at(start, BARE.due(start, hours(4)), 0.8, "work_hours") \
        == bj(2026, 3, 16, 10, 42)


def test_the_shipped_file_covers_2025_and_2026():
    assert OFFICIAL.known_years == {2025, 2026}
    assert OFFICIAL.periods == ((time(9), time(12)), (time(13, 30), time(17, 30)))
    assert not OFFICIAL.is_working_day(date(2025, 10, 8))
    assert OFFICIAL.is_working_day(date(2025, 10, 11))


def test_years_absent_from_the_data_only_have_weekends_off():
    assert OFFICIAL.is_working_day(date(2030, 10, 1))
    assert not OFFICIAL.is_working_day(date(2030, 10, 5))
    assert 2030 not in OFFICIAL.known_years


def test_configurable_periods():
    cal = load_calendar({"periods": [["08:30", "12:00"], ["14:30", "18:00"]], "years": {}})
    assert cal.due(bj(2026, 3, 11, 11), hours(2)) == bj(2026, 3, 11, 15, 30)
    assert cal.due(bj(2026, 3, 11, 11), days(1)) == bj(2026, 3, 12, 18)


@pytest.mark.parametrize("data, message", [
    ({"years": {"2026": {"holidays": ["2025-10-01"]}}}, "another year"),
    ({"years": {"2026": {"makeup_workdays": ["2026-10-09"]}}}, "must be weekends"),
    ({"years": {"2026": {"holidays": ["2026-10-10"], "makeup_workdays": ["2026-10-10"]}}},
     "both holiday"),
    ({"years": {"2026": {"holiday": ["2026-10-01"]}}}, "unknown keys"),
    ({"periods": [["13:30", "17:30"], ["09:00", "12:00"]]}, "ordered"),
    ({"periods": [["09:00", "09:00"]]}, "ordered"),
])
def test_dubious_calendar_data_is_refused(data, message):
    with pytest.raises(ValueError, match=message):
        load_calendar(data)


@pytest.mark.parametrize("amount, unit", [(0, "work_hours"), (-1, "hours"), (1.5, "hours"),
                                          (True, "hours"), (1, "weeks")])
def test_bad_limits_are_refused(amount, unit):
    with pytest.raises(ValueError):
        Limit(amount, unit)


def test_naive_datetimes_and_unknown_units_are_refused():
    with pytest.raises(ValueError, match="naive"):
        BARE.due(datetime(2026, 3, 11, 10), hours(1))
    with pytest.raises(ValueError, match="unit"):
        BARE.remaining(bj(2026, 3, 11), bj(2026, 3, 12), "fortnights")
    with pytest.raises(ValueError, match="share"):
        BARE.warn_at(bj(2026, 3, 11), bj(2026, 3, 12), -0.1, "work_hours")
