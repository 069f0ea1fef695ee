"""Text for log, note, journal and journal break."""

from __future__ import annotations

import datetime as dt

from mlpath import dates
from mlpath.journal import BreakResult, Entry, JournalResult, Logged
from mlpath.render import activity
from mlpath.render.output import Out, Segment, hours, join


def week_span(week: str, start: dt.date) -> str:
    return f"{week} · {start:%a %d %b} – {start + dt.timedelta(days=6):%a %d %b %Y}"


def entry(out: Out, item: Entry, indent: str = "  ") -> None:
    """One entry: a heading line (day, hours, tags, topics), then its text, indented."""
    head: list[Segment] = [indent, (f"{dt.date.fromisoformat(item.day):%a %d %b}", "bold")]
    if item.hours:
        head.append(f"  {hours(item.hours)}")
    if item.kind == "note":
        head.append(("  note", "yellow"))
    if item.topics:
        head.append(("  " + join(item.topics), "cyan"))
    if item.tags:
        head.append(("  " + " ".join(f"#{t}" for t in item.tags), "magenta"))
    out.line(*head)
    for line in item.text.split("\n"):
        out.line(indent + "    " + line.rstrip("\r"))


def render_logged(result: Logged, out: Out) -> None:
    saved = result.entry
    what = "Note saved" if saved.kind == "note" else "Entry saved"
    where = f" for {activity.day(saved.day)} ({saved.week})"
    details = [hours(saved.hours)] if saved.hours else []
    details += saved.topics + [f"#{t}" for t in saved.tags]
    out.line((what, "bold green"), where, (" · " + " · ".join(details) if details else "", ""))
    activity.week_line(out, result.week)


def render_journal(result: JournalResult, out: Out) -> None:
    if not result.weeks:
        out.line('No entries. Write one with `mlpath log "what you did" --hours 1`.')
        return
    for i, week in enumerate(result.weeks):
        if i:
            out.blank()
        out.line(
            (week_span(week.week, dates.monday(week.week)), "bold"),
            f" · {hours(week.hours)}",
            (" · planned break" if week.on_break else "", "grey50"),
        )
        for item in week.entries:
            entry(out, item)
    if result.shown < result.total:
        out.blank()
        out.line((f"{result.shown} of {result.total} entries; see more with -n", "grey50"))


def render_break(result: BreakResult, out: Out) -> None:
    if result.on_break:
        state = "is now" if result.changed else "was already"
        out.line(
            (result.week, "bold"),
            f" {state} a planned break: it neither counts toward your streak nor breaks it.",
        )
    else:
        state = "is no longer" if result.changed else "was not"
        out.line((result.week, "bold"), f" {state} a planned break.")
