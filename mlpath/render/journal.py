"""Text for log, note, journal and journal break."""

from __future__ import annotations

import datetime as dt
import sys

from mlpath import dates
from mlpath.journal import (
    BreakResult,
    Edited,
    Entry,
    EntryDetail,
    Hidden,
    JournalResult,
    JournalWeek,
    Logged,
)
from mlpath.render import activity
from mlpath.render.output import Out, Segment, hours, join, local_time, plural


def week_span(week: str, start: dt.date) -> str:
    return f"{week} · {start:%a %d %b} – {start + dt.timedelta(days=6):%a %d %b %Y}"


def entry(out: Out, item: Entry, indent: str = "  ", short: str | None = None) -> None:
    """One entry: a heading line (day, id, hours, tags, topics), then its text, indented."""
    head: list[Segment] = [
        indent,
        (f"{dt.date.fromisoformat(item.day):%a %d %b}", "bold"),
        (f"  {short or item.id[:7]}", "yellow"),
    ]
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
    previous: JournalWeek | None = None
    for week in result.weeks:
        # A run of break weeks without entries reads as a list: no blank line between them.
        if previous is not None and (week.entries or previous.entries):
            out.blank()
        if week.entries:
            out.line(
                (week_span(week.week, dates.monday(week.week)), "bold"),
                f" · {hours(week.hours)}",
                (" · planned break" if week.on_break else "", "grey50"),
            )
        else:  # a break week with nothing logged: its place in the listing, no more
            out.line((week_span(week.week, dates.monday(week.week)), "grey50"),
                     (" · planned break", "grey50"))  # fmt: skip
        for item in week.entries:
            entry(out, item, short=result.ids.get(item.id))
        previous = week
    if not result.total:
        if result.weeks:
            out.blank()
        if result.filters and result.entries:
            out.line(
                f"No entries match {' '.join(result.filters)}; "
                f"{plural(result.entries, 'entry', 'entries')} in all."
            )
        else:
            out.line('No entries. Write one with `mlpath log "what you did" --hours 1`.')
    elif result.shown < result.total:
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


def render_entry(result: EntryDetail, out: Out) -> None:
    if result.deleted:
        out.line(
            ("Deleted", "bold red"),
            f" (bring it back with `mlpath journal restore {result.short}`)",
        )
    entry(out, result.entry, indent="", short=result.short)
    if not result.history:
        return
    out.blank()
    out.line(("History", "bold"))
    for version in result.history:
        out.line("  ", (local_time(version.at), "grey50"), f"  {version.what}")
        if version.entry is not None:
            entry(out, version.entry, indent="    ", short=result.short)


def render_edited(result: Edited, out: Out) -> None:
    if not result.changed:
        out.line(f"Entry {result.short} is unchanged; nothing to save.")
        return
    out.line(("Edited ", "bold green"), f"entry {result.short}: ", join(result.changed))
    entry(out, result.entry, short=result.short)


def render_hidden(result: Hidden, out: Out) -> None:
    done = "Deleted" if result.action == "delete" else "Restored"
    was = "already deleted" if result.action == "delete" else "not deleted"
    for item in result.changed:
        short = result.ids[item.id]
        out.line((f"{done} ", "bold"), f"entry {short} of {item.day}: ", _gist(item.text))
    for item in result.unchanged:
        out.line(f"Entry {result.ids[item.id]} was {was}; nothing to change.")
    if result.changed and result.action == "delete":
        out.line(("Bring one back with `mlpath journal restore ID` (or `mlpath undo`).", "grey50"))


def confirm_delete(found: list[Entry]) -> bool:
    """Ask on the terminal before deleting entries."""
    import typer

    err = Out(sys.stderr)
    for item in found:
        err.line(f"  {item.id[:7]}  {item.day}  ", _gist(item.text))
    return bool(typer.confirm(f"Delete {plural(len(found), 'entry', 'entries')}?", default=False,
                              err=True))  # fmt: skip


def _gist(text: str) -> str:
    first = " ".join(text.split())
    return first if len(first) <= 60 else first[:59] + "…"
