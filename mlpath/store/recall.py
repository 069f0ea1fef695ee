"""Recall: every rating is its own register (target ``topic#review-id``, so that an undo can
take one back), and each finished topic's FSRS card is derived from them (``recall_cards``).

The cards are brought up to date in the same transaction as the events that change them: a
topic's done event (or its reset) and its ratings. A card is replayed whole from those
events every time, so it is the same whatever order the events arrived in.
"""

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING

from mlpath.store.events import Event, upsert_register

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
    done: dict[str, tuple[str, str | None, int, str]] = {}
    for start in range(0, len(chosen), 500):
        chunk = chosen[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        conn.execute(f"DELETE FROM recall_cards WHERE topic IN ({marks})", chunk)
        done.update(
            (topic, (since, day, hlc, event))
            for topic, since, day, hlc, event in conn.execute(
                "SELECT topic, since, day, hlc, event FROM topic_state "
                f"WHERE state = 'done' AND topic IN ({marks})",
                chunk,
            )
        )
    if not done:
        return
    from mlpath import recall_core

    rows = []
    for topic, (since, day, hlc, event) in done.items():
        ratings = conn.execute(
            "SELECT rating, at FROM reviews WHERE topic = ? AND rating IS NOT NULL "
            "AND (hlc, event) > (?, ?) ORDER BY hlc, event",
            (topic, hlc, event),
        ).fetchall()
        rows.append(recall_core.card_row(topic, since, day, ratings))
    conn.executemany(
        "INSERT INTO recall_cards (topic, enrolled, due, last_review, stability, difficulty, "
        "reviews, lapses) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


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
