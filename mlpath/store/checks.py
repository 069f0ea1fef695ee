"""Self-checks: each (topic, number) is a register ticked or not, with its evidence (a note
such as a link to a notebook or a commit). Its target is ``topic#number``, numbered from 1
in the order the roadmap lists them."""

import sqlite3
from typing import TYPE_CHECKING

from mlpath.store.events import Event, upsert_register
from mlpath.tuples import NamedTuple

if TYPE_CHECKING:
    from mlpath.store.db import Store


class Tick(NamedTuple):
    number: int
    note: str | None
    day: str | None  # the local day it was ticked


def target(topic: str, number: int) -> str:
    return f"{topic}#{number}"


def split(target_: str) -> tuple[str, int]:
    topic, _, number = target_.rpartition("#")
    return topic, int(number)


def project(conn: sqlite3.Connection, events: list[Event]) -> None:
    rows = []
    for e in events:
        topic, number = split(e.target)
        rows.append({"key": e.target, "topic": topic, "number": number,
                     "ticked": int(e.data["on"]), "note": e.data["note"], "day": e.day,
                     "hlc": e.hlc, "event": e.id})  # fmt: skip
    upsert_register(conn, "checks", "key", rows)


def ticks(store: "Store", topic: str) -> dict[int, Tick]:
    """The ticked checks of one topic, by number."""
    rows = store.query(
        "SELECT number, note, day FROM checks WHERE topic = ? AND ticked = 1 ORDER BY number",
        (topic,),
    )
    return {number: Tick(number, note, day) for number, note, day in rows}


def ticked_counts(store: "Store") -> dict[str, set[int]]:
    """The numbers ticked, for every topic with a tick (one indexed read, for status)."""
    found: dict[str, set[int]] = {}
    for topic, number in store.query("SELECT topic, number FROM checks WHERE ticked = 1"):
        found.setdefault(topic, set()).add(number)
    return found
