"""Options and helpers every command shares, defined once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from mlpath.render.output import Out, emit_json

T = TypeVar("T")


def _complete_topics(incomplete: str) -> list[str]:
    from mlpath.roadmaps import load_catalog

    try:
        catalog = load_catalog()
    except Exception:  # completion must never print a traceback into the shell
        return []
    names = list(catalog.topics) + [t.split("/", 1)[1] for t in catalog.topics]
    return sorted({n for n in names if n.startswith(incomplete)})


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


def emit(command: str, result: T, as_json: bool, text: Callable[[T, Out], Any]) -> None:
    """Print ``result`` as JSON or as text, whichever the user asked for."""
    if as_json:
        emit_json(command, result)
    else:
        text(result, Out())
