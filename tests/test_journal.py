"""The journal as a learner uses it: log, note, journal, breaks, status and review."""

from __future__ import annotations

import datetime as dt
import math
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlpath import activity, dates, journal, review
from mlpath.projects import Commit
from mlpath.store import Store
from tests.conftest import BERLIN, LOS_ANGELES, TOKYO, Result, SetZone
from tests.test_cli import data

EXACT = "日本語のノート 🎉 #PyTorch\r\nsecond line, CRLF kept\r\n\tand a tab"


def ago(days: int) -> str:
    return (dt.date.today() - dt.timedelta(days=days)).isoformat()


def week_ago(weeks: int) -> str:
    return dates.week_at(dates.week_index(dates.week_of(dt.date.today())) - weeks)


def dump(home: Path) -> list[str]:
    """Every row of the store, as SQL, to compare before and after."""
    conn = sqlite3.connect(home / "mlpath.db")
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def entries_of(result: Result) -> list[dict[str, Any]]:
    return [e for week in data(result, "journal")["weeks"] for e in week["entries"]]


# ------------------------------------------------------------------------------------- log


def test_log_keeps_text_exactly_with_tags_topics_and_hours(mlpath: Callable[..., Result]) -> None:
    saved = data(
        mlpath("log", EXACT, "--hours", "1.5", "--tag", "#Study", "--topic", "numpy", "--json"),
        "log",
    )
    assert list(saved) == ["entry", "week"]
    entry = saved["entry"]
    assert list(entry) == [
        "id", "uid", "kind", "at", "day", "week", "hours", "tags", "topics", "text",
    ]  # fmt: skip
    assert entry["text"] == EXACT.strip()
    assert (entry["kind"], entry["hours"], entry["day"]) == ("log", 1.5, ago(0))
    assert entry["week"] == week_ago(0)
    assert entry["tags"] == ["pytorch", "study"]
    assert entry["topics"] == ["foundations/numpy"]
    assert saved["week"] == {"week": entry["week"], "hours": 1.5, "entries": 1, "goal": 10.0}
    assert entries_of(mlpath("journal", "--json")) == [entry]


def test_log_reads_stdin_as_bytes_so_crlf_and_utf8_survive(
    mlpath: Callable[..., Result],
) -> None:
    result = mlpath("log", "--hours", "2", "--json", input=EXACT + "\r\n")
    assert data(result, "log")["entry"]["text"] == EXACT.strip()
    assert entries_of(mlpath("journal", "--json"))[0]["text"] == EXACT.strip()


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#ml and #Deep-Learning.", ["deep-learning", "ml"]),
        ("C# is not a tag, nor #1, nor http://example.com/#anchor", []),
        ("#tag at the start\n#second line", ["second", "tag"]),
        ("(#数学) and #über", ["über", "数学"]),
    ],
)
def test_hashtags_in_the_text_are_tags(text: str, tags: list[str]) -> None:
    assert sorted(set(journal.tags_in(text))) == tags


def test_empty_entry_saves_nothing(mlpath: Callable[..., Result], isolated_home: Path) -> None:
    assert mlpath("log", "first", "--hours", "1").exit_code == 0
    before = dump(isolated_home)
    for args, stdin in ((["log", "   "], None), (["log"], ""), (["log"], "\r\n\n")):
        result = mlpath(*args, input=stdin)
        assert (result.exit_code, result.stderr) == (
            1,
            "error: nothing saved: the entry is empty\n",
        )
    assert dump(isolated_home) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["log", "x", "--date", "2999-01-01"], "--date 2999-01-01 is in the future"),
        (["log", "x", "--date", "someday"], "--date 'someday' is not a date: use YYYY-MM-DD"),
        (["log", "x", "--hours", "-2"], "--hours must be more than 0 and at most 24 per entry"),
        (["log", "x", "--hours", "0"], "--hours must be more than 0 and at most 24 per entry"),
        (["log", "x", "--hours", "24.5"], "--hours must be more than 0 and at most 24 per entry"),
        (["log", "x", "--topic", "pyton-basics"], "no topic 'pyton-basics'; did you mean"),
        (["log", "x", "--tag", "two words"], "tag 'two words' is not a tag"),
        (["note", "no-such-topic", "x"], "no topic 'no-such-topic'"),
        (["journal", "--week", "2026-W54"], "--week '2026-W54' is not a week: 2026 has 53 weeks"),
        (["journal", "--week", "2026-W1"], "--week '2026-W1' is not a week: use YYYY-Www"),
        (["journal", "--week", "2026-W01", "--since", "today"], "--week cannot be combined"),
        (["journal", "--since", "today", "--until", "yesterday"], "--since"),
        (["journal", "-n", "0"], "-n must be a whole number from 1 to 1,000,000, not 0"),
        (
            ["journal", "-n", "99999999999999999999999"],
            "-n must be a whole number from 1 to 1,000,000, not 99999999999999999999999",
        ),
        (["journal", "break", "--week", "2025-W53"], "--week '2025-W53' is not a week"),
        (["review", "--week", "2099-W01"], "--week 2099-W01 has not started yet"),
        (["review", "--week", "W01"], "--week 'W01' is not a week"),
        (
            ["review", "--week", "0001-W01"],
            "--week '0001-W01' is outside the weeks mlpath supports",
        ),
        (["journal", "break", "--week", "9999-W52"], "--week '9999-W52' is outside the weeks"),
        (["log", "x", "--date", "0001-01-01"], "--date 0001-01-01 is outside the dates mlpath"),
        (["journal", "--since", "1000-01-01"], "--since 1000-01-01 is outside the dates mlpath"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_changes_nothing(
    mlpath: Callable[..., Result], isolated_home: Path, args: list[str], message: str
) -> None:
    assert mlpath("log", "already here", "--hours", "1").exit_code == 0
    before = dump(isolated_home)
    result = mlpath(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert dump(isolated_home) == before


def test_stdin_that_is_not_utf8_is_refused(mlpath: Callable[..., Result]) -> None:
    result = mlpath("log", input=b"caf\xe9 au lait")
    assert (result.exit_code, result.stderr) == (
        1,
        "error: stdin is not UTF-8 text (byte 0xe9 at offset 3)\n",
    )
    assert data(mlpath("journal", "--json"), "journal")["total"] == 0


def test_log_date_words_place_the_entry_on_that_day(mlpath: Callable[..., Result]) -> None:
    saved = data(mlpath("log", "x", "--date", "3 days ago", "--json"), "log")["entry"]
    assert saved["day"] == ago(3)
    assert saved["week"] == dates.week_of(dt.date.fromisoformat(ago(3)))
    assert saved["at"].startswith(dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"))


# -------------------------------------------------------------------------- note and show


def test_note_is_a_journal_entry_listed_by_show(mlpath: Callable[..., Result]) -> None:
    noted = data(mlpath("note", "numpy", "broadcasting finally clicked", "--json"), "note")
    assert (noted["entry"]["kind"], noted["entry"]["topics"]) == ("note", ["foundations/numpy"])
    assert mlpath("log", "pandas today", "--topic", "pandas").exit_code == 0
    assert mlpath("log", "numpy drills", "--hours", "1", "--topic", "numpy").exit_code == 0

    shown = data(mlpath("show", "numpy", "--json"), "show")
    assert list(shown)[-2:] == ["history", "notes"]
    assert [n["text"] for n in shown["notes"]] == ["broadcasting finally clicked", "numpy drills"]
    text = mlpath("show", "numpy").stdout
    assert "Notes" in text and "broadcasting finally clicked" in text


# ---------------------------------------------------------------------------------- journal


def test_journal_lists_newest_first_grouped_by_week_with_totals(
    mlpath: Callable[..., Result],
) -> None:
    for days, hours in ((0, "1"), (0, "2"), (7, "3"), (14, "0.5"), (14, "4")):
        assert (
            mlpath("log", f"{days} days ago", "--date", ago(days), "--hours", hours).exit_code == 0
        )
    listed = data(mlpath("journal", "--json"), "journal")
    assert list(listed) == ["weeks", "shown", "total", "ids", "filters", "entries"]
    assert list(listed["weeks"][0]) == ["week", "hours", "on_break", "entries"]
    assert [(w["week"], w["hours"], len(w["entries"])) for w in listed["weeks"]] == [
        (week_ago(0), 3.0, 2),
        (week_ago(1), 3.0, 1),
        (week_ago(2), 4.5, 2),
    ]
    assert listed["weeks"][0]["entries"][0]["hours"] == 2.0  # the later of two the same day

    cut = data(mlpath("journal", "-n", "4", "--json"), "journal")
    assert (cut["shown"], cut["total"]) == (4, 5)
    assert cut["weeks"][-1]["hours"] == 4.5  # a week's total counts entries beyond -n
    text = mlpath("journal", "-n", "4").stdout
    assert f"{week_ago(0)} · " in text and "4 of 5 entries; see more with -n" in text


def test_journal_filters(mlpath: Callable[..., Result]) -> None:
    assert mlpath("log", "Gradient descent #math", "--date", ago(8)).exit_code == 0
    assert mlpath("log", "CNN 畳み込み", "--tag", "vision", "--topic", "numpy").exit_code == 0
    assert mlpath("log", "more #MATH", "--date", ago(1)).exit_code == 0

    def texts(*args: str) -> list[str]:
        return [e["text"] for e in entries_of(mlpath("journal", *args, "--json"))]

    assert texts("--tag", "#Math") == ["more #MATH", "Gradient descent #math"]
    assert texts("--topic", "foundations/numpy") == ["CNN 畳み込み"]
    assert texts("--search", "GRADIENT") == ["Gradient descent #math"]
    assert texts("--search", "畳み") == ["CNN 畳み込み"]
    assert texts("--since", ago(1)) == ["CNN 畳み込み", "more #MATH"]
    assert texts("--until", ago(1)) == ["more #MATH", "Gradient descent #math"]
    assert texts("--week", dates.week_of(dt.date.fromisoformat(ago(8)))) == [
        "Gradient descent #math"
    ]
    assert texts("--tag", "nothing") == []
    assert mlpath("journal", "--tag", "nothing").stdout == (
        "No entries match --tag nothing; 3 entries in all.\n"
    )


# ---------------------------------------------------------------------- breaks and status


def test_status_has_activity_streak_pace_and_finish(mlpath: Callable[..., Result]) -> None:
    for days in (0, 7, 14):
        assert mlpath("log", "study", "--date", ago(days), "--hours", "6").exit_code == 0
    status = data(mlpath("status", "--json"), "status")
    assert list(status) == [
        "roadmaps", "in_progress", "next", "hours_left", "store",
        "activity", "calendar", "this_week", "streak", "pace", "finish", "goal_date",
        "recall_due", "track", "track_missing",
    ]  # fmt: skip
    assert len(status["activity"]) == 26
    assert list(status["activity"][0]) == ["week", "hours", "entries", "on_break"]
    assert [w["hours"] for w in status["activity"][-3:]] == [6.0, 6.0, 6.0]
    assert status["activity"][-1]["week"] == week_ago(0)
    assert status["this_week"] == {"week": week_ago(0), "hours": 6.0, "entries": 1, "goal": 10.0}
    assert status["streak"] == {"current": 3, "longest": 3}
    assert status["pace"] == {"hours_per_week": 6.0, "weeks": 2, "source": "log"}
    assert list(status["finish"]) == ["date", "roadmaps"]
    assert [r["id"] for r in status["finish"]["roadmaps"]] == [r["id"] for r in status["roadmaps"]]
    assert list(status["finish"]["roadmaps"][0]) == ["id", "hours_left", "date"]
    # This week's 6 h meet the pace of 6 h: the plan starts next week, 6 h a week, and ends on
    # the Sunday of its last week.
    weeks = math.ceil(status["hours_left"] / 6.0)
    sunday = dates.monday(week_ago(0)) + dt.timedelta(weeks=weeks, days=6)
    assert status["finish"]["date"] == sunday.isoformat()

    today = dt.date.today()
    days = status["calendar"]
    assert list(days[0]) == ["day", "hours", "entries", "on_break", "goal"]
    assert dt.date.fromisoformat(days[0]["day"]).isoweekday() == 1  # a Monday, 51 weeks back
    assert len(days) == 51 * 7 + today.isoweekday() and days[-1]["day"] == today.isoformat()
    assert [d["hours"] for d in days[-15::7]] == [6.0, 6.0, 6.0]
    assert sum(d["entries"] for d in days) == 3

    text = mlpath("status").stdout  # piped: the ASCII calendar, a year wide
    lines = text.splitlines()
    grid = lines[lines.index(next(ln for ln in lines if ln.startswith("Activity"))) + 2 :][:8]
    row = grid[today.isoweekday() - 1]
    assert row[4:].split() == ["."] * 49 + ["#"] * 3  # 6 h on each of the three days
    assert grid[7].split() == ["goal"]  # 6 h a week does not meet the goal of 10 h
    assert "less . - = + # more" in text
    assert "Streak     3 weeks · longest 3 weeks" in text


def test_a_break_week_keeps_the_streak(mlpath: Callable[..., Result]) -> None:
    for days in (7, 21):
        assert mlpath("log", "study", "--date", ago(days)).exit_code == 0

    def streak() -> dict[str, int]:
        return data(mlpath("status", "--json"), "status")["streak"]  # type: ignore[no-any-return]

    assert streak() == {"current": 1, "longest": 1}
    marked = data(mlpath("journal", "break", "--week", week_ago(2), "--json"), "journal break")
    assert marked == {"week": week_ago(2), "on_break": True, "changed": True}
    assert streak() == {"current": 2, "longest": 2}
    assert mlpath("log", "a little, on holiday", "--date", ago(14)).exit_code == 0
    assert streak() == {"current": 2, "longest": 2}  # a break week's entries do not count
    listed = data(mlpath("journal", "--json"), "journal")["weeks"]
    assert [w["on_break"] for w in listed] == [False, True, False]
    assert "planned break" in mlpath("journal").stdout
    assert "was already a planned break" in mlpath("journal", "break", "--week", week_ago(2)).stdout
    assert mlpath("journal", "break", "--week", week_ago(2), "--undo").exit_code == 0
    assert streak() == {"current": 3, "longest": 3}  # now the holiday entry counts
    this_week = data(mlpath("journal", "break", "--json"), "journal break")
    assert this_week["week"] == week_ago(0)


def test_weekly_goal_is_a_setting(mlpath: Callable[..., Result]) -> None:
    shown = data(mlpath("config", "--json"), "config")
    assert shown == {
        "settings": [
            {
                "key": "weekly-hours",
                "value": 10.0,
                "default": 10.0,
                "description": shown["settings"][0]["description"],
            },
            {
                "key": "goal-date",
                "value": None,
                "default": None,
                "description": shown["settings"][1]["description"],
            },
        ]
    }
    assert (
        data(mlpath("config", "set", "weekly-hours", "7.5", "--json"), "config set")["value"] == 7.5
    )
    status = data(mlpath("status", "--json"), "status")
    assert status["this_week"]["goal"] == 7.5
    assert status["pace"] == {"hours_per_week": 7.5, "weeks": 0, "source": "goal"}
    assert "weekly-hours  7.5  " in mlpath("config").stdout
    bad = mlpath("config", "set", "weekly-hours", "0")
    assert bad.stderr == "error: weekly-hours must be a number above 0 and at most 168, not '0'\n"
    unknown = mlpath("config", "set", "weekly-hour", "5")
    assert unknown.stderr == "error: no setting 'weekly-hour'; did you mean 'weekly-hours'?\n"


# ----------------------------------------------------------------------------------- review


def test_review_of_a_week(mlpath: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[dt.datetime, dt.datetime]] = []

    def commits(store: Store, since: dt.datetime, until: dt.datetime) -> list[Commit]:
        asked.append((since, until))
        return [
            Commit("housing", "a" * 40, "2026-01-01T10:00:00Z", "Fit a baseline"),
            Commit("housing", "b" * 40, "2026-01-01T11:00:00Z", "Add features"),
        ]

    monkeypatch.setattr(review, "commits_between", commits)
    assert mlpath("start", "python-basics").exit_code == 0
    assert mlpath("done", "command-line").exit_code == 0
    assert mlpath("log", "shell practice", "--hours", "4").exit_code == 0
    assert mlpath("log", "older", "--hours", "9", "--date", ago(7)).exit_code == 0

    week = data(mlpath("review", "--json"), "review")
    assert list(week) == [
        "week", "start", "end", "on_break", "hours", "goal", "entries", "topics", "commits",
        "streak", "pace", "finish", "goal_date",
    ]  # fmt: skip
    monday = dates.monday(week_ago(0))
    assert (week["week"], week["start"], week["end"]) == (
        week_ago(0),
        monday.isoformat(),
        (monday + dt.timedelta(days=6)).isoformat(),
    )
    assert (week["hours"], week["goal"]) == (4.0, 10.0)
    assert [e["text"] for e in week["entries"]] == ["shell practice"]
    assert week["topics"] == {
        "started": ["foundations/python-basics"],
        "done": ["foundations/command-line"],
        "skipped": [],
    }
    assert [c["summary"] for c in week["commits"]] == ["Fit a baseline", "Add features"]
    assert asked == [dates.week_bounds(week_ago(0))]
    assert week["streak"] == {"current": 2, "longest": 2}

    text = mlpath("review").stdout
    assert "2 commits in housing" in text and "done foundations/command-line" in text
    last = data(mlpath("review", "--week", week_ago(1), "--json"), "review")
    assert (last["hours"], last["topics"]["done"]) == (9.0, [])


# ---------------------------------------------------------------------- weeks and time zones


def test_clock_change_puts_entries_in_the_local_week(
    isolated_home: Path, set_zone: SetZone
) -> None:
    set_zone(BERLIN)  # summer time starts on Sunday 2026-03-29 at 02:00
    sunday_night = dt.datetime(2026, 3, 29, 21, 30, tzinfo=dt.UTC)  # 23:30 CEST
    monday_early = dt.datetime(2026, 3, 29, 22, 30, tzinfo=dt.UTC)  # 00:30 CEST, Monday
    with Store.open(create=True) as store:
        late = journal.log(store, "late", now=sunday_night).entry
        early = journal.log(store, "early", now=monday_early).entry
        # A topic change is about the local day it was recorded on (or --date's).
        with store.change("done") as change:
            for topic, moment in (("sql", sunday_night), ("numpy", monday_early)):
                day = moment.astimezone().date().isoformat()
                change.record("topic", f"foundations/{topic}", {"state": "done", "note": None}, day)
        assert (late.day, late.week) == ("2026-03-29", "2026-W13")
        assert (early.day, early.week) == ("2026-03-30", "2026-W14")
        assert journal.topic_changes(store, "2026-W13").done == ["foundations/sql"]
        assert journal.topic_changes(store, "2026-W14").done == ["foundations/numpy"]


def test_moving_time_zone_never_moves_an_entry_to_another_week(
    isolated_home: Path, set_zone: SetZone
) -> None:
    set_zone(LOS_ANGELES)
    # Sunday 3 January 2027, 20:00 in Los Angeles: the last day of 2026-W53. In Tokyo that
    # instant is already Monday of 2027-W01.
    sunday = dt.datetime(2027, 1, 4, 4, 0, tzinfo=dt.UTC)
    with Store.open(create=True) as store:
        first = journal.log(store, "in LA", hours=2, now=sunday).entry
    set_zone(TOKYO)
    with Store.open(create=True) as store:
        second = journal.log(store, "in Tokyo", hours=3, now=sunday + dt.timedelta(days=1)).entry
        assert (first.day, first.week) == ("2027-01-03", "2026-W53")
        assert (second.day, second.week) == ("2027-01-05", "2027-W01")
        listed = journal.entries(store, today=dt.date(2027, 1, 5))
        assert [(w.week, w.hours) for w in listed.weeks] == [("2027-W01", 3.0), ("2026-W53", 2.0)]
        outlook = activity.outlook(store, [], [], today=dt.date(2027, 1, 5))
        assert [(w.week, w.hours) for w in outlook.activity[-2:]] == [
            ("2026-W53", 2.0),
            ("2027-W01", 3.0),
        ]
        assert (outlook.streak.current, outlook.streak.longest) == (2, 2)


# ------------------------------------------------------------------------------- the editor


EDITOR = """\
import os, sys
from pathlib import Path

path = Path(sys.argv[-1])
template = path.read_bytes()
Path(os.environ["SEEN"]).write_bytes(template)
path.write_bytes(Path(os.environ["WRITE"]).read_bytes() + template)
sys.exit(int(os.environ.get("EDIT_EXIT", "0")))
"""


@dataclass
class Terminal:
    """Runs the installed mlpath with a terminal on stdin and a scripted $EDITOR, which puts
    the bytes it is given in front of the template and saves."""

    exe: str
    home: Path
    folder: Path

    @property
    def seen(self) -> Path:  # the template as the editor found it
        return self.folder / "seen"

    @property
    def temp(self) -> Path:  # TMPDIR, where the entry's temp file lives
        return self.folder / "tmp"

    @property
    def command(self) -> str:
        return f"{sys.executable} {self.folder / 'editor.py'}"

    def log(self, written: bytes, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        (self.folder / "write").write_bytes(written)
        environment = {
            **os.environ,
            "MLPATH_HOME": str(self.home),
            "NO_COLOR": "1",
            "TMPDIR": str(self.temp),
            "EDITOR": self.command,
            "SEEN": str(self.seen),
            "WRITE": str(self.folder / "write"),
            **env,
        }
        terminal, side = os.openpty()
        try:
            return subprocess.run(
                [self.exe, "log", *args], stdin=side, env=environment,
                capture_output=True, text=True, check=False, timeout=60,
            )  # fmt: skip
        finally:
            os.close(terminal)
            os.close(side)


@pytest.fixture
def tty(tmp_path: Path, isolated_home: Path, mlpath_exe: str) -> Terminal:
    folder = tmp_path / "editing"
    (folder / "tmp").mkdir(parents=True)
    (folder / "editor.py").write_text(EDITOR, encoding="utf-8")
    return Terminal(mlpath_exe, isolated_home, folder)


def test_editor_opens_the_weekly_template_and_keeps_tag_lines(
    tty: Terminal, mlpath: Callable[..., Result]
) -> None:
    assert mlpath("done", "command-line").exit_code == 0
    assert mlpath("log", "earlier", "--hours", "2.5").exit_code == 0
    written = "#numpy first\r\n# A heading\r\nBroadcasting 🎉\r\n".encode()
    result = tty.log(written, "--hours", "1")
    assert result.returncode == 0, result.stderr
    template = tty.seen.read_text(encoding="utf-8")
    assert template.startswith("\n\n#~ ")
    assert "#~ This week so far: 2.5 h of your 10 h goal, 1 entry" in template
    assert "#~ Topics this week: done foundations/command-line" in template
    for prompt in ("What did I learn?", "What blocked me?", "What's next?"):
        assert f"#~ {prompt}" in template
    entry = entries_of(mlpath("journal", "--json"))[0]
    assert entry["text"] == "#numpy first\r\n# A heading\r\nBroadcasting 🎉"
    assert (entry["tags"], entry["hours"]) == (["numpy"], 1.0)
    assert list(tty.temp.iterdir()) == []


def test_visual_comes_before_editor(tty: Terminal, mlpath: Callable[..., Result]) -> None:
    result = tty.log(b"from visual", EDITOR="no-such-editor", VISUAL=tty.command)
    assert result.returncode == 0, result.stderr
    assert entries_of(mlpath("journal", "--json"))[0]["text"] == "from visual"


def test_editor_left_empty_saves_nothing(tty: Terminal, mlpath: Callable[..., Result]) -> None:
    result = tty.log(b"")
    assert (result.returncode, result.stderr) == (1, "error: nothing saved: the entry is empty\n")
    assert data(mlpath("journal", "--json"), "journal")["total"] == 0
    assert list(tty.temp.iterdir()) == []


@pytest.mark.parametrize(
    ("written", "env", "message"),
    [
        (b"kept text", {"EDIT_EXIT": "3"}, "exited with status 3"),
        (b"caf\xe9", {}, "is not UTF-8 text (byte 0xe9 at offset 3)"),
    ],
)
def test_editor_failure_keeps_the_file(
    tty: Terminal,
    mlpath: Callable[..., Result],
    written: bytes,
    env: dict[str, str],
    message: str,
) -> None:
    result = tty.log(written, **env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and message in result.stderr
    [kept] = tty.temp.iterdir()
    assert result.stderr.endswith(
        f"; what you wrote is kept in {kept}: save it with `mlpath log --file {kept}`\n"
    )
    assert data(mlpath("journal", "--json"), "journal")["total"] == 0
    if written.decode("utf-8", "replace") == written.decode("utf-8", "ignore"):
        # The command the message names saves the entry as it was meant.
        assert mlpath("log", "--file", str(kept)).exit_code == 0
        assert entries_of(mlpath("journal", "--json"))[0]["text"] == written.decode()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"EDITOR": "", "VISUAL": ""},
            "no editor to write the entry in: set $EDITOR (e.g. export EDITOR=nano), give the "
            "entry as TEXT, or pipe it on stdin",
        ),
        ({"EDITOR": "no-such-editor --wait"}, "cannot find the editor $EDITOR names: "),
        ({"VISUAL": "'unbalanced"}, "$VISUAL is not a command line (No closing quotation)"),
    ],
)
def test_without_a_usable_editor_nothing_is_left_behind(
    tty: Terminal, env: dict[str, str], message: str
) -> None:
    result = tty.log(b"x", **env)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.count("\n") == 1
    assert list(tty.temp.iterdir()) == []


# ------------------------------------------------------------------------------ processes


@pytest.mark.slow
def test_four_processes_logging_at_once_lose_nothing(
    mlpath_exe: str, isolated_home: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "MLPATH_HOME": str(isolated_home), "NO_COLOR": "1"}
    loop = (
        "import subprocess, sys\n"
        "for i in range(25):\n"
        "    subprocess.run([sys.argv[1], 'log', f'{sys.argv[2]} {i} #load', '--hours', '1'],"
        " check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)\n"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", loop, mlpath_exe, f"worker{n}"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    outcomes = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0, 0]
    assert [err for _, err in outcomes] == ["", "", "", ""]
    with Store.open() as store:
        assert store.query("SELECT count(*), count(DISTINCT uid), sum(hours) FROM entries") == [
            (100, 100, 100.0)
        ]
        assert store.query("SELECT count(*) FROM entry_tags WHERE tag = 'load'") == [(100,)]
        assert store.query("SELECT count(*) FROM events WHERE kind = 'entry'") == [(100,)]


def test_log_does_not_import_heavy_modules(mlpath_exe: str, isolated_home: Path) -> None:
    env = {**os.environ, "MLPATH_HOME": str(isolated_home), "NO_COLOR": "1"}
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mlpath", "log", "x", "--hours", "1"],
        env=env, capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if "|" in line}
    for heavy in ("cookiecutter", "git", "pydantic", "yaml", "rich"):
        assert heavy not in imported, f"`mlpath log` imported {heavy}"


def test_config_get_and_set_shows_the_old_and_the_new_value(mlpath: Callable[..., Result]) -> None:
    got = data(mlpath("config", "get", "weekly-hours", "--json"), "config get")
    assert list(got) == ["key", "value", "default", "description"] and got["value"] == 10.0
    changed = data(mlpath("config", "set", "weekly-hours", "6", "--json"), "config set")
    assert (changed["before"], changed["value"]) == (10.0, 6.0)
    assert "6 → 10 (default)" in mlpath("config", "unset", "weekly-hours").stdout
    assert "is already 10 (default)" in mlpath("config", "set", "weekly-hours", "10").stdout
    missing = mlpath("config", "get", "colour")
    assert missing.exit_code == 1 and "no setting 'colour'" in missing.stderr
