"""Weekly sums of the journal, and what status and review build on them: the activity of
recent weeks, this week against the goal, the streak, the pace, and the finish dates (those
of the week-by-week plan at that pace, see ``mlpath.plan``).

Every figure is a GROUP BY on the indexed ``week`` column: one row a week, never a walk
through the whole history.
"""

import datetime as dt
from collections.abc import Sequence

from mlpath import config, dates, pace, plan
from mlpath.pace import Finish, Pace, RoadmapFinish, Streak
from mlpath.store import Store, registers
from mlpath.store import entries as entry_store
from mlpath.store import topics as topic_store
from mlpath.tuples import NamedTuple

ACTIVITY_WEEKS = 26
CALENDAR_WEEKS = 52  # the calendar of status: a year of days, whole weeks
# Hours a day from which a day of a calendar is a level darker (0 is a day with no entry, 1 a
# day with one of less than an hour): the same levels in the terminal and in the report.
DAY_LEVELS = (1.0, 2.0, 3.0)


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


class DayHours(NamedTuple):
    day: str  # YYYY-MM-DD
    hours: float
    entries: int
    on_break: bool  # the day's week is a planned break
    goal: float  # the weekly goal of the day's week, as it was when the week ended


def day_level(hours: float, entries: int) -> int:
    """0 (no entry) to 4 (three hours or more) for a day of a calendar."""
    if not entries:
        return 0
    return 1 + sum(1 for threshold in DAY_LEVELS if hours >= threshold)


def calendar(
    store: Store, weeks: int, last: dt.date, breaks: set[int], until: dt.date | None = None
) -> list[DayHours]:
    """Day by day, from the Monday ``weeks - 1`` weeks before ``last``'s week to ``until``
    (default: the Sunday of ``last``'s week): one GROUP BY on the indexed day. Each day has
    its week's goal as it was set when that week ended (this week's: as it is now)."""
    first = dates.monday(dates.week_of(last)) - dt.timedelta(weeks=weeks - 1)
    end = until or first + dt.timedelta(weeks=weeks, days=-1)
    sums = entry_store.day_sums(store, first.isoformat(), end.isoformat())
    now = dt.datetime.now(dt.UTC)
    mondays = [first + dt.timedelta(weeks=w) for w in range((end - first).days // 7 + 1)]
    ends = [min(dates.local_midnight(m + dt.timedelta(weeks=1)), now) for m in mondays]
    goals = config.weekly_goals_at(store, ends)
    start = first.toordinal()
    week = (start - 1) // 7  # dates.week_index of ``first``, a Monday
    days = []
    for offset in range((end - first).days + 1):
        iso = dt.date.fromordinal(start + offset).isoformat()
        hours, count = sums.get(iso, (0.0, 0))
        days.append(DayHours(iso, round(hours, 2), count, week + offset // 7 in breaks,
                             goals[offset // 7]))  # fmt: skip
    return days


class Outlook(NamedTuple):
    activity: list[WeekHours]
    this_week: WeekTotal
    streak: Streak
    pace: Pace
    finish: Finish
    plan: plan.Plan | None  # with_plan only
    breaks: set[int]


def week_total(store: Store, week: str) -> WeekTotal:
    hours, count = entry_store.week_total(store, week)
    return WeekTotal(week, round(hours, 2), count, config.weekly_goal(store))


def weekly(store: Store) -> dict[int, tuple[float, int]]:
    """Hours and entry count of every week with an entry, by week index (one row a week)."""
    return {dates.week_index(w): (round(h, 2), n) for w, h, n in entry_store.weekly(store)}


def break_weeks(store: Store) -> set[int]:
    return {dates.week_index(w) for w in registers.break_weeks(store)}


def outlook(
    store: Store,
    left: Sequence[tuple[str, float]],
    tasks: Sequence[plan.Task],
    today: dt.date | None = None,
    *,
    with_plan: bool = False,
) -> Outlook:
    """Activity, streak, pace and the finish dates at that pace (``left``: hours left per
    roadmap in path order; ``tasks``: their topics still to learn, in path order); with
    ``with_plan``, the week-by-week plan too."""
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
    packing = (tasks, speed.hours_per_week, current, now.hours, breaks)
    planned, ends = (
        plan.schedule_and_finishes(*packing) if with_plan else (None, plan.finish_weeks(*packing))
    )
    by_roadmap: dict[str, set[str]] = {}
    for task in tasks:
        by_roadmap.setdefault(task.roadmap, set()).add(task.id)
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
        finish=Finish(
            ends.finish(),
            [
                RoadmapFinish(rid, hours, ends.finish(by_roadmap.get(rid, ())) if hours else None)
                for rid, hours in left
            ],
        ),
        plan=planned,
        breaks=breaks,
    )
