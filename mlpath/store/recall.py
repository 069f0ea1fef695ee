"""Recall: every rating is its own register (target ``topic#review-id``, so that an undo can
take one back), and each finished topic's FSRS card is derived from them (``recall_cards``).

The cards are brought up to date in the same transaction as the events that change them: a
topic's done event (or its reset) and its ratings. A card is replayed whole from those
events every time, so it is the same whatever order the events arrived in.
"""

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING

from mlpath.store.events import Event, cancelled, of_register, upsert_register

if TYPE_CHECKING:
    from mlpath.recall_core import CardState
    from mlpath.store.db import Store


def topic_of(target: str) -> str:
    return target.rpartition("#")[0]


def project(conn: sqlite3.Connection, events: list[Event]) -> None:
    rows = [{"key": e.target, "topic": topic_of(e.target), "rating": e.data["rating"],
             "at": e.data["at"], "hlc": e.hlc, "event": e.id} for e in events]  # fmt: skip
    upsert_register(conn, "reviews", "key", rows)


def refresh(conn: sqlite3.Connection, topics: Iterable[str]) -> None:
    """Replay the card of each of ``topics`` from its events: a topic done has one, any
    other has none."""
    chosen = sorted(set(topics))
    if not chosen:
        return
    done: list[str] = []
    for start in range(0, len(chosen), 500):
        chunk = chosen[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        conn.execute(f"DELETE FROM recall_cards WHERE topic IN ({marks})", chunk)
        done += [t for (t,) in conn.execute(
            f"SELECT topic FROM topic_state WHERE state = 'done' AND topic IN ({marks})", chunk
        )]  # fmt: skip
    if not done:
        return
    from mlpath import recall_core

    rows = []
    for topic in done:
        finished = enrolment(of_register(conn, ["topic"], topic))
        ratings = conn.execute(
            "SELECT rating, at FROM reviews WHERE topic = ? AND rating IS NOT NULL "
            "AND (hlc, event) > (?, ?) ORDER BY hlc, event",
            (topic, finished.hlc, finished.id),
        ).fetchall()
        rows.append(recall_core.card_row(topic, finished.recorded, finished.day, ratings))
    conn.executemany(
        "INSERT INTO recall_cards (topic, enrolled, due, last_review, stability, difficulty, "
        "reviews, lapses) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def enrolment(history: list[Event]) -> Event:
    """The event that finished a topic done now: the first "done" after the last time it was
    not done, leaving out changes that were undone and the undos themselves (an undo only
    gives back an earlier value). So a reset that was undone keeps the topic's first finish
    and the ratings since."""
    gone = cancelled([(e.id, e.data.get("undoes")) for e in history])
    found: Event | None = None
    for event in history:
        if event.id in gone or "undoes" in event.data:
            continue
        if event.data["state"] != "done":
            found = None
        elif found is None:
            found = event
    return found or history[-1]


def cards(store: "Store") -> "list[CardState]":
    from mlpath.recall_core import CardState

    return [CardState(*r) for r in store.query("SELECT * FROM recall_cards ORDER BY topic")]


def card(store: "Store", topic: str) -> "CardState | None":
    from mlpath.recall_core import CardState

    rows = store.query("SELECT * FROM recall_cards WHERE topic = ?", (topic,))
    return CardState(*rows[0]) if rows else None


def due_by(store: "Store", moment: str) -> list[tuple[str, str, str]]:
    """(topic, due, last review) of the cards FSRS has due by ``moment`` (a UTC stamp): what
    status counts due ones from, without the scheduler. A break only ever moves a review
    later, so no other card can be due."""
    return list(
        store.query("SELECT topic, due, last_review FROM recall_cards WHERE due <= ?", (moment,))
    )


def due_topics(store: "Store", moment: str) -> list[str]:
    """The topics of the cards FSRS has due by ``moment``: ``due_by`` when no break can push
    a review back, one column instead of three."""
    return [t for (t,) in store.query("SELECT topic FROM recall_cards WHERE due <= ?", (moment,))]
