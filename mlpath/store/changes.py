"""Changes: what one command did to the store, for ``mlpath undo``.

A change is recorded in one write transaction: its events are added (and the derived tables
brought up to date at once, so that the rest of the command reads its own changes), and a
row of the local ``changes`` table says what the command was and which events it made. That
table belongs to this store alone (it does not sync): undo reverses the learner's own recent
changes, never another machine's.
"""

import contextlib
import datetime as dt
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from mlpath.dates import utc_stamp
from mlpath.store.events import (
    MAX_HLC,
    Event,
    apply,
    clock,
    new_id,
    now_micros,
    replica,
    set_meta,
)
from mlpath.tuples import NamedTuple

if TYPE_CHECKING:
    from mlpath.store.db import Store

# What a change does to the undo history: a new change, or the undoing or redoing of one.
ACTIONS = ("do", "undo", "redo")


class ChangeRecord(NamedTuple):
    id: str
    hlc: int
    recorded: str
    command: str
    action: str  # do | undo | redo
    target: str | None  # the change an undo or redo is about
    events: int


class Change:
    """The change being made: see ``Store.change``."""

    def __init__(self, store: "Store", command: str) -> None:
        self.store = store
        self.conn: sqlite3.Connection = store.conn
        self.command = command
        self.action = "do"
        self.target: str | None = None
        self.undoable = True
        self.id = new_id(now_micros() // 1000)
        self.kinds: Counter[str] = Counter()  # events made, by kind
        self.first: Event | None = None
        self.hlc = 0
        self._clock = 0
        self._replica = ""

    @classmethod
    @contextlib.contextmanager
    def begin(cls, store: "Store", command: str) -> Iterator["Change"]:
        change = cls(store, command)
        with store.write():
            # The change's own place in the order: after everything the store has seen, so
            # that the changes of this store are in the order they were made (an import's
            # events may be years old).
            change.hlc = max(now_micros(), clock(change.conn) + 1)
            change._clock = change.hlc
            change._replica = replica(change.conn)
            yield change
            change._finish()

    def record(self, kind: str, target: str, data: dict[str, Any], day: str | None = None) -> Event:
        """A new event of this store, ordered after every event it has seen."""
        event = self.event(kind, target, data, day)
        self._added(apply(self.conn, [event]))
        return event

    def event(self, kind: str, target: str, data: dict[str, Any], day: str | None = None) -> Event:
        """A new event of this store, as ``record`` makes, but not applied yet: for a caller
        that makes many and applies them together with ``add``."""
        stamp = now_micros()
        self._clock = max(stamp, self._clock + 1)
        if self._clock > MAX_HLC:  # only after 2**40 changes past an event from year 9998
            from mlpath.errors import StoreError

            raise StoreError("this store's clock has reached its end; nothing was changed")
        return Event(
            id=new_id(stamp // 1000),
            replica=self._replica,
            hlc=self._clock,
            recorded=utc_stamp(dt.datetime.fromtimestamp(stamp / 1e6, dt.UTC)),
            kind=kind,
            target=target,
            day=day,
            data=data,
        )

    def add(self, events: Iterable[Event]) -> list[Event]:
        """Events made elsewhere (an import), or made by ``event``: the ones that were new."""
        added = apply(self.conn, events)
        self._added(added)
        if added:
            self._clock = max(self._clock, *(e.hlc for e in added))
        return added

    def _added(self, events: list[Event]) -> None:
        # Written as they come, so that an import of a million events holds none of them.
        if events and self.first is None:
            self.first = events[0]
        self.kinds.update(e.kind for e in events)
        if self.undoable:
            self.conn.executemany(
                "INSERT INTO change_events (change, event) VALUES (?, ?)",
                [(self.id, e.id) for e in events],
            )

    def _finish(self) -> None:
        # A change that recorded nothing leaves no trace, but an undo or a redo is kept even
        # then (everything it touched had changed since), so that the next undo goes on.
        if self.first is None and self.action == "do":
            return
        set_meta(self.conn, "clock", str(max(self._clock, clock(self.conn))))
        if not self.undoable:
            return
        recorded = utc_stamp(dt.datetime.now(dt.UTC))
        self.conn.execute(
            "INSERT INTO changes (id, hlc, recorded, command, action, target) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (self.id, self.hlc, recorded, self.command, self.action, self.target),
        )


def recent(store: "Store", limit: int) -> list[ChangeRecord]:
    """This store's latest changes, newest first."""
    rows = store.query(
        "SELECT c.id, c.hlc, c.recorded, c.command, c.action, c.target, "
        "(SELECT count(*) FROM change_events WHERE change = c.id) "
        "FROM changes AS c ORDER BY c.hlc DESC, c.id DESC LIMIT ?",
        (limit,),
    )
    return [ChangeRecord(*r) for r in rows]


def every(store: "Store") -> list[ChangeRecord]:
    """All of this store's changes, oldest first (what the undo stack is built from)."""
    rows = store.query(
        "SELECT c.id, c.hlc, c.recorded, c.command, c.action, c.target, "
        "(SELECT count(*) FROM change_events WHERE change = c.id) "
        "FROM changes AS c ORDER BY c.hlc, c.id"
    )
    return [ChangeRecord(*r) for r in rows]


def foreign_after(store: "Store", kind: str, target: str, hlc: int, event: str) -> bool:
    """Whether the register has an event after (hlc, event) that no change of this store
    recorded: one that came from another machine."""
    found = store.query(
        "SELECT 1 FROM events AS e WHERE e.kind = ? AND e.target = ? AND (e.hlc, e.id) > (?, ?) "
        "AND NOT EXISTS (SELECT 1 FROM change_events WHERE event = e.id) LIMIT 1",
        (kind, target, hlc, event),
    )
    return bool(found)


def events_of(store: "Store", change: str) -> list[str]:
    """The ids of the events a change made."""
    return [
        e for (e,) in store.query("SELECT event FROM change_events WHERE change = ?", (change,))
    ]
