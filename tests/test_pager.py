"""Long output through a pager, like git's: on a real pseudo-terminal, only when the output is
taller than the screen, never when piped or with --no-pager, and never at the cost of the
output or the terminal (a pager that cannot start, quitting early, Ctrl-C)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mlpath import pager
from tests import terminal
from tests.conftest import Result

TALL = ["roadmap", "show", "foundations"]  # some fifty lines
HEADING = "Foundations  foundations"  # its first line
RECORDING = """#!/bin/sh
# A pager that keeps what it was given, how it was called and the LESS it saw.
PATH=/usr/bin:/bin
printf '%s\\n' "$@" > "$0.args"
printf '%s' "${LESS-unset}" > "$0.less"
cat > "$0.paged"
"""


@pytest.fixture(autouse=True)
def _a_store(mlpath: Callable[..., Result]) -> None:
    """A store with an entry, so that no first-run welcome asks anything on the terminal."""
    assert mlpath("log", "read about NumPy", "--hours", "1").exit_code == 0


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    script = tmp_path / "bin" / "fakepager"
    script.parent.mkdir()
    script.write_text(RECORDING, encoding="utf-8")
    script.chmod(0o755)
    return script


def _env(**changes: str | None) -> dict[str, str]:
    env = {**os.environ, "TERM": "dumb"}
    for name in ("MLPATH_PAGER", "PAGER", "LESS", "LV", "LINES", "COLUMNS", "FORCE_COLOR"):
        env.pop(name, None)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _on_a_terminal(
    exe: str, args: list[str], env: dict[str, str], rows: int = 24
) -> tuple[int, str]:
    code, shown = terminal.run([exe, *args], env, rows=rows)
    return code, _text(shown)


def _text(shown: bytes) -> str:
    return shown.decode(errors="replace").replace("\r\n", "\n")


def _paged(script: Path) -> str | None:
    target = script.with_name(script.name + ".paged")
    return target.read_text(encoding="utf-8") if target.exists() else None


def test_tall_output_on_a_terminal_goes_through_the_pager(mlpath_exe: str, fake: Path) -> None:
    code, shown = _on_a_terminal(
        mlpath_exe, TALL, _env(MLPATH_PAGER=f"{fake} --one 'two words'", PAGER="false")
    )
    assert code == 0, shown
    paged = _paged(fake)
    assert paged is not None and paged.startswith(HEADING) and paged.count("\n") > 24
    assert HEADING not in shown  # the pager had it, not the terminal
    assert fake.with_name("fakepager.args").read_text() == "--one\ntwo words\n"  # shell words
    assert fake.with_name("fakepager.less").read_text() == "FRX"  # as git sets it when unset


def test_the_pager_gets_the_colour_the_terminal_would(mlpath_exe: str, fake: Path) -> None:
    code, shown = _on_a_terminal(mlpath_exe, TALL, _env(MLPATH_PAGER=str(fake), TERM="xterm"))
    assert code == 0, shown
    assert "\x1b[" in (_paged(fake) or "")
    code, shown = _on_a_terminal(
        mlpath_exe, ["--color", "never", *TALL], _env(MLPATH_PAGER=str(fake), TERM="xterm")
    )
    assert code == 0 and "\x1b[" not in (_paged(fake) or "x\x1b[")


def test_short_output_is_printed(mlpath_exe: str, fake: Path) -> None:
    code, shown = _on_a_terminal(mlpath_exe, TALL, _env(MLPATH_PAGER=str(fake)), rows=200)
    assert code == 0 and HEADING in shown
    assert _paged(fake) is None


def test_no_pager_when_piped_or_as_json(mlpath_exe: str, fake: Path) -> None:
    piped = subprocess.run([mlpath_exe, *TALL], capture_output=True, text=True,
                           env=_env(MLPATH_PAGER=str(fake)), check=True)  # fmt: skip
    assert piped.stdout.startswith(HEADING)
    code, shown = _on_a_terminal(mlpath_exe, [*TALL, "--json"], _env(MLPATH_PAGER=str(fake)))
    assert code == 0 and '"command": "roadmap show"' in shown
    assert _paged(fake) is None


@pytest.mark.parametrize(
    "root", [["--no-pager"], ["--color", "never", "--no-pager"], ["--no-pager", "--color=never"]]
)
def test_no_pager_option_prints_straight_to_the_terminal(
    mlpath_exe: str, fake: Path, root: list[str]
) -> None:
    code, shown = _on_a_terminal(mlpath_exe, [*root, *TALL], _env(MLPATH_PAGER=str(fake)))
    assert code == 0, shown
    assert HEADING in shown and _paged(fake) is None


@pytest.mark.parametrize("off", ["", "  ", "cat"])
def test_an_empty_pager_or_cat_means_none(mlpath_exe: str, fake: Path, off: str) -> None:
    code, shown = _on_a_terminal(mlpath_exe, TALL, _env(MLPATH_PAGER=off, PAGER=str(fake)))
    assert code == 0 and HEADING in shown and _paged(fake) is None


def test_pager_then_less(mlpath_exe: str, fake: Path) -> None:
    code, shown = _on_a_terminal(mlpath_exe, TALL, _env(PAGER=str(fake)))
    assert code == 0 and _paged(fake) is not None
    fake.with_name("fakepager.paged").unlink()
    less = fake.with_name("less")  # the default, found on PATH like any command
    less.write_text(RECORDING, encoding="utf-8")
    less.chmod(0o755)
    code, shown = _on_a_terminal(mlpath_exe, TALL, _env(PATH=str(less.parent), LESS="-R"))
    assert code == 0, shown
    assert (_paged(less) or "").startswith(HEADING)
    assert less.with_name("less.args").read_text() == "-FRX\n"
    assert less.with_name("less.less").read_text() == "-R"  # the learner's own LESS is kept


def test_a_pager_that_cannot_start_falls_back_to_printing(mlpath_exe: str, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-pager"
    code, shown = _on_a_terminal(mlpath_exe, TALL, _env(MLPATH_PAGER=f"{missing} -x"))
    assert code == 0, shown
    assert HEADING in shown and "Traceback" not in shown
    # Wrapped, and a path wider than the terminal broken where the line ends.
    assert "warning: cannot run the pager" in " ".join(shown.split())
    assert f"{missing}-x" in "".join(shown.split())
    # No less on PATH, none chosen: printed, and nothing to warn about.
    code, shown = _on_a_terminal(mlpath_exe, TALL, _env(PATH=str(tmp_path)))
    assert code == 0 and HEADING in shown and "warning" not in shown


@pytest.mark.parametrize(
    "command", [TALL, ["journal"], ["review"], ["show", "python-basics"]], ids=" ".join
)
def test_the_long_commands_page(mlpath_exe: str, fake: Path, command: list[str]) -> None:
    code, shown = _on_a_terminal(mlpath_exe, command, _env(MLPATH_PAGER=str(fake)), rows=3)
    assert code == 0, shown
    assert _paged(fake), shown


def test_a_short_command_never_pages(mlpath_exe: str, fake: Path) -> None:
    code, shown = _on_a_terminal(mlpath_exe, ["roadmap", "list"], _env(MLPATH_PAGER=str(fake)),
                                 rows=3)  # fmt: skip
    assert code == 0 and "foundations" in shown and _paged(fake) is None


def test_quitting_the_pager_early_is_a_normal_end(
    mlpath_exe: str, mlpath: Callable[..., Result], tmp_path: Path
) -> None:
    long = tmp_path / "long.txt"
    long.write_text("a line of notes to page through\n" * 20_000, encoding="utf-8")  # 640 kB
    assert mlpath("log", "--file", str(long), "--hours", "1").exit_code == 0
    code, shown = _on_a_terminal(mlpath_exe, ["journal"], _env(MLPATH_PAGER="head -n 1"))
    assert code == 0, shown[-2000:]
    assert "Traceback" not in shown and "error" not in shown


def test_ctrl_c_while_the_pager_runs_is_the_pagers(mlpath_exe: str, tmp_path: Path) -> None:
    script = tmp_path / "slowpager"
    script.write_text(
        "#!/bin/sh\n"
        "trap 'echo interrupted >> \"$0.log\"' INT\n"  # like less: Ctrl-C does not end it
        'cat > "$0.paged"\n'
        'touch "$0.ready"\n'
        'while [ ! -e "$0.quit" ]; do sleep 0.05 || true; done\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    main, proc = terminal.start([mlpath_exe, *TALL], _env(MLPATH_PAGER=str(script)), rows=24)
    try:
        deadline = time.monotonic() + 30
        while not script.with_name("slowpager.ready").exists():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        while not script.with_name("slowpager.log").exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)
        assert proc.poll() is None  # mlpath waits for the pager to end, as git does
    finally:
        script.with_name("slowpager.quit").touch()
    shown = _text(terminal.read_all(main, proc))
    assert proc.wait(timeout=30) == 0, shown
    assert "Traceback" not in shown and "interrupted" not in shown


def test_rows_count_what_the_terminal_shows() -> None:
    assert pager.rows("one\ntwo\n", 80) == 2
    assert pager.rows("\x1b[1mbold\x1b[0m " + "x" * 75 + "\n", 80) == 1  # escapes take no room
    assert pager.rows("\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\\n", 80) == 1
    assert pager.rows("x" * 81 + "\n", 80) == 2  # a long line wraps
    assert pager.rows("日本" * 21 + "\n", 80) == 2  # wide characters take two columns
    assert pager.rows("\n\n", 80) == 2
