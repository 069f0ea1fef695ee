"""export, import and config.

Core and render modules are imported inside the commands, so that running one of them does
not load what only the others need (`config` reads one setting; `import` parses whole files).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from mlpath.cli.common import JsonOpt, complete_setting, emit, path_value
from mlpath.store import Store

app = typer.Typer()
config_app = typer.Typer()
KeyArg = Annotated[
    str, typer.Argument(metavar="KEY", help="e.g. weekly-hours", autocompletion=complete_setting)
]


class Format(StrEnum):
    json = "json"
    markdown = "markdown"
    md = "md"  # the file extension, accepted for markdown


@app.command(rich_help_panel="Your data")
def export(
    fmt: Annotated[
        Format,
        typer.Option(
            "--format", metavar="json|markdown|md", help="JSON (to import again) or Markdown (md)."
        ),
    ] = Format.json,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Write here (default: stdout).",
            parser=path_value,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="With -o: print a JSON summary of what was written.")
    ] = False,
) -> None:
    """All your data: progress, journal, notes, settings, projects."""
    from mlpath import export as exchange
    from mlpath.errors import InvalidInputError
    from mlpath.render.data import ExportSummary, render_exported

    if as_json and output is None:
        raise InvalidInputError(
            "--json prints a summary of a file written with -o FILE (without -o the export "
            "itself goes to stdout)"
        )
    with Store.open() as store:
        result = exchange.export(store, "markdown" if fmt is Format.md else fmt.value, output)
    if output is None:
        sys.stdout.write(result.text)
    else:
        summary = ExportSummary(result.format, result.path or "", result.counts)
        emit("export", summary, as_json, render_exported)


@app.command("import", rich_help_panel="Your data")
def import_(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="An mlpath or jrnl JSON export.", parser=path_value),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Add an mlpath or jrnl JSON export to your data (all or nothing; again adds nothing)."""
    from mlpath import export as exchange
    from mlpath.render.data import render_imported

    checked = exchange.read(file)
    with Store.open(create=True) as store:
        result = exchange.apply(store, checked)
    emit("import", result, as_json, render_imported)


@config_app.callback(invoke_without_command=True)
def config(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Your settings (change one with `mlpath config set KEY VALUE`)."""
    if ctx.invoked_subcommand is not None:
        return
    from mlpath.config import show
    from mlpath.render.data import render_config

    with Store.open() as store:
        result = show(store)
    emit("config", result, as_json, render_config)


@config_app.command("get")
def get(
    key: KeyArg,
    as_json: JsonOpt = False,
) -> None:
    """One setting's value."""
    from mlpath import config as settings
    from mlpath.render.data import render_setting

    with Store.open() as store:
        result = settings.get(store, key)
    emit("config get", result, as_json, render_setting)


@config_app.command("unset")
def unset(
    key: KeyArg,
    as_json: JsonOpt = False,
) -> None:
    """Go back to a setting's default."""
    from mlpath.config import unset_value
    from mlpath.render.data import render_change

    with Store.open(create=True) as store:
        result = unset_value(store, key)
    emit("config unset", result, as_json, render_change)


@config_app.command("set")
def set_(
    key: KeyArg,
    value: Annotated[str, typer.Argument(metavar="VALUE")],
    as_json: JsonOpt = False,
) -> None:
    """Change a setting."""
    from mlpath.config import set_value
    from mlpath.render.data import render_change

    with Store.open(create=True) as store:
        result = set_value(store, key, value)
    emit("config set", result, as_json, render_change)
