"""`review` measures a week against the goal as it was that week, and `journal` lists break
weeks in their place."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator

import pytest

from mlpath import dates
from mlpath.store import changes
from tests.conftest import Result
from tests.test_cli import data


def week_ago(weeks: int) -> str:
    return dates.week_at(dates.week_index(dates.week_of(dt.date.today())) - weeks)


def day_of(week: str, weekday: int) -> dt.date:
    return dates.monday(week) + dt.timedelta(days=weekday)


@contextlib.contextmanager
def clock_at(monkeypatch: pytest.MonkeyPatch, day: dt.date, hour: int = 12) -> Iterator[None]:
    """Changes made inside are recorded as made at ``hour`` local time on ``day``."""
    moment = dt.datetime.combine(day, dt.time(hour)).astimezone()
    micros = int(moment.timestamp() * 1_000_000)
    with monkeypatch.context() as patched:
        patched.setattr(changes, "now_micros", lambda: micros)
        yield


def goal_of(mlpath: Callable[..., Result], week: str) -> float:
    return float(data(mlpath("review", "--week", week, "--json"), "review")["goal"])


def test_review_measures_a_week_against_the_goal_of_that_week(
    mlpath: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    with clock_at(monkeypatch, day_of(week_ago(3), 2)):  # a Wednesday three weeks ago
        assert mlpath("config", "set", "weekly-hours", "6").exit_code == 0
    with clock_at(monkeypatch, day_of(week_ago(1), 1)):
        assert mlpath("config", "set", "weekly-hours", "8").exit_code == 0
    with clock_at(monkeypatch, day_of(week_ago(1), 6), hour=23):  # its Sunday, late
        assert mlpath("config", "set", "weekly-hours", "9").exit_code == 0
    assert mlpath("log", "practice", "--hours", "3", "--date", day_of(week_ago(3), 4).isoformat(),
                  ).exit_code == 0  # fmt: skip
    assert mlpath("config", "set", "weekly-hours", "12").exit_code == 0  # now

    # Before any change: the default; a change during a week is the goal it closed with.
    assert [goal_of(mlpath, week_ago(n)) for n in (4, 3, 2, 1)] == [10.0, 6.0, 6.0, 9.0]
    assert data(mlpath("review", "--json"), "review")["goal"] == 12.0  # this week: today's
    assert data(mlpath("status", "--json"), "status")["this_week"]["goal"] == 12.0
    assert "3 h of 6 h goal" in mlpath("review", "--week", week_ago(3)).stdout

    # Undo is a change too: this week's goal goes back, the past stays as it was.
    assert mlpath("undo").exit_code == 0
    assert data(mlpath("review", "--json"), "review")["goal"] == 9.0
    assert goal_of(mlpath, week_ago(3)) == 6.0
    assert mlpath("config", "unset", "weekly-hours").exit_code == 0
    assert data(mlpath("review", "--json"), "review")["goal"] == 10.0
    assert goal_of(mlpath, week_ago(1)) == 9.0


def _weeks(mlpath: Callable[..., Result], *args: str) -> list[tuple[str, bool, int]]:
    listed = data(mlpath("journal", *args, "--json"), "journal")["weeks"]
    return [(w["week"], w["on_break"], len(w["entries"])) for w in listed]


def test_journal_lists_break_weeks_in_their_place(mlpath: Callable[..., Result]) -> None:
    for weeks_back, said in ((1, "recent #numpy"), (5, "older #numpy")):
        day = day_of(week_ago(weeks_back), 2).isoformat()
        assert mlpath("log", said, "--hours", "2", "--date", day).exit_code == 0
    for weeks_back in (0, 3, 4, 8):
        assert mlpath("journal", "break", "--week", week_ago(weeks_back)).exit_code == 0

    assert _weeks(mlpath) == [
        (week_ago(0), True, 0), (week_ago(1), False, 1), (week_ago(3), True, 0),
        (week_ago(4), True, 0), (week_ago(5), False, 1), (week_ago(8), True, 0),
    ]  # fmt: skip
    listed = data(mlpath("journal", "--json"), "journal")
    assert listed["weeks"][0] == {"week": week_ago(0), "hours": 0.0, "on_break": True,
                                  "entries": []}  # fmt: skip
    assert (listed["shown"], listed["total"]) == (2, 2)

    text = mlpath("journal").stdout.splitlines()
    span = week_ago(3) + " · "
    line = next(i for i, shown in enumerate(text) if shown.startswith(span))
    assert text[line].endswith("· planned break")
    assert text[line + 1].startswith(week_ago(4) + " · ")  # two breaks in a row: a list
    assert text.index("      recent #numpy") < line < text.index("      older #numpy")

    # -n leaves the older entry out: no break from beyond the entries shown.
    assert _weeks(mlpath, "-n", "1") == [(week_ago(0), True, 0), (week_ago(1), False, 1)]
    # Dates keep the breaks of their days; a filter on what entries say keeps none.
    since = day_of(week_ago(4), 6).isoformat()  # that week's Sunday: the week overlaps
    until = day_of(week_ago(1), 2).isoformat()
    assert _weeks(mlpath, "--since", since, "--until", until) == [
        (week_ago(1), False, 1), (week_ago(3), True, 0), (week_ago(4), True, 0),
    ]  # fmt: skip
    assert _weeks(mlpath, "--tag", "numpy") == [(week_ago(1), False, 1), (week_ago(5), False, 1)]
    assert _weeks(mlpath, "--search", "older") == [(week_ago(5), False, 1)]
    assert _weeks(mlpath, "--week", week_ago(8)) == [(week_ago(8), True, 0)]
    assert _weeks(mlpath, "--week", week_ago(2)) == []

    # A break week alone, with nothing logged in it, still says what emptied the listing.
    alone = mlpath("journal", "--week", week_ago(8)).stdout
    assert alone.splitlines()[0].startswith(week_ago(8) + " · ")
    assert alone.splitlines()[-1] == f"No entries match --week {week_ago(8)}; 2 entries in all."
    assert mlpath("journal", "break", "--week", week_ago(8), "--undo").exit_code == 0
    assert _weeks(mlpath)[-1] == (week_ago(5), False, 1)


def test_an_empty_journal_with_a_break(mlpath: Callable[..., Result]) -> None:
    assert mlpath("journal", "break").exit_code == 0
    shown = mlpath("journal").stdout.splitlines()
    assert shown[0].startswith(week_ago(0) + " · ") and shown[0].endswith("planned break")
    assert shown[-1].startswith("No entries. Write one with")
