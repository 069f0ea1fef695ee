"""report: the learner's path as one self-contained HTML page, and a badge."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlpath.cli.common import JsonOpt, emit, path_value

app = typer.Typer()


@app.command(rich_help_panel="Your data")
def report(
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", metavar="FILE", parser=path_value, help="Where to write the page."
        ),
    ] = Path("mlpath-report.html"),
    include_journal: Annotated[
        bool, typer.Option("--include-journal", help="Put your journal entries in the page.")
    ] = False,
    public: Annotated[
        bool, typer.Option("--public", help="Leave out anything private: journal, notes, paths.")
    ] = False,
    open_it: Annotated[bool, typer.Option("--open", help="Open the page in your browser.")] = False,
    badge: Annotated[
        Path | None,
        typer.Option(
            "--badge",
            metavar="FILE.svg",
            parser=path_value,
            help="Also write a small SVG progress badge for a README.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Your path as one HTML page with charts, that needs nothing else to open."""
    from mlpath import report as reporting
    from mlpath.render.report_text import ReportResult, render_report
    from mlpath.roadmaps import load_catalog
    from mlpath.store import Store

    catalog = load_catalog()
    with Store.open() as store:
        data = reporting.report(catalog, store, include_journal=include_journal, public=public)
    reporting.write(data, output, badge)
    from mlpath import paths

    if open_it:
        import webbrowser

        if not webbrowser.open(output.resolve().as_uri()):
            from mlpath.render.output import warn

            warn(f"no browser could be opened: open {paths.display(output)} yourself")

    result = ReportResult(
        paths.display(output),
        paths.display(badge) if badge else None,
        data.public,
        data.journal is not None,
        data.status.hours_left,
        len(data.weeks),
        len(data.done),
        len(data.projects),
    )
    emit("report", result, as_json, render_report)
