"""Options and helpers every command shares, defined once."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from mlpath.render.output import Out, brief, emit_json

if TYPE_CHECKING:
    from mlpath.roadmap_ops import ValidateResult

T = TypeVar("T")


def _complete_topics(ctx: typer.Context, incomplete: str) -> list[str]:
    """Topic ids, full and bare; after `start` and `done`, not the topics finished already."""
    from mlpath.roadmaps import load_catalog

    try:
        catalog = load_catalog()
        topics = list(catalog.topics)
        if ctx.info_name in ("start", "done"):
            from mlpath.store import Store
            from mlpath.store import topics as topic_store

            with Store.open() as store:
                states = topic_store.states(store)
            finished = ("done", "skipped") if ctx.info_name == "start" else ("done",)
            topics = [t for t in topics if states.get(t, ("",))[0] not in finished]
    except Exception:  # completion must never print a traceback into the shell
        return []
    names = topics + [t.split("/", 1)[1] for t in topics]
    return sorted({n for n in names if n.startswith(incomplete)})


def complete_setting(incomplete: str) -> list[str]:
    from mlpath.config import SPECS

    return [k for k in SPECS if k.startswith(incomplete)]


def complete_template(incomplete: str) -> list[str]:
    try:
        from mlpath.scaffold import builtin_templates

        return [t.id for t in builtin_templates() if t.id.startswith(incomplete)]
    except Exception:
        return []


def complete_tag(incomplete: str) -> list[str]:
    try:
        from mlpath.store import Store, entries

        with Store.open() as store:
            tags = entries.tags(store)
    except Exception:
        return []
    word = incomplete.lstrip("#").casefold()
    return [t for t in tags if t.startswith(word)]


def complete_week(incomplete: str) -> list[str]:
    """This week and the twelve before it, newest first."""
    import datetime as dt

    from mlpath import dates

    current = dates.week_index(dates.week_of(dt.date.today()))
    weeks = [dates.week_at(current - back) for back in range(13)]
    return [w for w in weeks if w.startswith(incomplete)]


def _complete_roadmaps(incomplete: str) -> list[str]:
    from mlpath.roadmaps import load_catalog

    try:
        return [r for r in load_catalog().roadmaps if r.startswith(incomplete)]
    except Exception:
        return []


def path_value(text: str | Path) -> Path:
    """A file or folder the learner named (or a command's default). An empty name is refused
    rather than read as the current folder (which is what ``Path("")`` means)."""
    if isinstance(text, Path):
        return text
    if not text.strip():
        raise typer.BadParameter("is empty: name a file or folder")
    return Path(text)


JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout (keys: see README).")
]
RoadmapOpt = Annotated[
    str | None,
    typer.Option(
        "--roadmap",
        "-r",
        metavar="ID",
        help="Only this roadmap (default: the roadmaps you follow).",
        autocompletion=_complete_roadmaps,
    ),
]
TopicsArg = Annotated[
    list[str],
    typer.Argument(
        metavar="TOPIC...",
        help="roadmap/topic, or a bare topic id when only one roadmap has it.",
        autocompletion=_complete_topics,
    ),
]
TopicArg = Annotated[
    str,
    typer.Argument(
        metavar="TOPIC",
        help="roadmap/topic, or a bare topic id when only one roadmap has it.",
        autocompletion=_complete_topics,
    ),
]
RoadmapArg = Annotated[
    str, typer.Argument(metavar="ID", help="A roadmap id.", autocompletion=_complete_roadmaps)
]


def emit_validation(command: str, result: ValidateResult, as_json: bool) -> None:
    """`roadmap validate`, `track validate`: ``ok FILE`` on stdout for each good file, each
    problem as FILE:LINE:COL: message on stderr; exit 1 when there is any."""
    if as_json:
        emit_json(command, result)
    else:
        out, err = Out(), Out(sys.stderr)
        for report in result.files:
            if report.ok:
                out.line(("ok ", "green bold"), report.file)
            for problem in report.problems:
                err.line(brief(problem))
    if not result.ok:
        raise typer.Exit(1)


def emit(
    command: str, result: T, as_json: bool, text: Callable[[T, Out], Any], pager: bool = False
) -> None:
    """Print ``result`` as JSON or as text, whichever the user asked for; with ``pager``
    (long output), text taller than the terminal goes through the pager."""
    if as_json:
        emit_json(command, result)
    elif pager and _on_a_terminal():
        from mlpath import pager as paging  # only here: most runs never page

        paging.page(lambda out: text(result, out))
    else:
        text(result, Out())


def _on_a_terminal() -> bool:
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())
