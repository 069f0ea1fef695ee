"""Streaks, pace and finish dates: pure functions of weekly data, so each rule is a table test.

Weeks are week indexes (see ``mlpath.dates.week_index``): consecutive weeks differ by one.

- Streak: consecutive weeks with at least one journal entry. A break week (planned holiday,
  exams) neither counts nor breaks it. The current week counts once it has an entry and does
  not break the streak while it is still going. Longest is the longest such run ever.
- Pace: the mean hours logged per week over the last ``PACE_WEEKS`` complete weeks before the
  current one, skipping break weeks (the window reaches further back instead) and never
  reaching before the learner's first entry; an empty week counts as 0 hours. With fewer than
  ``MIN_DATA_WEEKS`` such weeks there is too little data and the pace is the weekly goal.
- Finish dates are the plan's (``mlpath.plan``): the Sunday of the week the last hour falls
  in, when the topics left are packed into weeks at the pace.
"""

import bisect
from collections.abc import Collection, Mapping

from mlpath.tuples import NamedTuple

PACE_WEEKS = 8
MIN_DATA_WEEKS = 2


class Streak(NamedTuple):
    current: int
    longest: int


class Pace(NamedTuple):
    hours_per_week: float
    weeks: int  # complete weeks of data behind the figure (0 to PACE_WEEKS)
    source: str  # "log": measured from the journal; "goal": too little data, the weekly goal


class RoadmapFinish(NamedTuple):
    id: str
    hours_left: float
    date: str | None  # ISO date; None when nothing is left or there is no pace to go by


class Finish(NamedTuple):
    date: str | None
    roadmaps: list[RoadmapFinish]


def streak(active: Collection[int], breaks: Collection[int], current: int) -> Streak:
    """Current and longest streak of weeks with entries, as of the week ``current``."""
    pauses = sorted(breaks)

    def unbroken(before: int, after: int) -> bool:
        """Every week strictly between the two is a break."""
        between = after - before - 1
        return between == bisect.bisect_left(pauses, after) - bisect.bisect_right(pauses, before)

    run = longest = 0
    previous: int | None = None
    breaks_set = set(breaks)
    for week in sorted(w for w in set(active) if w <= current and w not in breaks_set):
        run = run + 1 if previous is not None and unbroken(previous, week) else 1
        longest = max(longest, run)
        previous = week
    if previous is None:
        return Streak(0, 0)
    # The current week, still going, cannot end a streak: only the weeks before it can.
    alive = previous == current or unbroken(previous, current)
    return Streak(run if alive else 0, longest)


def pace(hours: Mapping[int, float], breaks: Collection[int], current: int, goal: float) -> Pace:
    """Mean weekly hours over the recent complete weeks; ``hours`` has every week with an
    entry (0 for entries without hours)."""
    if not hours:
        return Pace(goal, 0, "goal")
    first = min(hours)
    window: list[int] = []
    week = current - 1
    while len(window) < PACE_WEEKS and week >= first:
        if week not in breaks:
            window.append(week)
        week -= 1
    if len(window) < MIN_DATA_WEEKS:
        return Pace(goal, len(window), "goal")
    mean = sum(hours.get(w, 0.0) for w in window) / len(window)
    return Pace(round(mean, 2), len(window), "log")
