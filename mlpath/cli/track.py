"""mlpath track list | show | follow | unfollow | validate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlpath import tracks
from mlpath.cli.common import JsonOpt, emit, emit_validation, path_value
from mlpath.render import track as text
from mlpath.roadmaps import load_catalog
from mlpath.store import Store

app = typer.Typer(
    help="Named selections of topics across roadmaps: browse, check and follow them.",
    no_args_is_help=True,
)


def _complete_tracks(incomplete: str) -> list[str]:
    try:
        return [t for t in load_catalog().tracks if t.startswith(incomplete)]
    except Exception:  # completion must never print a traceback into the shell
        return []


TrackArg = Annotated[
    str, typer.Argument(metavar="ID", help="A track id.", autocompletion=_complete_tracks)
]


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """Every track, built in and your own, with your progress."""
    catalog = load_catalog()
    with Store.open() as store:
        result = tracks.list_tracks(catalog, store)
    emit("track list", result, as_json, text.render_list)


@app.command()
def show(track: TrackArg, as_json: JsonOpt = False) -> None:
    """A track: progress, finish date at your pace, next topics, topics by roadmap."""
    catalog = load_catalog()
    with Store.open() as store:
        result = tracks.show_track(catalog, store, track)
    emit("track show", result, as_json, text.render_detail, pager=True)


@app.command()
def follow(track: TrackArg, as_json: JsonOpt = False) -> None:
    """Make a track your path: status, next and plan cover its topics only."""
    catalog = load_catalog()
    with Store.open(create=True) as store:
        result = tracks.follow(catalog, store, track)
    emit("track follow", result, as_json, text.render_follow)


@app.command()
def unfollow(as_json: JsonOpt = False) -> None:
    """Stop following the track: back to the roadmaps you follow."""
    catalog = load_catalog()
    with Store.open(create=True) as store:
        result = tracks.follow(catalog, store, None)
    emit("track unfollow", result, as_json, text.render_follow)


@app.command()
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE...", help="Track YAML files.", parser=path_value),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Check track files; problems print as FILE:LINE:COL: message (exit 1)."""
    emit_validation("track validate", tracks.validate_files(files), as_json)
