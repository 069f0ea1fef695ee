"""The weekly review: one week's hours against the goal, its entries, topic changes and
commits, with the streak, pace and finish dates as of today."""

import datetime as dt

from mlpath import activity, config, dates, journal, progress
from mlpath.errors import InvalidInputError
from mlpath.pace import Finish, Pace, Streak
from mlpath.projects import Commit, commits_between
from mlpath.roadmaps import Catalog
from mlpath.store import Store
from mlpath.tuples import NamedTuple


class ReviewResult(NamedTuple):
    week: str
    start: str  # its Monday
    end: str  # its Sunday
    on_break: bool
    hours: float
    goal: float  # the weekly goal as it was set when the week ended (now, for this week)
    entries: list[journal.Entry]  # oldest first
    topics: journal.TopicChanges
    commits: list[Commit]
    streak: Streak
    pace: Pace
    finish: Finish
    goal_date: "progress.Goal | None"  # where the learner stands against their goal date


def review(catalog: Catalog, store: Store, week: str | None = None) -> ReviewResult:
    today = dt.date.today()
    chosen = dates.parse_week(week) if week is not None else dates.week_of(today)
    monday = dates.monday(chosen)
    if monday > today:
        raise InvalidInputError(
            f"--week {chosen} has not started yet (this week is {dates.week_of(today)})"
        )
    ahead, goal_date = progress.path_outlook(catalog, store, today)
    total = activity.week_total(store, chosen)
    since, until = dates.week_bounds(chosen)
    # The goal the week was lived against: the setting in force at its end (a change during
    # the week counts for it, as the goal the learner had when the week closed).
    goal = config.weekly_goal_at(store, until)
    return ReviewResult(
        week=chosen,
        start=monday.isoformat(),
        end=(monday + dt.timedelta(days=6)).isoformat(),
        on_break=dates.week_index(chosen) in ahead.breaks,
        hours=total.hours,
        goal=goal,
        entries=journal.week_entries(store, chosen),
        topics=journal.topic_changes(store, chosen),
        commits=commits_between(store, since, until),
        streak=ahead.streak,
        pace=ahead.pace,
        finish=ahead.finish,
        goal_date=goal_date,
    )
