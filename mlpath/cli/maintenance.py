"""backup and doctor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlpath.cli.common import JsonOpt, emit, path_value

app = typer.Typer()


@app.command(rich_help_panel="Your data")
def backup(
    path: Annotated[
        Path | None,
        typer.Argument(
            metavar="PATH",
            help="A file or folder to copy to (default: rotated copies in $MLPATH_HOME/backups).",
            parser=path_value,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Copy your store safely while mlpath may be in use, and check the copy."""
    from mlpath import maintenance
    from mlpath.render import maintenance as text

    emit("backup", maintenance.backup(path), as_json, text.render_backup)


@app.command(rich_help_panel="Your data")
def doctor(as_json: JsonOpt = False) -> None:
    """Check your store, its backups and the roadmaps, and say where your data is."""
    from mlpath import maintenance
    from mlpath.render import maintenance as text

    result = maintenance.doctor()
    emit("doctor", result, as_json, text.render_doctor)
    if not result.ok:
        raise typer.Exit(1)
