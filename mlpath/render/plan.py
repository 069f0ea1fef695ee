"""Text for plan."""

from __future__ import annotations

from mlpath.planning import PlanResult
from mlpath.render.activity import day
from mlpath.render.output import Out, Segment, hours, plural

SOURCE = {
    "log": "your pace",
    "goal": "your weekly goal, until 2 full weeks are logged",
    "option": "--hours-per-week",
    "until": "the pace that finishes by --until",
}


def render_plan(result: PlanResult, out: Out) -> None:
    if not result.hours_left:
        out.line(("Nothing left to plan: every topic on this path is finished.", "bold green"))
        return
    out.line(
        ("Your plan", "bold"),
        f" · {hours(result.hours_left)} left at {result.hours_per_week:g} h a week "
        f"({SOURCE[result.source]})",
    )
    if result.finish:
        until = f" (planned to finish by {day(result.until)})" if result.until else ""
        out.line(f"Finish  {day(result.finish)}", (until, "grey50"))
    else:
        out.line(("No finish date: at this pace the plan runs past the dates mlpath supports.",
                  "yellow"))  # fmt: skip
    if result.logged_this_week:
        out.line(
            (f"This week holds {hours(max(result.hours_per_week - result.logged_this_week, 0))}: "
             f"{hours(result.logged_this_week)} logged already.", "grey50")
        )  # fmt: skip
    if result.breaks:
        out.line((f"Around {plural(len(result.breaks), 'break week')}: "
                  f"{', '.join(result.breaks[:6])}{' …' if len(result.breaks) > 6 else ''}",
                  "grey50"))  # fmt: skip
    for week in result.weeks:
        out.blank()
        out.line((f"{week.week}", "bold"), f"  {day(week.start)} – {day(week.end)}",
                 (f"  {hours(week.hours)}", "grey50"))  # fmt: skip
        rows: list[list[Segment]] = []
        for slot in week.topics:
            part = f"week {slot.part} of {slot.parts}" if slot.parts > 1 else ""
            rows.append([(slot.topic, "bold"), slot.title, (hours(slot.hours), "grey50"),
                         (part, "grey50")])  # fmt: skip
        out.table(rows, shrink=1)
    if result.more_weeks:
        out.blank()
        out.line(
            (f"and {plural(result.more_weeks, 'more week')} (`--weeks N` shows more)", "grey50")
        )
    if result.ics:
        out.blank()
        out.line(("Calendar: ", "bold"), f"wrote {result.ics}")
