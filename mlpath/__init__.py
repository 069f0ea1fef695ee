"""mlpath: a learning-path tracker and project scaffolder for self-taught ML engineers."""

from __future__ import annotations

# The one place the version is written: the build reads it from here ([tool.hatch.version]),
# so the package metadata and this module cannot disagree. Reading it back through
# importlib.metadata would cost every `mlpath --version` about 20 ms.
__version__ = "0.1.0"


def version() -> str:
    """The version of this mlpath."""
    return __version__
