"""What this store knows of its sync repository (see mlpath.sync): which events the
repository holds, how far each replica's file has been read, and the custom roadmaps as they
were at the last sync. It is this machine's own bookkeeping: none of it is an event."""

import json
import sqlite3
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from mlpath.store.events import _COLUMNS, Event, _event, meta, set_meta
from mlpath.tuples import NamedTuple

if TYPE_CHECKING:
    from mlpath.store.db import Store


class FileMark(NamedTuple):
    size: int  # bytes read
    digest: str  # sha256 of them, hex


def remote(store: "Store") -> str | None:
    return meta(store.conn, "sync.remote")


def last_sync(store: "Store") -> str | None:
    return meta(store.conn, "sync.last")


def conflicts(store: "Store") -> list[str]:
    return list(json.loads(meta(store.conn, "sync.conflicts") or "[]"))


def set_state(conn: sqlite3.Connection, key: str, value: str) -> None:
    """One of ``remote``, ``last``, ``conflicts`` (inside the caller's transaction)."""
    set_meta(conn, f"sync.{key}", value)


def start_over(conn: sqlite3.Connection) -> None:
    """Start over with a repository: every file read anew, and everything sent again, into a
    file of a new generation (the others may have read part of an earlier one)."""
    for table in ("sync_known", "sync_files", "sync_roadmaps"):
        conn.execute(f"DELETE FROM {table}")
    current = int(meta(conn, "sync.generation") or 0)
    set_meta(conn, "sync.generation", str(current + 1))


def generation(store: "Store") -> int:
    return int(meta(store.conn, "sync.generation") or 1)


def unsent(store: "Store") -> Iterator[Event]:
    """The events the repository does not hold yet, in order."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM events WHERE id NOT IN (SELECT event FROM sync_known) "
        "ORDER BY hlc, id"
    )
    for values in rows:
        yield _event(values)


def count_unsent(store: "Store") -> int:
    rows = store.query("SELECT count(*) FROM events WHERE id NOT IN (SELECT event FROM sync_known)")
    return int(rows[0][0])


def mark_known(conn: sqlite3.Connection, ids: Iterable[str]) -> None:
    conn.executemany("INSERT OR IGNORE INTO sync_known (event) VALUES (?)", [(i,) for i in ids])


def file_marks(store: "Store") -> dict[str, FileMark]:
    return {
        name: FileMark(size, digest)
        for name, size, digest in store.query("SELECT name, size, digest FROM sync_files")
    }


def set_file_mark(conn: sqlite3.Connection, name: str, mark: FileMark) -> None:
    conn.execute(
        "INSERT INTO sync_files (name, size, digest) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET size = excluded.size, digest = excluded.digest",
        (name, mark.size, mark.digest),
    )


def roadmap_bases(store: "Store") -> dict[str, str]:
    return dict(store.query("SELECT name, digest FROM sync_roadmaps"))


def set_roadmap_base(conn: sqlite3.Connection, name: str, digest: str | None) -> None:
    if digest is None:
        conn.execute("DELETE FROM sync_roadmaps WHERE name = ?", (name,))
        return
    conn.execute(
        "INSERT INTO sync_roadmaps (name, digest) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET digest = excluded.digest",
        (name, digest),
    )


def differing(store: "Store", events: list[Event]) -> list[str]:
    """The ids of ``events`` this store holds with other content: a replica's file that
    says otherwise about an event cannot be trusted."""
    from mlpath.store.events import by_ids

    mine = {e.id: e for e in by_ids(store.conn, [e.id for e in events])}
    return [e.id for e in events if e.id in mine and mine[e.id] != e]


def replicas(store: "Store") -> list[tuple[str, int]]:
    """Each replica this store has events of, with how many."""
    return [
        (replica, count)
        for replica, count in store.query(
            "SELECT replica, count(*) FROM events GROUP BY replica ORDER BY replica"
        )
    ]
