"""Text for recall."""

from __future__ import annotations

from mlpath.recall import Card, Rated, RecallList, Review
from mlpath.render.output import Out, local_date, plural

SHOWN = 15  # due topics the text lists; the JSON has them all


def _rows(cards: list[Card], when: str) -> list[list[tuple[str, str] | str]]:
    return [
        [(c.id, "bold"), c.title,
         (f"{when} {local_date(c.due)} · {round(100 * c.retrievability)}% recall", "grey50")]
        for c in cards
    ]  # fmt: skip


def render_listing(result: RecallList, out: Out) -> None:
    if not result.enrolled:
        out.line("Nothing to recall yet: a topic you mark done comes back for review a few")
        out.line("days later, then at longer and longer intervals.")
        return
    if result.due:
        out.line(("Due for recall", "bold"), f" · {plural(len(result.due), 'topic')}, "
                 "most at risk first")  # fmt: skip
        out.table(_rows(result.due[:SHOWN], "due"), shrink=1)
        if (hidden := len(result.due) - SHOWN) > 0:
            out.line((f"  and {hidden} more (`mlpath recall --json` lists them all)", "grey50"))
        out.blank()
        out.line(("Review one with `mlpath recall --next` or `mlpath recall TOPIC`.", "grey50"))
    else:
        out.line(("Nothing due for recall today.", "green"))
    if result.upcoming:
        out.blank()
        out.line(("Coming up", "bold"))
        out.table(_rows(result.upcoming, "on"), shrink=1)


def render_review(review: Review, out: Out) -> None:
    out.line(("Recall: ", "bold"), (review.title, "bold"), "  ", (review.topic, "grey50"))
    out.line(review.summary)
    if review.checks:
        out.blank()
        out.line(("Without looking, can you still…", "bold"))
        for number, check in review.checks:
            out.line(f"  {number}. {check}")
    out.blank()


def render_rated(rated: Rated, out: Out) -> None:
    out.line(("Recorded ", "bold"), f"{rated.rating} for ", (rated.topic, "bold"))
    if rated.reopened or rated.due is None or rated.days is None:
        out.line(("Started it again: it is in progress, and comes back for recall once you mark "
                  "it done.", "yellow"))  # fmt: skip
        return
    after = "tomorrow" if rated.days <= 1 else f"in {rated.days} days"
    out.line(f"Next review {after}, on {local_date(rated.due)}.")
    if rated.rating == "again":
        out.line((f"To relearn it: `mlpath start {rated.topic}`.", "grey50"))
