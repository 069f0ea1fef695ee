"""Every test runs with its own MLPATH_HOME and HOME, and may not write to the real home."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

REAL_HOME = Path(os.path.expanduser("~")).resolve()
REPO = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.gettempdir()).resolve()
_WRITE_EVENTS = {
    "os.mkdir", "os.rename", "os.replace", "os.remove", "os.rmdir", "os.link", "os.symlink",
    "os.truncate", "shutil.rmtree", "shutil.copyfile", "sqlite3.connect",
}  # fmt: skip
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class _HomeGuard:
    """An audit hook that records every write this process makes under the real home
    (outside this repository and the temp folder) while a test runs."""

    active = False
    violations: list[str] = []  # noqa: RUF012 - one shared record for the process

    @classmethod
    def audit(cls, event: str, args: tuple[object, ...]) -> None:
        if not cls.active:
            return
        if event == "open":
            target, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
            )
        elif event in _WRITE_EVENTS:
            target, writing = args[0] if args else None, True
        else:
            return
        if not writing or not isinstance(target, str | bytes | os.PathLike):
            return
        path = Path(os.path.abspath(os.fsdecode(target)))
        if path.is_relative_to(REAL_HOME) and not (
            path.is_relative_to(REPO) or path.is_relative_to(TMP)
        ):
            cls.violations.append(f"{event} {path}")


sys.addaudithook(_HomeGuard.audit)


def isolate(monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    """Point HOME, MLPATH_HOME and the XDG folders into ``root``, pin the git identity and drop
    the variables that would change output; returns the MLPATH_HOME folder (not yet made)."""
    home = root / "home"
    data = root / "mlpath-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MLPATH_HOME", str(data))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test Learner")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "learner@example.com")
    # The width and height a shell (or a test runner's worker) exports would change layouts;
    # a test that wants a width sets COLUMNS itself.
    # FORCE_COLOR and PYTHON_COLORS would colour Python's own tracebacks (3.13) and output.
    for name in ("MLPATH_DEBUG", "NO_COLOR", "FORCE_COLOR", "PYTHON_COLORS", "VISUAL", "EDITOR",
                 "COLUMNS", "LINES"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return data


def _spread(config: pytest.Config) -> bool:
    """Whether this run spreads its tests over xdist workers (`pytest -n auto`): in the
    controller, -n is set; in a worker (which collects, and where -n reads None), xdist has
    given the config its ``workerinput``."""
    if hasattr(config, "workerinput"):
        return True
    return bool(config.pluginmanager.hasplugin("xdist") and config.getoption("numprocesses"))


def pytest_configure(config: pytest.Config) -> None:
    if _spread(config):  # a test or two at a time to each worker (see below), not batches
        config.option.maxschedchunk = 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Over xdist workers, the longest tests first: the ones that install a generated project
    into a virtual environment (minutes each), then the other slow ones, then the rest, each
    group in collection order. With xdist handing each worker a test or two at a time, the
    two workers then finish close together, instead of one starting a four-minute test while
    the other has nothing left to do. A run without workers keeps pytest's own order."""
    if not _spread(config):
        return

    def weight(item: pytest.Item) -> int:
        if item.get_closest_marker("slow") is None:
            return 2
        return 0 if "venv" in getattr(item, "fixturenames", ()) else 1

    items.sort(key=weight)  # stable: collection order within each group


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """MLPATH_HOME and HOME in a temp folder; git identity pinned; the real home guarded."""
    data = isolate(monkeypatch, tmp_path)
    _HomeGuard.violations.clear()
    _HomeGuard.active = True
    try:
        yield data
    finally:
        _HomeGuard.active = False
    assert not _HomeGuard.violations, f"a test wrote to the real home: {_HomeGuard.violations}"


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def mlpath() -> Callable[..., Result]:
    """Run the CLI in-process, like a user would from a shell (stdout and stderr apart)."""
    return mlpath_runner()


def mlpath_runner() -> Callable[..., Result]:
    """The ``mlpath`` fixture's runner, for a fixture of a wider scope that builds data once."""
    from mlpath.cli.app import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def mlpath_exe() -> str:
    """The installed ``mlpath`` script of the environment running the tests."""
    exe = shutil.which("mlpath", path=str(Path(sys.executable).parent))
    assert exe, "mlpath is not installed in this environment (pip install -e '.[test]')"
    return exe


@pytest.fixture(scope="session")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fresh virtual environment that the slow tests install generated projects into,
    shared by the xdist workers of the run: each project's dependencies are installed into
    it once, not once per worker (the templates' locks agree on every package they share).
    Installs hold its lock (``installing``), so that two pips never write it at once."""
    import subprocess

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    folder = root / "templates-venv"
    with installing(folder):
        if not (folder / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    return folder


@contextlib.contextmanager
def installing(venv: Path) -> Iterator[None]:
    """Hold the lock of the shared environment ``venv`` (for a `make install` into it)."""
    import fcntl

    with open(venv.with_name(venv.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def parent(tmp_path: Path) -> Path:
    """A folder to create projects in."""
    folder = tmp_path / "projects"
    folder.mkdir()
    return folder


DEMO = """\
schema: 1
id: demo
title: Demo
summary: A small roadmap for tests.
stages:
  - id: basics
    title: Basics
    topics:
      - id: alpha
        title: Alpha
        summary: First topic.
        hours: 2
      - id: beta
        title: Beta
        summary: Second topic.
        hours: 3
        requires: [alpha]
"""


@pytest.fixture
def write_roadmap(tmp_path: Path) -> Callable[..., Path]:
    def write(text: str | bytes = DEMO, name: str = "demo.yaml") -> Path:
        path = tmp_path / "files" / name
        path.parent.mkdir(exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write


# POSIX TZ rules, so that tests do not depend on the system's zoneinfo files.
BERLIN = "CET-1CEST,M3.5.0,M10.5.0/3"  # summer time from the last Sunday of March, 02:00
LOS_ANGELES = "PST8PDT,M3.2.0,M11.1.0"
TOKYO = "JST-9"

SetZone = Callable[[str], None]


@pytest.fixture
def set_zone() -> Iterator[SetZone]:
    """Switch this process's local time zone; the original is back after the test."""
    saved = os.environ.get("TZ")

    def switch(zone: str) -> None:
        os.environ["TZ"] = zone
        time.tzset()

    try:
        yield switch
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()
