"""The learning-rhythm lines that status and review share: this week, the activity calendar,
the streak, the pace, the finish date, the goal date and the recall count."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from mlpath.activity import DayHours, WeekTotal, day_level
from mlpath.pace import Finish, Pace, Streak
from mlpath.plan import HOURS_IN_WEEK
from mlpath.render.output import Out, Segment, hours, plural

if TYPE_CHECKING:
    from mlpath.progress import Goal

BREAK = "~"
LABEL = 11


# The calendar: a character a day, light to dark by the hours of the day. The shades are
# ordered by how much of the cell they fill, so the order reads on a dark and a light
# background alike, in colour or without; no entry is a faint dot, not an empty block.
SHADES = "·░▒▓█"
ASCII_SHADES = ".-=+#"
SHADE_STYLE = ("grey50", "green", "green", "green", "bold green")
DAY_ROWS = ("Mon", "", "Wed", "", "Fri", "", "Sun")
DAY_LABEL = 4
MIN_WEEKS = 8


def calendar_weeks(columns: int) -> int:
    """How many weeks the calendar shows in ``columns``: two columns a week after the day
    labels, a margin kept; 26 at 60 columns, a year (52) from 112."""
    return max(MIN_WEEKS, min(52, (columns - DAY_LABEL - 4) // 2))


def calendar(days: list[DayHours], goal: float, out: Out) -> None:
    """The days of the last weeks as a grid, like a contribution graph: a column a week,
    Monday to Sunday down, the months above, the weeks that met the goal marked below, and a
    legend. ``days`` start on a Monday and end today; the span is as wide as the terminal
    allows."""
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    weeks = weeks[-calendar_weeks(out.columns) :]
    if not weeks:
        return
    shades = SHADES if out.blocks else ASCII_SHADES
    met_mark = "✓" if out.blocks else "*"
    out.line(" " * DAY_LABEL, *_month_labels(weeks))
    for row, label in enumerate(DAY_ROWS):
        cells: list[Segment] = [(label.ljust(DAY_LABEL), "grey50")]
        for week in weeks:
            if row >= len(week):  # after today
                break
            cell = week[row]
            level = day_level(cell.hours, cell.entries)
            if cell.on_break and not cell.entries:
                cells.append((BREAK, "grey50"))
            else:
                cells.append((shades[level], SHADE_STYLE[level]))
            cells.append(" ")
        out.line(*cells)
    marks: list[Segment] = [("goal".ljust(DAY_LABEL), "grey50")]
    for week in weeks:
        met = sum(d.hours for d in week) >= week[0].goal > 0
        marks.extend([(met_mark, "green") if met else " ", " "])
    out.line(*marks)
    legend: list[Segment] = [("less ", "grey50")]
    for level, shade in enumerate(shades):
        legend.extend([(shade, SHADE_STYLE[level]), " "])
    met_text = f" goal met ({hours(goal)} a week now)" if any(
        w[0].goal != goal for w in weeks) else f" goal met ({hours(goal)} a week)"  # fmt: skip
    legend.extend([("more", "grey50"), "   ", (BREAK, "grey50"), (" break", "grey50"), "   ",
                   (met_mark, "green"), (met_text, "grey50")])  # fmt: skip
    out.line(" " * DAY_LABEL, *legend, hang=DAY_LABEL)


def _month_labels(weeks: list[list[DayHours]]) -> list[Segment]:
    """Each month's name above the week holding its first day, where there is room for it
    after the previous name; the first week's month only when its name fits before the next."""
    months = [(dt.date.fromisoformat(w[0].day) + dt.timedelta(days=6)).month for w in weeks]
    starts = [i for i, m in enumerate(months) if i and m != months[i - 1]]
    if not starts or starts[0] >= 3:
        starts.insert(0, 0)
    text = ""
    for i in starts:
        if 2 * i >= len(text) + (1 if text else 0):
            text = text.ljust(2 * i) + dt.date(2000, months[i], 1).strftime("%b")
    return [(text, "grey50")]


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
    out.line((label.ljust(LABEL) if len(label) < LABEL else label + " ", "bold"), *segments,
             hang=LABEL)  # fmt: skip


def week_line(out: Out, week: WeekTotal) -> None:
    """The week's hours against the goal: "This week" for the current one, else its name."""
    from mlpath import dates

    done = min(week.hours / week.goal, 1.0)
    current = week.week == dates.week_of(dt.date.today())
    met: Segment = ("  goal met", "green") if week.hours >= week.goal else ""
    labelled(
        out,
        "This week" if current else f"Week {week.week}",
        *out.bar(done, 16 if out.columns >= 80 else 8),
        f"  {hours(week.hours)} of {hours(week.goal)}",
        met,
        (f"  {plural(week.entries, 'entry', 'entries')} · {week.week}", "grey50"),
    )


def rhythm(out: Out, streak: Streak, pace: Pace, finish: Finish) -> None:
    labelled(out, "Streak", streak_text(streak))
    labelled(out, "Pace", pace_text(pace))
    labelled(out, "Finish", finish_text(finish, pace))
