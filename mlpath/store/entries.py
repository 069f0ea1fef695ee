"""Journal entries: two registers per entry, its content (``entries``, with its tags and
topics) and whether it is hidden (``entry_visibility``), so that an edit on one machine and a
deletion on another both hold. Every weekly figure is a GROUP BY on the indexed ``week``
column of the visible entries: one row a week, never a walk through the whole history.
"""

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlpath.store.events import Event, of_register, upsert_register, won
from mlpath.tuples import NamedTuple

if TYPE_CHECKING:
    from mlpath.store.db import Store

_CHUNK = 500  # ids per IN (...) query, well below SQLite's limit on parameters
_COLUMNS = "e.ref, e.uid, e.kind, e.at, e.day, e.week, e.hours, e.text"
SHORT = 7  # hex digits of an entry's id that are shown, like git's short hashes


class Entry(NamedTuple):
    id: str  # what the learner types: hex, a unique prefix is enough
    uid: str  # what makes an entry the same entry in every export and import
    kind: str  # "log" | "note"
    at: str  # UTC instant it was written
    day: str  # local calendar day it is about
    week: str
    hours: float | None
    tags: list[str]
    topics: list[str]
    text: str


class Filter(NamedTuple):
    """Which visible entries a listing shows; None leaves a condition out."""

    week: str | None = None
    first: str | None = None  # YYYY-MM-DD, inclusive
    last: str | None = None
    tag: str | None = None
    topic: str | None = None
    search: str | None = None  # case-folded


def ref_of(uid: str) -> str:
    """An entry's id: 32 hex digits made from its uid, so every entry (new, imported from
    jrnl, or from an export) has one of the same kind, and two copies the same one."""
    from mlpath.digest import sha256

    return sha256(uid.encode("utf-8")).hex()[:32]


# ------------------------------------------------------------------------------ applying


def project_content(conn: sqlite3.Connection, events: list[Event]) -> None:
    uids = sorted({e.target for e in events})
    hidden = dict(_in(conn, "SELECT uid, hidden FROM entry_visibility", uids))
    rows = [
        {
            "uid": e.target,
            "ref": ref_of(e.target),
            "kind": e.data["kind"],
            "at": e.data["at"],
            "day": e.data["day"],
            "week": e.data["week"],
            "hours": e.data["hours"],
            "text": e.data["text"],
            "hidden": hidden.get(e.target, 0),
            "hlc": e.hlc,
            "event": e.id,
        }
        for e in events
    ]
    upsert_register(conn, "entries", "uid", rows)
    # The tags and topics of an entry are those of the content that won.
    winners = won(conn, "entry", events)
    conn.executemany("DELETE FROM entry_tags WHERE uid = ?", [(e.target,) for e in winners])
    conn.executemany("DELETE FROM entry_topics WHERE uid = ?", [(e.target,) for e in winners])
    conn.executemany(
        "INSERT INTO entry_tags (uid, tag) VALUES (?, ?)",
        [(e.target, t) for e in winners for t in e.data["tags"]],
    )
    conn.executemany(
        "INSERT INTO entry_topics (uid, topic) VALUES (?, ?)",
        [(e.target, t) for e in winners for t in e.data["topics"]],
    )


def project_hidden(conn: sqlite3.Connection, events: list[Event]) -> None:
    rows = [{"uid": e.target, "hidden": int(bool(e.data["hidden"])), "hlc": e.hlc,
             "event": e.id} for e in events]  # fmt: skip
    upsert_register(conn, "entry_visibility", "uid", rows)
    conn.executemany(
        "UPDATE entries SET hidden = (SELECT hidden FROM entry_visibility AS v "
        "WHERE v.uid = entries.uid) WHERE uid = ?",
        [(e.target,) for e in won(conn, "entry.hidden", events)],
    )


def _in(conn: sqlite3.Connection, select: str, uids: list[str]) -> list[tuple[Any, ...]]:
    """``select ... WHERE uid IN (uids)``, in chunks below SQLite's limit on parameters."""
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(uids), _CHUNK):
        chunk = uids[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        found += conn.execute(f"{select} WHERE uid IN ({marks})", chunk).fetchall()
    return found


def _where(chosen: Filter) -> tuple[str, list[Any]]:
    where = ["e.hidden = 0"]
    params: list[Any] = []
    if chosen.week is not None:
        where.append("e.week = ?")
        params.append(chosen.week)
    if chosen.first is not None:
        where.append("e.day >= ?")
        params.append(chosen.first)
    if chosen.last is not None:
        where.append("e.day <= ?")
        params.append(chosen.last)
    if chosen.tag is not None:
        where.append("EXISTS (SELECT 1 FROM entry_tags WHERE uid = e.uid AND tag = ?)")
        params.append(chosen.tag)
    if chosen.topic is not None:
        where.append("EXISTS (SELECT 1 FROM entry_topics WHERE uid = e.uid AND topic = ?)")
        params.append(chosen.topic)
    if chosen.search is not None:
        where.append("instr(casefold(e.text), ?) > 0")
        params.append(chosen.search)
    return " AND ".join(where), params


def find(store: "Store", chosen: Filter, limit: int) -> tuple[list[Entry], int]:
    """Entries matching ``chosen``, newest first, at most ``limit``; and how many match."""
    if chosen.search is not None:
        store.conn.create_function("casefold", 1, _casefold, deterministic=True)
    condition, params = _where(chosen)
    found = _select(
        store,
        f"WHERE {condition} ORDER BY e.day DESC, e.at DESC, e.hlc DESC LIMIT ?",
        [*params, limit],
    )
    total = store.query(f"SELECT count(*) FROM entries AS e WHERE {condition}", params)
    return found, int(total[0][0])


def week_sums(store: "Store", chosen: Filter, weeks: Sequence[str]) -> dict[str, float]:
    """Hours of the entries matching ``chosen`` in each of ``weeks``."""
    condition, params = _where(chosen)
    marks = ", ".join("?" for _ in weeks)
    rows = store.query(
        f"SELECT e.week, total(e.hours) FROM entries AS e "
        f"WHERE {condition} AND e.week IN ({marks}) GROUP BY e.week",
        [*params, *weeks],
    )
    return {week: hours for week, hours in rows}


def week_total(store: "Store", week: str) -> tuple[float, int]:
    """Hours and number of the visible entries of one week."""
    rows = store.query(
        "SELECT total(hours), count(*) FROM entries WHERE hidden = 0 AND week = ?", (week,)
    )
    return rows[0][0], rows[0][1]


def weekly(store: "Store") -> list[tuple[str, float, int]]:
    """(week, hours, entries) of every week with a visible entry."""
    return [
        (week, hours, count)
        for week, hours, count in store.query(
            "SELECT week, total(hours), count(*) FROM entries WHERE hidden = 0 GROUP BY week"
        )
    ]


def about_topic(store: "Store", topic: str) -> list[Entry]:
    """Visible entries about one topic (notes and `log --topic`), oldest first."""
    return _select(
        store,
        "JOIN entry_topics AS t ON t.uid = e.uid WHERE e.hidden = 0 AND t.topic = ? "
        "ORDER BY e.day, e.at, e.hlc",
        [topic],
    )


def in_week(store: "Store", week: str) -> list[Entry]:
    return _select(store, "WHERE e.hidden = 0 AND e.week = ? ORDER BY e.day, e.at, e.hlc", [week])


def visible(store: "Store") -> list[Entry]:
    return _select(store, "WHERE e.hidden = 0 ORDER BY e.day, e.at, e.hlc", [])


def by_prefix(store: "Store", prefix: str, limit: int = 10) -> list[tuple[Entry, bool]]:
    """Entries, hidden ones too, whose id starts with ``prefix`` (lower-case hex), each with
    whether it is hidden."""
    rows = store.query(
        f"SELECT {_COLUMNS}, e.hidden FROM entries AS e WHERE e.ref >= ? AND e.ref < ? "
        "ORDER BY e.ref LIMIT ?",
        (prefix, prefix + "g", limit),  # every hex digit sorts before "g"
    )
    entries = _complete(store, [r[:-1] for r in rows])
    return [(entry, bool(r[-1])) for entry, r in zip(entries, rows, strict=True)]


def versions(store: "Store", uid: str) -> list[Event]:
    """Every content and visibility event of an entry, in order."""
    return of_register(store.conn, ["entry", "entry.hidden"], uid)


def short_ids(store: "Store", refs: Sequence[str]) -> dict[str, str]:
    """The shortest prefix of each id, from SHORT digits on, that no other entry shares."""
    shown: dict[str, str] = {}
    for ref in refs:
        size = SHORT
        while size < len(ref):
            prefix = ref[:size]
            others = store.query(
                "SELECT count(*) FROM entries WHERE ref >= ? AND ref < ?", (prefix, prefix + "g")
            )[0][0]
            if others <= 1:
                break
            size += 1
        shown[ref] = ref[:size]
    return shown


def _select(store: "Store", tail: str, params: Sequence[Any]) -> list[Entry]:
    rows = store.query(f"SELECT {_COLUMNS} FROM entries AS e {tail}", params)
    return _complete(store, rows)


def _complete(store: "Store", rows: Sequence[tuple[Any, ...]]) -> list[Entry]:
    uids = [r[1] for r in rows]
    tags = _related(store, "SELECT uid, tag FROM entry_tags", uids)
    topics = _related(store, "SELECT uid, topic FROM entry_topics", uids)
    return [
        Entry(ref, uid, kind, at, day, week, hours, tags.get(uid, []), topics.get(uid, []), text)
        for ref, uid, kind, at, day, week, hours, text in rows
    ]


def _related(store: "Store", select: str, uids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for start in range(0, len(uids), _CHUNK):
        chunk = uids[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        for uid, value in store.query(f"{select} WHERE uid IN ({marks}) ORDER BY 1, 2", chunk):
            found.setdefault(uid, []).append(value)
    return found


def _casefold(text: str | None) -> str | None:
    return text.casefold() if text is not None else None


def day_sums(store: "Store", first: str, last: str) -> dict[str, tuple[float, int]]:
    """Hours and entries of each day from ``first`` to ``last`` (YYYY-MM-DD) with a visible
    entry (one row a day, by the index on day)."""
    rows = store.query(
        "SELECT day, total(hours), count(*) FROM entries WHERE hidden = 0 AND day BETWEEN ? AND ? "
        "GROUP BY day",
        (first, last),
    )
    return {day: (hours, count) for day, hours, count in rows}


def tags(store: "Store") -> list[str]:
    """Every tag an entry carries, in order."""
    return [t for (t,) in store.query("SELECT DISTINCT tag FROM entry_tags ORDER BY tag")]
