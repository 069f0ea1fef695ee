"""sync, sync init and sync status."""

from __future__ import annotations

from typing import Annotated

import typer

from mlpath.cli.common import JsonOpt, emit
from mlpath.store import Store

sync_app = typer.Typer()


@sync_app.callback(invoke_without_command=True)
def sync(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Send your changes to the sync repository and receive your other machines'."""
    if ctx.invoked_subcommand is not None:
        return
    from mlpath import sync as syncing
    from mlpath.render.sync import render_problems, render_synced

    with Store.open() as store:  # a machine with no store has nothing set up to sync
        result = syncing.sync(store)
    emit("sync", result, as_json, render_synced)
    render_problems(result)
    if result.problems:
        raise typer.Exit(1)


@sync_app.command("init")
def init(
    remote: Annotated[
        str, typer.Argument(metavar="REMOTE", help="A git URL, or a path to a repository.")
    ],
    create: Annotated[
        bool, typer.Option("--create", help="Make a new bare repository at the path REMOTE.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Sync this machine through a git repository (yours: a host, a server, a USB stick)."""
    from mlpath import sync as syncing
    from mlpath.render.sync import render_problems, render_synced

    with Store.open(create=True) as store:
        result = syncing.init(store, remote, create)
    emit("sync init", result, as_json, render_synced)
    render_problems(result)
    if result.problems:
        raise typer.Exit(1)


@sync_app.command("status")
def status(as_json: JsonOpt = False) -> None:
    """Where this machine syncs, when it last did, and what it has not sent yet."""
    from mlpath import sync as syncing
    from mlpath.render.sync import render_status

    with Store.open() as store:
        result = syncing.status(store)
    emit("sync status", result, as_json, render_status)
