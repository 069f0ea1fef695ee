"""mlpath: a learning-path tracker and project scaffolder for self-taught ML engineers."""

from __future__ import annotations


def version() -> str:
    """The installed version, read from the package metadata (its one source)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _version

    try:
        return _version("mlpath")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"
