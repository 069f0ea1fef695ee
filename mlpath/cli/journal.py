"""log, note, journal (with break, show, edit, delete and restore) and review.

Core and render modules are imported inside the commands, so that running one of them does
not load what only the others need (`review` reads git history; `log` writes one row).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlpath.cli.common import (
    JsonOpt,
    TopicArg,
    _complete_topics,
    complete_tag,
    complete_week,
    emit,
    path_value,
)
from mlpath.store import Store

app = typer.Typer()
journal_app = typer.Typer()

WeekOpt = Annotated[
    str | None,
    typer.Option(
        "--week",
        metavar="YYYY-Www",
        help="An ISO week, e.g. 2026-W07.",
        autocompletion=complete_week,
    ),
]
DATES = "YYYY-MM-DD, today, yesterday, 'N days ago', 'monday' (the latest) or 'last monday'"
EntryIdArg = Annotated[
    str, typer.Argument(metavar="ID", help="An entry's id, as `mlpath journal` shows it.")
]
EntryIdsArg = Annotated[
    list[str], typer.Argument(metavar="ID...", help="Entry ids, as `mlpath journal` shows them.")
]
FileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file",
        metavar="FILE",
        help="Read the text from FILE (lines starting with #~ are left out).",
        parser=path_value,
    ),
]


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
        typer.Option(
            "--tag",
            metavar="T",
            help="A tag (repeat for more); #tags in TEXT count.",
            autocompletion=complete_tag,
        ),
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
    file: FileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a journal entry: what you learned, for how long, on which topics."""
    from mlpath import journal
    from mlpath.render.journal import render_logged

    stdin = None if sys.stdin.isatty() else sys.stdin.buffer
    with Store.open(create=True) as store:
        result = journal.log(
            store, entry, hours=hours, tags=tags or [], topics=topics or [], date=date,
            file=file, stdin=stdin,
        )  # fmt: skip
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
    tag: Annotated[
        str | None,
        typer.Option("--tag", metavar="T", help="Only this tag.", autocompletion=complete_tag),
    ] = None,
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
    emit("journal", result, as_json, render_journal, pager=True)


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


@journal_app.command("show")
def show_(
    entry: EntryIdArg,
    history: Annotated[
        bool, typer.Option("--history", help="Every version: written, edited, deleted.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """One entry, whole (also a deleted one), and with --history every version of it."""
    from mlpath import journal
    from mlpath.render.journal import render_entry

    with Store.open() as store:
        result = journal.show_entry(store, entry, history)
    emit("journal show", result, as_json, render_entry)


@journal_app.command("edit")
def edit_(
    entry: EntryIdArg,
    text: Annotated[str | None, typer.Option("--text", metavar="TEXT", help="New text.")] = None,
    hours: Annotated[
        float | None, typer.Option("--hours", metavar="H", help="New hours (0 < H <= 24).")
    ] = None,
    date: Annotated[
        str | None, typer.Option("--date", metavar="DATE", help=f"New day: {DATES}.")
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option("--tag", metavar="T", help="Add a tag (repeat).", autocompletion=complete_tag),
    ] = None,
    untags: Annotated[
        list[str] | None, typer.Option("--untag", metavar="T", help="Remove a tag (repeat).")
    ] = None,
    topics: Annotated[
        list[str] | None,
        typer.Option(
            "--topic",
            metavar="TOPIC",
            help="Add a topic (repeat).",
            autocompletion=_complete_topics,
        ),
    ] = None,
    untopics: Annotated[
        list[str] | None,
        typer.Option(
            "--untopic",
            metavar="TOPIC",
            help="Remove a topic (repeat).",
            autocompletion=_complete_topics,
        ),
    ] = None,
    file: FileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Correct an entry: it keeps its id, and the old version stays in its history. With no
    option, your editor opens on it (stdin when not on a terminal)."""
    from mlpath import journal
    from mlpath.render.journal import render_edited

    changes = journal.Edit(text, hours, date, tags or [], untags or [], topics or [],
                           untopics or [])  # fmt: skip
    stdin = None if sys.stdin.isatty() else sys.stdin.buffer
    with Store.open(create=True) as store:
        result = journal.edit(store, entry, changes, file=file, stdin=stdin)
    emit("journal edit", result, as_json, render_edited)


def _hide(entries: list[str], delete: bool, yes: bool, as_json: bool) -> None:
    from mlpath import journal
    from mlpath.render.journal import confirm_delete, render_hidden

    with Store.open(create=True) as store:
        if delete and not yes:
            found = [journal.find_entry(store, ref)[0] for ref in entries]
            if not sys.stdin.isatty() or as_json:
                from mlpath.errors import InvalidInputError

                raise InvalidInputError(
                    "deleting entries asks first on a terminal; pass --yes to delete without asking"
                )
            if not confirm_delete(found):
                raise typer.Exit(1)
        result = journal.hide(store, entries, delete)
    emit(f"journal {result.action}", result, as_json, render_hidden)


@journal_app.command("delete")
def delete_(
    entries: EntryIdsArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete entries: they leave every listing and total, and nothing is erased
    (`mlpath journal restore ID` brings one back, `mlpath undo` too)."""
    _hide(entries, True, yes, as_json)


@journal_app.command("restore")
def restore_(entries: EntryIdsArg, as_json: JsonOpt = False) -> None:
    """Bring deleted entries back."""
    _hide(entries, False, True, as_json)


@app.command(rich_help_panel="Journal")
def review(week: WeekOpt = None, as_json: JsonOpt = False) -> None:
    """The weekly review: hours against your goal, entries, topics, commits and pace."""
    from mlpath.render.review import render_review
    from mlpath.review import review as weekly_review
    from mlpath.roadmaps import load_catalog

    catalog = load_catalog()
    with Store.open() as store:
        result = weekly_review(catalog, store, week)
    emit("review", result, as_json, render_review, pager=True)
