"""`mlpath plan`: the topics left, week by week, at the learner's pace (or one they choose, or
the one that makes a date), as text, JSON or an iCalendar file."""

import datetime as dt
from pathlib import Path

from mlpath import dates, progress
from mlpath.errors import InvalidInputError, check_count
from mlpath.plan import HOURS_IN_WEEK, Week, needed, schedule
from mlpath.roadmaps import Catalog
from mlpath.store import Store
from mlpath.store import topics as topic_store
from mlpath.tuples import NamedTuple


class PlanResult(NamedTuple):
    roadmaps: list[str]
    hours_left: float
    hours_per_week: float
    source: str  # log | goal (the weekly goal, too little logged) | option | until
    logged_this_week: float
    weeks: list[Week]  # the weeks with work (the first --weeks of them)
    more_weeks: int  # weeks with work after those shown
    breaks: list[str]  # break weeks the plan goes around
    finish: str | None  # the Sunday of the last week with work
    until: str | None  # the date planned to (--until)
    ics: str | None  # the calendar file written (--ics)


def plan(
    catalog: Catalog,
    store: Store,
    *,
    roadmap_id: str | None = None,
    hours_per_week: float | None = None,
    weeks: int | None = None,
    until: str | None = None,
    today: dt.date | None = None,
) -> PlanResult:
    today = today or dt.date.today()
    if weeks is not None:
        check_count(weeks, "--weeks")
    if hours_per_week is not None and until is not None:
        raise InvalidInputError("--hours-per-week and --until both set the pace: choose one")
    if hours_per_week is not None and not 0 < hours_per_week <= 168:
        raise InvalidInputError(
            f"--hours-per-week must be above 0 and at most 168, not {hours_per_week:g}"
        )
    # The plan at the learner's pace is the one status takes its finish dates from.
    own_pace = hours_per_week is None and until is None
    status, base = progress.status_and_outlook(
        catalog, store, roadmap_id, today, with_plan=own_pace
    )
    hours_left = status.hours_left
    source = base.pace.source
    per_week = base.pace.hours_per_week
    goal_day = None
    if hours_per_week is not None:
        per_week, source = hours_per_week, "option"
    elif until is not None:
        goal_day = dates.parse_day(until, today, "--until")
        need = needed(hours_left, goal_day, today, base.this_week.hours, base.breaks)
        if need.hours_per_week is None:
            raise InvalidInputError(
                f"--until {goal_day.isoformat()} leaves no full week to learn in "
                f"(a plan's weeks end on Sundays; this week is {dates.week_of(today)})"
            )
        if need.hours_per_week > HOURS_IN_WEEK:
            raise InvalidInputError(
                f"--until {goal_day.isoformat()} cannot be made: {hours_left:,g} h in "
                f"{need.weeks} week{'' if need.weeks == 1 else 's'} is "
                f"{need.hours_per_week:,g} h a week, more than a week has"
            )
        per_week, source = need.hours_per_week, "until"
    if own_pace:
        assert base.plan is not None
        planned = base.plan
    else:
        roadmaps = progress.scope(catalog, store, roadmap_id)
        tasks = progress.tasks((t for r in roadmaps for t in r.topics), topic_store.states(store))
        current = dates.week_index(dates.week_of(today))
        planned = schedule(tasks, per_week, current, base.this_week.hours, base.breaks)
    return PlanResult(
        roadmaps=[r.id for r in status.roadmaps],
        hours_left=hours_left,
        hours_per_week=per_week,
        source=source,
        logged_this_week=base.this_week.hours,
        weeks=planned.weeks,
        more_weeks=0,
        breaks=planned.breaks,
        finish=planned.finish,
        until=goal_day.isoformat() if goal_day else None,
        ics=None,
    )


def first_weeks(result: PlanResult, weeks: int | None) -> PlanResult:
    """The plan with only its first ``weeks`` weeks to show (all of them for None)."""
    if weeks is None:
        return result
    return result._replace(weeks=result.weeks[:weeks], more_weeks=max(len(result.weeks) - weeks, 0))


def write_ics(result: PlanResult, file: Path, remind: dt.time | None) -> PlanResult:
    """Write the plan's weeks to ``file`` as an iCalendar file, atomically. A plan this
    command wrote there before is read first: its events that the new plan no longer has
    are written again as cancelled, so that a calendar app removes them."""
    from mlpath import paths
    from mlpath.fileio import write_named_file
    from mlpath.ics import calendar, previous_events

    earlier = previous_events(file)
    write_named_file(file, calendar(result.weeks, remind, dt.datetime.now(dt.UTC), earlier))
    return result._replace(ics=paths.display(file))


def reminder_time(text: str) -> dt.time:
    import re

    found = re.fullmatch(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", text)
    if found is None:
        raise InvalidInputError(
            f"--remind takes a time of day as HH:MM (24-hour, 00:00 to 23:59), not '{text}'"
        )
    return dt.time(int(found[1]), int(found[2]))
