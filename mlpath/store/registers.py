"""The learner's settings, planned break weeks and followed roadmaps: one register each.

A setting whose value is None is unset (its default applies); a roadmap whose ``followed`` is
None follows the default path again.

The followed track is the setting ``track`` (its id, or None for none), not a kind of event
of its own: an older mlpath refuses a whole sync file at an event kind it does not know, but
keeps a setting it has no use for and goes on with the followed roadmaps.
"""

import sqlite3
from typing import TYPE_CHECKING

from mlpath.store.events import Event, upsert_register

if TYPE_CHECKING:
    from mlpath.store.db import Store


def project_setting(conn: sqlite3.Connection, events: list[Event]) -> None:
    rows = [{"key": e.target, "value": e.data["value"], "hlc": e.hlc, "event": e.id}
            for e in events]  # fmt: skip
    upsert_register(conn, "settings", "key", rows)


def project_break(conn: sqlite3.Connection, events: list[Event]) -> None:
    rows = [{"week": e.target, "on_break": int(bool(e.data["on"])), "hlc": e.hlc, "event": e.id}
            for e in events]  # fmt: skip
    upsert_register(conn, "breaks", "week", rows)


def project_follow(conn: sqlite3.Connection, events: list[Event]) -> None:
    rows = [
        {"roadmap": e.target, "followed": None if e.data["on"] is None else int(e.data["on"]),
         "hlc": e.hlc, "event": e.id}
        for e in events
    ]  # fmt: skip
    upsert_register(conn, "follows", "roadmap", rows)


TRACK_KEY = "track"  # the setting that holds the followed track's id


def setting(store: "Store", key: str) -> str | None:
    rows = store.query("SELECT value FROM settings WHERE key = ?", (key,))
    return rows[0][0] if rows else None


def settings(store: "Store") -> dict[str, str]:
    """Every setting that has a value, by name."""
    rows = store.query("SELECT key, value FROM settings WHERE value IS NOT NULL ORDER BY key")
    return dict(rows)


def setting_history(store: "Store", key: str) -> list[tuple[int, str, str | None]]:
    """(hlc, recorded, value) of every change of a setting, in order."""
    return [
        (hlc, recorded, value)
        for hlc, recorded, value in store.query(
            "SELECT hlc, recorded, json_extract(data, '$.value') FROM events "
            "WHERE kind = 'setting' AND target = ? ORDER BY hlc, id",
            (key,),
        )
    ]


def break_weeks(store: "Store") -> set[str]:
    return {w for (w,) in store.query("SELECT week FROM breaks WHERE on_break = 1")}


def is_break(store: "Store", week: str) -> bool:
    rows = store.query("SELECT on_break FROM breaks WHERE week = ?", (week,))
    return bool(rows and rows[0][0])


def follows(store: "Store") -> dict[str, bool]:
    """The roadmaps the learner chose to follow (True) or not (False); the others keep the
    default."""
    rows = store.query("SELECT roadmap, followed FROM follows WHERE followed IS NOT NULL")
    return {roadmap: bool(chosen) for roadmap, chosen in rows}
