"""Entry point for ``mlpath`` and ``python -m mlpath``."""

from __future__ import annotations


def main() -> None:
    from mlpath.cli.app import run

    run()


if __name__ == "__main__":
    main()
