"""recall: spaced review of the topics you finished."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from mlpath.cli.common import JsonOpt, emit

app = typer.Typer()


@app.command(rich_help_panel="Progress")
def recall(
    topic: Annotated[
        str | None,
        typer.Argument(metavar="TOPIC", help="Review this finished topic (default: list them)."),
    ] = None,
    first: Annotated[
        bool, typer.Option("--next", help="Review the due topic most at risk of being forgotten.")
    ] = False,
    rating: Annotated[
        str | None,
        typer.Option(
            "--rating",
            metavar="RATING",
            help="How well you remembered: again, hard, good or easy (asked on a terminal).",
        ),
    ] = None,
    reopen: Annotated[
        bool, typer.Option("--reopen", help="With --rating again: start the topic again.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Finished topics due for a review, most at risk first; or review one."""
    from mlpath import recall as recalling
    from mlpath.errors import InvalidInputError
    from mlpath.render import recall as text
    from mlpath.roadmaps import load_catalog
    from mlpath.store import Store

    catalog = load_catalog()
    if topic is None and not first:
        if rating is not None or reopen:
            raise InvalidInputError(
                "--rating and --reopen are for a review: name a TOPIC or pass --next"
            )
        with Store.open() as store:
            listed = recalling.listing(catalog, store)
        emit("recall", listed, as_json, text.render_listing)
        return
    if topic is not None and first:
        raise InvalidInputError("name a TOPIC or pass --next, not both")
    if rating is not None:
        rating = _rating(rating)
        if reopen and rating != "again":
            raise InvalidInputError(
                "--reopen goes with --rating again: a topic you remembered stays done"
            )
    with Store.open(create=True) as store:
        asked = recalling.review(catalog, store, topic)
        if rating is None:
            if as_json or not (sys.stdin.isatty() and sys.stdout.isatty()):
                raise InvalidInputError(
                    "recall asks how well you remembered on a terminal; "
                    "here, pass --rating again|hard|good|easy"
                )
            from mlpath.render.output import Out

            text.render_review(asked, Out())
            rating = _ask("How well did you remember it? [again/hard/good/easy]: ", _rating)
            if rating == "again" and not reopen:
                reopen = _ask(f"Start {asked.topic} again to relearn it? [y/N]: ", _yes)
        elif not as_json:
            from mlpath.render.output import Out

            text.render_review(asked, Out())
        rated = recalling.rate(catalog, store, asked.topic, rating, reopen=reopen)
    emit("recall", rated, as_json, text.render_rated)


T = TypeVar("T")


def _rating(answer: str) -> str:
    """A rating as typed: any case, spaces around it, or its first letter."""
    from mlpath.errors import InvalidInputError
    from mlpath.recall_core import RATINGS

    word = answer.strip().lower()
    chosen = [r for r in RATINGS if r == word or (len(word) == 1 and r.startswith(word))]
    if not word or len(chosen) != 1:
        raise InvalidInputError(
            f"--rating must be one of {', '.join(RATINGS)}, not '{answer.strip()}'"
        )
    return chosen[0]


def _yes(answer: str) -> bool:
    from mlpath.errors import InvalidInputError

    word = answer.strip().lower()
    if word in ("", "n", "no"):
        return False
    if word in ("y", "yes"):
        return True
    raise InvalidInputError("answer y or n")


def _ask(question: str, convert: Callable[[str], T]) -> T:
    """Ask on the terminal until the answer converts; end of input aborts, Ctrl-C
    interrupts (both exit 130, with a word)."""
    from mlpath.errors import MlpathError

    while True:
        sys.stdout.write(question)
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            sys.stdout.write("\n")
            raise typer.Abort
        try:
            return convert(line)
        except MlpathError as exc:
            sys.stdout.write(f"{exc.message.removeprefix('--rating ')}\n")
