"""Spaced recall of finished topics: FSRS, through the ``fsrs`` library.

A topic is enrolled when it is marked done: finishing it counts as a first successful
recall ("good") on the day it is about, so its first review comes a few days later. Each
``mlpath recall`` rating after that is one review. A card is never stored as the truth: it is
replayed from the topic's done event and its recall events (``refresh``), so every synced
machine computes the same one. The scheduler is FSRS's own with its default parameters,
without same-day learning steps (a topic is not a flash card to see again in ten minutes)
and without fuzz (two machines must agree to the second).

A planned break pushes a review back by the length of the break, rather than letting every
review that falls in it wait for the Monday after: the spacing stays as FSRS chose it.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from mlpath.tuples import NamedTuple

if TYPE_CHECKING:
    import fsrs

RATINGS = ("again", "hard", "good", "easy")


class CardState(NamedTuple):
    """A topic's card as FSRS leaves it after its history (the ``recall_cards`` row)."""

    topic: str
    enrolled: str  # UTC stamp: when the topic was finished
    due: str  # UTC stamp, before any break pushes it back
    last_review: str  # UTC stamp
    stability: float
    difficulty: float
    reviews: int  # ratings given since it was enrolled
    lapses: int  # of which "again"


@cache
def scheduler() -> fsrs.Scheduler:
    import fsrs

    return fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def rating(name: str) -> fsrs.Rating:
    import fsrs

    return fsrs.Rating(RATINGS.index(name) + 1)


# The latest moment a review is taken to happen at: FSRS schedules up to 100 years ahead
# (its maximum interval), and a due date must stay a date Python can hold (before 9999).
LAST_MOMENT = dt.datetime(9899, 1, 1, tzinfo=dt.UTC)


def replay(enrolled: dt.datetime, ratings: Sequence[tuple[str, dt.datetime]]) -> fsrs.Card:
    """The card after finishing (a "good" at ``enrolled``) and then ``ratings`` in order.
    A review stamped before the one it follows (a machine whose clock was behind) counts as
    made at that one's time: FSRS measures the time between reviews."""
    import fsrs

    chosen = scheduler()
    start = min(enrolled, LAST_MOMENT)
    card = fsrs.Card(card_id=1, due=start)  # an id given: Card() sleeps to make one
    card, _ = chosen.review_card(card, fsrs.Rating.Good, start)
    for name, at in ratings:
        last = card.last_review or start
        card, _ = chosen.review_card(card, rating(name), min(max(at, last), LAST_MOMENT))
    return card


def retrievability(state: CardState, now: dt.datetime) -> float:
    """The chance FSRS gives of remembering the topic now."""
    import fsrs

    card = fsrs.Card(
        card_id=1,
        state=fsrs.State.Review,
        stability=state.stability,
        difficulty=state.difficulty,
        due=parse(state.due),
        last_review=parse(state.last_review),
    )
    return float(scheduler().get_card_retrievability(card, now))


def pushed_back(due: dt.datetime, last_review: dt.datetime, pauses: Sequence[int]) -> dt.datetime:
    """``due`` moved on a week for every break week between the last review and it (and
    for the break weeks that moving it reaches in turn); ``pauses``: the break weeks' indexes
    (``mlpath.dates.week_index``), sorted."""
    return due + dt.timedelta(weeks=weeks_pushed(_week(due), _week(last_review), pauses))


def weeks_pushed(due_week: int, last_week: int, pauses: Sequence[int]) -> int:
    """How many weeks the breaks push back a review due in the week ``due_week`` after one
    in ``last_week``: moving a moment on by whole weeks moves its week index by as many."""
    if not pauses or pauses[-1] <= last_week:  # no break since the last review
        return 0
    before = bisect.bisect_right(pauses, last_week)
    shift = 0
    while True:
        count = bisect.bisect_right(pauses, due_week + shift) - before
        if count == shift:
            return shift
        shift = count


def still_due(due: str, last_review: str, pauses: Sequence[int], now: dt.datetime) -> bool:
    """Whether a card FSRS has due by ``now`` (its stored stamps ``due`` and ``last_review``)
    is still due once the breaks have pushed it back: ``pushed_back(...) <= now``, without
    parsing a moment when no break moves it."""
    shift = weeks_pushed(stamp_week(due), stamp_week(last_review), pauses) if pauses else 0
    return shift == 0 or parse(due) + dt.timedelta(weeks=shift) <= now


def _week(moment: dt.datetime) -> int:
    """The index of ``moment``'s ISO week, as ``mlpath.dates.week_index`` counts: day 1 (1 Jan
    of the year 1) is a Monday, so a week is seven ordinals from there."""
    return (moment.date().toordinal() - 1) // 7


def stamp_week(stamp: str) -> int:
    """``_week`` of a stored UTC stamp, read from its date when it ends in Z (as the store
    writes them), which is several times faster than parsing the whole moment."""
    if stamp.endswith("Z"):
        return (dt.date.fromisoformat(stamp[:10]).toordinal() - 1) // 7
    return _week(parse(stamp))


def parse(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    from mlpath.dates import utc_stamp

    return utc_stamp(moment)


def enrolment(since: str, day: str | None) -> dt.datetime:
    """When a topic was finished: the moment it was recorded, or noon (UTC) of the day it is
    about when that was another day (``done --date``), never later than the recording."""
    moment = parse(since)
    if day is None or day == moment.date().isoformat():
        return moment
    noon = dt.datetime.fromisoformat(day).replace(hour=12, tzinfo=dt.UTC)
    return min(noon, moment)


def card_row(
    topic: str, since: str, day: str | None, ratings: Sequence[tuple[str, str]]
) -> tuple[str, str, str, str, float, float, int, int]:
    """The ``recall_cards`` row of a topic finished at (``since``, ``day``) and rated
    ``ratings`` (name, UTC stamp) since."""
    enrolled = enrolment(since, day)
    card = replay(enrolled, [(name, parse(at)) for name, at in ratings])
    assert card.last_review is not None and card.stability is not None
    assert card.difficulty is not None
    lapses = sum(name == "again" for name, _ in ratings)
    return (topic, stamp(enrolled), stamp(card.due), stamp(card.last_review),
            card.stability, card.difficulty, len(ratings), lapses)  # fmt: skip
