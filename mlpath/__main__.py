"""Entry point for ``mlpath`` and ``python -m mlpath``."""

from __future__ import annotations

import gc


def main() -> None:
    # A run lives for a fraction of a second but allocates hundreds of thousands of objects
    # (Typer's import, a large roadmap catalogue), and at the default threshold the cyclic
    # collector would walk them again and again; collect a hundred times less often, as mypy
    # does. The collector still runs, so a long import of a big export stays bounded.
    gc.set_threshold(70_000, 10, 10)
    from mlpath.cli.app import run

    run()


if __name__ == "__main__":
    main()
