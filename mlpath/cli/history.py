"""undo and redo."""

from __future__ import annotations

from typing import Annotated

import typer

from mlpath.cli.common import JsonOpt, emit
from mlpath.errors import check_count
from mlpath.store import Store

app = typer.Typer()


@app.command(rich_help_panel="Your data")
def undo(
    list_: Annotated[
        bool, typer.Option("--list", help="Show your recent changes instead, newest first.")
    ] = False,
    count: Annotated[int, typer.Option("-n", metavar="N", help="With --list: how many.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Reverse your most recent change (a whole command), by recording its reversal."""
    from mlpath import history
    from mlpath.render import history as text

    if list_:
        with Store.open() as store:
            listed = history.history(store, check_count(count))
        emit("undo --list", listed, as_json, text.render_changes)
        return
    with Store.open(create=True) as store:
        result = history.undo(store)
    emit("undo", result, as_json, text.render_undone)


@app.command(rich_help_panel="Your data")
def redo(as_json: JsonOpt = False) -> None:
    """Make again the change your last undo reversed."""
    from mlpath import history
    from mlpath.render import history as text

    with Store.open(create=True) as store:
        result = history.redo(store)
    emit("redo", result, as_json, text.render_undone)
