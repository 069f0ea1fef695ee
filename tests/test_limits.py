"""The edges of the machine: a full disk, a read-only disk, a file-size limit, signals and
many processes at once. Each says what really happened, in one line, and loses nothing.

Full and read-only disks are real: a small tmpfs mounted in a private mount namespace
(``unshare``), so nothing outside the test sees it and it goes away with the process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import mlpath
from tests.conftest import Result


def _can_unshare() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False)
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(
    not _can_unshare(), reason="needs `unshare -rm` (user and mount namespaces) for a real tmpfs"
)


def _in_namespace(script: str, tmp_path: Path) -> dict[str, tuple[int, str, str]]:
    """Run a bash ``script`` in a private mount namespace. It calls ``step NAME CMD...`` for
    each command whose outcome the test reads: (exit code, stdout, stderr) by NAME."""
    out = tmp_path / "steps"
    out.mkdir(exist_ok=True)
    prelude = f"""
set -u
step() {{
    name=$1; shift
    "$@" >"{out}/$name.out" 2>"{out}/$name.err"; echo $? >"{out}/$name.code"
}}
"""
    done = subprocess.run(
        ["unshare", "-rm", "bash", "-c", prelude + script],
        capture_output=True, text=True, timeout=300, check=False, env=dict(os.environ),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return {
        p.stem: (
            int(p.read_text()),
            p.with_suffix(".out").read_text(errors="replace"),
            p.with_suffix(".err").read_text(errors="replace"),
        )
        for p in out.glob("*.code")
    }


def _one_line(outcome: tuple[int, str, str], code: int = 1) -> str:
    exit_code, _, stderr = outcome
    assert exit_code == code, outcome
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    return stderr


def _journal_file(path: Path, count: int, size: int = 3000) -> None:
    entries = [
        {"title": f"entry {i} " + "words " * (size // 6), "date": "2026-01-05", "time": "10:00"}
        for i in range(count)
    ]
    path.write_text(json.dumps({"entries": entries}), encoding="utf-8")


@needs_mounts
def test_a_full_disk_is_named_and_nothing_is_lost(mlpath_exe: str, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    _journal_file(big, 400)  # about 1.2 MB of text: more than the disk holds
    mount = tmp_path / "disk"
    mount.mkdir()
    steps = _in_namespace(
        f"""
mount -t tmpfs -o size=600k tmpfs {mount}
export MLPATH_HOME={mount}/home
step log {mlpath_exe} log "kept safe" --hours 1
step before {mlpath_exe} export
step import {mlpath_exe} import {big}
step backup {mlpath_exe} backup
step after {mlpath_exe} export
step leftovers ls -a {mount}/home {mount}/home/backups
""",
        tmp_path,
    )
    assert steps["log"][0] == 0
    assert "the disk is full: cannot write" in _one_line(steps["import"])
    assert "nothing was changed" in steps["import"][2]
    assert steps["after"][1] == steps["before"][1], "the failed import changed the store"
    assert "kept safe" in steps["after"][1]
    backup = steps["backup"]
    if backup[0] != 0:  # whether a copy still fits depends on what SQLite left on the disk
        assert _one_line(backup).startswith("error: no backup was made: ")
    assert ".tmp" not in steps["leftovers"][1], steps["leftovers"][1]


@needs_mounts
def test_a_read_only_store_still_shows_and_exports(mlpath_exe: str, tmp_path: Path) -> None:
    mount = tmp_path / "disk"
    mount.mkdir()
    steps = _in_namespace(
        f"""
mount -t tmpfs -o size=20m tmpfs {mount}
export MLPATH_HOME={mount}/home
step log {mlpath_exe} log "written before" --hours 2
step done {mlpath_exe} done python-basics
mount -o remount,ro {mount}
step status {mlpath_exe} status --json
step export {mlpath_exe} export
step journal {mlpath_exe} journal
step doctor {mlpath_exe} doctor --json
step write {mlpath_exe} log "after"
step mark {mlpath_exe} done sql
""",
        tmp_path,
    )
    status = json.loads(steps["status"][1])["data"]
    assert status["this_week"]["hours"] == 2
    assert steps["export"][0] == 0 and "written before" in steps["export"][1]
    assert steps["journal"][0] == 0 and "written before" in steps["journal"][1]
    checks = {c["name"]: c for c in json.loads(steps["doctor"][1])["data"]["checks"]}
    assert checks["store integrity"]["status"] == "ok", checks
    for name in ("write", "mark"):
        line = _one_line(steps[name])
        assert line.startswith("error: store is read-only: "), line
        assert "damaged" not in line


@needs_mounts
def test_a_file_size_limit_reports_the_real_error(mlpath_exe: str, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    _journal_file(big, 400)
    home = tmp_path / "home"
    steps = _in_namespace(
        f"""
export MLPATH_HOME={home}
step log {mlpath_exe} log "first"
step import bash -c 'ulimit -f 200; exec {mlpath_exe} import {big}'
step after {mlpath_exe} journal --json
""",
        tmp_path,
    )
    line = _one_line(steps["import"])
    assert "cannot rollback" not in line
    assert "file-size limit" in line or "disk is full" in line, line
    entries = json.loads(steps["after"][1])["data"]["total"]
    assert entries == 1


def test_an_oversize_value_is_not_called_damage(isolated_home: Path) -> None:
    """SQLite's own refusal of a value too large (here with its length limit lowered) is
    reported as that, not as a damaged store."""
    import sqlite3

    from mlpath import journal
    from mlpath.errors import StoreError
    from mlpath.store import Store

    with Store.open(create=True) as store:
        store.conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1000)
        with pytest.raises(StoreError) as caught:
            journal.log(store, "x" * 5000)
    assert caught.value.message.startswith("a value is too large to keep in ")
    assert "damaged" not in caught.value.message


def test_an_entry_longer_than_the_limit_is_refused_where_it_is(
    mlpath: Callable[..., Result], tmp_path: Path
) -> None:
    from mlpath.journal import MAX_TEXT

    source = tmp_path / "long.json"
    source.write_text(
        json.dumps({"entries": [{"title": "x" * (MAX_TEXT + 1), "date": "2026-01-01"}]})
    )
    result = mlpath("import", str(source))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {source}: entries[0]: the entry is longer than {MAX_TEXT:,} characters\n"
    )


@pytest.mark.slow
def test_eight_backups_at_once_all_succeed(mlpath_exe: str, isolated_home: Path) -> None:
    assert subprocess.run([mlpath_exe, "log", "keep me"], check=False).returncode == 0
    runs = [
        subprocess.Popen([mlpath_exe, "backup"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(8)
    ]
    for _ in range(5):
        results = [(p.wait(), p.stderr.read().decode() if p.stderr else "") for p in runs]
        assert all(code == 0 for code, _ in results), results
        runs = [
            subprocess.Popen([mlpath_exe, "backup"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(8)
        ]
    for p in runs:
        assert p.wait() == 0
    kept = sorted((isolated_home / "backups").glob("mlpath-*.db"))
    assert 1 <= len(kept) <= 10 + 8  # rotation keeps ten; runs overlapping may add theirs
    assert not list((isolated_home / "backups").glob(".*"))


def test_a_killed_backup_leaves_a_temp_file_that_doctor_reports_and_backup_removes(
    mlpath: Callable[..., Result], isolated_home: Path
) -> None:
    assert mlpath("log", "first").exit_code == 0
    assert mlpath("backup").exit_code == 0
    folder = isolated_home / "backups"
    stale = folder / ".mlpath-20260101T000000000000Z.db.abc123.tmp"
    stale.write_bytes(b"half a copy")
    fresh = folder / ".mlpath-20260101T000000000001Z.db.def456.tmp"
    fresh.write_bytes(b"another mlpath's copy, in progress")
    hour_ago = time.time() - 3700
    os.utime(stale, (hour_ago, hour_ago))

    report = json.loads(mlpath("doctor", "--json").stdout)["data"]["checks"]
    leftovers = next(c for c in report if c["name"] == "leftovers")
    assert leftovers["status"] == "warn" and stale.name in leftovers["detail"]
    assert fresh.name not in leftovers["detail"]

    assert mlpath("backup").exit_code == 0
    assert not stale.exists(), "the next backup did not remove the old temp file"
    assert fresh.exists(), "a temp file that may belong to a running mlpath was removed"


def _slow_import(tmp_path: Path) -> Path:
    big = tmp_path / "slow.json"
    _journal_file(big, 60_000, size=60)
    return big


@pytest.mark.slow
def test_sigterm_is_like_ctrl_c(mlpath_exe: str, tmp_path: Path, isolated_home: Path) -> None:
    assert subprocess.run([mlpath_exe, "log", "before"], check=False).returncode == 0
    before = subprocess.run([mlpath_exe, "export"], capture_output=True, check=True).stdout
    big = _slow_import(tmp_path)
    for sig, code, word in ((signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "")):
        run = subprocess.Popen(
            [mlpath_exe, "import", str(big)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        time.sleep(1.5)  # well into reading and writing the file
        run.send_signal(sig)
        _, err = run.communicate(timeout=60)
        assert run.returncode == code, err
        assert b"Traceback" not in err
        assert word.encode() in err
        after = subprocess.run([mlpath_exe, "export"], capture_output=True, check=True).stdout
        assert after == before, "an interrupted import left part of itself"


_FRAME = re.compile(rb'^  File "([^"]*)", line \d+, in (\S+)$', re.MULTILINE)
_PACKAGE = os.fsencode(Path(mlpath.__file__).resolve().parent)
# `python -X importtime` writes a line to stderr as each import ends; this one ends the import
# of the mlpath package itself, the first of mlpath's files that Python runs.
_PACKAGE_LOADED = re.compile(rb"^import time: .*\| mlpath\n", re.MULTILINE)


def _after_the_package_loaded(stderr: bytes) -> bytes | None:
    """What a `python -X importtime -m mlpath` run wrote to stderr once Python had loaded the
    mlpath package, or None if it never got there.

    Before that, Python is starting: initialising, importing `site` and runpy, finding the
    module. A Ctrl-C then gets Python's own traceback, or its "Exception ignored in" as it
    frees an import lock, and mlpath has not run a line that could prevent either."""
    loaded = _PACKAGE_LOADED.search(stderr)
    return None if loaded is None else stderr[loaded.end() :]


def _reaches_mlpath(traceback: bytes) -> bool:
    """Whether a traceback went through a file of the mlpath package. Between loading the
    package and running `mlpath/__main__.py`, runpy finds and compiles that file; a traceback
    there stays in runpy and importlib (and the finders `.pth` files add, such as setuptools'
    distutils shim in site-packages), and is Python's too."""
    return any(file.startswith(_PACKAGE) for file, _ in _FRAME.findall(traceback))


def test_pythons_start_up_is_told_from_mlpaths() -> None:
    """The ways CI has seen Python interrupted before mlpath runs, and two through mlpath."""
    loaded = b"import time:       450 |        450 | mlpath\n"
    ignored = (
        b"Exception ignored in: <function _get_module_lock.<locals>.cb at 0x7f447bdca480>\n"
        b"Traceback (most recent call last):\n"
        b'  File "<frozen importlib._bootstrap>", line 198, in cb\nKeyboardInterrupt: \n'
    )
    assert _after_the_package_loaded(ignored + loaded) == b""
    assert _after_the_package_loaded(b"import time: 9 | 9 | mlpathx\n" + ignored) is None
    assert _after_the_package_loaded(loaded + ignored) == ignored
    shim = b'  File "/venv/lib/python3.11/site-packages/_distutils_hack/__init__.py", line 95\n'
    compiling_main = (
        b"Traceback (most recent call last):\n"
        b'  File "<frozen runpy>", line 189, in _run_module_as_main\n'
        b'  File "<frozen runpy>", line 159, in _get_module_details\n' + shim
    )
    assert not _reaches_mlpath(compiling_main)
    in_the_package = b'  File "%s/cli/app.py", line 3, in <module>\n' % _PACKAGE
    assert _reaches_mlpath(b"Traceback (most recent call last):\n" + in_the_package)


@pytest.mark.slow
def test_ctrl_c_at_any_moment_of_start_up_prints_no_traceback(
    mlpath_exe: str, isolated_home: Path
) -> None:
    """Interrupted while Python imports Typer, the roadmaps or the store: no traceback, and
    no "Exception ignored in" with the command running on as if no key was pressed.

    What Python prints when interrupted in its own start, before it has loaded the mlpath
    package, is Python's and is not counted (`_after_the_package_loaded`)."""
    delays = [i * 0.003 for i in range(50)]
    past_start_up = 0
    for delay in delays:
        run = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "mlpath", "status"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(delay)
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=30)
        ours = _after_the_package_loaded(err)
        if ours is None:
            continue  # Python's own start-up, before mlpath runs
        past_start_up += 1
        assert b"Exception ignored" not in ours, (delay, ours.decode())
        if b"Traceback" in ours and not _reaches_mlpath(ours):
            continue  # runpy finding mlpath/__main__.py, before it runs
        assert b"Traceback" not in ours, (delay, ours.decode())
        assert run.returncode in (0, 130, -signal.SIGINT), (delay, run.returncode)
    # Python's start-up takes tens of milliseconds even on a loaded machine: most of the 0 to
    # 150 ms the signals span is mlpath's, so a test that excused every run would prove nothing.
    assert past_start_up >= len(delays) // 4, f"only {past_start_up} runs got past start-up"


_SIGNAL_WHILE_A_CLASS_IS_BUILT = """
import sys, types
import mlpath.cli
from mlpath.errors import Terminated

class Field:
    def __set_name__(self, owner, name):
        raise {signal}

def run():  # what an import that builds a class with such a field does
    class Record:
        field = Field()

fake = types.ModuleType("mlpath.cli.app")
fake.run = run
sys.modules["mlpath.cli.app"] = fake
from mlpath.__main__ import main
main()
"""


@pytest.mark.parametrize(
    ("raised", "code", "word"),
    [("KeyboardInterrupt", 130, b"interrupted\n"), ("Terminated", 143, b"terminated\n")],
)
def test_a_signal_inside_set_name_is_still_that_signal(
    raised: str, code: int, word: bytes, isolated_home: Path
) -> None:
    """Python 3.11 wraps what `__set_name__` raises in a RuntimeError: a Ctrl-C or SIGTERM that
    lands while an imported module builds a class (platform's `uname_result`) is still one."""
    script = _SIGNAL_WHILE_A_CLASS_IS_BUILT.format(signal=raised)
    run = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, timeout=60
    )
    assert (run.returncode, run.stderr) == (code, word)


_SIGNAL_INSIDE_A_CALLBACK = """
import os, signal, sys, time, types, weakref
import mlpath.cli

class Lock:  # what importlib frees after every import, through a weakref callback
    pass

def run():
    lock = Lock()
    ref = weakref.ref(lock, lambda ref: os.kill(os.getpid(), signal.{signal}))
    del lock  # the callback runs here, and the signal lands inside it
    for _ in range(1000):  # what the command goes on to do, if the signal is swallowed
        time.sleep(0.01)
    print("the command ran to its end")

fake = types.ModuleType("mlpath.cli.app")
fake.run = run
sys.modules["mlpath.cli.app"] = fake
from mlpath.__main__ import main
main()
"""


@pytest.mark.parametrize(
    ("sent", "code", "word"),
    [("SIGINT", 130, b"interrupted\n"), ("SIGTERM", 143, b"terminated\n")],
)
def test_a_signal_inside_a_callback_python_runs_on_its_own_still_stops_the_run(
    sent: str, code: int, word: bytes, isolated_home: Path
) -> None:
    """Raised inside a weakref callback (as when the Ctrl-C lands while importlib frees a
    module lock), a KeyboardInterrupt would be printed as "Exception ignored in" and then
    dropped, and the command would run on. It is delivered again, and the run stops."""
    script = _SIGNAL_INSIDE_A_CALLBACK.format(signal=sent)
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, timeout=60
    )
    assert (run.returncode, run.stderr, run.stdout) == (code, word, b"")
    assert time.monotonic() - started < 5


def test_what_python_cannot_raise_otherwise_is_still_reported(isolated_home: Path) -> None:
    script = _SIGNAL_INSIDE_A_CALLBACK.replace(
        "os.kill(os.getpid(), signal.{signal})", "1 / 0"
    ).replace("range(1000)", "range(1)")
    run = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, timeout=60
    )
    assert run.returncode == 0
    assert b"Exception ignored in" in run.stderr and b"ZeroDivisionError" in run.stderr
    assert run.stdout == b"the command ran to its end\n"


def test_a_ctrl_c_inside_set_name_during_a_command_is_not_a_crash(
    mlpath: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    from mlpath import progress

    class Field:
        def __set_name__(self, owner: type, name: str) -> None:
            raise KeyboardInterrupt

    def status(*args: object, **kwargs: object) -> None:
        class Record:  # a lazy import building a class, interrupted
            field = Field()

    monkeypatch.setattr(progress, "status", status)
    result = mlpath("status")
    assert (result.exit_code, result.stderr) == (130, "interrupted\n")
    assert not (isolated_home / "crash").exists()
