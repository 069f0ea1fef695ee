"""The main screens as a learner sees them: run in a real pseudo-terminal of 60, 80 and 120
columns, read back through a terminal emulator (pyte).

On every screen no line is wider than the terminal (the terminal would break it wherever it
fell), no word is split, and the calendar's span and legend fit the width. The text of the
main screens at 80 columns is kept as snapshots in tests/snapshots (dates and weeks, which
move with the day the tests run, are written as placeholders); set MLPATH_UPDATE_SNAPSHOTS=1
to write them again after a deliberate change, and read the diff."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import select
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pyte
import pytest
from wcwidth import wcswidth

from mlpath import dates
from mlpath.render.output import cut, display_width
from tests import terminal
from tests.conftest import Result, isolate, mlpath_runner

SNAPSHOTS = Path(__file__).parent / "snapshots"
WIDTHS = (60, 80, 120)
ROWS = 200  # tall enough that nothing scrolls off the emulated screen

LONG = """\
schema: 1
id: words
title: Words, tables and other wide things
summary: A roadmap whose text is long enough to need wrapping.
stages:
  - id: basics
    title: Basics
    topics:
      - id: tokenisation
        title: Tokenisation, subwords and byte-pair encoding for the patient learner
        summary: >-
          How text becomes the integers a model reads: characters, words, subword units
          learnt by merging the most frequent pairs, and why the vocabulary size is a trade
          between the length of sequences and the rarity of tokens; with exercises.
        hours: 6
        resources:
          - title: An unreasonably long title of a resource that will not fit on one line
            url: https://example.org/a/rather/long/path/to/a/page/about/tokenisation
            kind: article
      - id: kanji
        title: 日本語のテキスト処理
        summary: 漢字と仮名の分かち書き、そして wide characters in a table.
        hours: 3
        requires: [tokenisation]
"""


def _terminal(exe: str, args: list[str], columns: int) -> str:
    """What ``exe args`` shows on a terminal ``columns`` wide: its raw output (ANSI codes and
    all), after running to its end."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.update(TERM="xterm-256color", MLPATH_PAGER="")
    code, seen = terminal.run([exe, *args], env, columns, ROWS)
    assert code == 0, seen.decode(errors="replace")
    return seen.decode()


def _screen(raw: str, columns: int) -> list[str]:
    """The rows of the emulated screen once ``raw`` has been shown, trailing blanks dropped."""
    screen = pyte.Screen(columns, ROWS)
    pyte.Stream(screen).feed(raw)
    rows = [row.rstrip() for row in screen.display]
    while rows and not rows[-1]:
        rows.pop()
    return rows


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)")


def _lines(raw: str) -> list[str]:
    """The lines mlpath wrote, escape sequences taken out."""
    return _ANSI.sub("", raw).replace("\r\n", "\n").split("\n")


@pytest.fixture(scope="module")
def _learner_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A learner some months in: entries on three days of each past week (Monday only this
    week, so every figure is the same whatever the weekday), a break week, topics started
    and done, and a roadmap of long and wide text. Built once for the module (some seventy
    commands); each test gets a copy."""
    root = tmp_path_factory.mktemp("learner")
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, root)
        invoke = mlpath_runner()

        def run(*args: str) -> None:
            result = invoke(*args)
            assert result.exit_code == 0, result.stderr

        words = root / "words.yaml"
        words.write_text(LONG, encoding="utf-8")
        run("roadmap", "add", str(words))
        run("roadmap", "follow", "words")
        monday = dates.monday(dates.week_of(dt.date.today()))
        for back in range(22):
            start = monday - dt.timedelta(weeks=back)
            for offset in (0,) if back == 0 else (0, 2, 5):
                day = start + dt.timedelta(days=offset)
                note = f"studied on day {offset} of the week, with a long note on what went well"
                run("log", "--date", day.isoformat(), "--hours",
                    str(back % 4 + offset / 2 + 0.5), note)  # fmt: skip
        run("journal", "break", "--week", dates.week_of(monday - dt.timedelta(weeks=5)))
        run("start", "tokenisation", "python-basics")
        run("done", "command-line")
    return root / "mlpath-home"


@pytest.fixture
def learner(_learner_home: Path, isolated_home: Path, mlpath_exe: str) -> str:
    """The learner's data in this test's MLPATH_HOME; returns the mlpath to run on it."""
    shutil.copytree(_learner_home, isolated_home)
    return mlpath_exe


SCREENS = {
    "status": ["status"],
    "next": ["next", "-n", "8"],
    "show": ["show", "tokenisation"],
    "show-wide": ["show", "kanji"],
    "review": ["review"],
    "journal": ["journal", "-n", "6"],
    "roadmap-show": ["roadmap", "show", "words"],
    "track-show": ["track", "show", "junior-ml-engineer"],
    "track-list": ["track", "list"],
    "doctor": ["doctor"],
    "projects": ["projects"],
}


def _words(lines: list[str]) -> set[str]:
    return {word for line in lines for word in line.split()}


def _whole(word: str, reference: set[str], columns: int) -> bool:
    """Whether ``word`` is a word of the reference output, or a fitted form of one: a value
    that depends on the width (a number, a bar, a day of the calendar), a cut title, or a
    piece of a word too long for any row (a file's path), which nothing but cutting fits."""
    if word in reference or re.fullmatch(r"[\d.,]+|[━─░▒▓█·✓~]+", word):
        return True
    if word.endswith("…"):
        return any(w.startswith(word[:-1]) for w in reference)
    return any(word in w for w in reference if wcswidth(w) > columns // 2)


@pytest.mark.slow
@pytest.mark.parametrize("columns", WIDTHS)
def test_no_line_is_wider_than_the_terminal_and_no_word_is_split(
    learner: str, columns: int
) -> None:
    for name, args in SCREENS.items():
        raw = _terminal(learner, args, columns)
        for line in _lines(raw):
            assert wcswidth(line) <= columns, (name, columns, line)
        # A word the terminal shows must be one of the words the same screen has when there
        # is room for everything: a split word would show as two pieces that are not.
        reference = _words(_lines(_terminal(learner, args, 400)))
        shown = _screen(raw, columns)
        split = [w for w in _words(shown) if not _whole(w, reference, columns)]
        assert not split, (name, columns, split, "\n".join(shown))


@pytest.mark.slow
@pytest.mark.parametrize(("columns", "weeks"), [(60, 26), (80, 36), (120, 52)])
def test_the_calendar_spans_what_the_width_allows_with_its_legend(
    learner: str, columns: int, weeks: int
) -> None:
    shown = _screen(_terminal(learner, ["status"], columns), columns)
    heading = next(i for i, row in enumerate(shown) if row.startswith("Activity"))
    assert f"the last {weeks} weeks" in shown[heading]
    months, grid, goal, legend = (
        shown[heading + 1],
        shown[heading + 2 :][:7],
        shown[heading + 9],
        shown[heading + 10],
    )
    assert [row[:3] for row in grid[::2]] == ["Mon", "Wed", "Fri", "Sun"]
    today = dt.date.today().isoweekday() - 1
    assert len(grid[today][4:].split()) == weeks  # a cell a week, today's the last
    assert {len(row[4:].split()) for row in grid[today + 1 :]} <= {weeks - 1}  # days to come
    assert set("".join(grid)[4:]) <= set("MonWedFriSu ·░▒▓█~")
    assert "~" in "".join(grid)  # the break week
    assert goal.startswith("goal")
    assert re.match(r"^[A-Z][a-z]{2}", months.strip())  # month names above the weeks
    assert legend.split()[:7] == ["less", "·", "░", "▒", "▓", "█", "more"]
    assert "goal met (10 h a week)" in legend


@pytest.mark.slow
def test_no_color_keeps_the_blocks(learner: str, isolated_home: Path) -> None:
    """NO_COLOR takes the colour away, not the Unicode bars and the calendar's shades."""
    env = {**os.environ, "TERM": "xterm-256color", "NO_COLOR": "1"}
    env.pop("COLUMNS", None)
    code, raw = terminal.run([learner, "status"], env, 100, ROWS)
    text = raw.decode()
    assert code == 0
    assert "\x1b[" not in text  # no colour, no style
    assert "━" in text and "less · ░ ▒ ▓ █ more" in text
    piped = subprocess.run([learner, "status"], capture_output=True, text=True, check=True)
    assert "less . - = + # more" in piped.stdout and "━" not in piped.stdout  # ASCII off a terminal


# ---------------------------------------------------------------------------------- snapshots

_PLACEHOLDERS = [
    (re.compile(r"\d{4}-W\d{2}"), "YYYY-Www"),
    (re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?"), "YYYY-MM-DD"),
    (re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{2} [A-Z][a-z]{2} \d{4}"), "DAY"),
]


def _normalised(rows: list[str]) -> str:
    """A screen with what moves with the calendar written as placeholders: dates, weeks, the
    month names above the calendar and its cells (their pattern depends on the weekday)."""
    out = []
    calendar = 0
    for shown in rows:
        row = shown
        if row.startswith("Activity"):
            calendar = 10  # the months, seven days, the goal row and the legend follow
        elif calendar:
            calendar -= 1
            if calendar > 1:
                row = f"{row[:4].rstrip():<4}<{'months' if calendar == 9 else 'cells'}>"
        for pattern, placeholder in _PLACEHOLDERS:
            row = pattern.sub(placeholder, row)
        out.append(row)
    return "\n".join(out) + "\n"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "columns"),
    [("status", 60), ("status", 80), ("status", 120), ("next", 80), ("show", 80),
     ("show-wide", 60), ("roadmap-show", 80)],
)  # fmt: skip
def test_the_main_screens_match_their_snapshots(learner: str, name: str, columns: int) -> None:
    shown = _normalised(_screen(_terminal(learner, SCREENS[name], columns), columns))
    snapshot = SNAPSHOTS / f"{name}-{columns}.txt"
    if os.environ.get("MLPATH_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        snapshot.write_text(shown, encoding="utf-8")
    assert snapshot.exists(), f"no snapshot {snapshot.name}: run with MLPATH_UPDATE_SNAPSHOTS=1"
    assert shown == snapshot.read_text(encoding="utf-8")


# ------------------------------------------------------------------- odd terminals and goals


def test_columns_zero_is_ignored_also_in_colour(
    mlpath: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """COLUMNS=0 is no width: rich must not be left to read it as a terminal no column wide."""
    monkeypatch.setenv("COLUMNS", "0")
    assert "Your path" in mlpath("--color", "always", "status").stdout
    refused = mlpath("--color", "always", "show", "no-such-topic")
    assert refused.exit_code == 1 and "no topic 'no-such-topic'" in refused.stderr


@pytest.mark.slow
def test_an_ascii_only_stream_gets_ascii_not_a_crash(mlpath_exe: str, isolated_home: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    subprocess.run([mlpath_exe, "log", "naïve Bayes — at last", "--hours", "1"], env=env,
                   check=True, capture_output=True)  # fmt: skip
    for args in (["status"], ["show", "python-basics"], ["journal"], ["review"]):
        run = subprocess.run(
            [mlpath_exe, *args], env=env, capture_output=True, timeout=60, check=False
        )
        assert run.returncode == 0, (args, run.stderr.decode())
        run.stdout.decode("ascii")  # every character is ASCII
    as_json = subprocess.run([mlpath_exe, "journal", "--json"], env=env, capture_output=True,
                             check=True)  # fmt: skip
    entry = json.loads(as_json.stdout)["data"]["weeks"][0]["entries"][0]
    assert entry["text"] == "naïve Bayes — at last"  # the same text, written as \u escapes


def test_what_is_cut_or_measured_is_measured_as_printed() -> None:
    title = "Beta \u202eevil\u202c \x07bell"
    shown = cut(title, 12)
    assert display_width(shown) <= 12 and shown.endswith("…")
    assert display_width("a\tb") == 6  # a tab prints as four spaces


def test_the_calendar_marks_a_week_against_the_goal_it_had(mlpath: Callable[..., Result]) -> None:
    """A goal lowered today does not turn an old week into one that met its goal."""
    monday = dates.monday(dates.week_of(dt.date.today())) - dt.timedelta(weeks=2)
    assert mlpath("log", "long day", "--hours", "5", "--date", monday.isoformat()).exit_code == 0
    assert mlpath("config", "set", "weekly-hours", "4").exit_code == 0
    days = json.loads(mlpath("status", "--json").stdout)["data"]["calendar"]
    then = next(d for d in days if d["day"] == monday.isoformat())
    assert (then["goal"], days[-1]["goal"]) == (10.0, 4.0)
    text = mlpath("status").stdout.splitlines()
    goal_row = next(line for line in text if line.startswith("goal"))
    assert "*" not in goal_row  # 5 h of that week's 10 h
    assert mlpath("log", "more", "--hours", "4").exit_code == 0  # this week: 4 h of 4 h
    goal_row = next(ln for ln in mlpath("status").stdout.splitlines() if ln.startswith("goal"))
    assert goal_row.rstrip().endswith("*") and goal_row.count("*") == 1


@pytest.mark.slow
def test_ctrl_c_at_a_prompt_says_interrupted(
    mlpath_exe: str, mlpath: Callable[..., Result]
) -> None:
    assert mlpath("log", "an entry to delete").exit_code == 0
    short = json.loads(mlpath("journal", "--json").stdout)["data"]["weeks"][0]["entries"][0]
    env = {**os.environ, "TERM": "dumb"}
    main, proc = terminal.start([mlpath_exe, "journal", "delete", short["id"]], env)
    seen = b""
    while b"[y/N]" not in seen:  # the question is on the screen: Ctrl-C (the terminal's SIGINT)
        assert select.select([main], [], [], 30)[0], seen
        seen += os.read(main, 4096)
    proc.send_signal(signal.SIGINT)
    shown = seen + terminal.read_all(main, proc)
    code = proc.wait(timeout=30)
    assert code == 130 and b"interrupted" in shown and b"Traceback" not in shown, shown
    assert mlpath("journal", "--json").stdout.count('"id"') == 1  # nothing deleted
