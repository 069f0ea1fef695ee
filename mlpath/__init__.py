"""mlpath: a learning-path tracker and project scaffolder for self-taught ML engineers."""

# This file runs before `mlpath.__main__` can set its Ctrl-C handler, so it imports nothing:
# a Ctrl-C while it ran an import would print the import's traceback.
# The one place the version is written: the build reads it from here ([tool.hatch.version]),
# so the package metadata and this module cannot disagree. Reading it back through
# importlib.metadata would cost every `mlpath --version` about 20 ms.
__version__ = "0.1.0"


def version() -> str:
    """The version of this mlpath."""
    return __version__
