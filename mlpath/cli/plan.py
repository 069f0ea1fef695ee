"""plan: the topics left, week by week."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlpath.cli.common import JsonOpt, RoadmapOpt, emit, path_value

app = typer.Typer()


@app.command(rich_help_panel="Progress")
def plan(
    hours_per_week: Annotated[
        float | None,
        typer.Option("--hours-per-week", metavar="H", help="Plan at this pace (default: yours)."),
    ] = None,
    roadmap: RoadmapOpt = None,
    weeks: Annotated[
        int | None, typer.Option("--weeks", metavar="N", help="Show only the first N weeks.")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", metavar="DATE", help="Plan at the pace that finishes by DATE (YYYY-MM-DD)."
        ),
    ] = None,
    ics: Annotated[
        Path | None,
        typer.Option(
            "--ics",
            metavar="FILE",
            parser=path_value,
            help="Also write the plan as an iCalendar file, one event per topic and week.",
        ),
    ] = None,
    remind: Annotated[
        str | None,
        typer.Option(
            "--remind", metavar="HH:MM", help="With --ics: a reminder on each Monday at HH:MM."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Your topics week by week: prerequisites first, at your pace, around break weeks."""
    from mlpath import planning
    from mlpath.errors import InvalidInputError
    from mlpath.render.plan import render_plan
    from mlpath.roadmaps import load_catalog
    from mlpath.store import Store

    if remind is not None and ics is None:
        raise InvalidInputError("--remind goes with --ics FILE: reminders live in the calendar")
    at = planning.reminder_time(remind) if remind is not None else None
    catalog = load_catalog()
    with Store.open() as store:
        result = planning.plan(
            catalog, store, roadmap_id=roadmap, hours_per_week=hours_per_week, weeks=weeks,
            until=until,
        )  # fmt: skip
    if ics is not None:  # the whole plan: --weeks is only what is shown
        result = planning.write_ics(result, ics, at)
    emit("plan", planning.first_weeks(result, weeks), as_json, render_plan)
