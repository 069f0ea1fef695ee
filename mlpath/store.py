"""The learner's data: one SQLite file, append-only history, ordered migrations.

- WAL mode, a busy timeout, and ``BEGIN IMMEDIATE`` for every write, so two terminals never
  see "database is locked" on a read-then-write.
- ``PRAGMA user_version`` holds the schema version. Each migration and its version bump run in
  one transaction; an existing file is copied (with SQLite's backup API) before it is migrated;
  a file written by a newer mlpath is refused, never downgraded.
- Read-only commands on a machine with no store yet get an empty in-memory store: nothing is
  created until the learner records something.
- A file is known to be an mlpath store before anything writes to it: by the application id
  in its header (set when mlpath creates a store), or, for stores made before mlpath set one,
  by the schema version and exactly the tables that version had. Anything else is refused
  without a byte changed, not even its journal mode.
- A store that cannot be written (a read-only disk or file) still opens for reading, so that
  status, export and doctor work; a write then says that the store is read-only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mlpath import paths
from mlpath.dates import utc_stamp
from mlpath.errors import StoreBusyError, StoreError

BUSY_TIMEOUT_MS = 5000
STATES = ("started", "done", "skipped", "reset")
APPLICATION_ID = 0x6D6C7074  # "mlpt" in the header's application-id field
_SQLITE_MAGIC = b"SQLite format 3\x00"


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


def _m5_application_id(conn: sqlite3.Connection) -> None:
    # From here on a store names itself in its header, so that mlpath can tell its own files
    # from any other SQLite file before it writes a byte.
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


Migration = Callable[[sqlite3.Connection], None]

# Append only: a released migration is never edited, reordered or removed.
MIGRATIONS: list[Migration] = [
    _m1_initial,
    _m2_projects,
    _m3_journal,
    _m4_topic_state,
    _m5_application_id,
]
# The tables of each schema from before stores carried the application id: how such a store
# is told from another program's SQLite file.
_LEGACY_TABLES = {
    1: {"topic_events", "settings"},
    2: {"topic_events", "settings", "projects"},
    3: {"topic_events", "settings", "projects", "journal_entries", "journal_tags",
        "journal_topics", "break_weeks"},
    4: {"topic_events", "settings", "projects", "journal_entries", "journal_tags",
        "journal_topics", "break_weeks", "topic_state"},
}  # fmt: skip


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


def _after(now: str, latest: str | None) -> str:
    """``now``, or a second after ``latest`` when that is not earlier (stamps are UTC, whole
    seconds, in one format, so they compare as text)."""
    if latest is None or latest < now:
        return now
    return utc_stamp(dt.datetime.fromisoformat(latest) + dt.timedelta(seconds=1))


class Store:
    """An open store. Use as a context manager so the connection is always closed."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path  # None: the empty in-memory stand-in for a store not created yet
        self.read_only: str | None = None  # why writes are refused, when they are

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
        identify(path)
        return cls._connect(path, existed=True)

    @classmethod
    def _connect(cls, path: Path, *, existed: bool) -> Store:
        try:
            with _translated(path):
                conn = _configured(path)
        except StoreError as exc:
            if not existed or not isinstance(exc, StoreReadOnlyError):
                raise
            return cls._connect_read_only(path)
        store = cls(conn, path)
        try:
            with _translated(path):
                store._migrate(existed=existed)
        except BaseException:
            conn.close()
            raise
        return store

    @classmethod
    def _connect_read_only(cls, path: Path) -> Store:
        """The store on a disk or in a folder that cannot be written: readable, never written.
        SQLite needs a writable folder to read a WAL store normally; a store whose folder
        cannot change can be read as an immutable file, unless its log holds changes."""
        with _translated(path):
            try:
                conn = connect_read_only(path)
            except sqlite3.OperationalError:
                wal = path.with_name(path.name + "-wal")
                if not _size(wal):
                    raise
                raise StoreError(
                    f"{path} cannot be opened: it is read-only and {wal.name} beside it holds "
                    "changes not yet written into it; make its folder writable once to open it"
                ) from None
        store = cls(conn, path)
        store.read_only = f"store is read-only: {path} cannot be written"
        try:
            with _translated(path):
                version = store.version()
        except BaseException:
            conn.close()
            raise
        if version != schema_version():
            conn.close()
            if version > schema_version():
                raise StoreError(_newer_message(str(path), version))
            raise StoreError(
                f"{path} is read-only, and this mlpath must upgrade it once (store schema "
                f"{version} to {schema_version()}), which writes to it: make it writable"
            )
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
            raise StoreError(_newer_message(self.label, version))
        if version == target:
            return
        if existed and version > 0:
            self._backup_before_migration(version)
        for step in range(version, target):
            with self.write():
                if self.version() > step:  # another process migrated meanwhile
                    continue
                MIGRATIONS[step](self.conn)
                self.conn.execute(f"PRAGMA user_version = {step + 1}")

    def _backup_before_migration(self, version: int) -> Path:
        assert self.path is not None
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.v{version}-{stamp}.bak")
        try:
            copy_to(self.conn, target)
        except StoreError as exc:
            raise StoreError(
                f"{self.path} needs an upgrade, and mlpath upgrades only after a backup, which "
                f"failed: {exc.message}; nothing was changed"
            ) from None
        return target

    # ----------------------------------------------------------------------- transactions

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken with BEGIN IMMEDIATE, committed or rolled back whole.

        When SQLite gives up on a transaction itself (a full disk, a file-size limit), it has
        already rolled it back; the error that did it is the one reported.
        """
        if self.read_only:
            raise StoreError(
                f"{self.read_only}; nothing was changed (status, export and doctor still work)"
            )
        with _translated(self.path):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                raise

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
        """Record (topic, state, note) events, all or none.

        A topic's state is its latest event in time, so a new change must be later than every
        change the topic already has, even one stamped in the future (by a clock that was
        wrong, or an import): it is then stamped a second after that one, and the change the
        learner just made is the one that counts.
        """
        with self.write() as conn:
            latest = dict(
                conn.execute(
                    f"SELECT topic, at FROM topic_state WHERE topic IN "
                    f"({', '.join('?' for _ in events)})",
                    [topic for topic, _, _ in events],
                ).fetchall()
            )
            conn.executemany(
                "INSERT INTO topic_events (topic, state, at, note) VALUES (?, ?, ?, ?)",
                [
                    (topic, state, _after(at, latest.get(topic)), note)
                    for topic, state, note in events
                ],
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


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that reads ``path`` and can change nothing, WAL included. On a disk or in
    a folder that cannot be written, SQLite cannot read a WAL store this way; such a store is
    then read as an immutable file, which is exact as long as no log beside it holds
    changes."""
    try:
        conn = sqlite3.connect(readonly_uri(path), uri=True, isolation_level=None)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorname", "") != "SQLITE_CANTOPEN" or not path.is_file():
            raise
        if _size(path.with_name(path.name + "-wal")):
            raise
    return sqlite3.connect(readonly_uri(path) + "&immutable=1", uri=True, isolation_level=None)


def _configured(path: Path) -> sqlite3.Connection:
    """A read-write connection to a store already identified as mlpath's."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
    except BaseException:
        conn.close()
        raise
    return conn


def _identity_problem(conn: sqlite3.Connection) -> str | None:
    """Why the database behind ``conn`` is not an mlpath store, or None when it is one."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if app_id == APPLICATION_ID:
        return None
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if app_id == 0 and _LEGACY_TABLES.get(version) == tables:
        return None
    return "it does not hold mlpath's tables"


def inspect(path: Path) -> str | None:
    """What is wrong with the store at ``path`` as SQLite would see it, WAL included, or None.
    Opens it read-only."""
    try:
        conn = connect_read_only(path)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        problem = _identity_problem(conn)
        if problem:
            return problem
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        return None if check == "ok" else str(check)
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()


def identify(path: Path) -> None:
    """Make sure ``path`` is an mlpath store before anything opens it for writing.

    Without a write-ahead log the file's own header is the whole truth, so it is read as
    bytes; a store made before mlpath set its application id has its tables listed by an
    immutable read, which creates no -wal or -shm beside it. A non-empty log is checked
    through SQLite read-only (see ``_check_wal``).
    """
    wal = path.with_name(path.name + "-wal")
    if _size(wal):
        _check_wal(path, wal)
        return
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
    except OSError as exc:
        raise StoreError(f"cannot read {path} ({exc.strerror})") from None
    if not header:
        raise StoreError(
            f"{path} is empty (0 bytes), so it is not a usable mlpath store; mlpath will not "
            "write over it: restore a backup (mlpath.db.*.bak beside it) or move it aside"
        )
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise StoreError(
            f"{path} is damaged or is not an mlpath store (it is not an SQLite file); mlpath "
            "will not touch it: restore a backup (mlpath.db.*.bak beside it) or move it aside"
        )
    if int.from_bytes(header[68:72], "big") == APPLICATION_ID:
        return
    problem: str | None = "it does not hold mlpath's tables"
    if int.from_bytes(header[68:72], "big") == 0:
        try:
            conn = sqlite3.connect(readonly_uri(path) + "&immutable=1", uri=True)
            try:
                problem = _identity_problem(conn)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path} is damaged or is not an mlpath store ({exc}); mlpath will not touch "
                "it: restore a backup (mlpath.db.*.bak beside it) or move it aside"
            ) from None
    if problem:
        raise StoreError(
            f"{path} is an SQLite file that mlpath did not create ({problem}); mlpath has not "
            f"changed it: move it aside or set {paths.HOME_ENV} to another folder"
        )


def _check_wal(path: Path, wal: Path) -> None:
    """Refuse a write-ahead log that does not fit the store, before SQLite applies it.

    SQLite replays whatever ``mlpath.db-wal`` holds into ``mlpath.db`` when the last connection
    closes, without checking that the log came from this file (a store restored from a backup
    beside an old log, say), which would overwrite the learner's data. A log left by a crash
    or by another mlpath running now passes these checks; a foreign or damaging one does not.
    """
    problem = inspect(path)
    if problem:
        raise StoreError(
            f"{wal} does not fit {path} ({problem}): it may be left from another copy of the "
            f"store. mlpath has changed neither file: move {wal.name} aside to open the store "
            "as it was at its last checkpoint, or restore a backup"
        )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def copy_to(conn: sqlite3.Connection, final: Path) -> int:
    """Copy the database behind ``conn`` to ``final`` with SQLite's online backup API, safely
    while others write: into a temp file beside it, checked, synced, then renamed into place,
    so that ``final`` is a sound, self-contained copy or is not there at all. An existing
    ``final`` is replaced. Returns how many of the learner's records the copy holds."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
        os.close(fd)
    except OSError as exc:
        raise StoreError(f"cannot write in {final.parent} ({exc.strerror})") from None
    tmp = Path(name)
    try:
        with _translated(tmp):
            copy = sqlite3.connect(tmp)
            try:
                conn.backup(copy)
                # A copy is one self-contained file: no -wal or -shm beside it.
                copy.execute("PRAGMA journal_mode = DELETE")
            finally:
                copy.close()
        problem, records = verify(tmp)
        if problem:
            raise StoreError(f"the copy failed its check ({problem})")
        _fsync(tmp)
        try:
            os.replace(tmp, final)
        except OSError as exc:
            raise StoreError(f"cannot write {final} ({exc.strerror})") from None
        _fsync(final.parent)
        return records
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


# The learner's own records: what a copy must not lose.
CONTENT_TABLES = ("topic_events", "journal_entries", "break_weeks", "projects", "settings")


def count_records(conn: sqlite3.Connection) -> int:
    """How many of the learner's records a database holds (rows of the content tables)."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return sum(
        conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # table names are constants
        for table in CONTENT_TABLES
        if table in present
    )


def verify(path: Path) -> tuple[str | None, int]:
    """(what is wrong, or None; the record count) of a copy of a store, read-only."""
    try:
        conn = connect_read_only(path)
    except sqlite3.Error as exc:
        return str(exc), 0
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            return f"integrity check: {check}", 0
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if not 1 <= version <= schema_version():
            return f"store schema {version}", 0
        problem = _identity_problem(conn)
        if problem:
            return problem, 0
        return None, count_records(conn)
    except sqlite3.Error as exc:
        return str(exc), 0
    finally:
        conn.close()


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries (so a rename survives a power cut), to disk."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the data itself is already synced
    finally:
        os.close(fd)


def _make_home(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the mlpath folder {folder} ({exc.strerror}); "
            f"set {paths.HOME_ENV} to a folder you can write to"
        ) from None


def _newer_message(label: str, version: int) -> str:
    return (
        f"{label} was written by a newer mlpath (store schema {version}, this mlpath knows "
        f"{schema_version()}); upgrade mlpath: pip install --upgrade mlpath"
    )


class StoreReadOnlyError(StoreError):
    """The store's file or folder cannot be written."""


@contextlib.contextmanager
def _translated(path: Path | None) -> Iterator[None]:
    """Turn SQLite's exceptions into messages that say which file, what happened and what to
    do. A healthy store is never called damaged: only SQLite's own verdict of corruption, or
    a file that is no database, says so."""
    try:
        yield
    except sqlite3.Error as exc:
        raise _explained(exc, path) from None


def _explained(exc: sqlite3.Error, path: Path | None) -> StoreError:
    # Matched on SQLite's primary result code, never on a message's wording.
    name = getattr(exc, "sqlite_errorname", "") or ""
    code = "_".join(name.split("_")[:2])  # SQLITE_IOERR_WRITE -> SQLITE_IOERR
    where = str(path) if path else "the store"
    folder = path.parent if path else "the store folder"
    if code in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        return StoreBusyError(
            f"store is busy: another mlpath process is writing to {where}; try again"
        )
    if code == "SQLITE_FULL":
        return StoreError(
            f"the disk is full: cannot write {where}; nothing was changed: free some space"
        )
    if code == "SQLITE_READONLY":
        return StoreReadOnlyError(
            f"store is read-only: cannot write {where} ({exc}); nothing was changed: check "
            f"the permissions of {folder} (status, export and doctor still work)"
        )
    if code == "SQLITE_CANTOPEN":
        return StoreReadOnlyError(
            f"cannot open {where} ({exc}); check the permissions of {folder} or set "
            f"{paths.HOME_ENV} to a folder you can write to"
        )
    if code == "SQLITE_IOERR":
        return StoreError(
            f"cannot read or write {where} (disk I/O error: is the disk full, failing, or a "
            "file-size limit set?); nothing was changed"
        )
    if code == "SQLITE_TOOBIG":
        return StoreError(f"a value is too large to keep in {where}; nothing was changed")
    if code in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
        return StoreError(
            f"{where} is damaged or is not an mlpath store ({exc}); mlpath will not touch it: "
            "restore a backup (mlpath.db.*.bak beside it) or move it aside"
        )
    return StoreError(f"{where}: {exc}")
