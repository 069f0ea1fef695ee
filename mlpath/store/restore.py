"""Putting a backup back as the store (see ``mlpath.maintenance.restore``).

A backup is only ever read: it is examined read-only, then copied with SQLite's backup API
into a temp file beside the store ("staged"), and only that copy is upgraded. The live store
then takes the staged content in one write transaction (``BEGIN IMMEDIATE``, the lock every
mlpath write takes), so another mlpath writing at the same moment waits and is never torn,
and a kill at any point leaves the old content or the restored one, never a mix: until the
commit the write-ahead log holds no committed frame of it.

What belongs to the machine rather than to the learner's records stays the machine's: the
replica id (two stores with one id would append to one sync file), the sync settings, the
base of each custom roadmap file (those files are not part of a backup), and the clock,
which only ever moves forward. What the repository is known to hold is a fact about the
repository, so both stores' knowledge is kept; how far each replica's file was read is a
promise about the events in the store, so it comes from the restored store, and only when it
was read from the same repository.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from mlpath.errors import StoreError
from mlpath.store.db import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    Store,
    _identity_problem,
    _translated,
    connect_read_only,
    count_records,
    fsync_path,
    readonly_uri,
    verify,
)
from mlpath.tuples import NamedTuple

T = TypeVar("T")
# meta keys that belong to the machine: kept from the current store.
_MACHINE_KEYS = ("replica",)
_MACHINE_PREFIX = "sync."
# Tables the generic copy leaves alone (handled one by one in ``_carry_machine_state``).
_SPECIAL = ("meta", "sync_known", "sync_files", "sync_roadmaps")


class Examined(NamedTuple):
    version: int  # its schema
    records: int
    latest: str | None  # when its latest event was recorded (UTC), None without events
    remote: str | None  # the sync repository it was set up for


def _reader(path: Path) -> sqlite3.Connection:
    """A read-only connection that creates nothing beside ``path``: without a write-ahead
    log beside it, a file in WAL mode is read as immutable (SQLite would otherwise make a
    -wal and a -shm next to it even to read it)."""
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        return connect_read_only(path)
    conn = sqlite3.connect(readonly_uri(path) + "&immutable=1", uri=True, isolation_level=None)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def examine(path: Path, *, thorough: bool = True) -> Examined:
    """What a backup holds, read-only; StoreError (why, as "it is ...") when it cannot be
    restored: not SQLite, damaged, not mlpath's, or of a newer schema than this mlpath knows.
    ``thorough`` runs the full integrity check; without it, SQLite's quicker one."""
    try:
        conn = _reader(path)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"it is damaged or is not an SQLite file ({exc})") from None
    try:
        check = conn.execute(f"PRAGMA {'integrity' if thorough else 'quick'}_check").fetchone()
        if check[0] != "ok":
            raise StoreError(f"it is damaged (integrity check: {check[0]})")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        problem = _identity_problem(conn) or (None if version >= 1 else "it has no schema")
        if problem:
            raise StoreError(f"it is not an mlpath store ({problem})")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"it was written by a newer mlpath (store schema {version}, this mlpath "
                f"knows {SCHEMA_VERSION}): upgrade mlpath to restore it"
            )
        latest = remote = None
        if version >= 6:  # the schema of events and meta
            found = conn.execute(
                "SELECT recorded FROM events ORDER BY hlc DESC, id DESC LIMIT 1"
            ).fetchone()
            latest = found[0] if found else None
            row = conn.execute("SELECT value FROM meta WHERE key = 'sync.remote'").fetchone()
            remote = row[0] if row else None
        return Examined(version, count_records(conn), latest, remote)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"it is damaged ({exc})") from None
    finally:
        conn.close()


def stage(source: Path, folder: Path) -> tuple[Path, int]:
    """A copy of ``source`` in a temp file in ``folder``, upgraded to this mlpath's schema,
    checked and synced to disk, and how many records it holds. ``source`` is only read; the
    caller removes the copy."""
    try:
        fd, name = tempfile.mkstemp(prefix=".mlpath.db.restore.", suffix=".tmp", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise StoreError(
            f"cannot write in {folder} ({exc.strerror}); nothing was changed"
        ) from None
    staged = Path(name)
    try:
        with _translated(staged):
            reader = _reader(source)
            try:
                copy = sqlite3.connect(staged, isolation_level=None)
                try:
                    reader.backup(copy)
                    copy.execute("PRAGMA journal_mode = DELETE")  # no -wal beside a temp file
                finally:
                    copy.close()
            finally:
                reader.close()
        # The backup itself is the copy kept from before the upgrade: none is made of this one.
        upgrading = Store(sqlite3.connect(staged, isolation_level=None), staged)
        try:
            with _translated(staged):
                upgrading._migrate(existed=False)
        finally:
            upgrading.close()
        problem, records = verify(staged)
        if problem:
            raise StoreError(f"the restored copy failed its check ({problem}); nothing was changed")
        fsync_path(staged)
        return staged, records
    except BaseException:
        discard(staged)
        raise


def discard(staged: Path) -> None:
    for leftover in (staged, staged.with_name(staged.name + "-journal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def replace_contents(store: Store, staged: Path, keep_first: Callable[[], T]) -> T:
    """Give the live ``store`` the content of ``staged`` in one write transaction, after
    ``keep_first()`` (which keeps a copy of the current store) has run inside it: no other
    mlpath can change the store between that copy and the restore."""
    conn = store.conn
    with _translated(store.path):
        conn.execute("ATTACH DATABASE ? AS restored", (str(staged),))
    try:
        with store.write():
            kept = keep_first()
            with _translated(store.path):
                _copy_tables(conn)
                _carry_machine_state(conn)
        return kept
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("DETACH DATABASE restored")


def _tables(conn: sqlite3.Connection, schema: str) -> dict[str, list[str]]:
    names = [
        r[0]
        for r in conn.execute(
            f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {
        name: [r[1] for r in conn.execute(f'PRAGMA {schema}.table_info("{name}")')]
        for name in names
    }


def _copy_tables(conn: sqlite3.Connection) -> None:
    mine, theirs = _tables(conn, "main"), _tables(conn, "restored")
    if mine != theirs:  # both are at this mlpath's schema, so this is not expected
        raise StoreError("the restored copy's tables differ from the store's; nothing was changed")
    for name, columns in mine.items():
        if name in _SPECIAL:
            continue
        listed = ", ".join(f'"{c}"' for c in columns)
        conn.execute(f'DELETE FROM main."{name}"')
        conn.execute(f'INSERT INTO main."{name}" ({listed}) SELECT {listed} FROM restored."{name}"')


def _carry_machine_state(conn: sqlite3.Connection) -> None:
    """The meta and sync tables: the machine's part kept, the records' part restored."""

    def remote(schema: str) -> str | None:
        row = conn.execute(f"SELECT value FROM {schema}.meta WHERE key = 'sync.remote'").fetchone()
        return row[0] if row else None

    same_repository = remote("main") == remote("restored")
    clock = conn.execute(
        "SELECT max(CAST(value AS INTEGER)) FROM (SELECT value FROM main.meta WHERE key = 'clock' "
        "UNION ALL SELECT value FROM restored.meta WHERE key = 'clock')"
    ).fetchone()[0]
    keep = " OR ".join(["key = ?"] * len(_MACHINE_KEYS)) + " OR key LIKE ?"
    params = (*_MACHINE_KEYS, _MACHINE_PREFIX + "%")
    conn.execute(f"DELETE FROM main.meta WHERE NOT ({keep})", params)
    conn.execute(
        f"INSERT INTO main.meta (key, value) SELECT key, value FROM restored.meta "
        f"WHERE NOT ({keep}) AND key != 'clock'",
        params,
    )
    if clock is not None:
        conn.execute("INSERT INTO main.meta (key, value) VALUES ('clock', ?)", (str(clock),))
    conn.execute("DELETE FROM main.sync_files")
    if same_repository:
        conn.execute("INSERT INTO main.sync_files SELECT * FROM restored.sync_files")
        conn.execute("INSERT OR IGNORE INTO main.sync_known SELECT * FROM restored.sync_known")
    # main.sync_roadmaps stays: it describes the roadmap files on this machine's disk.


def new_identity(staged: Path) -> None:
    """Give a staged copy a replica id of its own, for a machine with no readable store to
    take one from: the backup's own id may still be in use on the machine it came from."""
    from mlpath.store.events import new_replica, set_meta

    conn = sqlite3.connect(staged, isolation_level=None)
    try:
        with _translated(staged):
            conn.execute("BEGIN IMMEDIATE")
            set_meta(conn, "replica", new_replica())
            conn.execute("COMMIT")
    finally:
        conn.close()
    fsync_path(staged)


def newer_than_known(path: Path) -> bool:
    """Whether the file's header says a newer mlpath wrote it: mlpath's application id and
    a schema version above this mlpath's."""
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
    except OSError:
        return False
    return (
        len(header) == 100
        and int.from_bytes(header[68:72], "big") == APPLICATION_ID
        and int.from_bytes(header[60:64], "big") > SCHEMA_VERSION
    )
