"""Correcting the history: entry ids, `journal show/edit/delete/restore`, `log --file`, and
topic changes dated in the past (`--date`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlpath import dates
from mlpath.store.events import make_id
from tests.conftest import Result
from tests.test_cli import data

Run = Callable[..., Result]

ENTRY_KEYS = ["id", "uid", "kind", "at", "day", "week", "hours", "tags", "topics", "text"]


# ---------------------------------------------------------------------------------- helpers


def ago(days: int) -> str:
    return (dt.date.today() - dt.timedelta(days=days)).isoformat()


def week_ago(weeks: int) -> str:
    return dates.week_at(dates.week_index(dates.week_of(dt.date.today())) - weeks)


def ref_of(uid: str) -> str:
    """An entry's id, as the README defines it: the first 32 hex digits of sha256(uid)."""
    return hashlib.sha256(uid.encode("utf-8")).hexdigest()[:32]


def listed(mlpath: Run, *args: str) -> list[dict[str, Any]]:
    """The entries `mlpath journal` lists, newest first."""
    return [e for w in data(mlpath("journal", *args, "--json"), "journal")["weeks"]
            for e in w["entries"]]  # fmt: skip


def logged(mlpath: Run, *args: str) -> dict[str, Any]:
    entry: dict[str, Any] = data(mlpath("log", *args, "--json"), "log")["entry"]
    return entry


def fails(result: Result, line: str) -> None:
    """A refusal: exit 1, exactly ``line`` on stderr, and on stdout nothing, or with --json
    the error as a JSON document saying the same."""
    assert (result.exit_code, result.stderr) == (1, f"error: {line}\n")
    if result.stdout:
        assert json.loads(result.stdout)["error"]["message"] == line


def changes(mlpath: Run) -> Any:
    return data(mlpath("undo", "--list", "--json"), "undo --list")


def review(mlpath: Run, week: str | None = None) -> Any:
    return data(mlpath("review", *(("--week", week) if week else ()), "--json"), "review")


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def hlc_now() -> int:
    return time.time_ns() // 1000


def event(
    kind: str,
    target: str,
    value: dict[str, Any],
    *,
    hlc: int,
    day: str | None = None,
    replica: str = "other-machine",
) -> dict[str, Any]:
    """One event of an export of version 2, as another machine would have written it."""
    seed = hashlib.sha256(f"{kind} {target} {hlc}".encode()).digest()
    recorded = dt.datetime.fromtimestamp(hlc / 1e6, dt.UTC)
    return {
        "id": make_id(hlc // 1000, seed), "replica": replica, "hlc": hlc,
        "recorded": stamp(recorded), "kind": kind, "target": target, "day": day, "data": value,
    }  # fmt: skip


def entry_event(uid: str, text: str, day: str, hlc: int, hours: float | None = None) -> Any:
    written = stamp(dt.datetime.fromtimestamp(hlc / 1e6, dt.UTC))
    week = dates.week_of(dt.date.fromisoformat(day))
    content: dict[str, Any] = {"kind": "log", "at": written, "day": day, "week": week,
                               "hours": hours, "tags": [], "topics": [], "text": text}  # fmt: skip
    return event("entry", uid, content, hlc=hlc)


def import_events(mlpath: Run, folder: Path, events: list[dict[str, Any]]) -> None:
    """Import an mlpath export of version 2 written by hand."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"export-{len(list(folder.iterdir()))}.json"
    path.write_text(json.dumps({"format": "mlpath", "version": 2, "events": events}))
    result = mlpath("import", str(path))
    assert result.exit_code == 0, result.stderr


def twins(digits: int) -> tuple[str, str]:
    """Two uids whose entry ids share their first ``digits`` hex digits and no more."""
    seen: dict[str, str] = {}
    for n in itertools.count():
        uid = f"twin-{digits}-{n}"
        ref = ref_of(uid)
        other = seen.get(ref[:digits])
        if other is not None and ref_of(other)[digits] != ref[digits]:
            return tuple(sorted((other, uid), key=ref_of))  # type: ignore[return-value]
        seen.setdefault(ref[:digits], uid)
    raise AssertionError("unreachable")


def import_twins(mlpath: Run, folder: Path, digits: int) -> tuple[str, str]:
    """Import two entries whose ids share ``digits`` hex digits; their ids, in id order."""
    first, second = twins(digits)
    now = hlc_now()
    twin_events = [entry_event(first, "first twin", ago(0), now),
                   entry_event(second, "second twin", ago(0), now + 1)]  # fmt: skip
    import_events(mlpath, folder, twin_events)
    return ref_of(first), ref_of(second)


# ------------------------------------------------------------------------------ entry ids


def test_journal_shows_a_seven_digit_id_that_names_the_entry(mlpath: Run) -> None:
    entry = logged(mlpath, "broadcasting", "--hours", "1")
    assert entry["id"] == ref_of(entry["uid"])
    assert re.fullmatch(r"[0-9a-f]{32}", entry["id"])
    journal = data(mlpath("journal", "--json"), "journal")
    assert list(journal) == ["weeks", "shown", "total", "ids", "filters", "entries"]
    assert journal["ids"] == {entry["id"]: entry["id"][:7]}
    text = mlpath("journal").stdout.splitlines()
    day = f"{dt.date.today():%a %d %b}"
    assert text[1] == f"  {day}  {entry['id'][:7]}  1 h"
    for prefix in (entry["id"][:4], entry["id"][:7], entry["id"], entry["id"][:9].upper()):
        shown = data(mlpath("journal", "show", prefix, "--json"), "journal show")
        assert shown["entry"]["id"] == entry["id"]
    four = entry["id"][:4]
    assert mlpath("journal", "edit", four, "--hours", "2").exit_code == 0
    assert mlpath("journal", "delete", four, "--yes").exit_code == 0
    assert listed(mlpath) == []
    assert mlpath("journal", "restore", four).exit_code == 0
    assert [(e["id"], e["hours"]) for e in listed(mlpath)] == [(entry["id"], 2.0)]


def test_a_prefix_two_entries_share_is_ambiguous(mlpath: Run, tmp_path: Path) -> None:
    first, second = import_twins(mlpath, tmp_path / "files", 4)
    prefix = first[:4]
    assert second.startswith(prefix)
    for command in (("show",), ("edit", "--hours", "1"), ("delete", "--yes"), ("restore",)):
        result = mlpath("journal", command[0], prefix, *command[1:])
        listing = f"{first[:7]}, {second[:7]}"  # the ids `mlpath journal` shows
        fails(result, f"entry id {prefix} is ambiguous: {listing}; give more digits")
    assert mlpath("journal", "show", first[:5]).exit_code == 0  # the fifth digit tells them apart
    assert data(mlpath("journal", "--json"), "journal")["ids"] == {
        first: first[:7],
        second: second[:7],
    }


def test_ids_sharing_seven_digits_are_shown_longer(mlpath: Run, tmp_path: Path) -> None:
    first, second = import_twins(mlpath, tmp_path / "files", 7)
    shorts = {first: first[:8], second: second[:8]}
    assert data(mlpath("journal", "--json"), "journal")["ids"] == shorts
    text = mlpath("journal").stdout
    assert f"  {first[:8]}\n" in text and f"  {second[:8]}\n" in text
    for ref, short in shorts.items():
        shown = data(mlpath("journal", "show", short, "--json"), "journal show")
        assert (shown["entry"]["id"], shown["short"]) == (ref, short)
        assert mlpath("journal", "show", short).stdout.splitlines()[0].endswith(f"  {short}")


def test_an_ambiguous_id_lists_ids_that_tell_the_entries_apart(mlpath: Run, tmp_path: Path) -> None:
    """With ids sharing seven digits, the six digits the list shows name neither entry."""
    first, second = import_twins(mlpath, tmp_path / "files", 7)
    ambiguous = mlpath("journal", "show", first[:4])
    assert ambiguous.exit_code == 1 and ambiguous.stderr.count("\n") == 1
    assert ambiguous.stderr.startswith(f"error: entry id {first[:4]} is ambiguous: ")
    assert first[:8] in ambiguous.stderr and second[:8] in ambiguous.stderr


def test_messages_name_an_entry_by_an_id_that_is_unique(mlpath: Run, tmp_path: Path) -> None:
    """What mlpath prints about an entry names it so that the id can be typed back: with ids
    sharing seven digits, seven are not enough."""
    first, _ = import_twins(mlpath, tmp_path / "files", 7)
    edited = mlpath("journal", "edit", first[:8], "--hours", "2")
    assert edited.stdout.startswith(f"Edited entry {first[:8]}: hours\n")
    deleted = mlpath("journal", "delete", first[:8], "--yes")
    assert deleted.stdout.startswith(f"Deleted entry {first[:8]} of ")


@pytest.mark.parametrize("ref", ["zzzz", "12g4", "abc", "-1234", "", "0x1234", "a" * 33])
def test_an_id_that_is_not_hex_is_refused(mlpath: Run, ref: str) -> None:
    logged(mlpath, "something")
    hint = "use the hex id `mlpath journal` shows (at least 4 digits)"
    message = f"'{ref}' is not an entry id: {hint}"
    for command in (("show",), ("edit", "--hours", "1"), ("delete", "--yes"), ("restore",)):
        fails(mlpath("journal", command[0], *command[1:], "--", ref), message)


def test_an_unknown_id_is_one_line(mlpath: Run) -> None:
    entry = logged(mlpath, "something")
    unknown = "0000" if not entry["id"].startswith("0000") else "ffff"
    for command in (("show",), ("edit", "--hours", "1"), ("delete", "--yes"), ("restore",)):
        result = mlpath("journal", command[0], unknown, *command[1:])
        fails(result, f"no entry {unknown}; `mlpath journal` shows each entry's id")


# ------------------------------------------------------------------------------------ edit


def test_an_edit_keeps_the_entry_and_its_old_version(mlpath: Run) -> None:
    entry = logged(mlpath, "first try #alpha", "--hours", "1", "--tag", "keep", "--topic", "sql")
    short = entry["id"][:7]
    result = data(
        mlpath("journal", "edit", entry["id"][:5], "--text", "second try #beta", "--hours", "2",
               "--json"),
        "journal edit",
    )  # fmt: skip
    assert list(result) == ["before", "entry", "changed", "short"]
    assert list(result["entry"]) == ENTRY_KEYS
    assert result["before"] == entry
    after = result["entry"]
    assert (after["id"], after["uid"], after["at"]) == (entry["id"], entry["uid"], entry["at"])
    assert (after["text"], after["hours"]) == ("second try #beta", 2.0)
    assert after["tags"] == ["beta", "keep"]  # the text's #tags are replaced, --tag'd ones stay
    assert result["changed"] == ["text", "hours", "tags"]
    assert mlpath("journal", "edit", short, "--text", "third").stdout.splitlines() == [
        f"Edited entry {short}: text, tags",
        f"  {dt.date.today():%a %d %b}  {short}  2 h  foundations/sql  #keep",
        "      third",
    ]

    # Every reader shows the new version, and only it.
    assert [e["text"] for e in listed(mlpath)] == ["third"]
    assert [e["text"] for e in review(mlpath)["entries"]] == ["third"]
    assert review(mlpath)["hours"] == 2.0
    notes = data(mlpath("show", "sql", "--json"), "show")["notes"]
    assert [(n["id"], n["text"]) for n in notes] == [(entry["id"], "third")]
    markdown = mlpath("export", "--format", "markdown").stdout
    assert "third" in markdown and "first try" not in markdown and "second try" not in markdown
    exported = [e for e in json.loads(mlpath("export").stdout)["events"] if e["kind"] == "entry"]
    assert [(e["target"], e["data"]["text"]) for e in exported] == [
        (entry["uid"], "first try #alpha"), (entry["uid"], "second try #beta"),
        (entry["uid"], "third"),
    ]  # fmt: skip

    shown = data(mlpath("journal", "show", short, "--history", "--json"), "journal show")
    assert list(shown) == ["entry", "short", "deleted", "history"]
    assert (shown["entry"]["text"], shown["short"], shown["deleted"]) == ("third", short, False)
    assert [list(v) for v in shown["history"]] == [["event", "at", "what", "entry"]] * 3
    assert [v["what"] for v in shown["history"]] == ["written", "edited", "edited"]
    assert [(v["entry"]["text"], v["entry"]["hours"], v["entry"]["tags"])
            for v in shown["history"]] == [
        ("first try #alpha", 1.0, ["alpha", "keep"]),
        ("second try #beta", 2.0, ["beta", "keep"]),
        ("third", 2.0, ["keep"]),
    ]  # fmt: skip
    assert [v["event"] for v in shown["history"]] == [e["id"] for e in exported]
    assert data(mlpath("journal", "show", short, "--json"), "journal show")["history"] == []
    text = mlpath("journal", "show", short, "--history").stdout
    assert "History\n" in text and text.count("  written\n") == 1
    assert text.count("  edited\n") == 2 and "        first try #alpha\n" in text


def test_tags_and_topics_are_added_and_removed(mlpath: Run) -> None:
    entry = logged(mlpath, "#alpha study", "--tag", "keep", "--topic", "sql")
    edited = data(
        mlpath("journal", "edit", entry["id"][:7], "--tag", "#New", "--untag", "keep",
               "--topic", "command-line", "--untopic", "foundations/sql", "--json"),
        "journal edit",
    )  # fmt: skip
    assert edited["changed"] == ["tags", "topics"]
    assert edited["entry"]["tags"] == ["alpha", "new"]
    assert edited["entry"]["topics"] == ["foundations/command-line"]
    assert edited["entry"]["text"] == "#alpha study"
    assert [e["id"] for e in listed(mlpath, "--tag", "new")] == [entry["id"]]
    assert listed(mlpath, "--topic", "sql") == []


def test_edit_date_moves_the_entry_to_its_week(mlpath: Run) -> None:
    entry = logged(mlpath, "moved later", "--hours", "3")
    edited = data(
        mlpath("journal", "edit", entry["id"][:7], "--date", ago(14), "--json"), "journal edit"
    )
    assert edited["changed"] == ["day"]  # the week follows the day
    assert (edited["entry"]["day"], edited["entry"]["week"]) == (ago(14), week_ago(2))
    assert edited["entry"]["at"] == entry["at"]
    now, then = review(mlpath), review(mlpath, week_ago(2))
    assert (now["hours"], now["entries"]) == (0.0, [])
    assert (then["hours"], [e["id"] for e in then["entries"]]) == (3.0, [entry["id"]])
    assert [w["week"] for w in data(mlpath("journal", "--json"), "journal")["weeks"]] == [
        week_ago(2)
    ]
    assert data(mlpath("status", "--json"), "status")["this_week"]["hours"] == 0.0
    future = mlpath("journal", "edit", entry["id"][:7], "--date", ago(-1))
    fails(future, f"--date {ago(-1)} is in the future (today is {ago(0)})")


def test_an_edit_that_changes_nothing_records_nothing(mlpath: Run) -> None:
    entry = logged(mlpath, "same #alpha", "--hours", "1", "--topic", "sql")
    short = entry["id"][:7]
    before = changes(mlpath)
    same = (("--text", " same #alpha \n"), ("--hours", "1"), ("--date", "today"),
            ("--tag", "alpha"), ("--untag", "other"), ("--topic", "sql"),
            ("--untopic", "command-line"))  # fmt: skip
    for option in same:
        result = mlpath("journal", "edit", short, *option)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == f"Entry {short} is unchanged; nothing to save.\n"
    unchanged = data(mlpath("journal", "edit", short, "--hours", "1", "--json"), "journal edit")
    assert unchanged["changed"] == [] and unchanged["entry"] == entry
    assert changes(mlpath) == before
    shown = data(mlpath("journal", "show", short, "--history", "--json"), "journal show")
    assert [v["what"] for v in shown["history"]] == ["written"]


def test_empty_new_text_is_refused_with_the_delete_hint(mlpath: Run) -> None:
    entry = logged(mlpath, "keep me")
    short = entry["id"][:7]
    before = changes(mlpath)
    for text in ("", "   \n\t"):
        fails(
            mlpath("journal", "edit", entry["id"][:5], "--text", text),
            "nothing changed: the new text is empty (to delete the entry: "
            f"mlpath journal delete {short})",
        )
    assert mlpath("journal", "edit", short, input="").exit_code == 1  # stdin, empty
    assert [e["text"] for e in listed(mlpath)] == ["keep me"]
    assert changes(mlpath) == before


def test_bad_edit_options_change_nothing(mlpath: Run, tmp_path: Path) -> None:
    entry = logged(mlpath, "keep me")
    short = entry["id"][:7]
    before = changes(mlpath)
    fails(mlpath("journal", "edit", short, "--hours", "25"),
          "--hours must be more than 0 and at most 24 per entry, not 25")  # fmt: skip
    file = tmp_path / "new.md"
    file.write_text("from a file")
    fails(mlpath("journal", "edit", short, "--text", "x", "--file", str(file)),
          "give the new text with --text or --file, not both")  # fmt: skip
    assert changes(mlpath) == before
    edited = data(mlpath("journal", "edit", short, "--file", str(file), "--json"), "journal edit")
    assert edited["entry"]["text"] == "from a file"


def test_editing_a_deleted_entry_is_refused_with_the_restore_hint(mlpath: Run) -> None:
    entry = logged(mlpath, "gone")
    short = entry["id"][:7]
    assert mlpath("journal", "delete", short, "--yes").exit_code == 0
    fails(
        mlpath("journal", "edit", short, "--text", "back?"),
        f"entry {short} is deleted; bring it back first: mlpath journal restore {short}",
    )
    assert mlpath("journal", "restore", short).exit_code == 0
    assert mlpath("journal", "edit", short, "--text", "back").exit_code == 0
    assert [e["text"] for e in listed(mlpath)] == ["back"]


def test_edit_reads_the_new_text_from_stdin_off_a_terminal(mlpath: Run) -> None:
    entry = logged(mlpath, "old #alpha", "--tag", "keep")
    result = mlpath("journal", "edit", entry["id"][:7], "--json", input="new\r\ntext #beta\r\n")
    edited = data(result, "journal edit")
    assert edited["entry"]["text"] == "new\r\ntext #beta"
    assert edited["entry"]["tags"] == ["beta", "keep"]
    assert (edited["entry"]["id"], edited["entry"]["uid"]) == (entry["id"], entry["uid"])


# ------------------------------------------------------------------------------ the editor


EDITOR = """\
import os, sys
from pathlib import Path

path = Path(sys.argv[-1])
template = path.read_bytes()
Path(os.environ["SEEN"]).write_bytes(template)
if os.environ.get("WRITE"):
    kept = b"" if os.environ.get("REPLACE") else template
    path.write_bytes(Path(os.environ["WRITE"]).read_bytes() + kept)
sys.exit(int(os.environ.get("EDIT_EXIT", "0")))
"""


@dataclass
class Terminal:
    """Runs the installed mlpath with a terminal on stdin and $EDITOR a script that puts the
    bytes it is given in front of what the file held (with REPLACE, in its place; given
    nothing, it saves the file as it was)."""

    exe: str
    folder: Path

    @property
    def editor(self) -> str:
        return f"{shlex.quote(sys.executable)} {shlex.quote(str(self.folder / 'editor.py'))}"

    @property
    def seen(self) -> str:
        return (self.folder / "seen").read_text(encoding="utf-8")

    @property
    def temp(self) -> Path:
        return self.folder / "tmp"

    def run(self, *args: str, write: bytes | None, **env: str) -> subprocess.CompletedProcess[str]:
        if write is not None:
            (self.folder / "write").write_bytes(write)
        environment = {
            **os.environ, "NO_COLOR": "1", "TMPDIR": str(self.temp), "EDITOR": self.editor,
            "SEEN": str(self.folder / "seen"),
            "WRITE": str(self.folder / "write") if write is not None else "", **env,
        }  # fmt: skip
        terminal, side = os.openpty()
        try:
            return subprocess.run(
                [self.exe, *args], stdin=side, env=environment,
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
    return Terminal(mlpath_exe, folder)


def test_edit_opens_the_editor_on_the_entry(tty: Terminal, mlpath: Run) -> None:
    entry = logged(mlpath, "old text #alpha", "--tag", "keep")
    short = entry["id"][:7]
    result = tty.run(
        "journal", "edit", short[:5], write=b"rewritten #gamma\n#~ a comment\n", REPLACE="1"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Edited entry {short}: text, tags\n")
    template = tty.seen
    assert template.startswith("old text #alpha\n\n#~ ")
    week = dates.week_of(dt.date.today())
    assert f"#~ Editing entry {short} of {ago(0)} ({week}).\n" in template
    assert f"#~ To delete the entry instead: mlpath journal delete {short}\n" in template
    [now] = listed(mlpath)
    assert (now["id"], now["uid"]) == (entry["id"], entry["uid"])
    assert (now["text"], now["tags"]) == ("rewritten #gamma", ["gamma", "keep"])
    assert list(tty.temp.iterdir()) == []

    unchanged = tty.run("journal", "edit", short, write=None)  # saved as it was: a cancel
    assert unchanged.returncode == 0, unchanged.stderr
    assert unchanged.stdout == f"Entry {short} is unchanged; nothing to save.\n"
    assert list(tty.temp.iterdir()) == []


# ------------------------------------------------------------------------------ log --file


def test_log_file_leaves_out_template_comments(mlpath: Run, tmp_path: Path) -> None:
    file = tmp_path / "entry.md"
    written = "#~ a comment\n#numpy first\n#~ another\n# A heading\r\nlast 🎉\n#~ x\n"
    file.write_bytes(written.encode())
    entry = logged(mlpath, "--file", str(file), "--hours", "1")
    assert entry["text"] == "#numpy first\n# A heading\r\nlast 🎉"
    assert (entry["tags"], entry["hours"]) == (["numpy"], 1.0)
    assert file.exists()  # the learner's file is theirs
    fails(mlpath("log", "text", "--file", str(file)),
          "give the entry as TEXT or with --file, not both")  # fmt: skip
    comments = tmp_path / "comments.md"
    comments.write_text("#~ only a comment\n\n")
    fails(mlpath("log", "--file", str(comments)), "nothing saved: the entry is empty")
    missing = tmp_path / "missing.md"
    fails(mlpath("log", "--file", str(missing)), f"no file {missing}")
    assert len(listed(mlpath)) == 1


def test_editor_failure_names_the_command_that_saves_the_entry(tty: Terminal, mlpath: Run) -> None:
    result = tty.run("log", "--hours", "2", write=b"kept text #kept\n", EDIT_EXIT="3")
    assert result.returncode == 1
    [kept] = tty.temp.iterdir()
    editor = shlex.split(tty.editor)[0]
    assert result.stderr == (
        f"error: the editor '{editor}' exited with status 3; what you wrote is kept in {kept}: "
        f"save it with `mlpath log --file {kept}`\n"
    )
    assert listed(mlpath) == []
    saved = logged(mlpath, "--file", str(kept), "--hours", "2")
    assert (saved["text"], saved["tags"], saved["hours"]) == ("kept text #kept", ["kept"], 2.0)
    assert [e["id"] for e in listed(mlpath)] == [saved["id"]]


# ----------------------------------------------------------------------- delete and restore


def test_delete_hides_an_entry_everywhere_and_restore_brings_it_back(mlpath: Run) -> None:
    kept = logged(mlpath, "kept entry", "--hours", "1")
    gone = logged(mlpath, "gone entry", "--hours", "4", "--topic", "sql")
    short = gone["id"][:7]

    deleted = data(mlpath("journal", "delete", short, "--yes", "--json"), "journal delete")
    assert list(deleted) == ["action", "changed", "unchanged", "ids"]
    assert (deleted["action"], deleted["changed"], deleted["unchanged"]) == ("delete", [gone], [])
    assert [e["id"] for e in listed(mlpath)] == [kept["id"]]
    assert data(mlpath("journal", "--json"), "journal")["weeks"][0]["hours"] == 1.0
    week = review(mlpath)
    assert (week["hours"], [e["id"] for e in week["entries"]]) == (1.0, [kept["id"]])
    this_week = data(mlpath("status", "--json"), "status")["this_week"]
    assert (this_week["hours"], this_week["entries"]) == (1.0, 1)
    assert data(mlpath("show", "sql", "--json"), "show")["notes"] == []
    markdown = mlpath("export", "--format", "markdown").stdout
    assert "gone entry" not in markdown and "kept entry" in markdown
    assert "1 journal entry, 1 hours logged" in markdown
    events = json.loads(mlpath("export").stdout)["events"]
    assert [(e["kind"], e["data"].get("text"), e["data"].get("hidden")) for e in events] == [
        ("entry", "kept entry", None), ("entry", "gone entry", None),
        ("entry.hidden", None, True),
    ]  # fmt: skip
    assert events[-1]["target"] == gone["uid"]

    shown = data(mlpath("journal", "show", short, "--history", "--json"), "journal show")
    assert (shown["deleted"], shown["entry"]["text"]) == (True, "gone entry")
    assert [(v["what"], v["entry"]) for v in shown["history"][1:]] == [("deleted", None)]
    assert mlpath("journal", "show", short).stdout.startswith(
        f"Deleted (bring it back with `mlpath journal restore {short}`)\n"
    )

    again = mlpath("journal", "delete", short, "--yes")
    assert again.exit_code == 0
    assert again.stdout == f"Entry {short} was already deleted; nothing to change.\n"
    twice = data(mlpath("journal", "delete", short, "--yes", "--json"), "journal delete")
    assert (twice["changed"], twice["unchanged"]) == ([], [gone])

    restored = data(mlpath("journal", "restore", short, "--json"), "journal restore")
    assert list(restored) == ["action", "changed", "unchanged", "ids"]
    assert (restored["action"], restored["changed"], restored["unchanged"]) == (
        "restore",
        [gone],
        [],
    )
    assert [e["id"] for e in listed(mlpath)] == [gone["id"], kept["id"]]
    assert review(mlpath)["hours"] == 5.0
    assert data(mlpath("status", "--json"), "status")["this_week"]["hours"] == 5.0
    assert "gone entry" in mlpath("export", "--format", "markdown").stdout
    not_deleted = mlpath("journal", "restore", short)
    assert not_deleted.stdout == f"Entry {short} was not deleted; nothing to change.\n"
    shown = data(mlpath("journal", "show", short, "--history", "--json"), "journal show")
    assert [v["what"] for v in shown["history"]] == ["written", "deleted", "restored"]


def test_delete_says_what_it_deleted_and_takes_several_ids(mlpath: Run) -> None:
    first = logged(mlpath, "first   one\nwith two lines")
    second = logged(mlpath, "second one")
    ids = [first["id"][:7], second["id"][:7]]
    result = mlpath("journal", "delete", *ids, ids[0], "--yes")
    assert result.stdout.splitlines() == [
        f"Deleted entry {ids[0]} of {ago(0)}: first one with two lines",
        f"Deleted entry {ids[1]} of {ago(0)}: second one",
        "Bring one back with `mlpath journal restore ID` (or `mlpath undo`).",
    ]
    assert listed(mlpath) == []
    listing = changes(mlpath)["changes"]
    assert listing[0]["command"] == f"journal delete {ids[0]} {ids[1]}"  # one change for both
    assert listing[0]["events"] == 2
    result = mlpath("journal", "restore", *ids)
    assert result.stdout.splitlines() == [
        f"Restored entry {ids[0]} of {ago(0)}: first one with two lines",
        f"Restored entry {ids[1]} of {ago(0)}: second one",
    ]


def test_delete_without_yes_off_a_terminal_is_refused(mlpath: Run) -> None:
    entry = logged(mlpath, "stays")
    before = changes(mlpath)
    for extra in ((), ("--json",)):
        fails(
            mlpath("journal", "delete", entry["id"][:7], *extra),
            "deleting entries asks first on a terminal; pass --yes to delete without asking",
        )
    assert [e["id"] for e in listed(mlpath)] == [entry["id"]]
    assert changes(mlpath) == before


# -------------------------------------------------------------------------------- backdating


def test_a_topic_done_in_a_past_week_counts_in_that_week(mlpath: Run) -> None:
    then = ago(14)
    result = data(mlpath("done", "sql", "--date", then, "--json"), "done")
    assert result["changed"][0]["topic"]["day"] == then
    past, now = review(mlpath, week_ago(2)), review(mlpath)
    assert past["topics"] == {"started": [], "done": ["foundations/sql"], "skipped": []}
    assert now["topics"] == {"started": [], "done": [], "skipped": []}
    assert "Topics     done foundations/sql" in mlpath("review", "--week", week_ago(2)).stdout
    shown = data(mlpath("show", "sql", "--json"), "show")
    assert (shown["state"], shown["day"]) == ("done", then)
    assert [(h["state"], h["day"]) for h in shown["history"]] == [("done", then)]
    assert list(shown["history"][0]) == ["id", "topic", "state", "at", "day", "note"]
    assert dates.local_day(shown["history"][0]["at"]) == dt.date.today()  # recorded now
    markdown = mlpath("export", "--format", "markdown").stdout
    assert f"## {week_ago(2)} " in markdown and "Done: foundations/sql" in markdown


def test_weeks_with_only_topic_changes_keep_the_streak(mlpath: Run) -> None:
    def streak() -> dict[str, int]:
        found: dict[str, int] = data(mlpath("status", "--json"), "status")["streak"]
        return found

    assert mlpath("log", "this week", "--hours", "1").exit_code == 0
    assert streak() == {"current": 1, "longest": 1}
    assert mlpath("start", "sql", "--date", ago(7)).exit_code == 0
    assert streak() == {"current": 2, "longest": 2}
    assert mlpath("skip", "command-line", "--date", ago(14)).exit_code == 0
    assert streak() == {"current": 3, "longest": 3}
    assert review(mlpath)["streak"] == {"current": 3, "longest": 3}
    assert data(mlpath("review", "--week", week_ago(1), "--json"), "review")["topics"] == {
        "started": ["foundations/sql"], "done": [], "skipped": [],
    }  # fmt: skip


def test_a_future_date_is_refused(mlpath: Run) -> None:
    for action in ("start", "done", "skip", "reset"):
        fails(mlpath(action, "sql", "--date", ago(-1)),
              f"--date {ago(-1)} is in the future (today is {ago(0)})")  # fmt: skip
    fails(mlpath("done", "sql", "--date", "soon"),
          "--date 'soon' is not a date: use YYYY-MM-DD, today, yesterday, N days ago, or a "
          "weekday such as 'last monday'")  # fmt: skip
    assert data(mlpath("show", "sql", "--json"), "show")["history"] == []
    assert changes(mlpath)["changes"] == []


@pytest.mark.parametrize(
    ("word", "days"), [("yesterday", 1), ("3 days ago", 3), ("today", 0), ("1 day ago", 1)]
)
def test_date_words(mlpath: Run, word: str, days: int) -> None:
    result = data(mlpath("start", "sql", "--date", word, "--json"), "start")
    assert result["changed"][0]["topic"]["day"] == ago(days)
    assert data(mlpath("show", "sql", "--json"), "show")["history"][0]["day"] == ago(days)
    week = dates.week_of(dt.date.fromisoformat(ago(days)))
    assert review(mlpath, week)["topics"]["started"] == ["foundations/sql"]
