"""Topic states: each topic's register (``topic_state``, one row per topic, so that status
reads no history) and the weeks with topic changes (``topic_weeks``, for the streak)."""

import datetime as dt
import sqlite3
from typing import TYPE_CHECKING

from mlpath import dates
from mlpath.store.events import Event, of_register
from mlpath.tuples import NamedTuple

if TYPE_CHECKING:
    from mlpath.store.db import Store

STATES = ("started", "done", "skipped", "reset")


class TopicChange(NamedTuple):
    id: str  # the event
    topic: str
    state: str
    at: str  # UTC instant it was recorded
    day: str | None  # the local day it is about
    note: str | None


def project(conn: sqlite3.Connection, events: list[Event]) -> None:
    from collections import Counter

    from mlpath.store.events import upsert_register

    rows = [
        {"topic": e.target, "state": e.data["state"], "since": e.recorded, "day": e.day,
         "hlc": e.hlc, "event": e.id}
        for e in events
    ]  # fmt: skip
    upsert_register(conn, "topic_state", "topic", rows)
    # Counted once per event (an event is applied once), so the sums are the same in any
    # order. A change undone still counts: that week, something was done; an undo (or a redo,
    # which undoes an undo) is not new work.
    weeks = Counter(
        dates.week_of(dt.date.fromisoformat(e.day))
        for e in events
        if e.day and "undoes" not in e.data
    )
    conn.executemany(
        "INSERT INTO topic_weeks (week, changes) VALUES (?, ?) "
        "ON CONFLICT (week) DO UPDATE SET changes = changes + excluded.changes",
        list(weeks.items()),
    )


def states(store: "Store") -> dict[str, tuple[str, str, str | None]]:
    """Each topic's current state, since when it was recorded, and the day it is about; a
    topic reset (not started) is left out."""
    rows = store.query("SELECT topic, state, since, day FROM topic_state WHERE state != 'reset'")
    return {topic: (state, since, day) for topic, state, since, day in rows}


def states_of(store: "Store", topics: list[str]) -> dict[str, tuple[str, str, str | None]]:
    """``states`` of ``topics`` alone (those not reset)."""
    found: dict[str, tuple[str, str, str | None]] = {}
    for start in range(0, len(topics), 500):
        chunk = topics[start : start + 500]
        rows = store.query(
            "SELECT topic, state, since, day FROM topic_state "
            f"WHERE state != 'reset' AND topic IN ({', '.join('?' for _ in chunk)})",
            chunk,
        )
        found.update((topic, (state, since, day)) for topic, state, since, day in rows)
    return found


def history(store: "Store", topic: str) -> list[TopicChange]:
    return [
        TopicChange(e.id, e.target, e.data["state"], e.recorded, e.day, e.data.get("note"))
        for e in of_register(store.conn, ["topic"], topic)
    ]


def changed_between(
    store: "Store", first: dt.date, last: dt.date
) -> list[tuple[str, str, str, str | None]]:
    """(event, topic, state, the event it undoes) of the topic changes about the days from
    ``first`` to ``last``, in order."""
    return [
        (event, topic, state, undoes)
        for event, topic, state, undoes in store.query(
            "SELECT id, target, json_extract(data, '$.state'), json_extract(data, '$.undoes') "
            "FROM events WHERE kind = 'topic' AND day BETWEEN ? AND ? ORDER BY hlc, id",
            (first.isoformat(), last.isoformat()),
        )
    ]


def active_weeks(store: "Store") -> set[str]:
    """Weeks in which topics changed (by the day each change is about)."""
    return {w for (w,) in store.query("SELECT week FROM topic_weeks")}


def done_days(store: "Store") -> list[tuple[str, str, str, str | None]]:
    """(event, topic, day, the event it undoes) of every change to done, and of every undo,
    in order: whoever reads them decides which still count."""
    rows = store.query(
        "SELECT id, target, day, json_extract(data, '$.state'), json_extract(data, '$.undoes') "
        "FROM events WHERE kind = 'topic' ORDER BY hlc, id"
    )
    return [
        (event, topic, day, undoes)
        for event, topic, day, state, undoes in rows
        if day and (state == "done" or undoes)
    ]


def undos(store: "Store") -> list[tuple[str, str | None]]:
    """(event, the event it undoes) of every topic change that is an undo or a redo."""
    return [
        (event, undoes)
        for event, undoes in store.query(
            "SELECT id, json_extract(data, '$.undoes') FROM events "
            "WHERE kind = 'topic' AND json_extract(data, '$.undoes') IS NOT NULL"
        )
    ]
