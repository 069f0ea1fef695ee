"""The report page and the badge: Jinja2 templates with autoescaping (every piece of the
learner's text is escaped), and inline SVG charts whose geometry is worked out here from the
report's data. Nothing is fetched: no fonts, scripts, stylesheets or images from anywhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlpath.activity import day_level

if TYPE_CHECKING:
    from mlpath.report import ReportData

HERE = Path(__file__).parent
CHART_WIDTH = 900
CHART_HEIGHT = 220
PAD = 36  # room for the axis labels
CELL = 13  # a day of the activity calendar, in SVG units
GAP = 3
# How the tests and the README's screenshot start headless Chromium on the page: offline, with
# none of the browser's own background connections (refused on a closed network).
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")  # fmt: skip


def _environment() -> Any:
    import jinja2

    from mlpath import paths

    cache = paths.cache_dir() / "report-templates"
    try:  # compiled templates kept between runs (Jinja checks them against the sources)
        cache.mkdir(parents=True, exist_ok=True)
        compiled: Any = jinja2.FileSystemBytecodeCache(str(cache))
    except OSError:
        compiled = None
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "page_templates"),
        bytecode_cache=compiled,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page(data: ReportData) -> str:
    status = data.status
    return str(
        _environment()
        .get_template("report.html.j2")
        .render(
            data=data,
            status=status,
            weekly=weekly_chart(data),
            calendar=calendar_chart(data),
            burndown=burndown_chart(data),
            sparks=[spark(p.commit_weeks) for p in data.projects],
            day=_day,
            hours=_hours,
        )
    )


def badge(data: ReportData) -> str:
    total = sum(r.total for r in data.roadmaps)
    finished = sum(r.finished for r in data.roadmaps)
    percent = round(100 * finished / total) if total else 0
    label = "ML path"
    value = f"{percent}% · {finished}/{total} topics" if total else "no roadmap followed"
    left, right = 8 + 7 * len(label), 8 + 7 * len(value)
    return str(
        _environment()
        .get_template("badge.svg.j2")
        .render(label=label, value=value, left=left, right=right, percent=percent)
    )


# ---------------------------------------------------------------------------------- charts


def weekly_chart(data: ReportData) -> dict[str, Any]:
    """Bars of hours a week for the whole history, the weekly goal as a line."""
    weeks = data.weeks
    goal = data.status.this_week.goal
    top = max([goal, *(w.hours for w in weeks)]) * 1.15 or 1.0
    inner = CHART_WIDTH - 2 * PAD
    width = inner / max(len(weeks), 1)

    def y(value: float) -> float:
        return round(CHART_HEIGHT - PAD - value / top * (CHART_HEIGHT - 2 * PAD), 2)

    bars = [
        {"x": round(PAD + i * width, 2), "y": y(w.hours), "w": round(max(width - 1, 0.6), 2),
         "h": round(y(0) - y(w.hours), 2), "on_break": w.on_break,
         "title": f"{w.week}: {_hours(w.hours)}" + (", a planned break" if w.on_break else "")}
        for i, w in enumerate(weeks)
    ]  # fmt: skip
    years = _thinned(
        {"x": round(PAD + i * width, 2), "text": w.start[:4]}
        for i, w in enumerate(weeks)
        if i == 0 or w.start[:4] != weeks[i - 1].start[:4]
    )
    return {"bars": bars, "goal_y": y(goal), "goal": goal, "zero_y": y(0), "top": round(top, 1),
            "years": years, "width": CHART_WIDTH, "height": CHART_HEIGHT, "pad": PAD,
            "count": len(weeks)}  # fmt: skip


def calendar_chart(data: ReportData) -> dict[str, Any]:
    """A year of days as a grid: weeks as columns, Monday to Sunday as rows."""
    step = CELL + GAP
    cells = []
    months = []
    for i, c in enumerate(data.calendar):
        column, row = divmod(i, 7)
        day = dt.date.fromisoformat(c.day)
        said = "a planned break" if c.on_break and not c.entries else (
            f"{_hours(c.hours)}, {c.entries} entries")  # fmt: skip
        cells.append({"x": 30 + column * step, "y": 20 + row * step,
                      "level": day_level(c.hours, c.entries), "on_break": c.on_break,
                      "title": f"{c.day}: {said}"})  # fmt: skip
        if row == 0 and (day.day <= 7):
            months.append({"x": 30 + column * step, "text": f"{day:%b}"})
    width = 30 + (len(data.calendar) // 7) * step
    return {"cells": cells, "months": months, "width": width, "height": 20 + 7 * step + 30,
            "legend_y": 20 + 7 * step + 10, "cell": CELL, "step": step}  # fmt: skip


def burndown_chart(data: ReportData) -> dict[str, Any]:
    """Hours left over time: the weeks so far (a line), the plan ahead (dashed), the goal."""
    points = [*data.burndown, *data.projection]
    if not points:
        return {"empty": True}
    first = dt.date.fromisoformat(points[0].day)
    goal = data.status.goal_date
    last_day = dt.date.fromisoformat(points[-1].day)
    if goal is not None:
        last_day = max(last_day, dt.date.fromisoformat(goal.date))
    span = max((last_day - first).days, 1)
    top = max(p.hours_left for p in points) * 1.1 or 1.0
    inner_w, inner_h = CHART_WIDTH - 2 * PAD, CHART_HEIGHT - 2 * PAD

    def xy(day: str, value: float) -> str:
        x = PAD + (dt.date.fromisoformat(day) - first).days / span * inner_w
        return f"{x:.1f},{CHART_HEIGHT - PAD - value / top * inner_h:.1f}"

    def x_of(day: dt.date) -> float:
        return round(PAD + (day - first).days / span * inner_w, 1)

    past = " ".join(xy(p.day, p.hours_left) for p in data.burndown)
    joined = data.burndown[-1:] + data.projection
    ahead = " ".join(xy(p.day, p.hours_left) for p in joined)
    years = _thinned({"x": x_of(dt.date(y, 1, 1)), "text": str(y)}
                     for y in range(first.year + 1, last_day.year + 1))  # fmt: skip
    return {
        "empty": False, "past": past, "ahead": ahead, "top": round(top), "width": CHART_WIDTH,
        "height": CHART_HEIGHT, "pad": PAD, "years": years,
        "goal_x": x_of(dt.date.fromisoformat(goal.date)) if goal else None,
        "finish": data.status.finish.date,
        "finish_x": x_of(dt.date.fromisoformat(data.status.finish.date))
        if data.status.finish.date else None,
        "start": points[0].day,
    }  # fmt: skip


def _thinned(labels: Iterable[dict[str, Any]], gap: float = 44) -> list[dict[str, Any]]:
    """Axis labels at least ``gap`` apart, the first always kept (a century of years would
    otherwise print on top of each other)."""
    kept: list[dict[str, Any]] = []
    for label in labels:
        if not kept or label["x"] - kept[-1]["x"] >= gap:
            kept.append(label)
    return kept


def spark(counts: list[int]) -> dict[str, Any]:
    top = max(counts, default=0) or 1
    return {"bars": [{"x": i * 5, "h": round(c / top * 20, 1)} for i, c in enumerate(counts)],
            "total": sum(counts)}  # fmt: skip


def _day(iso: str | None) -> str:
    if not iso:
        return "—"
    return f"{dt.date.fromisoformat(iso[:10]):%d %b %Y}"


def _hours(value: float) -> str:
    return f"{value:g} h" if value < 10 else f"{value:.0f} h"
