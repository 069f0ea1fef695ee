"""kill -9 at any moment of a migration or of an undo: the store is as before or as after,
never in between, and the next run finishes the work."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from mlpath.store import facts, verify
from tests.conftest import Result
from tests.test_migrations import (
    V5_TABLES,
    BigStore,
    build_big_v5_store,
    cli_json,
    event_kinds,
    events_digest,
    header_facts,
    old_digest,
)

Run = Callable[..., Result]
MIGRATION_KILLS = 12
MIGRATION_SHARE = 0.35
UNDO_KILLS = 16
UNDO_ENTRIES = 8_000


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "MLPATH_HOME": str(home)}


def _spread(rng: random.Random, first: float, last: float, count: int) -> list[float]:
    """``count`` random moments between ``first`` and ``last`` seconds, one in each of
    ``count`` equal slices, so that the kills fall all through a run, in a random order."""
    width = (last - first) / count
    moments = [first + (i + rng.random()) * width for i in range(count)]
    rng.shuffle(moments)
    return moments


def _kill_after(args: list[str], env: dict[str, str], delay: float) -> bool:
    """Start ``args``, SIGKILL it after ``delay`` seconds; whether it had ended already."""
    proc = subprocess.Popen(
        args,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    ended = proc.poll() is not None
    if not ended:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return ended


# --------------------------------------------------------------- 6. kill -9 mid-migration


class Killed(NamedTuple):
    run: int
    delay: float
    ended: bool  # the process had finished before the signal
    schema: int  # what the kill left: 5 (old store whole) or 6 (migrated whole)
    backups: int  # sound .bak files beside it
    temps: list[str]  # temp files an interrupted backup left


def _backups_are_sound(home: Path, big: BigStore) -> int:
    """Every ``*.bak`` beside the store is a whole, verified copy of the old store."""
    backups = sorted(home.glob("*.bak"))
    for backup in backups:
        assert verify(backup) == (None, big.records), backup.name
        version, _, tables = header_facts(backup)
        assert (version, tables) == (5, V5_TABLES), backup.name
        assert old_digest(backup) == big.digest, backup.name
    return len(backups)


def _all_or_nothing(home: Path, big: BigStore) -> int:
    """The store is schema 5 with every old row as it was, or schema 6 with every event:
    never anything between. Its schema."""
    db = home / "mlpath.db"
    assert facts(db).integrity == "ok"
    version, _, tables = header_facts(db)
    if version == 5:
        assert tables == V5_TABLES
        assert old_digest(db) == big.digest
    else:
        assert version == 6, f"store left at schema {version}"
        assert not {t for t in tables if t.startswith("old_") or t in ("topic_events",)}
        assert event_kinds(db) == big.kinds
    return version


def _complete(home: Path, exe: str, big: BigStore) -> str:
    """Run `mlpath status` on a store a kill left: it finishes the migration. The digest of
    the events it holds then."""
    done = subprocess.run(
        [exe, "status"],
        env=_env(home),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, (home.name, done.stderr)
    db = home / "mlpath.db"
    checked = facts(db)
    assert (checked.integrity, checked.version, checked.records) == (
        "ok",
        6,
        sum(big.kinds.values()),
    ), home.name
    assert event_kinds(db) == big.kinds, home.name
    assert _backups_are_sound(home, big) >= 1, home.name
    digest = events_digest(db)
    shutil.rmtree(home)  # ~90 MB a run: only a failing run's files are kept
    return digest


@pytest.mark.slow
def test_kill_9_during_migration_leaves_the_old_store_or_the_new_one(
    tmp_path: Path, mlpath_exe: str, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.perf_counter()
    # A third of the big store: long enough a migration (over a second) for the kills to
    # land in its every phase, which are spread over however long it takes.
    big = build_big_v5_store(tmp_path / "big.db", share=MIGRATION_SHARE)
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    killed: list[Killed] = []
    # Each store a kill left is then migrated by the next run, in the background while the
    # next kills go on (a migration of this store takes seconds: twenty of them one after
    # the other would take minutes).
    cpus = os.cpu_count() or 2
    slots = threading.Semaphore(max(1, cpus - 1))  # a core stays free for the kills

    def complete(home: Path) -> str:
        with slots:
            return _complete(home, mlpath_exe, big)

    # One whole migration first: how long one takes, so that kills fall all through it, up
    # to its commit and after.
    whole = tmp_path / "whole"
    whole.mkdir()
    shutil.copyfile(big.path, whole / "mlpath.db")
    begun = time.perf_counter()
    reference = _complete(whole, mlpath_exe, big)
    duration = time.perf_counter() - begun

    pool = ThreadPoolExecutor(max_workers=cpus)
    try:
        completions = []
        # Half the kills in the first second (start-up and the backup), half through the
        # migration itself.
        early = MIGRATION_KILLS // 2
        delays = _spread(rng, 0.05, 1.0, early)
        delays += _spread(rng, 1.0, duration * 1.2, MIGRATION_KILLS - early)
        rng.shuffle(delays)
        for run, delay in enumerate(delays):
            home = tmp_path / f"run-{run:02d}"
            home.mkdir()
            shutil.copyfile(big.path, home / "mlpath.db")
            ended = _kill_after([mlpath_exe, "status"], _env(home), delay)
            try:
                schema = _all_or_nothing(home, big)
                backups = _backups_are_sound(home, big)
            except AssertionError as exc:
                context = f"run {run}, killed after {delay:.3f} s (seed {seed})"
                raise AssertionError(f"{context}: {exc}") from exc
            temps = sorted(p.name for p in home.glob(".*") if p.name.endswith((".tmp", "-journal")))
            killed.append(Killed(run, delay, ended, schema, backups, temps))
            completions.append(pool.submit(complete, home))
        kills_done = time.perf_counter()
        for _ in range(cpus - max(1, cpus - 1)):
            slots.release()  # no more kills: every core for the migrations left
        # The next run finishes every migration, to the same events each time.
        digests = [c.result() for c in completions]
    finally:
        pool.shutdown(cancel_futures=True)
    assert set(digests) == {reference}

    with capsys.disabled():
        phases = {
            "before the backup": sum(1 for k in killed if not k.backups and not k.temps),
            "during the backup": sum(1 for k in killed if not k.backups and k.temps),
            "after the backup, migration rolled back": sum(
                1 for k in killed if k.backups and k.schema == 5
            ),
            "after the migration committed": sum(1 for k in killed if k.schema == 6),
        }
        print(
            f"\n[kill -9 migration] seed {seed}; a whole migration {duration:.1f} s; "
            f"{len(killed)} kills: {phases}; "
            f"temp files left by killed backups: {sum(len(k.temps) for k in killed)}; "
            f"kills done after {kills_done - started:.1f} s, the last completion "
            f"{time.perf_counter() - kills_done:.1f} s later"
        )


# ------------------------------------------------------------------ 7. kill -9 mid-undo


def write_jrnl(path: Path, count: int) -> Path:
    """A jrnl JSON export of ``count`` distinct entries."""
    first = dt.date(2025, 1, 1)
    entries = [
        {
            "title": f"Entry {i}: gradient descent, again",
            "body": f"Notes {i} 📝\nsecond line",
            "date": (first + dt.timedelta(days=i % 500)).isoformat(),
            "time": f"{i % 24:02d}:{i % 60:02d}",
            "tags": ["@ml"] if i % 2 else [],
            "starred": i % 7 == 0,
        }
        for i in range(count)
    ]
    path.write_text(json.dumps({"tags": {"@ml": count // 2}, "entries": entries}), "utf-8")
    return path


def _visible(mlpath: Run) -> int:
    total: int = cli_json(mlpath, "journal", "--json", "-n", "1")["total"]
    return total


def _history_matches(mlpath: Run, actions: list[str], change: str) -> None:
    """`undo --list` says what happened, whole changes only, and undo/redo point where the
    visible state says they must."""
    listed: dict[str, Any] = cli_json(mlpath, "undo", "--list", "--json", "-n", "1000")
    rows = listed["changes"]
    assert [r["action"] for r in rows] == actions[::-1]
    assert all(r["events"] == UNDO_ENTRIES for r in rows), [r["events"] for r in rows]
    assert rows[-1]["id"] == change
    if actions[-1] == "undo":
        assert (listed["undo"], listed["redo"], rows[-1]["undone"]) == (None, change, True)
    else:
        assert (listed["undo"], listed["redo"], rows[-1]["undone"]) == (change, None, False)


@pytest.mark.slow
def test_kill_9_during_undo_of_a_big_change_is_all_or_nothing(
    isolated_home: Path,
    tmp_path: Path,
    mlpath: Run,
    mlpath_exe: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = write_jrnl(tmp_path / "jrnl.json", UNDO_ENTRIES)
    imported = cli_json(mlpath, "import", "--json", str(source))
    assert imported["added"]["entries"] == UNDO_ENTRIES
    change = cli_json(mlpath, "undo", "--list", "--json")["undo"]
    assert change
    actions = ["do"]
    _history_matches(mlpath, actions, change)
    db = isolated_home / "mlpath.db"
    env = _env(isolated_home)

    def run_whole(command: str) -> float:
        begun = time.perf_counter()
        done = subprocess.run(
            [mlpath_exe, command],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=300,
        )
        assert done.returncode == 0, (command, done.stderr)
        actions.append(command)
        _history_matches(mlpath, actions, change)
        return time.perf_counter() - begun

    # One whole undo and redo: how long an undo takes, so the kills fall all through it.
    duration = run_whole("undo")
    assert _visible(mlpath) == 0
    run_whole("redo")
    assert _visible(mlpath) == UNDO_ENTRIES

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    outcomes: list[str] = []
    for run, delay in enumerate(_spread(rng, 0.05, duration * 1.5, UNDO_KILLS)):
        ended = _kill_after([mlpath_exe, "undo"], env, delay)
        context = f"run {run}, killed after {delay:.3f} s (seed {seed})"
        assert facts(db).integrity == "ok", context
        visible = _visible(mlpath)
        assert visible in (0, UNDO_ENTRIES), f"{context}: {visible} entries visible"
        if visible == 0:
            actions.append("undo")
            outcomes.append("ended" if ended else "committed, then killed")
        else:
            outcomes.append("rolled back")
        try:
            _history_matches(mlpath, actions, change)
        except AssertionError as exc:
            raise AssertionError(f"{context}: {exc}") from exc
        if visible == 0:
            run_whole("redo")
            assert _visible(mlpath) == UNDO_ENTRIES, context

    with capsys.disabled():
        counts = {o: outcomes.count(o) for o in dict.fromkeys(outcomes)}
        print(
            f"\n[kill -9 undo] seed {seed}; a whole undo of {UNDO_ENTRIES} entries "
            f"{duration:.2f} s; {len(outcomes)} kills: {counts}"
        )
