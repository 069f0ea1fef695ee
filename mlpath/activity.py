"""Weekly sums of the journal, and what status and review build on them: the activity of
recent weeks, this week against the goal, the streak, the pace and the finish dates.

Every figure is a GROUP BY on the indexed ``week`` column: one row a week, never a walk
through the whole history.
"""

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from mlpath import config, dates, pace
from mlpath.pace import Finish, Pace, Streak
from mlpath.store import Store, registers
from mlpath.store import entries as entry_store
from mlpath.store import topics as topic_store

ACTIVITY_WEEKS = 26


class WeekTotal(NamedTuple):
    week: str
    hours: float
    entries: int
    goal: float


class WeekHours(NamedTuple):
    week: str
    hours: float
    entries: int
    on_break: bool


class Outlook(NamedTuple):
    activity: list[WeekHours]
    this_week: WeekTotal
    streak: Streak
    pace: Pace
    finish: Finish


def week_total(store: Store, week: str) -> WeekTotal:
    hours, count = entry_store.week_total(store, week)
    return WeekTotal(week, round(hours, 2), count, config.weekly_goal(store))


def weekly(store: Store) -> dict[int, tuple[float, int]]:
    """Hours and entry count of every week with an entry, by week index (one row a week)."""
    return {dates.week_index(w): (round(h, 2), n) for w, h, n in entry_store.weekly(store)}


def break_weeks(store: Store) -> set[int]:
    return {dates.week_index(w) for w in registers.break_weeks(store)}


def outlook(
    store: Store, left: Sequence[tuple[str, float]], today: dt.date | None = None
) -> Outlook:
    """Activity, streak, pace and finish dates (``left``: hours left per roadmap in path
    order)."""
    today = today or dt.date.today()
    goal = config.weekly_goal(store)
    current = dates.week_index(dates.week_of(today))
    sums = weekly(store)
    breaks = break_weeks(store)
    activity = [
        WeekHours(dates.week_at(i), *sums.get(i, (0.0, 0)), i in breaks)
        for i in range(current - ACTIVITY_WEEKS + 1, current + 1)
    ]
    now = activity[-1]
    speed = pace.pace({i: h for i, (h, _) in sums.items()}, breaks, current, goal)
    return Outlook(
        activity=activity,
        this_week=WeekTotal(now.week, now.hours, now.entries, goal),
        # A week counts for the streak with an entry, or with a topic started, done or
        # skipped on one of its days (--date puts a change on the day it is about).
        streak=pace.streak(
            sums.keys() | {dates.week_index(w) for w in topic_store.active_weeks(store)},
            breaks,
            current,
        ),
        pace=speed,
        finish=pace.finish(left, speed.hours_per_week, today),
    )
