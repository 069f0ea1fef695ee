"""Never lose data: kill -9 mid-write, many writers at once, a lock held too long."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mlpath import store as store_mod
from mlpath.roadmaps import load_catalog
from mlpath.store import Store
from mlpath.store import topics as topic_store
from tests.conftest import Result

WRITER = """
import sys
from mlpath import journal
from mlpath.store import Store

with Store.open(create=True) as store:
    for i in range(100_000):
        logged = journal.log(store, f"entry {sys.argv[1]}-{i}", hours=1.0, tags=["alpha", "beta"])
        print(logged.entry.uid, flush=True)
"""


@pytest.mark.slow
def test_kill_9_mid_write_loses_nothing_committed(isolated_home: Path) -> None:
    rng = random.Random(1)
    committed: set[str] = set()
    for round_ in range(12):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(round_)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ),
        )  # fmt: skip
        time.sleep(rng.uniform(0.4, 1.2))
        writer.send_signal(signal.SIGKILL)
        out, err = writer.communicate()
        assert writer.returncode == -signal.SIGKILL, err.decode()
        lines = out.decode().split("\n")
        committed.update(line for line in lines[:-1] if line)  # the last may be cut short

    assert len(committed) > 12, "the writer never got going"
    conn = sqlite3.connect(isolated_home / "mlpath.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {uid for (uid,) in conn.execute("SELECT uid FROM entries")}
        assert committed <= stored, "an entry reported as saved is missing"
        half = conn.execute(
            "SELECT count(*) FROM entries AS e WHERE (SELECT count(*) FROM entry_tags "
            "WHERE uid = e.uid) != 2"
        ).fetchone()[0]
        assert half == 0, "an entry was stored without all of its tags"
    finally:
        conn.close()


DRIVER = """
import subprocess, sys
exe, writer, *topics = sys.argv[1:]
for i, topic in enumerate(topics):
    for args in (["log", f"writer {writer} entry {i}", "--hours", "1"], ["done", topic],
                 ["note", topic, f"writer {writer} note {i}"]):
        done = subprocess.run([exe, *args], capture_output=True, text=True)
        # Unfinished prerequisites are a warning; anything else (busy, locked) is a failure.
        others = [l for l in done.stderr.splitlines() if not l.startswith("warning: ")]
        if done.returncode != 0 or others:
            sys.exit(f"{args}: exit {done.returncode}: {done.stderr}")
"""


@pytest.mark.slow
def test_eight_writers_at_once(mlpath_exe: str, isolated_home: Path) -> None:
    catalog = load_catalog()
    topics = [
        t.full_id for r in ("foundations", "machine-learning") for t in catalog.roadmaps[r].topics
    ]
    per_writer = 4
    env = {**os.environ, "NO_COLOR": "1"}
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                DRIVER,
                mlpath_exe,
                str(w),
                *topics[w * per_writer : (w + 1) * per_writer],
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(8)
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
    with Store.open() as store:
        texts = [t for (t,) in store.query("SELECT text FROM entries")]
        states = topic_store.states(store)
    expected = {f"writer {w} entry {i}" for w in range(8) for i in range(per_writer)}
    expected |= {f"writer {w} note {i}" for w in range(8) for i in range(per_writer)}
    assert sorted(texts) == sorted(expected)
    assert {t for t, (state, _, _) in states.items() if state == "done"} == set(
        topics[: 8 * per_writer]
    )


def test_a_lock_held_too_long_is_one_clear_line(
    mlpath: Callable[..., Result], isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert mlpath("log", "first").exit_code == 0
    monkeypatch.setattr(store_mod.db, "BUSY_TIMEOUT_MS", 100)
    holder = sqlite3.connect(isolated_home / "mlpath.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        for args in (["log", "second"], ["done", "python-basics"], ["note", "sql", "a note"]):
            result = mlpath(*args)
            assert result.exit_code == 1
            assert result.stderr == (
                f"error: store is busy: another mlpath process is writing to "
                f"{isolated_home / 'mlpath.db'}; try again\n"
            )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Store.open() as store:
        assert [t for (t,) in store.query("SELECT text FROM entries")] == ["first"]
        assert topic_store.states(store) == {}
