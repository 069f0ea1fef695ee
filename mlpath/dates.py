"""Calendar rules: ISO weeks in the learner's local time, and the dates they may type.

mlpath works with the days from 1 January 1900 to 31 December 9998 (``FIRST_DAY`` to
``LAST_DAY``), and every way a day or a week comes in (options, import, the editor) is checked
against that one range: outside it, calendar arithmetic and time-zone conversion would run off
the end of Python's calendar (years 1 and 9999), and no learner's history lies there.

A week is written ``YYYY-Www`` (ISO 8601: weeks start on Monday, week 1 holds the year's first
Thursday, so some years have a week 53). For arithmetic a week is also a plain integer, its
*index*: the number of whole weeks since Monday 1 January of year 1, so that "the week before"
is ``index - 1`` across any year boundary.
"""

from __future__ import annotations

import datetime as dt
import re

from mlpath.errors import InvalidInputError

# Patterns as text: `re` compiles each the first time it is used (and caches it), so that
# the runs that parse no date (most of them) do not pay for compiling them.
_WEEK = r"(\d{4})-[Ww](\d{2})"
_ISO_DAY = r"\d{4}-\d{2}-\d{2}"
_DAYS_AGO = r"(\d{1,5}) days? ago"
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9998, 12, 31)
RANGE_WORDS = f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DATE_WORDS = "YYYY-MM-DD, today, yesterday, N days ago, or a weekday such as 'last monday'"


def week_of(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def monday(week: str) -> dt.date:
    """The first day of a week already known to be valid (see ``parse_week``)."""
    return dt.date.fromisocalendar(int(week[:4]), int(week[6:]), 1)


def week_index(week: str) -> int:
    # date(1, 1, 1) is a Monday with ordinal 1, so Mondays are exactly the ordinals 1 + 7k.
    return (monday(week).toordinal() - 1) // 7


def week_at(index: int) -> str:
    return week_of(dt.date.fromordinal(index * 7 + 1))


def parse_week(text: str, option: str = "--week") -> str:
    """``YYYY-Www`` as the learner typed it, checked against the calendar."""
    found = re.fullmatch(_WEEK, text.strip())
    if not found:
        raise InvalidInputError(f"{option} '{text}' is not a week: use YYYY-Www, e.g. 2026-W07")
    year, number = int(found[1]), int(found[2])
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise InvalidInputError(
            f"{option} '{text}' is outside the weeks mlpath supports "
            f"({FIRST_DAY.year}-W01 to {LAST_DAY.year}-W52)"
        )
    weeks = dt.date(year, 12, 28).isocalendar()[1]  # 28 December is always in the last week
    if not 1 <= number <= weeks:
        raise InvalidInputError(f"{option} '{text}' is not a week: {year:04d} has {weeks} weeks")
    return f"{year:04d}-W{number:02d}"


def in_range(day: dt.date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def check_day(day: dt.date, option: str = "--date") -> dt.date:
    """``day``, or an error when it lies outside the supported range."""
    if not in_range(day):
        raise InvalidInputError(
            f"{option} {day.isoformat()} is outside the dates mlpath supports ({RANGE_WORDS})"
        )
    return day


def parse_day(text: str, today: dt.date, option: str = "--date") -> dt.date:
    """A calendar day from an ISO date or a word, inside the supported range.

    A bare weekday ("friday") is the most recent one, today included; "last friday" is the
    most recent one before today.
    """
    return check_day(_parse_day(text, today, option), option)


def _parse_day(text: str, today: dt.date, option: str) -> dt.date:
    word = " ".join(text.lower().split())
    if word == "today":
        return today
    if word == "yesterday":
        return today - dt.timedelta(days=1)
    if ago := re.fullmatch(_DAYS_AGO, word):
        back = int(ago[1])
        if back > (today - FIRST_DAY).days:
            raise InvalidInputError(
                f"{option} '{text}' is before the dates mlpath supports ({RANGE_WORDS})"
            )
        return today - dt.timedelta(days=back)
    last = word.startswith("last ")
    name = word.removeprefix("last ")
    if name in WEEKDAYS:
        back = (today.weekday() - WEEKDAYS.index(name)) % 7
        return today - dt.timedelta(days=back or (7 if last else 0))
    if re.fullmatch(_ISO_DAY, word):
        try:
            return dt.date.fromisoformat(word)
        except ValueError:
            raise InvalidInputError(f"{option} '{text}' is not a day of the calendar") from None
    raise InvalidInputError(f"{option} '{text}' is not a date: use {DATE_WORDS}")


def past_day(text: str, today: dt.date, option: str = "--date") -> dt.date:
    """Like ``parse_day``, refusing days after today: a journal records what happened."""
    day = parse_day(text, today, option)
    if day > today:
        raise InvalidInputError(
            f"{option} {day.isoformat()} is in the future (today is {today.isoformat()})"
        )
    return day


def check_moment(moment: dt.datetime, what: str) -> dt.datetime:
    """An aware ``moment`` inside the supported range, or an error naming ``what``."""
    if not FIRST_DAY.year <= moment.year <= LAST_DAY.year:
        raise InvalidInputError(
            f"{what} {moment.isoformat()} is outside the dates mlpath supports ({RANGE_WORDS})"
        )
    return moment


def utc_stamp(moment: dt.datetime) -> str:
    """The store's timestamp format: UTC, whole seconds, a trailing Z."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def local_day(stamp: str) -> dt.date:
    """The learner's calendar day, in the current time zone, of a stored UTC timestamp."""
    return dt.datetime.fromisoformat(stamp).astimezone().date()


def local_midnight(day: dt.date) -> dt.datetime:
    """The UTC instant at which ``day`` begins in the current local time zone."""
    # A naive datetime's astimezone() reads it as local time, with that day's own offset.
    return dt.datetime.combine(day, dt.time()).astimezone().astimezone(dt.UTC)


def week_bounds(week: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants at which a week starts and ends in the local time zone: 167 or 169
    hours apart in a week when the clocks change."""
    start = monday(week)
    return local_midnight(start), local_midnight(start + dt.timedelta(days=7))
