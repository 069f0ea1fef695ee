"""Streak and pace rules, one table each (weeks are indexes: 100 is "now"); the finish dates
are the plan's (tests/test_plan.py)."""

from __future__ import annotations

import pytest

from mlpath.pace import Pace, Streak, pace, streak

NOW = 100


@pytest.mark.parametrize(
    ("active", "breaks", "expected"),
    [
        pytest.param([], [], Streak(0, 0), id="no entries at all"),
        pytest.param([NOW], [], Streak(1, 1), id="only this week"),
        pytest.param([98, 99], [], Streak(2, 2), id="this week not written yet does not break it"),
        pytest.param([97, 98], [], Streak(0, 2), id="last week missed: broken"),
        pytest.param([98, 99, NOW], [], Streak(3, 3), id="three in a row"),
        pytest.param([90, 91, 92, 93, 99, NOW], [], Streak(2, 4), id="a gap ends a run"),
        pytest.param([97, 99], [98], Streak(2, 2), id="a break week bridges the gap"),
        pytest.param([96, 99, NOW], [97, 98], Streak(3, 3), id="several break weeks in a row"),
        pytest.param(
            [97, 98, 99], [98], Streak(2, 2), id="a break week with entries does not count"
        ),
        pytest.param([97], [98, 99], Streak(1, 1), id="breaks up to now keep it alive"),
        pytest.param([97], [98, NOW], Streak(0, 1), id="a missed week between breaks ends it"),
        pytest.param([99], [NOW], Streak(1, 1), id="this week planned as a break"),
        pytest.param([NOW + 1, 99], [], Streak(1, 1), id="weeks after now are ignored"),
        pytest.param([10, 11, 12, 13, 14, 50], [], Streak(0, 5), id="longest is from long ago"),
    ],
)
def test_streak(active: list[int], breaks: list[int], expected: Streak) -> None:
    assert streak(active, breaks, NOW) == expected


GOAL = 10.0


@pytest.mark.parametrize(
    ("hours", "breaks", "expected"),
    [
        pytest.param({}, [], Pace(GOAL, 0, "goal"), id="no data: the goal"),
        pytest.param({NOW: 30.0}, [], Pace(GOAL, 0, "goal"), id="this week alone is not data"),
        pytest.param({99: 4.0}, [], Pace(GOAL, 1, "goal"), id="one complete week: still the goal"),
        pytest.param({98: 4.0, 99: 6.0}, [], Pace(5.0, 2, "log"), id="two weeks: measured"),
        pytest.param({98: 4.0}, [], Pace(2.0, 2, "log"), id="an empty week counts as 0"),
        pytest.param(
            {w: 3.0 for w in range(80, 100)}, [], Pace(3.0, 8, "log"), id="only the last 8 weeks"
        ),
        pytest.param(
            {90: 100.0, **{w: 2.0 for w in range(92, 100)}},
            [],
            Pace(2.0, 8, "log"),
            id="older weeks do not count",
        ),
        pytest.param(
            {w: 8.0 for w in range(90, 100)} | {98: 0.0, 99: 0.0},
            [98, 99],
            Pace(8.0, 8, "log"),
            id="break weeks are skipped, the window reaches back",
        ),
        pytest.param({97: 0.0, 99: 0.0}, [], Pace(0.0, 3, "log"), id="entries without hours"),
        pytest.param({98: 5.0}, [99], Pace(GOAL, 1, "goal"), id="break weeks are not data"),
        pytest.param({99: 7.5, 98: 2.5, 95: 10.0}, [96], Pace(5.0, 4, "log"), id="gap and break"),
    ],
)
def test_pace(hours: dict[int, float], breaks: list[int], expected: Pace) -> None:
    assert pace(hours, breaks, NOW, GOAL) == expected
