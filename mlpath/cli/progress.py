"""status, next, start, done, skip, reset and show."""

from __future__ import annotations

from typing import Annotated

import typer

from mlpath import progress
from mlpath.cli.common import JsonOpt, RoadmapOpt, TopicArg, TopicsArg, emit
from mlpath.render import progress as text
from mlpath.roadmaps import load_catalog
from mlpath.store import Store

app = typer.Typer()

NoteOpt = Annotated[
    str | None, typer.Option("--note", metavar="TEXT", help="A note to keep with the change.")
]
DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date",
        metavar="DATE",
        help="The day it happened (default today): YYYY-MM-DD, yesterday, 'N days ago', "
        "'monday' or 'last monday'.",
    ),
]


@app.command(rich_help_panel="Progress")
def status(roadmap: RoadmapOpt = None, as_json: JsonOpt = False) -> None:
    """Where you stand: progress per roadmap, topics in progress, what is next."""
    catalog = load_catalog()
    with Store.open() as store:
        result = progress.status(catalog, store, roadmap)
    emit("status", result, as_json, text.render_status)


@app.command("next", rich_help_panel="Progress")
def next_(
    count: Annotated[int, typer.Option("-n", metavar="N", help="How many topics.")] = 5,
    roadmap: RoadmapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Topics ready to learn: in progress first, then in path order."""
    catalog = load_catalog()
    with Store.open() as store:
        result = progress.next_topics(catalog, store, count, roadmap)
    emit("next", result, as_json, text.render_next)


def _mark(
    action: str, topics: list[str], note: str | None, date: str | None, as_json: bool
) -> None:
    catalog = load_catalog()
    with Store.open(create=True) as store:
        result = progress.mark(catalog, store, topics, action, note, date)
    emit(action, result, as_json, text.render_mark)


@app.command(rich_help_panel="Progress")
def start(
    topics: TopicsArg, note: NoteOpt = None, date: DateOpt = None, as_json: JsonOpt = False
) -> None:
    """Mark topics as in progress."""
    _mark("start", topics, note, date, as_json)


@app.command(rich_help_panel="Progress")
def done(
    topics: TopicsArg, note: NoteOpt = None, date: DateOpt = None, as_json: JsonOpt = False
) -> None:
    """Mark topics as done (allowed before their prerequisites, with a warning)."""
    _mark("done", topics, note, date, as_json)


@app.command(rich_help_panel="Progress")
def skip(
    topics: TopicsArg, note: NoteOpt = None, date: DateOpt = None, as_json: JsonOpt = False
) -> None:
    """Mark topics as skipped: you know them already, or they are not for you."""
    _mark("skip", topics, note, date, as_json)


@app.command(rich_help_panel="Progress")
def reset(
    topics: TopicsArg, note: NoteOpt = None, date: DateOpt = None, as_json: JsonOpt = False
) -> None:
    """Mark topics as not started again (their history is kept)."""
    _mark("reset", topics, note, date, as_json)


@app.command(rich_help_panel="Progress")
def show(topic: TopicArg, as_json: JsonOpt = False) -> None:
    """One topic: summary, resources, prerequisites, what it unlocks, your history."""
    catalog = load_catalog()
    with Store.open() as store:
        result = progress.show(catalog, store, topic)
    emit("show", result, as_json, text.render_show, pager=True)


@app.command(rich_help_panel="Progress")
def check(
    topic: TopicArg,
    numbers: Annotated[
        list[int], typer.Argument(metavar="N...", help="Which self-checks, as `show` numbers them.")
    ],
    undo: Annotated[bool, typer.Option("--undo", help="Untick them instead.")] = False,
    note: Annotated[
        str | None,
        typer.Option("--note", metavar="TEXT", help="Evidence: a link to a notebook, a commit..."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Tick a topic's self-checks: what you can now do, with evidence if you like."""
    from mlpath import selfcheck
    from mlpath.render.progress import render_check

    catalog = load_catalog()
    with Store.open(create=True) as store:
        result = selfcheck.check(catalog, store, topic, numbers, undo=undo, note=note)
    emit("check", result, as_json, render_check)
