"""The working calendar: when a government clock runs, and deadline arithmetic on it.

Moments are timezone-aware datetimes; every result is in UTC. Days, weekends and office
hours are those of the calendar's local zone (Asia/Shanghai by default), so a case filed at
01:00 Beijing time (17:00 UTC the day before) belongs to the Beijing date.

Units of a `Limit`:
- "minutes", "hours": natural time; the calendar is ignored (emergencies, on-site arrival).
- "work_hours": only time inside the working periods of working days counts.
- "work_days": the day-counting rule of administrative limits (行政许可法 art. 82 counts
  working days; 民法典 art. 201/203: the first day is not counted and, where there are
  business hours, the period ends when business stops). A limit of N work_days started at
  any moment of local date D ends at the close of the last working period of the N-th
  working day strictly after D. So the day of receipt never counts, whether the case came in
  at 09:01, at 23:00 or on a Sunday: 1 work_day from Thursday 09:01 and from Thursday 23:00
  both end Friday 17:30, and from Saturday it ends Monday 17:30.

Working time is half-open: a period [09:00, 12:00) is working time at 09:00, not at 12:00.
A work-unit deadline is the earliest moment at which the clock has run its amount, so it
never falls at a period's opening, nor outside working time except exactly at a period's
close (a limit running out at 12:00 is due at 12:00, not at 13:30).

Working days: Monday to Friday, less the listed holidays, plus the listed make-up working
days (调休上班). For a year the data does not cover (see `known_years`) only weekends are off:
callers should warn when a clock reaches past the last known year.

Pausing: `remaining` measures what is left of a clock in its own measure (natural seconds,
or working seconds for both work units) and `resume` spends it again from the resumption.
A paused work_days clock therefore resumes as working time, not as whole days: it keeps the
promised amount of work, not the close-of-business alignment.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

UTC = UTC
NATURAL_UNITS = frozenset({"minutes", "hours"})
WORK_UNITS = frozenset({"work_hours", "work_days"})
UNITS = NATURAL_UNITS | WORK_UNITS
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_PERIODS = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 30)))

Period = tuple[time, time]
Interval = tuple[datetime, datetime]
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_SATURDAY = 5


@dataclass(frozen=True)
class Limit:
    """A time limit as the catalogue states it, e.g. Limit(2, "work_hours")."""

    amount: int
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown limit unit {self.unit!r}; expected one of {sorted(UNITS)}")
        # bool is an int subclass: Limit(True, ...) is a config bug, not one unit.
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise ValueError(f"limit amount must be an integer, got {self.amount!r}")
        if self.amount <= 0:
            raise ValueError(f"limit amount must be positive, got {self.amount}")

    @property
    def natural(self) -> bool:
        return self.unit in NATURAL_UNITS


class WorkCalendar:
    """Working days and office hours of one place, and deadlines counted on them."""

    def __init__(self, holidays: set[date], makeup_workdays: set[date],
                 periods: tuple[Period, ...] = DEFAULT_PERIODS, *,
                 timezone_name: str = DEFAULT_TIMEZONE,
                 known_years: frozenset[int] | None = None) -> None:
        both = set(holidays) & set(makeup_workdays)
        if both:
            raise ValueError(f"dates both holiday and make-up working day: {_isoformats(both)}")
        self.holidays = frozenset(holidays)
        self.makeup_workdays = frozenset(makeup_workdays)
        self.periods = _checked_periods(periods)
        self.zone = ZoneInfo(timezone_name)
        if known_years is None:
            known_years = frozenset(d.year for d in self.holidays | self.makeup_workdays)
        self.known_years = frozenset(known_years)

    @classmethod
    def from_file(cls, path: str | Path) -> WorkCalendar:
        return load_calendar(json.loads(Path(path).read_text(encoding="utf-8")))

    # -- days and moments -------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        return day.weekday() < _SATURDAY and day not in self.holidays

    def is_working_time(self, moment: datetime) -> bool:
        local = _utc(moment).astimezone(self.zone)
        if not self.is_working_day(local.date()):
            return False
        return any(start <= local.time() < end for start, end in self.periods)

    # -- deadlines --------------------------------------------------------------------

    def due(self, start: datetime, limit: Limit) -> datetime:
        start = _utc(start)
        if limit.unit == "minutes":
            return start + timedelta(minutes=limit.amount)
        if limit.unit == "hours":
            return start + timedelta(hours=limit.amount)
        if limit.unit == "work_hours":
            return self._forward(start, timedelta(hours=limit.amount))
        return self._close_of_business(self._nth_working_day_after(self._local_date(start),
                                                                   limit.amount))

    def extend(self, due_at: datetime, limit: Limit) -> datetime:
        """An approved extension (延期) counts its limit from the current due time, so an
        N work_days extension of a clock due at Tuesday's close ends N working days later."""
        return self.due(due_at, limit)

    def working_seconds(self, start: datetime, end: datetime) -> int:
        """Whole seconds of working time in [start, end); 0 when end <= start."""
        return self._working_time(_utc(start), _utc(end)) // _ONE_SECOND

    def remaining(self, now: datetime, due_at: datetime, unit: str) -> float:
        """What is left of a clock at `now`, in seconds of its own measure.

        Negative when the clock is already overdue, so that pausing and resuming an overdue
        clock keeps it overdue by the same amount instead of forgiving the delay."""
        now, due_at = _utc(now), _utc(due_at)
        if _is_natural(unit):
            return (due_at - now).total_seconds()
        if due_at >= now:
            return self._working_time(now, due_at).total_seconds()
        return -self._working_time(due_at, now).total_seconds()

    def resume(self, now: datetime, remaining_seconds: float, unit: str) -> datetime:
        """The due time of a clock that resumes at `now` with `remaining` left.

        For work units, resume(now, remaining(now, d)) == d whenever `now` is working time
        and d is a work-unit due time (outside working time a past due time is ambiguous)."""
        now = _utc(now)
        if not math.isfinite(remaining_seconds):
            raise ValueError(f"remaining seconds must be finite, got {remaining_seconds!r}")
        left = timedelta(seconds=remaining_seconds)
        if _is_natural(unit):
            return now + left
        if left >= timedelta(0):
            return self._forward(now, left)
        return self._backward(now, -left)

    def warn_at(self, start: datetime, due_at: datetime, share: float, unit: str) -> datetime:
        """The moment `share` of the clock from `start` to `due_at` has run, in its measure:
        0.8 of a 4 work_hours clock is 3h12m of working time, wherever the nights fall."""
        start, due_at = _utc(start), _utc(due_at)
        if not (math.isfinite(share) and share >= 0):
            raise ValueError(f"share must be a non-negative number, got {share!r}")
        if _is_natural(unit):
            return start + (due_at - start) * share
        return self._forward(start, self._working_time(start, due_at) * share)

    # -- the walk over working intervals ----------------------------------------------

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def _day_intervals(self, day: date) -> list[Interval]:
        if not self.is_working_day(day):
            return []
        return [(self._instant(day, start), self._instant(day, end)) for start, end in self.periods]

    def _instant(self, day: date, clock: time) -> datetime:
        # Converted to UTC at once: subtracting two datetimes of one zone uses wall time.
        return datetime.combine(day, clock, tzinfo=self.zone).astimezone(UTC)

    def _intervals_from(self, moment: datetime) -> Iterator[Interval]:
        day = self._local_date(moment)
        while True:
            for start, end in self._day_intervals(day):
                if end > moment:
                    yield max(start, moment), end
            day += _ONE_DAY

    def _intervals_before(self, moment: datetime) -> Iterator[Interval]:
        day = self._local_date(moment)
        while True:
            for start, end in reversed(self._day_intervals(day)):
                if start < moment:
                    yield start, min(end, moment)
            day -= _ONE_DAY

    def _working_time(self, start: datetime, end: datetime) -> timedelta:
        total = timedelta(0)
        if end <= start:
            return total
        for lo, hi in self._intervals_from(start):
            if lo >= end:
                return total
            total += min(hi, end) - lo
        raise AssertionError("unreachable: the interval walk is endless")

    def _forward(self, start: datetime, work: timedelta) -> datetime:
        if work <= timedelta(0):
            return start
        for lo, hi in self._intervals_from(start):
            if work <= hi - lo:
                return lo + work
            work -= hi - lo
        raise AssertionError("unreachable: the interval walk is endless")

    def _backward(self, end: datetime, work: timedelta) -> datetime:
        # Strict comparison: when the work is spent exactly at a period's opening, the
        # earliest moment with that much working time before `end` is the previous close.
        for lo, hi in self._intervals_before(end):
            if work < hi - lo:
                return hi - work
            work -= hi - lo
        raise AssertionError("unreachable: the interval walk is endless")

    def _nth_working_day_after(self, day: date, n: int) -> date:
        while n:
            day += _ONE_DAY
            if self.is_working_day(day):
                n -= 1
        return day

    def _close_of_business(self, day: date) -> datetime:
        return self._instant(day, self.periods[-1][1])


def load_calendar(data: dict) -> WorkCalendar:
    """Build a calendar from the config/calendar.json shape, refusing dubious data (an
    unknown key, a date filed under another year, a make-up working day on a weekday):
    a typo in a holiday list silently moves every deadline."""
    _refuse_unknown_keys("calendar", data, {"timezone", "periods", "years", "note"})
    holidays: set[date] = set()
    makeup: set[date] = set()
    years = data.get("years", {})
    for year_key, year in years.items():
        _refuse_unknown_keys(f"year {year_key}", year, {"holidays", "makeup_workdays", "source"})
        holidays |= _year_dates(year_key, year, "holidays")
        makeup |= _year_dates(year_key, year, "makeup_workdays")
    weekdays = {d for d in makeup if d.weekday() < _SATURDAY}
    if weekdays:
        raise ValueError(f"make-up working days must be weekends: {_isoformats(weekdays)}")
    periods = tuple(_parse_period(p) for p in data.get("periods", ())) or DEFAULT_PERIODS
    return WorkCalendar(holidays, makeup, periods,
                        timezone_name=data.get("timezone", DEFAULT_TIMEZONE),
                        known_years=frozenset(int(y) for y in years))


def _refuse_unknown_keys(where: str, mapping: dict, allowed: set[str]) -> None:
    unknown = set(mapping) - allowed
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")


def _year_dates(year_key: str, year: dict, field: str) -> set[date]:
    days = {date.fromisoformat(text) for text in year.get(field, ())}
    strays = {d for d in days if str(d.year) != year_key}
    if strays:
        raise ValueError(f"year {year_key}: {field} of another year: {_isoformats(strays)}")
    return days


def _parse_period(pair: list[str]) -> Period:
    start, end = pair
    return time.fromisoformat(start), time.fromisoformat(end)


def _checked_periods(periods: tuple[Period, ...]) -> tuple[Period, ...]:
    periods = tuple((start, end) for start, end in periods)
    if not periods:
        raise ValueError("a calendar needs at least one working period")
    bounds = [t for period in periods for t in period]
    if any(t.tzinfo is not None for t in bounds):
        raise ValueError("working periods are local wall-clock times, without tzinfo")
    if any(a >= b for a, b in zip(bounds, bounds[1:])):
        raise ValueError(f"working periods must be ordered and disjoint: {periods}")
    return periods


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: give a timezone-aware one")
    return moment.astimezone(UTC)


def _is_natural(unit: str) -> bool:
    if unit not in UNITS:
        raise ValueError(f"unknown limit unit {unit!r}; expected one of {sorted(UNITS)}")
    return unit in NATURAL_UNITS


def _isoformats(days: set[date]) -> list[str]:
    return sorted(d.isoformat() for d in days)
