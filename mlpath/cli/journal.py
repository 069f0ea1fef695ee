"""log, note, journal (and journal break) and review.

Core and render modules are imported inside the commands, so that running one of them does
not load what only the others need (`review` reads git history; `log` writes one row).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mlpath.cli.common import JsonOpt, TopicArg, _complete_topics, emit
from mlpath.store import Store

app = typer.Typer()
journal_app = typer.Typer()

WeekOpt = Annotated[
    str | None, typer.Option("--week", metavar="YYYY-Www", help="An ISO week, e.g. 2026-W07.")
]
DATES = "YYYY-MM-DD, today, yesterday, 'N days ago', 'monday' (the latest) or 'last monday'"


@app.command(rich_help_panel="Journal")
def log(
    entry: Annotated[
        str | None,
        typer.Argument(
            metavar="TEXT",
            help="What you did. Without it: your editor on a terminal, else stdin.",
        ),
    ] = None,
    hours: Annotated[
        float | None, typer.Option("--hours", metavar="H", help="Hours spent (0 < H <= 24).")
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option("--tag", metavar="T", help="A tag (repeat for more); #tags in TEXT count."),
    ] = None,
    topics: Annotated[
        list[str] | None,
        typer.Option(
            "--topic",
            metavar="TOPIC",
            help="A topic the entry is about (repeat for more).",
            autocompletion=_complete_topics,
        ),
    ] = None,
    date: Annotated[
        str | None, typer.Option("--date", metavar="DATE", help=f"The day it is about: {DATES}.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a journal entry: what you learned, for how long, on which topics."""
    from mlpath import journal
    from mlpath.render.journal import render_logged

    stdin = None if sys.stdin.isatty() else sys.stdin.buffer
    with Store.open(create=True) as store:
        result = journal.log(
            store, entry, hours=hours, tags=tags or [], topics=topics or [], date=date, stdin=stdin
        )
    emit("log", result, as_json, render_logged)


@app.command(rich_help_panel="Journal")
def note(
    topic: TopicArg,
    entry: Annotated[str, typer.Argument(metavar="TEXT", help="The note.")],
    as_json: JsonOpt = False,
) -> None:
    """Keep a note on a topic (`mlpath show TOPIC` lists them)."""
    from mlpath import journal
    from mlpath.render.journal import render_logged

    with Store.open(create=True) as store:
        result = journal.log(store, entry, kind="note", topics=[topic])
    emit("note", result, as_json, render_logged)


@journal_app.callback(invoke_without_command=True)
def journal_(
    ctx: typer.Context,
    week: WeekOpt = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="From this day on.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="DATE", help="Up to this day.")
    ] = None,
    tag: Annotated[str | None, typer.Option("--tag", metavar="T", help="Only this tag.")] = None,
    topic: Annotated[
        str | None,
        typer.Option(
            "--topic",
            metavar="TOPIC",
            help="Only entries about this topic.",
            autocompletion=_complete_topics,
        ),
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", metavar="TEXT", help="Only entries with this text.")
    ] = None,
    count: Annotated[int, typer.Option("-n", metavar="N", help="At most N entries.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Your entries, newest first, grouped by ISO week with each week's hours."""
    if ctx.invoked_subcommand is not None:
        return
    from mlpath import journal
    from mlpath.render.journal import render_journal

    with Store.open() as store:
        result = journal.entries(
            store, week=week, since=since, until=until, tag=tag, topic=topic, search=search,
            limit=count,
        )  # fmt: skip
    emit("journal", result, as_json, render_journal)


@journal_app.command("break")
def break_(
    week: WeekOpt = None,
    undo: Annotated[bool, typer.Option("--undo", help="Unmark the week.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Mark a week (default: this one) as a planned break, which keeps your streak."""
    from mlpath import journal
    from mlpath.render.journal import render_break

    with Store.open(create=True) as store:
        result = journal.set_break(store, week, undo)
    emit("journal break", result, as_json, render_break)


@app.command(rich_help_panel="Journal")
def review(week: WeekOpt = None, as_json: JsonOpt = False) -> None:
    """The weekly review: hours against your goal, entries, topics, commits and pace."""
    from mlpath.render.review import render_review
    from mlpath.review import review as weekly_review
    from mlpath.roadmaps import load_catalog

    catalog = load_catalog()
    with Store.open() as store:
        result = weekly_review(catalog, store, week)
    emit("review", result, as_json, render_review)
