"""The store's file: opening it, knowing it is mlpath's, transactions, copies, and what
SQLite's errors mean for the learner.

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
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlpath import paths
from mlpath.dates import utc_stamp
from mlpath.errors import StoreBusyError, StoreError
from mlpath.tuples import NamedTuple

if TYPE_CHECKING:
    from mlpath.store.changes import Change

BUSY_TIMEOUT_MS = 5000
APPLICATION_ID = 0x6D6C7074  # "mlpt" in the header's application-id field
# The schema this mlpath writes: the number of migrations in mlpath.store.migrations (a test
# keeps the two equal). Written here so that opening a current store imports no migration.
SCHEMA_VERSION = 6
_SQLITE_MAGIC = b"SQLite format 3\x00"
# The tables of each schema from before stores carried the application id: how such a store
# is told from another program's SQLite file.
LEGACY_TABLES = {
    1: {"topic_events", "settings"},
    2: {"topic_events", "settings", "projects"},
    3: {"topic_events", "settings", "projects", "journal_entries", "journal_tags",
        "journal_topics", "break_weeks"},
    4: {"topic_events", "settings", "projects", "journal_entries", "journal_tags",
        "journal_topics", "break_weeks", "topic_state"},
}  # fmt: skip


def schema_version() -> int:
    return SCHEMA_VERSION


def utc_now() -> str:
    return utc_stamp(dt.datetime.now(dt.UTC))


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
        from mlpath.store.migrations import MIGRATIONS

        if existed and version > 0:
            assert self.path is not None
            remove_stale_temp_files(self.path.parent)  # copies a killed upgrade left
            self._backup_before_migration(version)
        # A migration rewrites the whole store in one transaction: a page cache that holds
        # it (up to 256 MiB, taken only as used) spares re-reading index pages at each insert.
        self.conn.execute("PRAGMA cache_size = -262144")
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

    def change(self, command: str) -> contextlib.AbstractContextManager[Change]:
        """One change the learner makes (a whole command): its events are recorded in one
        write transaction, and it is what ``mlpath undo`` reverses. ``command`` says what
        it was, as ``undo --list`` shows it."""
        from mlpath.store.changes import Change

        return Change.begin(self, command)


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
    if app_id == 0 and LEGACY_TABLES.get(version) == tables:
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
    import tempfile  # here: only a backup needs it, and it costs every command 1 ms to load

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
        fsync_path(tmp)
        try:
            os.replace(tmp, final)
        except OSError as exc:
            raise StoreError(f"cannot write {final} ({exc.strerror})") from None
        fsync_path(final.parent)
        return records
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


# The learner's own records, what a copy must not lose: the events, or in a store from before
# them (schema 5 and older), the rows of these tables.
LEGACY_CONTENT = ("topic_events", "journal_entries", "break_weeks", "projects", "settings")


def count_records(conn: sqlite3.Connection) -> int:
    """How many of the learner's records a database holds."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    tables = ("events",) if "events" in present else LEGACY_CONTENT
    return sum(
        conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # table names are constants
        for table in tables
        if table in present
    )


STALE_SECONDS = 3600  # a temp file this old belongs to no mlpath still running


def stale_temp_files(folder: Path, older_than: float = STALE_SECONDS) -> list[Path]:
    """Temp files mlpath left in ``folder`` when it was killed mid-write, older than
    ``older_than`` seconds (younger ones may belong to an mlpath running now)."""
    cutoff = time.time() - older_than
    found = []
    for pattern in (".*.tmp", ".mlpath.db.*.new"):
        for path in folder.glob(pattern):
            with contextlib.suppress(OSError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    found.append(path)
    return sorted(found)


def remove_stale_temp_files(folder: Path) -> None:
    for path in stale_temp_files(folder):
        path.unlink(missing_ok=True)


class Facts(NamedTuple):
    integrity: str  # "ok", or what SQLite's integrity check found
    version: int
    journal_mode: str
    records: int


def facts(path: Path) -> Facts:
    """What ``mlpath doctor`` says of a store, read without changing it (sqlite3.Error when
    it cannot be read)."""
    conn = connect_read_only(path)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        records = count_records(conn) if integrity == "ok" else 0
        return Facts(integrity, version, mode, records)
    finally:
        conn.close()


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


def fsync_path(path: Path) -> None:
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
