"""Entry point for ``mlpath`` and ``python -m mlpath``."""

from __future__ import annotations

import gc


def main() -> None:
    # A run lives for a fraction of a second but allocates hundreds of thousands of objects
    # (Typer's import, a large roadmap catalogue, cookiecutter and GitPython for new-project),
    # and at the default threshold the cyclic collector would walk them again and again, so
    # it runs a hundred times less often here, as in mypy. It still runs: an import of a big
    # export stays bounded.
    gc.set_threshold(70_000, 10, 10)
    from mlpath.cli.app import run

    try:
        run()
    finally:
        # On the way out the interpreter would have the collector walk every object once
        # more (a tenth of a second after new-project); the objects die with the process.
        # Everything mlpath writes is closed, flushed and synced before this point.
        gc.freeze()


if __name__ == "__main__":
    main()
