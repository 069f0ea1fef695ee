"""Where mlpath keeps things. Nothing here creates a folder: writers do that when they need it."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "MLPATH_HOME"
PROVENANCE_FILE = ".mlpath-project.json"  # written into each new project: what made it
PACKAGE_DIR = Path(__file__).resolve().parent


def home() -> Path:
    """The data folder: ``$MLPATH_HOME`` or the platform's user data folder."""
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_path  # only when needed: ~15 ms to import

    return user_data_path("mlpath", appauthor=False)


def db_path() -> Path:
    return home() / "mlpath.db"


def user_roadmaps_dir() -> Path:
    return home() / "roadmaps"


def user_tracks_dir() -> Path:
    return home() / "tracks"


def cache_dir() -> Path:
    return home() / "cache"


def crash_dir() -> Path:
    return home() / "crash"


def _shipped(name: str) -> Path:
    # A wheel carries the folder inside the package; a source checkout (editable install) has it
    # at the top of the repository.
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


def builtin_roadmaps_dir() -> Path:
    return _shipped("roadmaps")


def builtin_tracks_dir() -> Path:
    # Inside the roadmaps folder, so that the wheel's force-include of it ships them; the
    # roadmap glob reads only the folder's own *.yaml files, never this subfolder.
    return builtin_roadmaps_dir() / "tracks"


def builtin_templates_dir() -> Path:
    return _shipped("templates")


def display(path: Path) -> str:
    """A path as the user would like to read it: relative to the working folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
