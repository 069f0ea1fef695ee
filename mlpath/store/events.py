"""Events: every fact the store holds, and how the tables everything reads are derived.

An event is one change to one *register* (a topic's state, an entry's text, a setting, a
break week, a followed roadmap, a project record), named by its kind and target:

- ``id``: 26 characters, globally unique and sortable by the time it was made (48 bits of
  milliseconds, 80 random bits, Crockford's base 32, as a ULID);
- ``replica``: the store that made it;
- ``hlc``: its place in the order of all changes, the same on every machine: a hybrid
  logical clock in microseconds, never earlier than the wall clock and always after every
  event the store had seen when it was made, so that a change made after another (on any
  machine that has seen it) wins even when a clock was wrong. Ties break on ``id``;
- ``recorded``: the wall-clock time it was written (UTC), to show, never to order by;
- ``day``: the local day it is about (``--date``), for topic changes;
- ``data``: the register's new value, whole (so an event can be applied alone).

Applying an event that is already there does nothing (``INSERT OR IGNORE`` on its id), and a
register keeps the value of its greatest (hlc, id), so applying a set of events in any order,
in any batches, gives the same tables. Events are never rewritten or removed: an edit, a
deletion or an undo is a new event.
"""

import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any

from mlpath.tuples import NamedTuple

# Events that belong to no machine in particular: converted from a store or an export made
# before events had ids, so that two copies of the same old data convert to the same events.
LEGACY_REPLICA = "legacy"
# Where converted settings, breaks and followed roadmaps sit in the order: before everything,
# since their history was not kept; any later change wins over them.
BEFORE_ALL = -(2**62)
# The greatest hlc an event may carry: the end of the supported dates (9998), in microseconds,
# plus room for a store's own clock to count on past an event that came from that far ahead
# (2**40 events), so that every event a store makes is one it would accept back.
LAST_DATE_HLC = 253_370_764_800_000_000  # 9999-01-01T00:00:00Z
MAX_HLC = LAST_DATE_HLC + 2**40
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class Event(NamedTuple):
    id: str
    replica: str
    hlc: int
    recorded: str  # UTC, YYYY-MM-DDTHH:MM:SSZ
    kind: str
    target: str
    day: str | None  # YYYY-MM-DD
    data: dict[str, Any]


# ------------------------------------------------------------------------------------ ids


def make_id(millis: int, rand: bytes) -> str:
    """A ULID: ``millis`` (clamped to 48 bits) then 80 bits of ``rand``, in base 32."""
    value = (min(max(millis, 0), (1 << 48) - 1) << 80) | int.from_bytes(rand[:10], "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def new_id(millis: int) -> str:
    return make_id(millis, os.urandom(10))


def derived_id(millis: int, key: str) -> str:
    """The same id for the same ``key`` on every machine: for events converted from data
    that had none."""
    from mlpath.digest import sha256

    return make_id(millis, sha256(key.encode("utf-8")))


def is_id(text: str) -> bool:
    return len(text) == 26 and all(c in _CROCKFORD for c in text) and text[0] in "01234567"


def new_replica() -> str:
    return os.urandom(8).hex()


def now_micros() -> int:
    return time.time_ns() // 1000


# ------------------------------------------------------------------------------- encoding


def encode(data: dict[str, Any]) -> str:
    """An event's data as stored and exported: the same bytes for the same value."""
    import json  # here, not at the top: `status` and the other reads never decode an event

    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def row(event: Event) -> tuple[Any, ...]:
    return (
        event.id,
        event.replica,
        event.hlc,
        event.recorded,
        event.kind,
        event.target,
        event.day,
        encode(event.data),
    )


_COLUMNS = "id, replica, hlc, recorded, kind, target, day, data"


def line(event: Event) -> str:
    """One event as one line of JSON, as an export and a sync file write it: the fields in
    a fixed order, the data's keys sorted, and what a terminal would act on escaped."""
    import json

    from mlpath.safetext import json_safe

    whole = {
        "id": event.id,
        "replica": event.replica,
        "hlc": event.hlc,
        "recorded": event.recorded,
        "kind": event.kind,
        "target": event.target,
        "day": event.day,
        "data": dict(sorted(event.data.items())),
    }
    return json_safe(json.dumps(whole, ensure_ascii=False))


def _event(values: tuple[Any, ...]) -> Event:
    import json

    ident, replica, hlc, recorded, kind, target, day, data = values
    return Event(ident, replica, hlc, recorded, kind, target, day, json.loads(data))


# ------------------------------------------------------------------------------ the clock


def meta(conn: sqlite3.Connection, key: str) -> str | None:
    found = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return found[0] if found else None


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def clock(conn: sqlite3.Connection) -> int:
    """The greatest hlc this store has issued or seen."""
    return int(meta(conn, "clock") or BEFORE_ALL)


def replica(conn: sqlite3.Connection) -> str:
    found = meta(conn, "replica")
    if found is None:  # the in-memory stand-in for a store not created yet
        found = new_replica()
        set_meta(conn, "replica", found)
    return found


# ------------------------------------------------------------------------------ applying


BATCH = 500  # events applied together: a few statements a batch, not a few an event


def apply(conn: sqlite3.Connection, events: Iterable[Event]) -> list[Event]:
    """Add ``events`` inside the caller's transaction and bring the derived tables up to
    date; the events that were new (an event already there, or twice in ``events``, counts
    once). The store's clock moves past every event seen."""
    projectors = _projectors()
    added: list[Event] = []
    latest = clock(conn)
    batch: list[Event] = []
    cards: set[str] = set()  # topics whose recall card the events change
    for event in events:
        batch.append(event)
        latest = max(latest, event.hlc)
        if len(batch) >= BATCH:
            added += _apply_batch(conn, batch, projectors, cards)
            batch = []
    added += _apply_batch(conn, batch, projectors, cards)
    if cards:  # replayed once, after every batch: a topic's events may span many of them
        from mlpath.store import recall

        recall.refresh(conn, cards)
    set_meta(conn, "clock", str(latest))
    return added


def _apply_batch(
    conn: sqlite3.Connection, batch: list[Event], projectors: dict[str, "Projector"],
    cards: set[str],
) -> list[Event]:  # fmt: skip
    if not batch:
        return []
    ids = [e.id for e in batch]
    marks = ", ".join("?" for _ in ids)
    present = {i for (i,) in conn.execute(f"SELECT id FROM events WHERE id IN ({marks})", ids)}
    new: dict[str, Event] = {}
    for event in batch:
        if event.id not in present:
            new.setdefault(event.id, event)
    fresh = list(new.values())
    conn.executemany(
        f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [row(e) for e in fresh]
    )
    by_kind: dict[str, list[Event]] = {}
    for event in fresh:
        by_kind.setdefault(event.kind, []).append(event)
    for kind, group in by_kind.items():
        projectors[kind](conn, group)
    cards.update(e.target for e in by_kind.get("topic", ()))
    cards.update(e.target.rpartition("#")[0] for e in by_kind.get("recall", ()))
    return fresh


Projector = Callable[[sqlite3.Connection, list[Event]], None]


def _projectors() -> dict[str, Projector]:
    from mlpath.store import checks, entries, projects, recall, registers, topics

    return {
        "topic": topics.project,
        "entry": entries.project_content,
        "entry.hidden": entries.project_hidden,
        "setting": registers.project_setting,
        "break": registers.project_break,
        "follow": registers.project_follow,
        "project": projects.project,
        "check": checks.project,
        "recall": recall.project,
    }


KINDS = (
    "topic",
    "entry",
    "entry.hidden",
    "setting",
    "break",
    "follow",
    "project",
    "check",
    "recall",
)

# Where each kind's register keeps its winning event: (table, key column). Every register
# table has the columns hlc and event, and keeps the value of its greatest (hlc, event).
REGISTERS = {
    "topic": ("topic_state", "topic"),
    "entry": ("entries", "uid"),
    "entry.hidden": ("entry_visibility", "uid"),
    "setting": ("settings", "key"),
    "break": ("breaks", "week"),
    "follow": ("follows", "roadmap"),
    "project": ("projects", "uid"),
    "check": ("checks", "key"),
    "recall": ("reviews", "key"),
}


def winner(conn: sqlite3.Connection, kind: str, target: str) -> str | None:
    """The id of the event whose value a register holds now."""
    table, key = REGISTERS[kind]
    found = conn.execute(f"SELECT event FROM {table} WHERE {key} = ?", (target,)).fetchone()
    return found[0] if found else None


def before(conn: sqlite3.Connection, event: Event) -> Event | None:
    """The event of the same register just before ``event`` in the order."""
    found = conn.execute(
        f"SELECT {_COLUMNS} FROM events WHERE kind = ? AND target = ? AND (hlc, id) < (?, ?) "
        "ORDER BY hlc DESC, id DESC LIMIT 1",
        (event.kind, event.target, event.hlc, event.id),
    ).fetchone()
    return _event(found) if found else None


def of_register(conn: sqlite3.Connection, kinds: Iterable[str], target: str) -> list[Event]:
    """The events of one target's registers, in order."""
    chosen = list(kinds)
    marks = ", ".join("?" for _ in chosen)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM events WHERE kind IN ({marks}) AND target = ? ORDER BY hlc, id",
        (*chosen, target),
    ).fetchall()
    return [_event(r) for r in rows]


def by_ids(conn: sqlite3.Connection, ids: Iterable[str]) -> list[Event]:
    """The events with these ids, in order."""
    found: list[Event] = []
    chosen = list(ids)
    for start in range(0, len(chosen), 500):
        chunk = chosen[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        found += [
            _event(r)
            for r in conn.execute(f"SELECT {_COLUMNS} FROM events WHERE id IN ({marks})", chunk)
        ]
    found.sort(key=lambda e: (e.hlc, e.id))
    return found


def every(conn: sqlite3.Connection) -> Iterable[Event]:
    """All events, in order: what an export writes."""
    for values in conn.execute(f"SELECT {_COLUMNS} FROM events ORDER BY hlc, id"):
        yield _event(values)


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def upsert_register(
    conn: sqlite3.Connection, table: str, key: str, rows: list[dict[str, Any]]
) -> None:
    """Keep each row's values in a register table when its (hlc, event) is greater than the
    row there: the one rule every register follows, whatever order the rows come in."""
    if not rows:
        return
    columns = list(rows[0])
    marks = ", ".join("?" for _ in columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates} "
        f"WHERE (excluded.hlc, excluded.event) > ({table}.hlc, {table}.event)"
    )
    conn.executemany(sql, [[r[c] for c in columns] for r in rows])


def won(conn: sqlite3.Connection, kind: str, events: list[Event]) -> list[Event]:
    """Of ``events`` (just applied), those whose register now holds them (looked up by the
    register's key: its table has no index on the event column)."""
    table, key = REGISTERS[kind]
    targets = sorted({e.target for e in events})
    held: dict[str, str] = {}
    for start in range(0, len(targets), 500):
        chunk = targets[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        held.update(
            conn.execute(f"SELECT {key}, event FROM {table} WHERE {key} IN ({marks})", chunk)
        )
    return [e for e in events if held.get(e.target) == e.id]


def cancelled(pairs: list[tuple[str, str | None]]) -> set[str]:
    """Of events given as (id, the event it undoes or None), the ids whose effect an undo
    took back for good. An undo can itself be undone (a redo undoes the undo, and so on), so
    an event is cancelled when an event undoing it is not cancelled itself."""
    undoers: dict[str, list[str]] = {}
    for event, undoes in pairs:
        if undoes:
            undoers.setdefault(undoes, []).append(event)
    known: dict[str, bool] = {}

    def is_cancelled(event: str) -> bool:
        if event not in known:
            known[event] = False  # a cycle cannot happen: an undo comes after what it undoes
            known[event] = any(not is_cancelled(u) for u in undoers.get(event, ()))
        return known[event]

    return {event for event, _ in pairs if is_cancelled(event)}
