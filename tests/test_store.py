"""The store: creation, migrations (with backup), refusals, and read-only use without a file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from mlpath import store as store_mod
from mlpath.errors import StoreBusyError, StoreError
from mlpath.store import Store, db, migrations
from mlpath.store import topics as topic_store
from mlpath.store.events import Event, new_id
from tests.conftest import Result


def _mark(store: Store, topic: str, state: str, note: str | None = None) -> Event:
    """A topic change recorded as a command records it."""
    with store.change(f"{state} {topic}") as change:
        return change.record("topic", topic, {"state": state, "note": note}, "2026-01-01")


def _state(store: Store) -> dict[str, str]:
    return {topic: state for topic, (state, _, _) in topic_store.states(store).items()}


def test_fresh_store_is_created_with_wal_and_current_schema(isolated_home: Path) -> None:
    with Store.open(create=True) as store:
        assert store.path == isolated_home / "mlpath.db"
        assert store.version() == store_mod.schema_version()
        assert store.query("PRAGMA journal_mode") == [("wal",)]
    leftovers = [p.name for p in isolated_home.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_read_only_use_creates_nothing(isolated_home: Path, mlpath: Callable[..., Result]) -> None:
    with Store.open() as store:
        assert store.path is None
        assert topic_store.states(store) == {}
    for command in (["status"], ["next"], ["show", "python-basics"], ["roadmap", "list"]):
        assert mlpath(*command).exit_code == 0
    assert not (isolated_home / "mlpath.db").exists()


def test_events_are_appended_and_latest_wins(isolated_home: Path) -> None:
    with Store.open(create=True) as store:
        _mark(store, "a/x", "started")
        _mark(store, "a/x", "done", "yay")
        _mark(store, "a/y", "skipped")
        _mark(store, "a/y", "reset")
        assert _state(store) == {"a/x": "done"}
        assert [e.state for e in topic_store.history(store, "a/x")] == ["started", "done"]
        assert topic_store.history(store, "a/x")[1].note == "yay"


def test_the_schema_version_is_the_number_of_migrations() -> None:
    assert len(migrations.MIGRATIONS) == db.SCHEMA_VERSION


def _with_migration(
    monkeypatch: pytest.MonkeyPatch, step: Callable[[sqlite3.Connection], None]
) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, step])
    monkeypatch.setattr(db, "SCHEMA_VERSION", db.SCHEMA_VERSION + 1)


def _add_test_migration(monkeypatch: pytest.MonkeyPatch) -> None:
    def m_extra(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE events ADD COLUMN source TEXT DEFAULT 'cli'")

    _with_migration(monkeypatch, m_extra)


def test_older_store_is_backed_up_then_migrated(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(create=True) as store:
        _mark(store, "a/x", "done", "kept")
    old_version = store_mod.schema_version()
    _add_test_migration(monkeypatch)

    with Store.open(create=True) as store:
        assert store.version() == old_version + 1
        assert store.query("SELECT target, json_extract(data, '$.note'), source FROM events") == [
            ("a/x", "kept", "cli")
        ]
    backups = sorted(isolated_home.glob(f"mlpath.db.v{old_version}-*.bak"))
    assert len(backups) == 1
    copy = sqlite3.connect(backups[0])
    try:
        assert copy.execute("PRAGMA user_version").fetchone()[0] == old_version
        assert copy.execute("SELECT json_extract(data, '$.note') FROM events").fetchall() == [
            ("kept",)
        ]
    finally:
        copy.close()


def test_failing_migration_changes_nothing(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(create=True) as store:
        _mark(store, "a/x", "done")
    old_version = store_mod.schema_version()

    def m_broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x)")
        raise RuntimeError("boom")

    _with_migration(monkeypatch, m_broken)
    with pytest.raises(RuntimeError):
        Store.open(create=True)
    monkeypatch.undo()
    conn = sqlite3.connect(isolated_home / "mlpath.db")
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == old_version
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "half" not in tables
    finally:
        conn.close()


def test_newer_store_is_refused(isolated_home: Path, mlpath: Callable[..., Result]) -> None:
    Store.open(create=True).close()
    conn = sqlite3.connect(isolated_home / "mlpath.db")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = (isolated_home / "mlpath.db").read_bytes()
    result = mlpath("status")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {isolated_home / 'mlpath.db'} was written by a newer mlpath (store schema 99, "
        f"this mlpath knows {store_mod.schema_version()}); upgrade mlpath: "
        "pip install --upgrade mlpath\n"
    )
    assert (isolated_home / "mlpath.db").read_bytes() == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty (0 bytes)"),
        (b"this is not a database at all" * 100, "is damaged or is not an mlpath store"),
    ],
)
def test_damaged_store_is_never_overwritten(
    isolated_home: Path, mlpath: Callable[..., Result], content: bytes, expected: str
) -> None:
    isolated_home.mkdir(parents=True)
    db = isolated_home / "mlpath.db"
    db.write_bytes(content)
    result = mlpath("done", "python-basics")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {db} {expected}")
    assert result.stderr.count("\n") == 1
    assert db.read_bytes() == content


def test_foreign_sqlite_file_is_refused(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True)
    conn = sqlite3.connect(isolated_home / "mlpath.db")
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.close()
    with pytest.raises(StoreError, match="did not create"):
        Store.open(create=True)


def test_write_lock_held_too_long_reports_busy(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store.open(create=True).close()
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)
    holder = sqlite3.connect(isolated_home / "mlpath.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Store.open(create=True) as store, pytest.raises(StoreBusyError, match="store is busy"):
            _mark(store, "a/x", "done")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Store.open() as store:
        assert topic_store.states(store) == {}


def test_unwritable_home_names_folder_and_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlpath: Callable[..., Result]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MLPATH_HOME", str(blocker / "mlpath"))
    result = mlpath("done", "python-basics")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot create the mlpath folder {blocker / 'mlpath'}")
    assert "set MLPATH_HOME to a folder you can write to" in result.stderr


def _arrive(store: Store, topic: str, state: str, hlc: int) -> None:
    """A change made elsewhere (another machine, an import), with its own place in the order."""
    event = Event(new_id(0), "elsewhere", hlc, "2026-01-01T00:00:00Z", "topic", topic,
                  "2026-01-01", {"state": state, "note": None})  # fmt: skip
    with store.change("import") as change:
        change.add([event])


def test_the_state_is_the_latest_change_in_the_order_of_all_changes(isolated_home: Path) -> None:
    with Store.open(create=True) as store:
        done = _mark(store, "a/x", "done")
        # A change made before it elsewhere, arriving later (a sync, an import), does not
        # override it; one made after it does.
        _arrive(store, "a/x", "started", done.hlc - 1)
        assert _state(store) == {"a/x": "done"}
        _arrive(store, "a/x", "skipped", done.hlc + 1)
        assert _state(store) == {"a/x": "skipped"}


def test_a_change_made_now_wins_over_one_stamped_in_the_future(
    isolated_home: Path, mlpath: Callable[..., Result]
) -> None:
    assert mlpath("done", "python-basics").exit_code == 0
    year_2999 = 32_503_680_000 * 1_000_000  # a machine whose clock was wrong, an import
    with Store.open(create=True) as store:
        _arrive(store, "foundations/python-basics", "done", year_2999)
    result = mlpath("reset", "python-basics", "--json")
    assert result.exit_code == 0
    change = json.loads(result.stdout)["data"]["changed"][0]
    assert (change["before"], change["after"]) == ("done", "not-started")
    assert change["topic"]["state"] == "not-started"
    with Store.open() as store:
        assert "foundations/python-basics" not in topic_store.states(store)
        history = topic_store.history(store, "foundations/python-basics")
        assert history[-1].state == "reset"
    shown = json.loads(mlpath("show", "python-basics", "--json").stdout)["data"]
    assert shown["state"] == "not-started"


def _store_with_entries(mlpath: Callable[..., Result], count: int = 30) -> None:
    for i in range(count):
        assert mlpath("log", f"entry {i}").exit_code == 0


def test_random_bytes_and_truncation_are_refused_untouched(
    mlpath: Callable[..., Result], isolated_home: Path
) -> None:
    import random

    _store_with_entries(mlpath)
    db = isolated_home / "mlpath.db"
    good = db.read_bytes()
    damaged = {
        "random bytes": random.Random(3).randbytes(len(good)),
        "truncated": good[: len(good) // 2],
        "scribbled pages": good[:4096] + random.Random(4).randbytes(len(good) - 4096),
    }
    for what, content in damaged.items():
        db.write_bytes(content)
        for command in (["status"], ["log", "more"], ["journal"]):
            result = mlpath(*command)
            assert result.exit_code == 1, (what, command)
            assert result.stderr.startswith(f"error: {db} "), (what, result.stderr)
            assert "restore a backup" in result.stderr and result.stderr.count("\n") == 1
        assert db.read_bytes() == content, f"{what}: mlpath changed the damaged file"


def test_a_stray_wal_from_another_file_is_refused_before_it_is_applied(
    mlpath: Callable[..., Result], isolated_home: Path, tmp_path: Path
) -> None:
    _store_with_entries(mlpath)
    db = isolated_home / "mlpath.db"
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    conn.commit()
    stray = (tmp_path / "other.db-wal").read_bytes()
    conn.close()
    (isolated_home / "mlpath.db-wal").write_bytes(stray)
    before = db.read_bytes()

    result = mlpath("status")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {db}-wal does not fit {db} (it does not hold mlpath's tables): it may be left "
        "from another copy of the store. mlpath has changed neither file: move mlpath.db-wal "
        "aside to open the store as it was at its last checkpoint, or restore a backup\n"
    )
    assert db.read_bytes() == before
    assert (isolated_home / "mlpath.db-wal").read_bytes() == stray

    (isolated_home / "mlpath.db-wal").unlink()
    (isolated_home / "mlpath.db-shm").unlink(missing_ok=True)
    listed = mlpath("journal", "-n", "100", "--json")
    assert listed.exit_code == 0
    assert "entry 29" in listed.stdout


def _foreign(path: Path, version: int, wal: bool) -> None:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.execute("INSERT INTO recipes VALUES ('bread')")
    if version:
        conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("wal", [False, True], ids=["rollback journal", "wal"])
@pytest.mark.parametrize("version", [0, 1, 4, 5])
def test_a_foreign_sqlite_file_is_refused_without_a_byte_changed(
    isolated_home: Path, mlpath: Callable[..., Result], version: int, wal: bool
) -> None:
    isolated_home.mkdir(parents=True)
    db = isolated_home / "mlpath.db"
    _foreign(db, version, wal)
    before = db.read_bytes()
    for command in (["status"], ["done", "python-basics"], ["log", "hello"], ["backup"]):
        result = mlpath(*command)
        assert result.exit_code == 1, command
        assert result.stderr == (
            f"error: {db} is an SQLite file that mlpath did not create (it does not hold "
            "mlpath's tables); mlpath has not changed it: move it aside or set MLPATH_HOME to "
            "another folder\n"
        ), command
    assert db.read_bytes() == before
    assert sorted(p.name for p in isolated_home.iterdir()) == ["cache", "mlpath.db"]


def test_an_mlpath_table_name_alone_does_not_make_a_store(
    isolated_home: Path, mlpath: Callable[..., Result]
) -> None:
    """A file with some of mlpath's table names and the right version number, but not exactly
    the tables that version had, is not taken for a store from before the application id."""
    isolated_home.mkdir(parents=True)
    db = isolated_home / "mlpath.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE topic_events (x)")
    conn.execute("CREATE TABLE settings (x)")
    conn.execute("CREATE TABLE other (x)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    assert mlpath("done", "python-basics").exit_code == 1
    assert db.read_bytes() == before


def test_a_new_store_names_itself_in_its_header(isolated_home: Path) -> None:
    Store.open(create=True).close()
    header = (isolated_home / "mlpath.db").read_bytes()[:100]
    assert int.from_bytes(header[68:72], "big") == store_mod.APPLICATION_ID


def test_a_failed_backup_before_a_migration_leaves_no_bak_and_changes_nothing(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(create=True) as store:
        _mark(store, "a/x", "done")
    before = (isolated_home / "mlpath.db").read_bytes()
    _add_test_migration(monkeypatch)

    def broken_backup(self: sqlite3.Connection, target: sqlite3.Connection, **_: object) -> None:
        target.execute("CREATE TABLE half (x)")  # part of a copy, then the disk fills up
        target.commit()
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(db, "copy_to", _copy_with(broken_backup))
    with pytest.raises(StoreError, match="mlpath upgrades only after a backup, which failed"):
        Store.open(create=True)
    assert not list(isolated_home.glob("*.bak")), "a half-written backup was left"
    assert not [p for p in isolated_home.iterdir() if p.name.endswith(".tmp")]
    assert (isolated_home / "mlpath.db").read_bytes() == before


def _copy_with(backup: Callable[..., None]) -> Callable[[sqlite3.Connection, Path], int]:
    """store.copy_to, with SQLite's backup step replaced."""
    real = db.copy_to

    def copy(conn: sqlite3.Connection, final: Path) -> int:
        class Source:
            def backup(self, target: sqlite3.Connection) -> None:
                backup(conn, target)

        return real(Source(), final)  # type: ignore[arg-type]

    return copy
