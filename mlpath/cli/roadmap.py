"""mlpath roadmap list | show | validate | add | follow | unfollow | schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from mlpath import roadmap_ops
from mlpath.cli.common import JsonOpt, RoadmapArg, emit, emit_validation, path_value
from mlpath.render import roadmap as text
from mlpath.roadmaps import load_catalog
from mlpath.store import Store

app = typer.Typer(help="Browse, check, add and follow roadmaps.", no_args_is_help=True)

FileArg = Annotated[
    Path, typer.Argument(metavar="FILE", help="A roadmap YAML file.", parser=path_value)
]


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """Every roadmap, built in and your own, with your progress."""
    catalog = load_catalog()
    with Store.open() as store:
        result = roadmap_ops.list_roadmaps(catalog, store)
    emit("roadmap list", result, as_json, text.render_list)


@app.command()
def show(roadmap: RoadmapArg, as_json: JsonOpt = False) -> None:
    """A whole roadmap: stages and topics with your state."""
    catalog = load_catalog()
    with Store.open() as store:
        result = roadmap_ops.show_roadmap(catalog, store, roadmap)
    emit("roadmap show", result, as_json, text.render_detail, pager=True)


@app.command()
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE...", help="Roadmap YAML files.", parser=path_value),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Check roadmap files; problems print as FILE:LINE:COL: message (exit 1)."""
    emit_validation("roadmap validate", roadmap_ops.validate_files(files), as_json)


@app.command()
def add(file: FileArg, as_json: JsonOpt = False) -> None:
    """Validate a roadmap file, copy it into your roadmaps and follow it."""
    catalog = load_catalog()
    with Store.open(create=True) as store:
        result = roadmap_ops.add_roadmap(catalog, store, file)
    emit("roadmap add", result, as_json, text.render_added)


def _follow(roadmap: str, follow: bool, as_json: bool) -> None:
    from mlpath.progress import followed, set_followed
    from mlpath.store import registers

    catalog = load_catalog()

    with Store.open(create=True) as store:
        was = roadmap in followed(catalog, store)
        now = set_followed(catalog, store, roadmap, follow)
        chosen = registers.setting(store, registers.TRACK_KEY)
        track = chosen if chosen in catalog.tracks else None  # a deleted track is no path
        result = roadmap_ops.FollowResult(roadmap, now, was != follow, track)
    emit("roadmap follow" if follow else "roadmap unfollow", result, as_json, text.render_follow)


@app.command()
def follow(roadmap: RoadmapArg, as_json: JsonOpt = False) -> None:
    """Add a roadmap to your path (status and next cover followed roadmaps)."""
    _follow(roadmap, True, as_json)


@app.command()
def unfollow(roadmap: RoadmapArg, as_json: JsonOpt = False) -> None:
    """Take a roadmap off your path (your progress on it is kept)."""
    _follow(roadmap, False, as_json)


@app.command()
def schema() -> None:
    """Print the roadmap format as a JSON Schema, for editors."""
    from mlpath.schema import json_schema

    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
