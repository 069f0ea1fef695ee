"""new-project, projects, projects forget, and project check and update (`project` is
another name of the `projects` group)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlpath.cli.common import JsonOpt, complete_template, emit, path_value

if TYPE_CHECKING:
    from mlpath.scaffold import Question, TemplateChoice

app = typer.Typer()
projects_app = typer.Typer()

TrustOpt = Annotated[
    bool,
    typer.Option(
        "--trust",
        help="Run the template's code: hooks, Jinja extensions, Jinja outside the sandbox.",
    ),
]
ProjectArg = Annotated[
    Path,
    typer.Argument(
        metavar="PATH",
        parser=path_value,
        help="The project's folder, or a folder inside it (default: the current folder).",
    ),
]


def _choose(prompt: str, count: int, default: int, names: list[str]) -> int:
    """A number from 1 to ``count`` typed at ``prompt`` (or one of ``names``); Enter takes
    ``default``; anything else is asked again."""
    while True:
        answer = str(typer.prompt(f"{prompt} (1-{count})", default=str(default))).strip()
        if answer.isdigit() and 1 <= int(answer) <= count:
            return int(answer) - 1
        if answer in names:
            return names.index(answer)
        typer.echo(f"  choose a number from 1 to {count}")


def _ask(question: Question) -> Any:
    """Ask for one template variable on the terminal, in the template's own words, offering
    its default. The words come from the template: made safe before they are shown."""
    from mlpath.safetext import terminal_safe

    label = terminal_safe(question.label)
    default = question.default
    if isinstance(default, bool):
        return typer.confirm(label, default=default)
    if isinstance(default, list):
        for i, choice in enumerate(default, 1):
            shown = question.choices.get(str(choice), str(choice))
            typer.echo(f"  {i}. {terminal_safe(shown)}")
        return default[_choose(label, len(default), 1, [str(c) for c in default])]
    # The default is shown made safe, and taken as it is when Enter keeps it.
    answer = typer.prompt(f"{label} [{terminal_safe(str(default))}]", default="",
                          show_default=False)  # fmt: skip
    return answer if answer != "" else default


def _pick(choices: list[TemplateChoice]) -> str:
    """The built-in template chosen on the terminal: the first ready one is offered."""
    from mlpath.render import projects as text
    from mlpath.render.output import Out

    text.render_picker(choices, Out())
    ready = [i for i, c in enumerate(choices) if c.ready]
    default = (ready[0] if ready else 0) + 1
    chosen = _choose("Template", len(choices), default, [c.template.id for c in choices])
    return choices[chosen].template.id


@app.command("new-project", rich_help_panel="Projects")
def new_project(
    template: Annotated[
        str | None,
        typer.Argument(
            metavar="TEMPLATE",
            help="A built-in template id, or a template folder/.zip (default: choose on a "
            "terminal).",
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
    trust: TrustOpt = False,
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
    interactive = not (no_input or as_json) and sys.stdin.isatty()
    if template is None:
        if not interactive:  # a script names what it wants
            raise typer.BadParameter("name a TEMPLATE, or use --list", param_hint="TEMPLATE")
        template = _pick(scaffold.template_choices())
    result = scaffold.new_project(
        template, name, parent, sets or [],
        ask=_ask if interactive else None, use_git=not no_git, trust=trust,
    )  # fmt: skip
    emit("new-project", result, as_json, text.render_created)


@projects_app.callback(invoke_without_command=True)
def projects(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Your scaffolded projects: where they are, their commits and topics (alias: project)."""
    if ctx.invoked_subcommand is not None:
        return
    from mlpath.projects import list_projects
    from mlpath.render import projects as text
    from mlpath.store import Store

    with Store.open() as store:
        result = list_projects(store)
    emit("projects", result, as_json, text.render_projects)


@projects_app.command("forget")
def forget(
    project: Annotated[
        str, typer.Argument(metavar="NAME|PATH", help="The project's name, or its folder.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Take a project off your list (its folder, if any, is left as it is); undo brings it
    back."""
    from mlpath import projects as core
    from mlpath.render import projects as text
    from mlpath.store import Store

    with Store.open() as store:
        result = core.forget(store, project)
    emit("projects forget", result, as_json, text.render_forgotten)


@projects_app.command("check")
def check(path: ProjectArg = Path(), trust: TrustOpt = False, as_json: JsonOpt = False) -> None:
    """Is a project behind its template? Lists what an update would change; exit 1 when behind."""
    from mlpath import project_update as core
    from mlpath.render import project_update as text

    result = core.check(path, trust=trust)
    emit("projects check", result, as_json, text.render_check)
    if result.behind:
        raise typer.Exit(1)


@projects_app.command("update")
def update(
    path: ProjectArg = Path(),
    diff: Annotated[
        bool, typer.Option("--diff", help="Show what the template changed; change nothing.")
    ] = False,
    trust: TrustOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Merge the template's improvements into a project through git, keeping your changes."""
    from mlpath import project_update as core
    from mlpath.render import project_update as text

    result = core.update(path, diff=diff, trust=trust)
    emit("projects update", result, as_json, text.render_update, pager=diff)
    if result.status == "conflicts":
        raise typer.Exit(1)
