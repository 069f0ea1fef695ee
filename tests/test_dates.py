"""Weeks and dates: ISO weeks across year boundaries, the words --date accepts, local time."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlpath import dates
from mlpath.errors import InvalidInputError
from tests.conftest import BERLIN, SetZone


@pytest.mark.parametrize(
    ("day", "week"),
    [
        ("2026-12-28", "2026-W53"),  # Monday of the only week 53 in years
        ("2026-12-31", "2026-W53"),
        ("2027-01-01", "2026-W53"),  # a new year, still the old year's last week
        ("2027-01-03", "2026-W53"),
        ("2027-01-04", "2027-W01"),
        ("2024-12-30", "2025-W01"),  # December, already next year's first week
        ("2026-03-29", "2026-W13"),  # the Sunday the clocks go forward in Europe
    ],
)
def test_week_of_follows_iso_8601(day: str, week: str) -> None:
    assert dates.week_of(dt.date.fromisoformat(day)) == week


def test_week_index_steps_over_the_year_boundary() -> None:
    w53 = dates.week_index("2026-W53")
    assert dates.week_at(w53 + 1) == "2027-W01"
    assert dates.week_at(dates.week_index("2026-W01") - 1) == "2025-W52"
    assert dates.monday("2026-W53") == dt.date(2026, 12, 28)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-W54", "--week '2026-W54' is not a week: 2026 has 53 weeks"),
        ("2025-W53", "--week '2025-W53' is not a week: 2025 has 52 weeks"),
        ("2026-W00", "--week '2026-W00' is not a week: 2026 has 53 weeks"),
        ("2026-7", "--week '2026-7' is not a week: use YYYY-Www, e.g. 2026-W07"),
        (
            "0000-W01",
            "--week '0000-W01' is outside the weeks mlpath supports (1900-W01 to 9998-W52)",
        ),
        (
            "0001-W01",
            "--week '0001-W01' is outside the weeks mlpath supports (1900-W01 to 9998-W52)",
        ),
        (
            "9999-W52",
            "--week '9999-W52' is outside the weeks mlpath supports (1900-W01 to 9998-W52)",
        ),
    ],
)
def test_bad_weeks_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        dates.parse_week(text)
    assert caught.value.message == message


def test_week_may_be_written_with_a_small_w() -> None:
    assert dates.parse_week(" 2026-w07 ") == "2026-W07"


WEDNESDAY = dt.date(2026, 11, 18)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-11-18"),
        ("Yesterday", "2026-11-17"),
        ("0 days ago", "2026-11-18"),
        ("1 day ago", "2026-11-17"),
        ("10  days  ago", "2026-11-08"),
        ("wednesday", "2026-11-18"),  # a bare weekday: the latest one, today included
        ("last wednesday", "2026-11-11"),  # "last": the latest one before today
        ("monday", "2026-11-16"),
        ("last monday", "2026-11-16"),
        ("thursday", "2026-11-12"),
        ("LAST Sunday", "2026-11-15"),
        ("2026-02-28", "2026-02-28"),
    ],
)
def test_date_words(text: str, expected: str) -> None:
    assert dates.parse_day(text, WEDNESDAY).isoformat() == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tomorrow", "--date 'tomorrow' is not a date: use " + dates.DATE_WORDS),
        ("20261118", "--date '20261118' is not a date: use " + dates.DATE_WORDS),
        ("2026-02-30", "--date '2026-02-30' is not a day of the calendar"),
        ("2026-11-19", "--date 2026-11-19 is in the future (today is 2026-11-18)"),
        (
            "0001-01-01",
            "--date 0001-01-01 is outside the dates mlpath supports (1900-01-01 to 9998-12-31)",
        ),
        (
            "1899-12-31",
            "--date 1899-12-31 is outside the dates mlpath supports (1900-01-01 to 9998-12-31)",
        ),
        (
            "99999 days ago",
            "--date '99999 days ago' is before the dates mlpath supports "
            "(1900-01-01 to 9998-12-31)",
        ),
    ],
)
def test_bad_or_future_dates_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        dates.past_day(text, WEDNESDAY)
    assert caught.value.message == message


def test_a_week_with_a_clock_change_has_its_local_bounds(set_zone: SetZone) -> None:
    set_zone(BERLIN)
    start, end = dates.week_bounds("2026-W13")
    assert dates.utc_stamp(start) == "2026-03-22T23:00:00Z"  # Monday 00:00 CET
    assert dates.utc_stamp(end) == "2026-03-29T22:00:00Z"  # next Monday 00:00 CEST
    assert end - start == dt.timedelta(hours=167)


@given(
    st.dates(
        min_value=dates.FIRST_DAY + dt.timedelta(days=7),
        max_value=dates.LAST_DAY - dt.timedelta(days=7),
    )
)
def test_week_arithmetic_agrees_with_the_calendar(day: dt.date) -> None:
    week = dates.week_of(day)
    assert dates.parse_week(week) == week
    start = dates.monday(week)
    assert start.weekday() == 0 and start <= day < start + dt.timedelta(days=7)
    index = dates.week_index(week)
    assert dates.week_at(index) == week
    assert dates.week_at(index + 1) == dates.week_of(day + dt.timedelta(days=7))
    assert dates.week_at(index - 1) == dates.week_of(day - dt.timedelta(days=7))


@given(st.integers(min_value=1, max_value=9999), st.integers(min_value=1, max_value=53))
def test_every_valid_week_parses_and_every_other_is_refused(year: int, number: int) -> None:
    text = f"{year:04d}-W{number:02d}"
    try:
        monday = dt.date.fromisocalendar(year, number, 1)
        if not dates.in_range(monday):
            raise ValueError("outside the supported range")
    except ValueError:
        with pytest.raises(InvalidInputError):
            dates.parse_week(text)
    else:
        assert dates.monday(dates.parse_week(text)) == monday


def test_the_first_and_last_supported_days_are_accepted() -> None:
    assert dates.parse_day("1900-01-01", WEDNESDAY) == dates.FIRST_DAY
    assert dates.parse_day("9998-12-31", WEDNESDAY) == dates.LAST_DAY
    assert dates.parse_week("9998-W52") == "9998-W52"
    # Every week in range has its bounds in local time without running off the calendar.
    start, end = dates.week_bounds("9998-W52")
    assert start < end
