"""The first run on a terminal: where the data will live, what to do next, the weekly hours
asked once; never off a terminal."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests import terminal


def _on_a_terminal(
    exe: str, args: list[str], answers: list[tuple[bytes, bytes]]
) -> tuple[int, bytes]:
    """Run ``exe args`` in a pseudo-terminal, typing each answer once its prompt shows."""
    return terminal.run([exe, *args], {**os.environ, "TERM": "dumb"}, answers=answers)


def test_the_first_command_on_a_terminal_welcomes_and_asks_once(
    mlpath_exe: str, isolated_home: Path
) -> None:
    code, seen = _on_a_terminal(
        mlpath_exe, ["status"], [(b"hours a week will you learn?", b"12\r")]
    )
    assert code == 0, seen
    assert b"Welcome to mlpath." in seen
    assert str(isolated_home).encode() in b"".join(seen.split())  # a long path wraps
    assert b"Saved: 12 h a week" in seen and b"core path takes about" in seen
    assert b"Your path" in seen  # and then the command itself
    code, again = _on_a_terminal(mlpath_exe, ["status"], [])
    assert code == 0 and b"Welcome" not in again
    shown = subprocess.run([mlpath_exe, "config", "get", "weekly-hours"], capture_output=True,
                           text=True, check=True).stdout  # fmt: skip
    assert "12" in shown


def test_enter_keeps_the_default_and_a_bad_answer_is_asked_again(
    mlpath_exe: str, isolated_home: Path
) -> None:
    code, seen = _on_a_terminal(
        mlpath_exe, ["next"],
        [(b"will you learn? [10]: ", b"lots\r"), (b"not 'lots'", b"\r")],
    )  # fmt: skip
    assert code == 0, seen
    assert b"Saved: 10 h a week" in seen


def test_no_welcome_off_a_terminal_or_before_an_import(
    mlpath_exe: str, isolated_home: Path
) -> None:
    run = subprocess.run([mlpath_exe, "status"], capture_output=True, text=True, check=True)
    assert "Welcome" not in run.stdout + run.stderr
    assert not (isolated_home / "mlpath.db").exists()
    code, seen = _on_a_terminal(mlpath_exe, ["config"], [])
    assert code == 0 and b"Welcome" not in seen
