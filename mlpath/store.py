"""The learner's data: one SQLite file, append-only history, ordered migrations.

- WAL mode, a busy timeout, and ``BEGIN IMMEDIATE`` for every write, so two terminals never
  see "database is locked" on a read-then-write.
- ``PRAGMA user_version`` holds the schema version. Each migration and its version bump run in
  one transaction; an existing file is copied (with SQLite's backup API) before it is migrated;
  a file written by a newer mlpath is refused, never downgraded.
- Read-only commands on a machine with no store yet get an empty in-memory store: nothing is
  created until the learner records something.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mlpath import paths
from mlpath.dates import utc_stamp
from mlpath.errors import StoreBusyError, StoreError

BUSY_TIMEOUT_MS = 5000
STATES = ("started", "done", "skipped", "reset")


def _m1_initial(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE topic_events (
            id    INTEGER PRIMARY KEY,
            topic TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('started', 'done', 'skipped', 'reset')),
            at    TEXT NOT NULL,
            note  TEXT
        )
        """
    )
    conn.execute("CREATE INDEX topic_events_by_topic ON topic_events (topic, id)")
    conn.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def _m2_projects(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE projects (
            id         INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            template   TEXT NOT NULL,
            path       TEXT NOT NULL,
            created_at TEXT NOT NULL,
            topics     TEXT NOT NULL DEFAULT '[]'  -- JSON list of full topic ids
        )
        """
    )


def _m3_journal(conn: sqlite3.Connection) -> None:
    # `day` is the learner's local calendar day the entry is about and `week` its ISO week,
    # both fixed when written, so a later change of time zone never moves an entry to
    # another week. `uid` makes an entry the same entry in every export and import.
    conn.execute(
        """
        CREATE TABLE journal_entries (
            id    INTEGER PRIMARY KEY,
            uid   TEXT NOT NULL UNIQUE,
            kind  TEXT NOT NULL CHECK (kind IN ('log', 'note')),
            at    TEXT NOT NULL,  -- UTC instant it was written
            day   TEXT NOT NULL,  -- YYYY-MM-DD
            week  TEXT NOT NULL,  -- YYYY-Www
            hours REAL CHECK (hours IS NULL OR (hours > 0 AND hours <= 24)),
            text  TEXT NOT NULL
        )
        """
    )
    # (week, hours) covers the weekly sums behind status, review, streaks and pace.
    conn.execute("CREATE INDEX journal_by_week ON journal_entries (week, hours)")
    conn.execute("CREATE INDEX journal_by_day ON journal_entries (day, at)")
    conn.execute(
        """
        CREATE TABLE journal_tags (
            entry INTEGER NOT NULL REFERENCES journal_entries (id),
            tag   TEXT NOT NULL,  -- without the '#', case-folded
            PRIMARY KEY (entry, tag)
        ) WITHOUT ROWID
        """
    )
    conn.execute("CREATE INDEX journal_tags_by_tag ON journal_tags (tag, entry)")
    conn.execute(
        """
        CREATE TABLE journal_topics (
            entry INTEGER NOT NULL REFERENCES journal_entries (id),
            topic TEXT NOT NULL,  -- full topic id
            PRIMARY KEY (entry, topic)
        ) WITHOUT ROWID
        """
    )
    conn.execute("CREATE INDEX journal_topics_by_topic ON journal_topics (topic, entry)")
    conn.execute("CREATE TABLE break_weeks (week TEXT PRIMARY KEY) WITHOUT ROWID")
    # The weekly review reads the topic changes made inside one week.
    conn.execute("CREATE INDEX topic_events_by_at ON topic_events (at)")


def _m4_topic_state(conn: sqlite3.Connection) -> None:
    # Each topic's current state, kept by a trigger in the same transaction as the event that
    # changes it, so status reads one row per topic however long the history grows. It is
    # derived data: the events stay the record. "Latest" means latest in time, then in order
    # of recording, so importing an older history never overrides a newer local change.
    conn.execute(
        """
        CREATE TABLE topic_state (
            topic TEXT PRIMARY KEY,
            event INTEGER NOT NULL,  -- id of the event that set it
            state TEXT NOT NULL,
            at    TEXT NOT NULL
        ) WITHOUT ROWID
        """
    )
    conn.execute(
        """
        CREATE TRIGGER topic_state_follows_events AFTER INSERT ON topic_events
        BEGIN
            INSERT INTO topic_state (topic, event, state, at)
            VALUES (NEW.topic, NEW.id, NEW.state, NEW.at)
            ON CONFLICT (topic) DO UPDATE
                SET event = excluded.event, state = excluded.state, at = excluded.at
                WHERE (excluded.at, excluded.event) > (topic_state.at, topic_state.event);
        END
        """
    )
    conn.execute(
        """
        INSERT INTO topic_state (topic, event, state, at)
        SELECT topic, id, state, at FROM (
            SELECT topic, id, state, at,
                   row_number() OVER (PARTITION BY topic ORDER BY at DESC, id DESC) AS rank
            FROM topic_events
        ) WHERE rank = 1
        """
    )


Migration = Callable[[sqlite3.Connection], None]

# Append only: a released migration is never edited, reordered or removed.
MIGRATIONS: list[Migration] = [_m1_initial, _m2_projects, _m3_journal, _m4_topic_state]


def schema_version() -> int:
    return len(MIGRATIONS)


class TopicEvent(NamedTuple):
    id: int
    topic: str
    state: str
    at: str
    note: str | None


def utc_now() -> str:
    return utc_stamp(dt.datetime.now(dt.UTC))


class Store:
    """An open store. Use as a context manager so the connection is always closed."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path  # None: the empty in-memory stand-in for a store not created yet

    # -------------------------------------------------------------------------- opening

    @classmethod
    def open(cls, path: Path | None = None, *, create: bool = False) -> Store:
        """Open the store at ``path`` (default: ``$MLPATH_HOME/mlpath.db``).

        With ``create=False`` a missing store is replaced by an empty in-memory one, so that
        read-only commands work on a fresh machine without writing anything.
        """
        path = path or paths.db_path()
        if not path.exists() and not create:
            conn = sqlite3.connect(":memory:", isolation_level=None)
            store = cls(conn, None)
            store._migrate(existed=False)
            return store
        if not path.exists():
            _create(path)
        elif path.stat().st_size == 0:
            raise StoreError(
                f"{path} is empty (0 bytes), so it is not a usable mlpath store; mlpath will not "
                "write over it: restore a backup (mlpath.db.*.bak beside it) or move it aside"
            )
        _check_wal(path)
        return cls._connect(path, existed=True)

    @classmethod
    def _connect(cls, path: Path, *, existed: bool) -> Store:
        with _translated(path):
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        store = cls(conn, path)
        try:
            with _translated(path):
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA synchronous = FULL")
                mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
                if mode != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                store._migrate(existed=existed)
        except BaseException:
            conn.close()
            raise
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def label(self) -> str:
        return str(self.path) if self.path else "(no store yet)"

    # ------------------------------------------------------------------------ migrations

    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, *, existed: bool) -> None:
        version = self.version()
        target = schema_version()
        if version > target:
            raise StoreError(
                f"{self.label} was written by a newer mlpath (store schema {version}, this "
                f"mlpath knows {target}); upgrade mlpath: pip install --upgrade mlpath"
            )
        if version == target:
            return
        if existed and version == 0 and self._has_tables():
            raise StoreError(
                f"{self.label} is an SQLite file that mlpath did not create; move it aside or "
                "set MLPATH_HOME to another folder"
            )
        if existed and version > 0:
            self._backup_before_migration(version)
        for step in range(version, target):
            with self.write():
                if self.version() > step:  # another process migrated meanwhile
                    continue
                MIGRATIONS[step](self.conn)
                self.conn.execute(f"PRAGMA user_version = {step + 1}")

    def _has_tables(self) -> bool:
        row = self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return bool(row[0])

    def _backup_before_migration(self, version: int) -> Path:
        assert self.path is not None
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.v{version}-{stamp}.bak")
        copy = sqlite3.connect(target)
        try:
            self.conn.backup(copy)
        finally:
            copy.close()
        return target

    # ----------------------------------------------------------------------- transactions

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken with BEGIN IMMEDIATE, committed or rolled back whole."""
        with _translated(self.path):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with _translated(self.path):
            return self.conn.execute(sql, params).fetchall()

    # ----------------------------------------------------------------------- topic events

    def latest_states(self) -> dict[str, tuple[str, str]]:
        """Each topic's current state and since when: its latest event (reset = not started)."""
        rows = self.query("SELECT topic, state, at FROM topic_state WHERE state != 'reset'")
        return {topic: (state, at) for topic, state, at in rows}

    def history(self, topic: str) -> list[TopicEvent]:
        rows = self.query(
            "SELECT id, topic, state, at, note FROM topic_events WHERE topic = ? ORDER BY id",
            (topic,),
        )
        return [TopicEvent(*row) for row in rows]

    def append_events(self, events: Sequence[tuple[str, str, str | None]], at: str) -> None:
        """Record (topic, state, note) events, all or none."""
        with self.write() as conn:
            conn.executemany(
                "INSERT INTO topic_events (topic, state, at, note) VALUES (?, ?, ?, ?)",
                [(topic, state, at, note) for topic, state, note in events],
            )

    # --------------------------------------------------------------------------- settings

    def get_setting(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM settings WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_setting(self, key: str, value: str) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


def _create(path: Path) -> None:
    """Build a new store beside ``path`` and link it into place, so that a store appears fully
    formed or not at all (a crash cannot leave an empty file that looks like a damaged one)."""
    _make_home(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        Store._connect(tmp, existed=False).close()
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process created it first: use theirs
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def readonly_uri(path: Path) -> str:
    """An SQLite URI that opens ``path`` read-only: such a connection never checkpoints the
    write-ahead log into the file, so looking cannot change anything."""
    return path.absolute().as_uri() + "?mode=ro"


def inspect(path: Path) -> str | None:
    """What is wrong with the store at ``path`` as SQLite would see it, WAL included, or None.
    Opens it read-only."""
    try:
        conn = sqlite3.connect(readonly_uri(path), uri=True)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if version < 1 or not {"topic_events", "settings"} <= tables:
            return "it does not hold mlpath's tables"
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        return None if check == "ok" else str(check)
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()


def _check_wal(path: Path) -> None:
    """Refuse a write-ahead log that does not fit the store, before SQLite applies it.

    SQLite replays whatever ``mlpath.db-wal`` holds into ``mlpath.db`` when the last connection
    closes, without checking that the log came from this file (a store restored from a backup
    beside an old log, say), which would overwrite the learner's data. A log left by a crash
    or by another mlpath running now passes these checks; a foreign or damaging one does not.
    """
    wal = path.with_name(path.name + "-wal")
    try:
        if wal.stat().st_size == 0:
            return
    except FileNotFoundError:
        return
    problem = inspect(path)
    if problem:
        raise StoreError(
            f"{wal} does not fit {path} ({problem}): it may be left from another copy of the "
            f"store. mlpath has changed neither file: move {wal.name} aside to open the store "
            "as it was at its last checkpoint, or restore a backup"
        )


def _make_home(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the mlpath folder {folder} ({exc.strerror}); "
            f"set {paths.HOME_ENV} to a folder you can write to"
        ) from None


@contextlib.contextmanager
def _translated(path: Path | None) -> Iterator[None]:
    """Turn SQLite's exceptions into messages that say which file and what to do."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise StoreBusyError(
                f"store is busy: another mlpath process is writing to {path}; try again"
            ) from None
        if "readonly" in text or "unable to open" in text:
            folder = path.parent if path else "the store folder"
            raise StoreError(
                f"cannot write to {path} ({text}); check the permissions of {folder} "
                f"or set {paths.HOME_ENV} to a folder you can write to"
            ) from None
        raise StoreError(f"{path}: {text}") from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} is damaged or is not an mlpath store ({exc}); mlpath will not touch it: "
            "restore a backup (mlpath.db.*.bak beside it) or move it aside"
        ) from None
