"""Working-day arithmetic: weekends, Scottish holidays, council closures and clock changes."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from referrals.working_days import (
    LONDON,
    add_calendar_days,
    add_working_days,
    due_time,
    is_working_day,
)


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_st_andrews_day_is_skipped():
    # Friday 27 Nov 2026; Monday 30 Nov is St Andrew's Day.
    assert add_working_days(london(2026, 11, 27, 10), 1) == london(2026, 12, 1, 10)


def test_st_andrews_day_on_a_sunday_moves_to_monday():
    # 30 Nov 2025 is a Sunday: the holiday is Monday 1 December.
    assert not is_working_day(date(2025, 12, 1))
    assert add_working_days(london(2025, 11, 28, 9), 1) == london(2025, 12, 2, 9)


def test_second_of_january_is_a_scottish_holiday():
    assert not is_working_day(date(2026, 1, 2))
    assert add_working_days(london(2025, 12, 31, 14), 1) == london(2026, 1, 5, 14)


def test_august_bank_holiday_is_the_first_monday():
    assert not is_working_day(date(2026, 8, 3))
    assert is_working_day(date(2026, 8, 31))  # no late-August holiday in Scotland
    assert add_working_days(london(2026, 7, 31, 9), 1) == london(2026, 8, 4, 9)


def test_no_easter_monday_in_scotland():
    assert is_working_day(date(2026, 4, 6))
    assert not is_working_day(date(2026, 4, 3))  # Good Friday


def test_council_closure_days_are_skipped():
    closures = frozenset({date(2026, 12, 2)})
    assert add_working_days(london(2026, 11, 27, 10), 2, closures) == london(2026, 12, 3, 10)


def test_calendar_days_keep_the_wall_clock_across_the_spring_change():
    start = london(2026, 3, 28, 10)  # GMT
    end = add_calendar_days(start, 1)  # BST
    assert end == london(2026, 3, 29, 10)
    assert end - start == timedelta(hours=23)
    assert end.astimezone(UTC).hour == 9


def test_calendar_days_keep_the_wall_clock_across_the_autumn_change():
    start = london(2026, 10, 24, 10)
    end = add_calendar_days(start, 1)
    assert end - start == timedelta(hours=25)


def test_hours_are_elapsed_time_not_wall_clock():
    start = london(2026, 3, 29, 0, 30)
    assert due_time(start, 2, "hours") == start + timedelta(hours=2)


def test_results_are_utc():
    assert add_working_days(london(2026, 6, 1, 9), 3).tzinfo == UTC


moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=300)
@given(start=moments, days=st.integers(min_value=1, max_value=30))
def test_working_days_land_on_a_working_day_at_the_same_local_time(start, days):
    end = add_working_days(start, days)
    local_start, local_end = start.astimezone(LONDON), end.astimezone(LONDON)
    assert is_working_day(local_end.date())
    counted = sum(
        is_working_day(local_start.date() + timedelta(days=offset))
        for offset in range(1, (local_end.date() - local_start.date()).days + 1)
    )
    assert counted == days
    # Same wall-clock time, except where that time does not exist on the day (clocks forward).
    if local_end.utcoffset() == local_start.utcoffset():
        assert local_end.time() == local_start.time()


@settings(max_examples=300)
@given(start=moments, days=st.integers(min_value=1, max_value=60))
def test_calendar_days_move_the_date_and_stay_within_an_hour_of_24h_steps(start, days):
    end = add_calendar_days(start, days)
    assert (end.astimezone(LONDON).date() - start.astimezone(LONDON).date()).days == days
    assert abs((end - start) - timedelta(days=days)) <= timedelta(hours=1)
