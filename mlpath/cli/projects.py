"""new-project and projects."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mlpath.cli.common import JsonOpt, complete_template, emit

app = typer.Typer()


def _ask(key: str, default: Any) -> Any:
    """Ask for one template variable on the terminal, offering its default."""
    if isinstance(default, bool):
        return typer.confirm(key, default=default)
    if isinstance(default, list):
        for i, choice in enumerate(default, 1):
            typer.echo(f"  {i}. {choice}")
        while True:
            answer = str(typer.prompt(f"{key} (1-{len(default)})", default="1")).strip()
            if answer.isdigit() and 1 <= int(answer) <= len(default):
                return default[int(answer) - 1]
            if answer in map(str, default):
                return answer
            typer.echo(f"  choose a number from 1 to {len(default)}")
    return typer.prompt(key, default=str(default))


@app.command("new-project", rich_help_panel="Projects")
def new_project(
    template: Annotated[
        str | None,
        typer.Argument(
            metavar="TEMPLATE",
            help="A built-in template id, or a template folder/.zip.",
            autocompletion=complete_template,
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Argument(metavar="NAME", help="The project's name (default: ask).")
    ] = None,
    parent: Annotated[
        Path, typer.Option("--dir", metavar="PARENT", help="Create it in this folder.")
    ] = Path(),
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="Answer a template variable."),
    ] = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Ask nothing: use the defaults.")
    ] = False,
    no_git: Annotated[bool, typer.Option("--no-git", help="Do not initialise git.")] = False,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust",
            help="Run the template's code: hooks, Jinja extensions, Jinja outside the sandbox.",
        ),
    ] = False,
    list_: Annotated[
        bool, typer.Option("--list", help="List the built-in templates instead.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Start a portfolio project from a template, with git initialised."""
    from mlpath import scaffold
    from mlpath.render import projects as text

    if list_:
        emit("new-project --list", scaffold.builtin_templates(), as_json, text.render_templates)
        return
    if template is None:
        raise typer.BadParameter("name a TEMPLATE, or use --list", param_hint="TEMPLATE")
    interactive = not (no_input or as_json) and sys.stdin.isatty()
    result = scaffold.new_project(
        template, name, parent, sets or [],
        ask=_ask if interactive else None, use_git=not no_git, trust=trust,
    )  # fmt: skip
    emit("new-project", result, as_json, text.render_created)


@app.command(rich_help_panel="Projects")
def projects(as_json: JsonOpt = False) -> None:
    """Your scaffolded projects: where they are, their commits and topics."""
    from mlpath.projects import list_projects
    from mlpath.render import projects as text
    from mlpath.store import Store

    with Store.open() as store:
        result = list_projects(store)
    emit("projects", result, as_json, text.render_projects)
