"""`mlpath backup --list` and `mlpath backup restore FILE`: checked before anything changes,
the current store kept first, the store replaced whole or not at all."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mlpath.store import SCHEMA_VERSION
from tests.conftest import Result
from tests.test_cli import data

Run = Callable[..., Result]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "stores"


def _log(mlpath: Run, *texts: str) -> None:
    for text in texts:
        done = mlpath("log", text, "--hours", "1")
        assert done.exit_code == 0, done.stderr


def _backup(mlpath: Run, *args: str) -> Path:
    return Path(data(mlpath("backup", *args, "--json"), "backup")["path"])


def _entries(db: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {text for (text,) in conn.execute("SELECT text FROM entries WHERE hidden = 0")}
    finally:
        conn.close()


def _meta(db: Path, key: str) -> str | None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _state(home: Path) -> dict[str, str]:
    """Every file under the data folder with its content: what "nothing changed" means."""
    return {str(p.relative_to(home)): _digest(p) for p in sorted(home.rglob("*")) if p.is_file()}


def _refused(mlpath: Run, home: Path, file: Path | str, message: str) -> None:
    before = _state(home)
    result = mlpath("backup", "restore", str(file))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: {message}\n"
    assert _state(home) == before, "a refused restore changed something"
    as_json = mlpath("backup", "restore", str(file), "--json")
    assert as_json.exit_code == 1
    document = json.loads(as_json.stdout)
    assert document["command"] == "backup restore"
    assert document["error"]["message"] == message
    assert document["error"]["exit_code"] == 1
    assert _state(home) == before


# ------------------------------------------------------------------------------ round trip


def test_restore_brings_the_old_entries_back_and_keeps_the_store_it_replaced(
    mlpath: Run, isolated_home: Path
) -> None:
    _log(mlpath, "first", "second")
    early = _backup(mlpath)
    _log(mlpath, "third")
    db = isolated_home / "mlpath.db"

    restored = data(mlpath("backup", "restore", early.name, "--json"), "backup restore")
    assert list(restored) == [
        "restored", "taken", "latest", "records", "schema", "upgraded", "store", "previous",
        "previous_records", "previous_damaged", "syncs",
    ]  # fmt: skip
    assert restored["restored"] == str(early)
    assert restored["store"] == str(db)
    assert (restored["schema"], restored["upgraded"], restored["syncs"]) == (6, False, False)
    assert _entries(db) == {"first", "second"}

    previous = Path(restored["previous"])
    assert previous.parent == isolated_home / "backups"
    assert _entries(previous) == {"first", "second", "third"}
    assert restored["previous_records"] > restored["records"]
    assert early.exists(), "the restored backup is only read"

    # The store kept first restores in its turn: nothing of the restore is a one-way door.
    back = mlpath("backup", "restore", str(previous))
    assert back.exit_code == 0, back.stderr
    assert _entries(db) == {"first", "second", "third"}
    _log(mlpath, "fourth")  # and the store is an ordinary store again
    assert _entries(db) == {"first", "second", "third", "fourth"}


def test_restore_text_says_what_and_how_to_go_back(mlpath: Run, isolated_home: Path) -> None:
    _log(mlpath, "first")
    early = _backup(mlpath)
    _log(mlpath, "second")
    result = mlpath("backup", "restore", early.name.removesuffix(".db"))  # a name, no .db
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Restored 1 record from {early} (made ")
    kept = sorted((isolated_home / "backups").glob("mlpath-*.db"))[-1]
    assert f"Your previous store (2 records) is kept as {kept}" in lines
    assert f"To go back: mlpath backup restore {kept.name}" in lines


def test_a_path_given_wins_over_a_name_in_the_backups_folder(
    mlpath: Run, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _log(mlpath, "in the folder")
    inside = _backup(mlpath)
    _log(mlpath, "beside")
    outside = tmp_path / "here"
    outside.mkdir()
    shutil.copyfile(_backup(mlpath), outside / inside.name)
    monkeypatch.chdir(outside)
    assert mlpath("backup", "restore", inside.name).exit_code == 0
    assert _entries(isolated_home / "mlpath.db") == {"in the folder", "beside"}


def test_restore_on_a_machine_with_no_store_yet(
    mlpath: Run, isolated_home: Path, tmp_path: Path
) -> None:
    _log(mlpath, "from the old laptop")
    copy = _backup(mlpath, str(tmp_path / "old.db"))
    old_replica = _meta(copy, "replica")
    shutil.rmtree(isolated_home)
    restored = data(mlpath("backup", "restore", str(copy), "--json"), "backup restore")
    assert restored["previous"] is None
    db = isolated_home / "mlpath.db"
    assert _entries(db) == {"from the old laptop"}
    # The old laptop may still be in use: this machine gets a replica id of its own.
    assert _meta(db, "replica") not in (None, old_replica)
    assert [p.name for p in isolated_home.iterdir()] == ["mlpath.db"]


def test_a_damaged_store_is_kept_byte_for_byte_and_replaced(
    mlpath: Run, isolated_home: Path
) -> None:
    _log(mlpath, "good")
    good = _backup(mlpath)
    db = isolated_home / "mlpath.db"
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    damaged = db.read_bytes()
    restored = data(mlpath("backup", "restore", good.name, "--json"), "backup restore")
    assert restored["previous_damaged"] is True
    assert Path(restored["previous"]).read_bytes() == damaged
    assert _entries(db) == {"good"}


def test_an_older_schema_is_restored_and_upgraded_leaving_the_backup_as_it_was(
    mlpath: Run, isolated_home: Path, tmp_path: Path
) -> None:
    _log(mlpath, "today")
    old = tmp_path / "v5.db"
    shutil.copyfile(FIXTURES / "v5.db", old)
    before = _digest(old)
    restored = data(mlpath("backup", "restore", str(old), "--json"), "backup restore")
    assert (restored["schema"], restored["upgraded"]) == (5, True)
    assert _digest(old) == before, "the backup was changed"
    assert not list(tmp_path.glob("v5.db?*")), "something was created beside the backup"
    conn = sqlite3.connect(isolated_home / "mlpath.db")
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        count = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        conn.close()
    assert count == restored["records"] > 0
    assert "today" not in _entries(isolated_home / "mlpath.db")
    assert not [p for p in isolated_home.iterdir() if p.name.startswith(".")]


# ---------------------------------------------------------------------------------- refusals


def test_a_missing_file_is_refused(mlpath: Run, isolated_home: Path) -> None:
    _log(mlpath, "kept")
    backups = isolated_home / "backups"
    _refused(
        mlpath, isolated_home, "nope",
        f"no backup nope: it is not a file nor a backup in {backups}; see `mlpath backup --list`",
    )  # fmt: skip


def test_a_damaged_file_is_refused(mlpath: Run, isolated_home: Path, tmp_path: Path) -> None:
    _log(mlpath, "kept", "more")
    bad = _backup(mlpath, str(tmp_path / "bad.db"))
    raw = bytearray(bad.read_bytes())
    for page in range(1, len(raw) // 4096):  # every page but the header's
        raw[page * 4096 + 8 : page * 4096 + 200] = os.urandom(192)
    bad.write_bytes(bytes(raw))
    result = mlpath("backup", "restore", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot restore {bad}: it is damaged")
    assert result.stderr.endswith("; nothing was changed\n") and result.stderr.count("\n") == 1
    before = _state(isolated_home)
    assert mlpath("backup", "restore", str(bad)).exit_code == 1
    assert _state(isolated_home) == before
    text = tmp_path / "notes.db"
    text.write_text("not a database at all\n" * 200, encoding="utf-8")
    _refused(
        mlpath, isolated_home, text,
        f"cannot restore {text}: it is damaged or is not an SQLite file (file is not a "
        "database); nothing was changed",
    )  # fmt: skip


def test_another_programs_sqlite_file_is_refused(
    mlpath: Run, isolated_home: Path, tmp_path: Path
) -> None:
    _log(mlpath, "kept")
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    _refused(
        mlpath, isolated_home, other,
        f"cannot restore {other}: it is not an mlpath store (it does not hold mlpath's "
        "tables); nothing was changed",
    )  # fmt: skip


def test_a_store_of_a_newer_schema_is_refused(
    mlpath: Run, isolated_home: Path, tmp_path: Path
) -> None:
    _log(mlpath, "kept")
    newer = _backup(mlpath, str(tmp_path / "newer.db"))
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    _refused(
        mlpath, isolated_home, newer,
        f"cannot restore {newer}: it was written by a newer mlpath (store schema "
        f"{SCHEMA_VERSION + 1}, this mlpath knows {SCHEMA_VERSION}): upgrade mlpath to restore "
        "it; nothing was changed",
    )  # fmt: skip


def test_the_store_itself_is_refused(mlpath: Run, isolated_home: Path) -> None:
    _log(mlpath, "kept")
    db = isolated_home / "mlpath.db"
    _refused(
        mlpath, isolated_home, db,
        f"{db} is the store itself: name a backup (mlpath backup --list)",
    )  # fmt: skip


# ------------------------------------------------------------------------- the command shape


def test_backup_path_still_works_and_a_file_named_restore_is_backed_up_as_dot_slash(
    mlpath: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _log(mlpath, "kept")
    monkeypatch.chdir(tmp_path)
    assert _backup(mlpath, "./restore") == Path("restore")
    assert _entries(tmp_path / "restore") == {"kept"}
    assert _backup(mlpath, str(tmp_path / "copy.db"), "--json") == tmp_path / "copy.db"
    plain = mlpath("backup", "restore")  # the subcommand, missing its FILE: a usage error
    assert plain.exit_code == 2
    assert "Missing argument 'FILE'" in plain.stderr
    assert "mlpath backup restore --help" in plain.stderr


def test_list_is_newest_first_with_its_json_keys(mlpath: Run, isolated_home: Path) -> None:
    _log(mlpath, "one")
    first = _backup(mlpath)
    _log(mlpath, "two")
    second = _backup(mlpath)
    broken = isolated_home / "backups" / "mlpath-20000101T000000000000Z.db"
    broken.write_bytes(b"garbage" * 100)
    before = _state(isolated_home)
    listed = data(mlpath("backup", "--list", "--json"), "backup --list")
    assert list(listed) == ["folder", "backups"]
    assert listed["folder"] == str(isolated_home / "backups")
    rows = listed["backups"]
    assert [r["name"] for r in rows] == [second.name, first.name, broken.name]
    assert list(rows[0]) == ["name", "path", "taken", "bytes", "records", "schema", "problem"]
    assert [(r["records"], r["schema"], r["problem"]) for r in rows[:2]] == [
        (2, SCHEMA_VERSION, None),
        (1, SCHEMA_VERSION, None),
    ]
    assert rows[2]["records"] is None
    assert rows[2]["problem"].startswith("it is damaged or is not an SQLite file")
    assert rows[2]["taken"] == "2000-01-01T00:00:00Z"
    assert _state(isolated_home) == before, "listing changed a file"
    text = mlpath("backup", "--list")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert second.name in lines[0] and first.name in lines[1]
    assert "cannot be restored: it is damaged" in lines[2]


def test_list_never_upgrades_an_old_backup(mlpath: Run, isolated_home: Path) -> None:
    folder = isolated_home / "backups"
    folder.mkdir(parents=True)
    old = folder / "mlpath-20200101T000000000000Z.db"
    shutil.copyfile(FIXTURES / "v3.db", old)
    before = _state(isolated_home)
    rows = data(mlpath("backup", "--list", "--json"), "backup --list")["backups"]
    assert [(r["schema"], r["problem"]) for r in rows] == [(3, None)]
    assert _state(isolated_home) == before


def test_list_with_no_backups_says_how_to_make_one(mlpath: Run, isolated_home: Path) -> None:
    result = mlpath("backup", "--list")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"No backups in {isolated_home / 'backups'} yet: `mlpath backup` makes one.\n"
    )
    assert data(mlpath("backup", "--list", "--json"), "backup --list")["backups"] == []
    assert not isolated_home.exists(), "listing created the data folder"


# ------------------------------------------------------------------------------------- sync


def test_the_restored_store_keeps_this_machines_replica_clock_and_sync_setup(
    mlpath: Run, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A backup made by another machine (another store, another replica id).
    monkeypatch.setenv("MLPATH_HOME", str(tmp_path / "other"))
    _log(mlpath, "from elsewhere")
    foreign = _backup(mlpath, str(tmp_path / "foreign.db"))
    monkeypatch.setenv("MLPATH_HOME", str(isolated_home))
    _log(mlpath, "here")
    db = isolated_home / "mlpath.db"
    conn = sqlite3.connect(db)  # this machine syncs, and has read some replica's file
    conn.execute("INSERT INTO meta (key, value) VALUES ('sync.remote', '/srv/repo.git')")
    conn.execute("INSERT INTO sync_files (name, size, digest) VALUES ('x.jsonl', 9, 'ab')")
    conn.execute("UPDATE meta SET value = '9000000000000000' WHERE key = 'clock'")
    conn.commit()
    conn.close()
    mine = _meta(db, "replica")

    restored = data(mlpath("backup", "restore", str(foreign), "--json"), "backup restore")
    assert restored["syncs"] is True
    assert _entries(db) == {"from elsewhere"}
    assert _meta(db, "replica") == mine != _meta(foreign, "replica")
    assert _meta(db, "sync.remote") == "/srv/repo.git"
    assert int(_meta(db, "clock") or 0) >= 9000000000000000, "the clock went back"
    conn = sqlite3.connect(db)
    try:
        # How far a file was read describes the events of the store it was read into: a
        # store from another repository (here: none) brings no such marks.
        assert conn.execute("SELECT count(*) FROM sync_files").fetchone()[0] == 0
    finally:
        conn.close()
    _log(mlpath, "after")  # new changes come after everything this machine had seen
    conn = sqlite3.connect(db)
    try:
        hlc, replica = conn.execute(
            "SELECT hlc, replica FROM events ORDER BY hlc DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    assert (hlc > 9000000000000000, replica) == (True, mine)


# ----------------------------------------------------------------- interrupted and concurrent


def _content(db: Path, a: set[str], b: set[str]) -> str:
    found = _entries(db)
    assert found in (a, b), f"the store holds neither backup's content: {sorted(found)[:5]}"
    return "a" if found == a else "b"


def _store_of(texts: set[str], db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlpath import journal
    from mlpath.store import Store

    with monkeypatch.context() as patched:
        patched.setenv("MLPATH_HOME", str(db.parent))
        with Store.open(create=True) as store:
            for text in sorted(texts):
                journal.log(store, text, hours=1.0, tags=["x"])
    copy = db.with_suffix(".copy")
    conn = sqlite3.connect(db)
    try:
        conn.execute("VACUUM INTO ?", (str(copy),))
    finally:
        conn.close()
    for leftover in db.parent.iterdir():
        if leftover != copy:
            leftover.unlink()
    copy.rename(db)


@pytest.mark.slow
def test_kill_9_during_restore_leaves_one_store_or_the_other(
    mlpath: Run, mlpath_exe: str, isolated_home: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    conn_texts_a = {f"a {i} " + "x" * 200 for i in range(2000)}
    conn_texts_b = {f"b {i}" for i in range(1500)}
    for name, texts in (("a", conn_texts_a), ("b", conn_texts_b)):
        (tmp_path / name).mkdir()
        _store_of(texts, tmp_path / name / "mlpath.db", monkeypatch)
        (tmp_path / name / "mlpath.db").rename(tmp_path / f"{name}.db")
    a_file, b_file = tmp_path / "a.db", tmp_path / "b.db"
    assert mlpath("backup", "restore", str(b_file)).exit_code == 0
    db = isolated_home / "mlpath.db"
    current = _content(db, conn_texts_a, conn_texts_b)
    rng = random.Random(7)
    outcomes = set()
    for _ in range(25):
        target = a_file if current == "b" else b_file
        run = subprocess.Popen(
            [mlpath_exe, "backup", "restore", str(target)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ),
        )  # fmt: skip
        time.sleep(rng.uniform(0.05, 0.6))
        run.send_signal(signal.SIGKILL)
        run.communicate()
        outcomes.add(run.returncode == -signal.SIGKILL)
        current = _content(db, conn_texts_a, conn_texts_b)
        status = subprocess.run([mlpath_exe, "status"], capture_output=True, text=True, check=False)
        assert status.returncode == 0, status.stderr
    assert True in outcomes, "no run was ever killed"
    # The interrupted runs leave nothing that stays: the next restore cleans up after them.
    assert mlpath("backup", "restore", str(a_file)).exit_code == 0
    assert _content(db, conn_texts_a, conn_texts_b) == "a"


WRITER = """
import sys
from mlpath import journal
from mlpath.store import Store

for i in range(100_000):
    with Store.open(create=True) as store:
        logged = journal.log(store, f"w{i}", hours=1.0, tags=["alpha", "beta"])
    print(logged.entry.text, flush=True)
"""


@pytest.mark.slow
def test_a_writer_during_restores_is_never_torn_and_loses_nothing(
    mlpath: Run, mlpath_exe: str, isolated_home: Path, tmp_path: Path
) -> None:
    """Every entry the writer was told was saved is in the final store or in a store that
    a restore kept first: the copy is taken under the restore's write lock."""
    import sys

    _log(mlpath, "base")
    base = _backup(mlpath, str(tmp_path / "base.db"))
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=dict(os.environ), text=True,
    )  # fmt: skip
    try:
        for _ in range(6):
            time.sleep(0.3)
            done = subprocess.run(
                [mlpath_exe, "backup", "restore", str(base)], capture_output=True, text=True,
                check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
    finally:
        writer.send_signal(signal.SIGKILL)
        out, _ = writer.communicate()
    saved = {line for line in out.split("\n")[:-1] if line}
    assert len(saved) > 5, "the writer never got going"
    held = _entries(isolated_home / "mlpath.db")
    for kept in (isolated_home / "backups").glob("mlpath-*.db"):
        held |= _entries(kept)
    assert saved <= held, f"entries lost: {sorted(saved - held)[:5]}"
    conn = sqlite3.connect(isolated_home / "mlpath.db")
    try:
        half = conn.execute(
            "SELECT count(*) FROM entries AS e WHERE (SELECT count(*) FROM entry_tags "
            "WHERE uid = e.uid) NOT IN (0, 2)"
        ).fetchone()[0]
    finally:
        conn.close()
    assert half == 0
