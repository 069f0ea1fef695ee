"""The learning-rhythm lines that status and review share: this week, the activity heatmap,
the streak, the pace, the finish date, the goal date and the recall count."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from mlpath.activity import WeekHours, WeekTotal
from mlpath.pace import Finish, Pace, Streak
from mlpath.plan import HOURS_IN_WEEK
from mlpath.render.output import Out, Segment, hours, plural

if TYPE_CHECKING:
    from mlpath.progress import Goal

# Levels of a week's hours against the goal: none, under a third, under two thirds, under
# the goal, goal met. Plain text uses one ASCII character a week so the row pipes well.
PLAIN_LEVELS = ".-=+#"
RICH_LEVELS = ("grey30", "dark_green", "green4", "green3", "bright_green")
BREAK = "~"
LABEL = 11


def level(week_hours: float, goal: float) -> int:
    if week_hours <= 0:
        return 0
    return min(4, 1 + int(3 * week_hours / goal))


def heatmap(weeks: list[WeekHours], goal: float, out: Out) -> list[Segment]:
    if not out.rich:
        return ["".join(BREAK if w.on_break else PLAIN_LEVELS[level(w.hours, goal)] for w in weeks)]
    return [
        (BREAK, "grey50") if w.on_break else ("■", RICH_LEVELS[level(w.hours, goal)]) for w in weeks
    ]


def day(iso: str) -> str:
    return f"{dt.date.fromisoformat(iso):%a %d %b %Y}"


def streak_text(streak: Streak) -> str:
    return f"{plural(streak.current, 'week')} · longest {plural(streak.longest, 'week')}"


def pace_text(pace: Pace) -> str:
    if pace.source == "goal":
        return f"{hours(pace.hours_per_week)} a week: your goal, until 2 full weeks are logged"
    return f"{hours(pace.hours_per_week)} a week over the last {plural(pace.weeks, 'week')}"


def finish_text(finish: Finish, pace: Pace) -> str:
    if finish.date:
        return f"around {day(finish.date)} at this pace"
    if any(r.hours_left for r in finish.roadmaps):
        if pace.hours_per_week <= 0:
            return "no estimate: no hours logged lately (mlpath log --hours H)"
        return "no estimate: at this pace, beyond the dates mlpath supports"
    return "nothing left on your path"


def goal_line(out: Out, goal: Goal | None) -> None:
    """Where the learner stands against their goal date."""
    if goal is None:
        return
    if goal.hours_per_week is None:
        labelled(out, "Goal", f"{day(goal.date)}: ", ("no full week is left before it", "yellow"),
                 ("  (mlpath config set goal-date DATE)", "grey50"))  # fmt: skip
        return
    if goal.hours_per_week > HOURS_IN_WEEK:
        labelled(out, "Goal", f"{day(goal.date)}: ",
                 ("out of reach", "yellow"), f": it needs {goal.hours_per_week:g} h a week, "
                 "more than a week has (mlpath config set goal-date DATE)")  # fmt: skip
        return
    verdict: Segment = ("on track", "green") if goal.on_track else ("behind", "yellow")
    labelled(
        out,
        "Goal",
        f"{day(goal.date)}: needs {goal.hours_per_week:g} h a week (you do {goal.pace:g} h) · ",
        verdict,
    )


def recall_line(out: Out, due: int) -> None:
    if due:
        labelled(out, "Recall", f"{plural(due, 'finished topic')} to review: ",
                 ("mlpath recall", "bold"))  # fmt: skip


def labelled(out: Out, label: str, *segments: Segment) -> None:
    out.line((label.ljust(LABEL) if len(label) < LABEL else label + " ", "bold"), *segments)


def week_line(out: Out, week: WeekTotal) -> None:
    """The week's hours against the goal: "This week" for the current one, else its name."""
    from mlpath import dates

    done = min(week.hours / week.goal, 1.0)
    current = week.week == dates.week_of(dt.date.today())
    met: Segment = ("  goal met", "green") if week.hours >= week.goal else ""
    labelled(
        out,
        "This week" if current else f"Week {week.week}",
        *out.bar(done, 16),
        f"  {hours(week.hours)} of {hours(week.goal)}",
        met,
        (f"  {plural(week.entries, 'entry', 'entries')} · {week.week}", "grey50"),
    )


def rhythm(out: Out, streak: Streak, pace: Pace, finish: Finish) -> None:
    labelled(out, "Streak", streak_text(streak))
    labelled(out, "Pace", pace_text(pace))
    labelled(out, "Finish", finish_text(finish, pace))
