"""`mlpath recall`: which finished topics are due for a review, most at risk of being
forgotten first, and recording how well one was remembered (see ``mlpath.recall_core``)."""

import datetime as dt

from mlpath import activity
from mlpath.errors import InvalidInputError, MlpathError
from mlpath.recall_core import RATINGS, CardState, parse, pushed_back, retrievability, stamp
from mlpath.roadmaps import Catalog
from mlpath.store import Store
from mlpath.store import recall as recall_store
from mlpath.store.events import new_id, now_micros
from mlpath.tuples import NamedTuple

CHECKS_SHOWN = 2  # self-checks asked at each review, in turn
REOPENED = "relearning after a recall"  # the note on a topic started again by recall
UPCOMING = 5  # topics not due yet that the listing names


class Card(NamedTuple):
    id: str
    title: str
    due: str  # UTC stamp, after break weeks pushed it back
    last_review: str
    retrievability: float  # FSRS's chance of remembering it now, 0 to 1
    stability: float  # days for that chance to fall to 90%
    reviews: int
    lapses: int


class RecallList(NamedTuple):
    due: list[Card]  # most at risk first
    upcoming: list[Card]  # the next ones to come due, soonest first
    enrolled: int  # finished topics with a card


class Review(NamedTuple):
    """What a review asks about."""

    topic: str
    title: str
    summary: str
    checks: list[tuple[int, str]]  # (number, text): the ones asked this time
    card: Card


class Rated(NamedTuple):
    topic: str
    title: str
    rating: str
    due: str | None  # the next review, after break weeks; None when reopened
    days: int | None  # from now to it
    reviews: int
    reopened: bool  # "again", and the topic was started again to relearn it


def _cards(catalog: Catalog, store: Store, now: dt.datetime) -> list[Card]:
    breaks = sorted(activity.break_weeks(store))
    found = []
    for state in recall_store.cards(store):
        topic = catalog.topics.get(state.topic)
        if topic is None:  # its roadmap was removed: nothing to show it with
            continue
        found.append(_card(state, topic.title, breaks, now))
    return found


def _card(state: CardState, title: str, breaks: list[int], now: dt.datetime) -> Card:
    due = pushed_back(parse(state.due), parse(state.last_review), breaks)
    return Card(state.topic, title, stamp(due), state.last_review,
                round(retrievability(state, now), 4), round(state.stability, 2), state.reviews,
                state.lapses)  # fmt: skip


def listing(catalog: Catalog, store: Store, now: dt.datetime | None = None) -> RecallList:
    now = now or dt.datetime.now(dt.UTC)
    cards = _cards(catalog, store, now)
    moment = stamp(now)
    due = sorted((c for c in cards if c.due <= moment), key=lambda c: (c.retrievability, c.id))
    later = sorted((c for c in cards if c.due > moment), key=lambda c: (c.due, c.id))
    return RecallList(due, later[:UPCOMING], len(cards))


def review(
    catalog: Catalog, store: Store, ref: str | None, now: dt.datetime | None = None
) -> Review:
    """The topic ``ref`` names, or the one most at risk among those due."""
    now = now or dt.datetime.now(dt.UTC)
    if ref is None:
        due = listing(catalog, store, now).due
        if not due:
            raise MlpathError("nothing is due for recall: come back later (`mlpath recall`)")
        topic = catalog.topics[due[0].id]
    else:
        topic = catalog.resolve(ref)
    state = recall_store.card(store, topic.full_id)
    if state is None:
        raise InvalidInputError(
            f"{topic.full_id} is not done: recall is for the topics you finished "
            f"(`mlpath done {topic.full_id}`)"
        )
    text = catalog.text(topic)
    listed = list(enumerate(text.checks, 1))
    asked: list[tuple[int, str]] = []
    if listed:  # rotate through them, a review at a time
        first = state.reviews * CHECKS_SHOWN % len(listed)
        asked = [listed[(first + i) % len(listed)] for i in range(min(CHECKS_SHOWN, len(listed)))]
    card = _card(state, topic.title, sorted(activity.break_weeks(store)), now)
    return Review(topic.full_id, topic.title, text.summary, asked, card)


def rate(
    catalog: Catalog,
    store: Store,
    topic_id: str,
    rating: str,
    *,
    reopen: bool = False,
    now: dt.datetime | None = None,
) -> Rated:
    """Record how well ``topic_id`` was remembered; with ``reopen`` (after "again"), start
    it again to relearn it."""
    if rating not in RATINGS:
        raise InvalidInputError(f"--rating must be one of {', '.join(RATINGS)}, not '{rating}'")
    if reopen and rating != "again":
        raise InvalidInputError(
            "--reopen goes with --rating again: a topic you remembered stays done"
        )
    now = now or dt.datetime.now(dt.UTC)
    today = dt.date.today().isoformat()
    title = catalog.topics[topic_id].title
    command = f"recall {topic_id} {rating}" + (" --reopen" if reopen else "")
    with store.change(command) as change:  # the rating and the reopening undo together
        if recall_store.card(store, topic_id) is None:
            raise InvalidInputError(
                f"{topic_id} is not done: recall is for the topics you finished"
            )
        target = f"{topic_id}#{new_id(now_micros() // 1000)}"
        change.record("recall", target, {"rating": rating, "at": stamp(now)}, today)
        state = recall_store.card(store, topic_id)
        assert state is not None
        if reopen:  # in progress again: no card until it is done again, which enrols it afresh
            change.record("topic", topic_id, {"state": "started", "note": REOPENED}, today)
    if reopen:
        return Rated(topic_id, title, rating, None, None, state.reviews, True)
    card = _card(state, title, sorted(activity.break_weeks(store)), now)
    days = max(0, (parse(card.due) - now).days)
    return Rated(topic_id, title, rating, card.due, days, state.reviews, False)
