"""The sweep: every command of the README fed hostile values, and what mlpath promises for them.

A value that must be refused is refused cleanly: exit 1 (something the user can fix) or 2 (a
usage error), exactly one line on stderr with no control character in it, no traceback, nothing
on stdout that looks like success, no crash file, and the store, $MLPATH_HOME and the working
folder exactly as they were. A value that may well be accepted is either accepted (exit 0, no
crash, no control character echoed) or refused in that same clean way.

Then the promise that user text never drives the terminal: entries, notes and roadmap titles
full of escape sequences print without a single control character, while `--json` and
`mlpath export` keep the text exactly.

Most rows run in-process through `_app_for`, the route the installed script takes; the rows
that need what only a real process has (non-UTF-8 bytes in argv, reads that could hang on a
FIFO or /dev/zero, the exit code and stderr as a shell sees them) run the installed `mlpath`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import resource
import shutil
import sqlite3
import stat
import subprocess
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from typer.testing import CliRunner

from mlpath.cli.app import _app_for
from tests.conftest import DEMO

# ----------------------------------------------------------------------------- the values

LONG = "x" * 100_000  # one argument; Linux takes up to 128 KiB in one
XFF = b"\xff"  # not UTF-8: only a real process can carry it in argv
TIMEOUT = 4.0  # seconds for a process; a run that needs more is hanging (a FIFO, /dev/zero)
MEMORY = 2 << 30  # bytes of address space for a process, so that reading /dev/zero cannot win
MAX_LINE = 5_000  # characters of an error line: a long real path fits, 100,000 echoed do not
# Control characters that must never reach a terminal raw: C0 but tab and newline, DEL, C1.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class F(str):
    """A file of the sandbox's working folder (see ``Sandbox.make_files``), by name."""

    __slots__ = ()


class Doc(NamedTuple):
    """A file written into the working folder just before the run."""

    name: str
    body: bytes


Arg = str | bytes | Doc


def label(value: Arg) -> str:
    """A readable test id for one argument."""
    if isinstance(value, F):
        return f"<{value}>"
    if isinstance(value, Doc):
        return f"<{value.name}>"
    if isinstance(value, bytes):
        return repr(value)[1:]
    if len(value) > 200:
        return f"<{len(value) // 1000}k {value[0]!r}>"
    if value == "" or any(not c.isprintable() or c == " " for c in value):
        return repr(value)
    return value


def row(*args: Arg, note: str = "") -> Any:
    ident = " ".join(label(a) for a in args) + (f" [{note}]" if note else "")
    return pytest.param(args, id=ident)


def rows(prefix: Sequence[Arg], values: Iterable[Arg], suffix: Sequence[Arg] = ()) -> list[Any]:
    return [row(*prefix, value, *suffix) for value in values]


# Identifiers: topics, roadmap ids, setting keys. None of these names anything.
IDS: list[Arg] = [
    "", "   ", "\t", "\x1b[2J", "\x07", "\x1b]0;pwned\x07", "\x85", LONG, "no-such-thing",
]  # fmt: skip
# -n N
COUNTS: list[Arg] = [
    "99999999999999999999999", "-99999999999999999999999", "-1", "0", "1e308", "1e400",
    "nan", "inf", "-inf", "", " ",
]  # fmt: skip
# --hours H (0 < H <= 24) and weekly-hours (0 < H <= 168)
AMOUNTS: list[Arg] = [
    "99999999999999999999999", "-1", "0", "-0", "1e308", "1e400", "1e-400", "nan", "-nan",
    "inf", "-inf", "", " ", "ten",
]  # fmt: skip
# --date, --since, --until: far past and far future, impossible days, words it does not know
DAYS: list[Arg] = [
    "", " ", "0001-01-01", "10000-01-01", "0000-01-01", "2026-02-30", "2026-13-01",
    "tomorrow", "-1 days ago", "100000 days ago", "\x1b[2J", LONG,
]  # fmt: skip
# --week
WEEKS: list[Arg] = [
    "", " ", "0001-W01", "10000-W01", "0000-W01", "2026-W00", "2025-W53", "2026-W54",
    "\x1b[2J", LONG,
]  # fmt: skip
# A file to read: nothing there, not a file, a device, a file that is not what was asked.
READ_PATHS: list[Arg] = [
    "", " ", F("folder"), F("link-to-folder"), F("dangling"), "/dev/null", F("missing.json"),
    F("plain.txt/x"), LONG, "\x1b[2J", F("plain.txt"), F("binary.bin"), F("empty.txt"),
]  # fmt: skip
# Reads that can hang or run out of memory: only in a process with a timeout.
READ_PATHS_SLOW: list[Arg] = ["/dev/zero", F("fifo"), XFF, b"bad-\xff.json"]
# A file to write: under a file, a name too long for any file system.
WRITE_PATHS: list[Arg] = [F("plain.txt/out"), LONG]
# A file to write in a folder that is not there (yet): made, or refused.
NEW_FOLDER_PATHS: list[Arg] = [F("missing-folder/out"), "\x1b[2J/out"]
# A parent folder for new-project --dir: things that are not a folder.
PARENTS: list[Arg] = [
    F("plain.txt"), F("link-to-file"), F("dangling"), F("chardev"), F("missing-folder"),
    F("plain.txt/x"), LONG, "\x1b[2J",
]  # fmt: skip
NAMES: list[Arg] = [
    "", " ", "\t", "\x1b[2J", "\x07", "\x85", LONG, "x" * 65, "{{ 7*7 }}", "{% raw %}",
    "{# c #}", "../up", "a/b", "..", ".", ".hidden", "-dash", "CON", "nul", "!!!",
]  # fmt: skip
TEMPLATES: list[Arg] = [
    "", " ", "\x1b[2J", "\x07", LONG, "no-such-template", F("plain.txt"), F("folder"),
    F("dangling"), "/dev/null", F("template.zip"), "https://example.com/template.git",
    "gh:someone/template", "git@github.com:someone/template.git",
]  # fmt: skip

MLPATH_DOC = {
    "format": "mlpath", "version": 1, "settings": {}, "events": [], "entries": [],
    "breaks": [], "projects": [],
}  # fmt: skip
ENTRY = {
    "uid": "0123456789abcdef0123456789abcdef", "kind": "log", "at": "2026-01-05T10:00:00Z",
    "day": "2026-01-05", "hours": 1, "tags": [], "topics": [], "text": "imported",
}  # fmt: skip
JRNL_ENTRY = {
    "title": "jrnl", "body": "", "date": "2026-01-05", "time": "10:00", "tags": [],
    "starred": False,
}  # fmt: skip


def mlpath_doc(name: str, **changes: Any) -> Doc:
    return Doc(name, json.dumps({**MLPATH_DOC, **changes}).encode())


def with_entry(name: str, **changes: Any) -> Doc:
    return mlpath_doc(name, entries=[{**ENTRY, **changes}])


def jrnl_doc(name: str, **changes: Any) -> Doc:
    return Doc(name, json.dumps({"tags": {}, "entries": [{**JRNL_ENTRY, **changes}]}).encode())


IMPORT_DOCS: list[Arg] = [
    Doc("not-utf8.json", b'{"format": "mlpath", "version": 1, "breaks": ["\xff"]}'),
    Doc("deep.json", b"[" * 100_000 + b"]" * 100_000),
    Doc("deep-object.json", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
    Doc("nan-hours.json", json.dumps({**MLPATH_DOC, "entries": [ENTRY]})
        .replace('"hours": 1', '"hours": NaN').encode()),
    Doc("inf-hours.json", json.dumps({**MLPATH_DOC, "entries": [ENTRY]})
        .replace('"hours": 1', '"hours": 1e400').encode()),
    with_entry("huge-hours.json", hours=99999999999999999999999),
    with_entry("negative-hours.json", hours=-1),
    with_entry("text-number.json", text=123),
    with_entry("empty-text.json", text=""),
    with_entry("day-0001.json", day="0001-01-01"),
    with_entry("day-9999.json", day="9999-12-31"),
    with_entry("day-10000.json", day="10000-01-01"),
    with_entry("day-0000.json", day="0000-01-01"),
    with_entry("at-10000.json", at="10000-01-01T00:00:00Z"),
    with_entry("at-0001.json", at="0001-01-01T00:00:00Z"),
    with_entry("kind-bogus.json", kind="bogus"),
    with_entry("tag-escape.json", tags=["\x1b[2J"]),
    mlpath_doc("version-huge.json", version=99999999999999999999999),
    mlpath_doc("entries-object.json", entries={}),
    mlpath_doc("break-10000.json", breaks=["10000-W01"]),
    mlpath_doc("break-0000.json", breaks=["0000-W01"]),
    mlpath_doc("break-0001.json", breaks=["0001-W01"]),
    mlpath_doc("break-w54.json", breaks=["2026-W54"]),
    mlpath_doc("hours-nan.json", settings={"weekly-hours": "nan"}),
    mlpath_doc("hours-inf.json", settings={"weekly-hours": "1e400"}),
    mlpath_doc("escape-setting.json", settings={"\x1b[2J": "1"}),
    mlpath_doc("event-bogus.json", events=[
        {"topic": "foundations/sql", "state": "bogus", "at": "2026-01-05T10:00:00Z", "note": None}
    ]),
    mlpath_doc("event-0001.json", events=[
        {"topic": "foundations/sql", "state": "done", "at": "0001-01-01T00:00:00Z", "note": None}
    ]),
    Doc("list.json", b"[]"),
    jrnl_doc("jrnl-0001.json", date="0001-01-01", time="00:00"),
    jrnl_doc("jrnl-10000.json", date="10000-01-01"),
    jrnl_doc("jrnl-9999.json", date="9999-12-31", time="23:59"),
    jrnl_doc("jrnl-time.json", time="25:99"),
]  # fmt: skip


def demo(name: str, old: str, new: str) -> Doc:
    assert old in DEMO
    return Doc(name, DEMO.replace(old, new, 1).encode())


ROADMAP_DOCS: list[Arg] = [
    demo("nan-hours.yaml", "hours: 2", "hours: .nan"),
    demo("inf-hours.yaml", "hours: 2", "hours: .inf"),
    demo("negative-hours.yaml", "hours: 2", "hours: -1"),
    demo("huge-hours.yaml", "hours: 2", "hours: 99999999999999999999999"),
    demo("empty-title.yaml", "title: Alpha", 'title: ""'),
    demo("blank-title.yaml", "title: Alpha", 'title: "   "'),
    demo("empty-id.yaml", "id: alpha", 'id: ""'),
    demo("escape-id.yaml", "id: alpha\n", 'id: "\\e[2J"\n'),
    Doc("deep.yaml", b"[" * 10_000 + b"]" * 10_000),
    Doc("not-utf8.yaml", DEMO.replace("First topic.", "First \xff topic.").encode("latin-1")),
    Doc("laughs.yaml", b"a: &a [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
        b"%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n"
        % ((bytes([c]),) * 2 + (bytes([c - 1]),) * 10)
        for c in range(ord("b"), ord("k"))
    )),
]  # fmt: skip


# ------------------------------------------------------------------------------- the rows

TRACK = """\
schema: 1
id: hostile
title: Hostile track
summary: One topic.
topics:
  - foundations/python-basics
"""


def track(name: str, old: str, new: str) -> Doc:
    assert old in TRACK
    return Doc(name, TRACK.replace(old, new, 1).encode())


# Track files with one problem each: hostile values where a track has text and topic ids.
TRACK_DOCS: list[Arg] = [
    track("escape-id.yaml", "id: hostile", 'id: "\\e[2J"'),
    track("escape-topic.yaml", "foundations/python-basics", '"foundations/\\e[2J"'),
    track("bell-topic.yaml", "foundations/python-basics", '"\\a"'),
    track("long-topic.yaml", "foundations/python-basics", "foundations/" + "x" * 5000),
    track("blank-title.yaml", "title: Hostile track", 'title: "   "'),
    track("topics-text.yaml", "\n  - foundations", " foundations"),
    track("no-such-topic.yaml", "foundations/python-basics", "foundations/no-such-thing"),
    Doc("deep-track.yaml", b"[" * 10_000 + b"]" * 10_000),
]

# fmt: off
# Must be refused, in-process.
REFUSED: list[Any] = [
    # the root command
    *rows([], ["--bogus", "no-such-command", "", "\x1b[2J", LONG]),
    # usage errors: an unknown option, a missing argument or value, one argument too many
    *rows([], [
        "status", "next", "start", "done", "skip", "reset", "show", "log", "note", "journal",
        "review", "export", "import", "config", "backup", "doctor", "projects", "new-project",
    ], ["--bogus"]),
    *rows(["roadmap"], ["list", "show", "validate", "add", "follow", "unfollow", "schema"],
          ["--bogus"]),
    *rows(["track"], ["list", "show", "validate", "follow", "unfollow"], ["--bogus"]),
    row("journal", "break", "--bogus"), row("config", "set", "--bogus"),
    *[row(*args) for args in [
        ("start",), ("done",), ("skip",), ("reset",), ("show",), ("note",), ("note", "sql"),
        ("roadmap", "show"), ("roadmap", "validate"), ("roadmap", "add"),
        ("roadmap", "follow"), ("roadmap", "unfollow"), ("import",), ("config", "set"),
        ("config", "set", "weekly-hours"), ("new-project",), ("status", "extra"),
        ("doctor", "extra"), ("roadmap", "schema", "extra"), ("review", "extra"),
        ("journal", "extra"), ("export", "extra"), ("log", "a", "b"), ("log", "x", "--hours"),
        ("journal", "-n"), ("export", "-o"), ("show", "sql", "python-basics"),
        ("journal", "--week", "2026-W01", "--since", "today"),
        ("journal", "--week", "2026-W01", "--until", "today"),
        ("projects", "extra"), ("config", "extra"),
        ("track", "show"), ("track", "validate"), ("track", "follow"), ("track", "unfollow", "x"),
    ]],
    # progress
    *rows(["status", "--roadmap"], IDS),
    *rows(["next", "--roadmap"], IDS),
    *rows(["next", "-n"], COUNTS),
    *[r for command in ("start", "done", "skip", "reset", "show") for r in rows([command], IDS)],
    row("done", "sql", "", note="all or nothing"),
    row("start", "sql", "\x1b[2J", note="all or nothing"),
    # roadmaps
    *[r for command in ("show", "follow", "unfollow") for r in rows(["roadmap", command], IDS)],
    *rows(["roadmap", "validate"], [*READ_PATHS, *ROADMAP_DOCS]),
    *rows(["roadmap", "add"], [
        "", F("folder"), F("dangling"), "/dev/null", F("missing.yaml"), LONG, "\x1b[2J",
        F("binary.bin"), F("plain.txt"), *ROADMAP_DOCS,
        demo("taken-id.yaml", "id: demo", "id: foundations"),
    ]),
    # tracks
    *[r for command in ("show", "follow") for r in rows(["track", command], IDS)],
    *rows(["track", "validate"], [*READ_PATHS, *TRACK_DOCS]),
    # journal
    *rows(["log"], ["", " ", "\n\t \n"]),
    *rows(["log", "x", "--hours"], [*AMOUNTS, "25", "24.000001"]),
    *rows(["log", "x", "--tag"], ["", " ", "\x1b[2J", "\x07", "#"]),
    *rows(["log", "x", "--topic"], IDS),
    *rows(["log", "x", "--date"], [*DAYS, "9999-12-31"]),
    *rows(["note"], IDS, ["x"]),
    *rows(["note", "sql"], ["", " ", "\n\t"]),
    *rows(["journal", "--week"], WEEKS),
    *rows(["journal", "--since"], DAYS),
    *rows(["journal", "--until"], DAYS),
    *rows(["journal", "--topic"], IDS),
    *rows(["journal", "-n"], COUNTS),
    *rows(["journal", "break", "--week"], WEEKS),
    *rows(["journal", "break", "--undo", "--week"], WEEKS),
    *rows(["review", "--week"], [*WEEKS, "9999-W52"]),
    # your data
    *rows(["export", "--format"], ["", " ", "xml", "JSON", "\x1b[2J", LONG]),
    *rows(["export", "-o"], ["", F("folder"), F("link-to-folder"), *WRITE_PATHS]),
    *rows(["export", "--format", "markdown", "-o"], ["", F("folder"), *WRITE_PATHS]),
    *rows(["import"], [*READ_PATHS, F("template.zip"), *IMPORT_DOCS]),
    *rows(["config", "set"], ["", " ", "\x1b[2J", LONG, "no-such-setting", "followed"], ["10"]),
    *rows(["config", "set", "weekly-hours"], [*AMOUNTS, "169", "168.0001", "\x1b[2J", LONG]),
    # projects
    *rows(["new-project"], TEMPLATES, ["x", "--no-input", "--no-git"]),
    *rows(["new-project", "housing-prices"], NAMES, ["--no-input", "--no-git"]),
    *rows(["new-project", "housing-prices", "x", "--no-input", "--no-git", "--dir"], PARENTS),
    *rows(["new-project", "housing-prices", "x", "--no-input", "--no-git", "--set"], [
        "", "=", "=x", "no-equals-sign", "no_such_variable=1", "license=GPL-3.0",
        "\x1b[2J=1", LONG + "=1", "project_slug=../evil", "package_name=../evil",
    ]),
    row("new-project", "--no-input", note="no template"),
    # backups
    *rows(["backup"], [
        "", F("plain.txt"), F("link-to-file"), F("dangling"), F("chardev"), *WRITE_PATHS,
    ]),
]

# Must be refused, as the installed command sees it: bytes that are not UTF-8, reads that
# could hang, long paths in a real argv.
REFUSED_BY_THE_PROCESS: list[Any] = [
    row(XFF),
    row("status", "--roadmap", XFF), row("next", "--roadmap", XFF),
    *[row(command, XFF) for command in ("start", "done", "skip", "reset", "show")],
    row("done", "sql", "--note", XFF), row("skip", "sql", "--note", b"caf\xe9"),
    row("start", "sql", "--note", XFF), row("reset", "sql", "--note", XFF),
    *[row("roadmap", command, XFF) for command in ("show", "follow", "unfollow")],
    *rows(["roadmap", "validate"], READ_PATHS_SLOW),
    *rows(["roadmap", "add"], READ_PATHS_SLOW),
    row("roadmap", "validate", LONG), row("roadmap", "add", LONG),
    *[row("track", command, XFF) for command in ("show", "follow")],
    *rows(["track", "validate"], READ_PATHS_SLOW), row("track", "validate", LONG),
    row("log", XFF), row("log", b"caf\xe9 in latin-1"),
    row("log", "x", "--tag", XFF), row("log", "x", "--topic", XFF), row("log", "x", "--date", XFF),
    row("note", XFF, "x"), row("note", "sql", XFF),
    *[row("journal", option, XFF) for option in (
        "--week", "--since", "--until", "--tag", "--topic", "--search",
    )],
    row("journal", "-n", "99999999999999999999999"),
    row("journal", "break", "--week", XFF), row("review", "--week", XFF),
    row("review", "--week", "0001-W01"),
    row("export", "--format", XFF), row("export", "-o", b"missing-\xff/out.json"),
    *rows(["import"], [*READ_PATHS_SLOW, LONG]),
    row("config", "set", XFF, "10"), row("config", "set", "weekly-hours", XFF),
    row("config", "set", "weekly-hours", "nan"),
    *rows(["new-project"], ["/dev/zero", F("fifo"), XFF, LONG], ["x", "--no-input", "--no-git"]),
    row("new-project", "housing-prices", XFF, "--no-input", "--no-git"),
    row("new-project", "housing-prices", LONG, "--no-input", "--no-git"),
    *rows(["new-project", "housing-prices", "x", "--no-input", "--no-git", "--dir"],
          [F("fifo"), b"missing-\xff", LONG]),
    row("new-project", "housing-prices", "x", "--no-input", "--no-git",
        "--set", b"author_name=\xff"),
    row("backup", F("fifo")), row("backup", b"missing-\xff/out.db"), row("backup", LONG),
    row("show", "\x1b[2J"), row("show", LONG),
]

# May be accepted or refused; either way cleanly (in-process).
EITHER_WAY: list[Any] = [
    *rows(["done", "sql", "--note"], ["", " ", LONG, "\x1b[2J"]),
    *rows(["log"], [LONG]),
    *rows(["log", "x", "--tag"], ["1abc", "a b", LONG]),
    row("log", "x", "--date", "99999 days ago"),
    *rows(["journal", "--since"], ["9999-12-31"]),
    *rows(["journal", "--until"], ["9999-12-31"]),
    row("journal", "--since", "today", "--until", "2020-01-01", note="since after until"),
    row("journal", "--week", "9999-W52"),
    *rows(["journal", "--tag"], ["", " ", "\x1b[2J", "\x07", LONG]),
    *rows(["journal", "--search"], ["", " ", "\x1b[2J", "\x07", LONG]),
    *rows(["config", "set", "weekly-hours"], ["1_0", "١٠", " 10 "]),
    row("new-project", "housing-prices", "🙂", "--no-input", "--no-git"),
    row("new-project", "housing-prices", "x", "--no-input", "--no-git", "--dir", ""),
    *rows(["export", "-o"], [F("dangling"), F("chardev"), F("plain.txt")]),
    *rows(["backup"], [" ", F("folder"), F("link-to-folder")]),
    *rows(["import"], [
        mlpath_doc("unknown-roadmap.json", settings={"followed": '["nope"]'}),
        mlpath_doc("unknown-setting.json", settings={"no-such-setting": "1"}),
        with_entry("topic-unknown.json", topics=["nope/nope"]),
    ]),
    *rows(["export", "-o"], NEW_FOLDER_PATHS),
    *rows(["export", "--format", "markdown", "-o"], NEW_FOLDER_PATHS),
    *rows(["backup"], NEW_FOLDER_PATHS),
]

# Must be refused under --json too, where stdout may carry a JSON error document (never
# one that reads as success).
REFUSED_AS_JSON: list[Any] = [
    row("status", "--roadmap", "no-such-roadmap", "--json"),
    row("status", "--roadmap", "", "--json"),
    row("next", "-n", "0", "--json"),
    row("next", "-n", "99999999999999999999999", "--json"),
    row("done", "no-such-topic", "--json"),
    row("show", "\x1b[2J", "--json"),
    row("roadmap", "show", "no-such-roadmap", "--json"),
    row("roadmap", "follow", "", "--json"),
    row("roadmap", "add", F("binary.bin"), "--json"),
    row("track", "show", "no-such-track", "--json"),
    row("track", "follow", "", "--json"),
    row("log", "", "--json"),
    row("log", "x", "--hours", "nan", "--json"),
    row("log", "x", "--date", "0001-01-01", "--json"),
    row("log", "x", "--tag", "\x1b[2J", "--json"),
    row("note", "no-such-topic", "x", "--json"),
    row("journal", "--week", "2026-W00", "--json"),
    row("journal", "-n", "99999999999999999999999", "--json"),
    row("journal", "break", "--week", "", "--json"),
    row("review", "--week", "0001-W01", "--json"),
    row("import", F("missing.json"), "--json"),
    row("import", Doc("deep.json", b"[" * 100_000 + b"]" * 100_000), "--json"),
    row("config", "set", "weekly-hours", "nan", "--json"),
    row("config", "set", "followed", "[]", "--json"),
    row("new-project", "no-such-template", "x", "--no-input", "--json"),
    row("new-project", "housing-prices", "\x1b[2J", "--no-input", "--no-git", "--json"),
    row("backup", F("plain.txt"), "--json"),
    row("backup", "", "--json"),
]

# May be accepted or refused; either way cleanly (installed command).
EITHER_WAY_BY_THE_PROCESS: list[Any] = [
    row("export", "-o", F("fifo")),
    row("export", "-o", b"\xff.json"),
    row("backup", b"\xff.db"),
]
# fmt: on


# ---------------------------------------------------------------------------- the sandbox


class Outcome(NamedTuple):
    code: int | None  # None: killed after TIMEOUT
    stdout: str
    stderr: str
    stderr_is_utf8: bool = True


def invoke(argv: Sequence[str], input: str | bytes | None = None) -> Outcome:
    """One run in-process, through the entry route of the installed script."""
    result = CliRunner().invoke(_app_for(list(argv)), list(argv), input=input)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
        return Outcome(None if result.exit_code is None else -1, result.stdout, stderr)
    return Outcome(result.exit_code, result.stdout, stderr)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_exe(exe: str, argv: Sequence[str | bytes], cwd: Path) -> Outcome:
    """One run of the installed script, piped, as a shell would start it."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE")}
    command = [os.fsencode(exe), *(a if isinstance(a, bytes) else os.fsencode(a) for a in argv)]
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
            timeout=TIMEOUT, preexec_fn=_limit_memory, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b""
        err = exc.stderr or b""
        return Outcome(None, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
    try:
        stderr, utf8 = done.stderr.decode("utf-8"), True
    except UnicodeDecodeError:
        stderr, utf8 = done.stderr.decode("utf-8", "replace"), False
    return Outcome(done.returncode, done.stdout.decode("utf-8", "replace"), stderr, utf8)


def _today() -> dt.date:
    return dt.date.today()


def _week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def seed_commands(projects: Path) -> list[list[str]]:
    """A learner's store with a bit of everything in it."""
    return [
        ["done", "sql", "--note", "seed note"],
        ["start", "python-basics"],
        ["skip", "command-line"],
        ["log", "seed entry #pandas", "--hours", "2", "--topic", "pandas"],
        ["log", "an entry from yesterday", "--hours", "1.5", "--date", "yesterday", "--tag", "s"],
        ["note", "sql", "a note on sql"],
        ["journal", "break", "--week", _week(_today() - dt.timedelta(days=28))],
        ["config", "set", "weekly-hours", "12"],
        ["roadmap", "follow", "nlp"],
        ["new-project", "housing-prices", "Seed Project", "--no-input", "--dir", str(projects)],
        ["backup"],
    ]


_SEED: dict[str, Path] = {}
_SEED_FAILED: list[str] = []


@dataclass
class Sandbox:
    home: Path  # $MLPATH_HOME
    work: Path  # the working folder, with the files rows name
    scratch: Path
    runs: int = field(default=0)

    def make_files(self) -> None:
        w = self.work
        (w / "plain.txt").write_text("hello\n", encoding="utf-8")
        (w / "empty.txt").write_bytes(b"")
        (w / "binary.bin").write_bytes(b"\xff\xfe\x00\x1b[2J\x80 garbage \xc3\x28")
        (w / "template.zip").write_bytes(b"not a zip file")
        (w / os.fsdecode(b"bad-\xff.json")).write_bytes(b"\xff not json")
        (w / "folder").mkdir()
        (w / "link-to-file").symlink_to("plain.txt")
        (w / "link-to-folder").symlink_to("folder")
        (w / "dangling").symlink_to("no-such-target")
        os.mkfifo(w / "fifo")
        try:  # a private copy of /dev/null, so that no bug can replace the real one
            os.mknod(w / "chardev", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except OSError:  # not root: the real one, which this user cannot replace anyway
            (w / "chardev").symlink_to("/dev/null")

    def resolve(self, value: Arg) -> str | bytes:
        if isinstance(value, F):
            return str(self.work / value)
        if isinstance(value, Doc):
            path = self.work / "docs" / value.name
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(value.body)
            return str(path)
        return value

    def argv(self, args: Sequence[Arg]) -> list[str | bytes]:
        return [self.resolve(a) for a in args]

    def fingerprint(self) -> dict[str, str]:
        """What a refused command must leave alone: the store's content (read from a copy),
        every other file and folder of $MLPATH_HOME but the cache and crash folders, the
        working folder, and the system's /dev/null and /dev/zero."""
        found = {f"home/{k}": v for k, v in _tree(self.home, skip={"cache", "crash"}).items()}
        found.update({f"work/{k}": v for k, v in _tree(self.work).items()})
        found["store"] = self._store_digest()
        for device in ("/dev/null", "/dev/zero"):
            found[device] = "char device" if stat.S_ISCHR(os.lstat(device).st_mode) else "gone"
        return found

    def _store_digest(self) -> str:
        db = self.home / "mlpath.db"
        if not db.exists():
            return "no store"
        self.runs += 1
        copy = self.scratch / f"copy-{self.runs}"
        copy.mkdir(parents=True)
        for suffix in ("", "-wal"):
            if (self.home / f"mlpath.db{suffix}").exists():
                shutil.copyfile(self.home / f"mlpath.db{suffix}", copy / f"mlpath.db{suffix}")
        conn = sqlite3.connect(copy / "mlpath.db")
        try:
            lines = [
                f"user_version={conn.execute('PRAGMA user_version').fetchone()[0]}",
                f"application_id={conn.execute('PRAGMA application_id').fetchone()[0]}",
                *conn.iterdump(),
            ]
        finally:
            conn.close()
        shutil.rmtree(copy)
        return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()

    def crashes(self) -> list[str]:
        crash = self.home / "crash"
        return sorted(p.name for p in crash.iterdir()) if crash.is_dir() else []


def _tree(root: Path, skip: set[str] | None = None) -> dict[str, str]:
    """Every entry under ``root`` (not following links): folders, links and their targets,
    special files by type, regular files by content. The store's own files are left to
    ``_store_digest``, which reads them logically (a checkpoint moves bytes, not data)."""
    found: dict[str, str] = {}
    if not root.exists():
        return found
    store_files = {"mlpath.db", "mlpath.db-wal", "mlpath.db-shm", "mlpath.db-journal"}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        names = [*dirs, *files]
        if here == root:
            dirs[:] = [d for d in dirs if d not in (skip or set())]
            names = [n for n in [*dirs, *files] if not (skip is not None and n in store_files)]
        for name in names:
            path = here / name
            key = os.fsdecode(path.relative_to(root))
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                found[key] = f"link -> {os.readlink(path)}"
            elif stat.S_ISDIR(info.st_mode):
                found[key] = "folder"
            elif stat.S_ISREG(info.st_mode):
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[key] = f"special {stat.S_IFMT(info.st_mode):o}"
    return found


@pytest.fixture
def sandbox(
    isolated_home: Path,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Sandbox:
    """A store with data in it (built once, then copied), and a working folder full of
    awkward files."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("CLICOLOR_FORCE", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    box = Sandbox(isolated_home, work, tmp_path / "scratch")
    if _SEED_FAILED:  # once is enough to say so; every other test stops at once
        pytest.fail(_SEED_FAILED[0])
    seed = _SEED.get("home")
    if seed is None:
        projects = tmp_path_factory.mktemp("seed-projects")
        for args in seed_commands(projects):
            outcome = invoke(args)
            if outcome.code != 0 or box.crashes():
                _SEED_FAILED.append(f"seeding `mlpath {' '.join(args)}` failed: {summary(outcome)}")
                pytest.fail(_SEED_FAILED[0])
        seed = tmp_path_factory.mktemp("seed") / "home"
        shutil.copytree(isolated_home, seed, symlinks=True)
        _SEED["home"] = seed
    else:
        shutil.copytree(seed, isolated_home, symlinks=True)
    box.make_files()
    return box


# ------------------------------------------------------------------------- the promises


def broken_promises(
    outcome: Outcome, box: Sandbox, before: dict[str, str], as_json: bool = False
) -> list[str]:
    """Every way a refusal of bad input went wrong, worst first."""
    problems: list[str] = []
    if outcome.code is None:
        problems.append(f"hung: killed after {TIMEOUT:g} s")
    elif outcome.code == -1:
        problems.append("an exception escaped the error boundary")
    if "Traceback" in outcome.stdout + outcome.stderr:
        problems.append("a traceback was printed")
    if crashes := box.crashes():
        problems.append(f"a crash file was written ({crashes[0]})")
    if outcome.code is not None and outcome.code not in (1, 2):
        problems.append(f"exit {outcome.code}, not 1 or 2")
    lines = outcome.stderr.count("\n")
    if lines != 1 or not outcome.stderr.endswith("\n"):
        problems.append(f"{lines} lines on stderr, not exactly one")
    if CONTROL.search(outcome.stderr.removesuffix("\n")):
        problems.append("a raw control character on stderr")
    if not outcome.stderr_is_utf8:
        problems.append("stderr is not UTF-8")
    if len(outcome.stderr) > MAX_LINE:
        problems.append(f"an error line of {len(outcome.stderr):,} characters")
    if outcome.stdout and not (as_json and _is_error_document(outcome.stdout)):
        problems.append(f"stdout is not empty: {outcome.stdout[:80]!r}")
    after = box.fingerprint()
    if changed := sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k)):
        problems.append(f"changed: {', '.join(changed[:5])}")
    return problems


def _is_error_document(stdout: str) -> bool:
    """One JSON document that does not carry a result (``data``): an error document."""
    try:
        document = json.loads(stdout)
    except ValueError:
        return False
    return isinstance(document, dict) and "data" not in document


def summary(outcome: Outcome) -> str:
    first = outcome.stderr.splitlines()[0] if outcome.stderr else ""
    if "Traceback" in outcome.stderr:
        first = outcome.stderr.strip().splitlines()[-1]
    if len(first) > 300:
        first = first[:300] + f"… ({len(first):,} characters)"
    return f"exit {outcome.code}; stderr: {first!r}"


def assert_refused(
    outcome: Outcome, box: Sandbox, before: dict[str, str], as_json: bool = False
) -> None:
    problems = broken_promises(outcome, box, before, as_json)
    assert not problems, "; ".join(problems) + f" — {summary(outcome)}"


def assert_clean_either_way(outcome: Outcome, box: Sandbox, before: dict[str, str]) -> None:
    if outcome.code != 0:
        assert_refused(outcome, box, before)
        return
    problems = []
    if "Traceback" in outcome.stdout + outcome.stderr:
        problems.append("a traceback was printed")
    if crashes := box.crashes():
        problems.append(f"a crash file was written ({crashes[0]})")
    if CONTROL.search(outcome.stdout + outcome.stderr):
        problems.append("a raw control character in the output")
    assert not problems, "accepted, but " + "; ".join(problems) + f" — {summary(outcome)}"


def _text_only(argv: Sequence[str | bytes]) -> list[str]:
    assert all(isinstance(a, str) for a in argv), "bytes need a real process"
    return [a for a in argv if isinstance(a, str)]


@pytest.mark.parametrize("args", REFUSED)
def test_hostile_value_is_refused(sandbox: Sandbox, args: tuple[Arg, ...]) -> None:
    argv = _text_only(sandbox.argv(args))
    before = sandbox.fingerprint()
    assert_refused(invoke(argv), sandbox, before)


@pytest.mark.parametrize("args", REFUSED_AS_JSON)
def test_hostile_value_is_refused_under_json(sandbox: Sandbox, args: tuple[Arg, ...]) -> None:
    argv = _text_only(sandbox.argv(args))
    before = sandbox.fingerprint()
    assert_refused(invoke(argv), sandbox, before, as_json=True)


@pytest.mark.parametrize("args", REFUSED_BY_THE_PROCESS)
def test_hostile_value_is_refused_by_the_installed_command(
    sandbox: Sandbox, mlpath_exe: str, args: tuple[Arg, ...]
) -> None:
    argv = sandbox.argv(args)
    before = sandbox.fingerprint()
    assert_refused(run_exe(mlpath_exe, argv, sandbox.work), sandbox, before)


@pytest.mark.parametrize("args", EITHER_WAY)
def test_odd_value_is_accepted_or_refused_cleanly(sandbox: Sandbox, args: tuple[Arg, ...]) -> None:
    argv = _text_only(sandbox.argv(args))
    before = sandbox.fingerprint()
    assert_clean_either_way(invoke(argv), sandbox, before)


@pytest.mark.parametrize("args", EITHER_WAY_BY_THE_PROCESS)
def test_odd_value_is_accepted_or_refused_cleanly_by_the_installed_command(
    sandbox: Sandbox, mlpath_exe: str, args: tuple[Arg, ...]
) -> None:
    argv = sandbox.argv(args)
    before = sandbox.fingerprint()
    assert_clean_either_way(run_exe(mlpath_exe, argv, sandbox.work), sandbox, before)


@pytest.mark.parametrize(
    "stdin",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"  \n\t\n", id="blank"),
        pytest.param(b"\xff\xfe not UTF-8", id="not UTF-8"),
        pytest.param(b"caf\xe9 in latin-1\n", id="latin-1"),
    ],
)
def test_hostile_stdin_of_log_is_refused(sandbox: Sandbox, stdin: bytes) -> None:
    before = sandbox.fingerprint()
    assert_refused(invoke(["log"], input=stdin), sandbox, before)


def test_the_base_documents_of_the_import_rows_are_accepted(sandbox: Sandbox) -> None:
    # So that each hostile import row is refused for its hostile part, not for its frame.
    for doc in (with_entry("base.json"), jrnl_doc("base-jrnl.json")):
        outcome = invoke(["import", str(sandbox.resolve(doc))])
        assert outcome.code == 0, summary(outcome)


def test_the_base_roadmap_of_the_validate_rows_is_accepted(sandbox: Sandbox) -> None:
    outcome = invoke(["roadmap", "validate", str(sandbox.resolve(Doc("demo.yaml", DEMO.encode())))])
    assert outcome.code == 0, summary(outcome)


def test_the_base_track_of_the_validate_rows_is_accepted(sandbox: Sandbox) -> None:
    outcome = invoke(["track", "validate", str(sandbox.resolve(Doc("t.yaml", TRACK.encode())))])
    assert outcome.code == 0, summary(outcome)


def test_a_refusal_leaves_the_fingerprint_alone_and_a_change_does_not(sandbox: Sandbox) -> None:
    # The fingerprint can fail: a real change to the store shows in it.
    before = sandbox.fingerprint()
    assert invoke(["status"]).code == 0
    assert sandbox.fingerprint() == before
    assert invoke(["log", "one more entry"]).code == 0
    assert sandbox.fingerprint()["store"] != before["store"]


# ------------------------------------------------------- far dates the store may hold

FOLLOW_UPS: list[list[str]] = [
    ["status"], ["status", "--json"], ["next"], ["review"], ["review", "--json"],
    ["journal"], ["journal", "--json"], ["export"], ["export", "--format", "markdown"],
    ["doctor"],
]  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        ["journal", "break", "--week", "9999-W52"],
        ["journal", "break", "--week", "9999-W51"],
        ["journal", "break", "--week", "0001-W01"],
        ["journal", "break", "--week", "0001-W02"],
        ["log", "in the year one", "--date", "0001-01-01"],
        ["log", "in the year one", "--date", "0001-01-08"],
        ["log", "long ago", "--date", "99999 days ago"],
        ["import", jrnl_doc("jrnl-0001.json", date="0001-01-01", time="00:00")],
        ["import", mlpath_doc("breaks.json", breaks=["0001-W01", "9999-W52"])],
        ["import", with_entry("day-0001.json", day="0001-01-01")],
    ],
    ids=lambda change: " ".join(label(a) for a in change),
)
def test_a_far_date_is_refused_or_every_command_still_works(
    sandbox: Sandbox, change: list[Arg]
) -> None:
    argv = _text_only(sandbox.argv(change))
    before = sandbox.fingerprint()
    outcome = invoke(argv)
    if outcome.code != 0:
        assert_refused(outcome, sandbox, before)
        return
    failed = []
    for args in FOLLOW_UPS:
        after = invoke(args)
        if after.code != 0 or "Traceback" in after.stderr or sandbox.crashes():
            failed.append(f"`mlpath {' '.join(args)}`: {summary(after)}")
            shutil.rmtree(sandbox.home / "crash", ignore_errors=True)
    assert not failed, "accepted, then: " + " | ".join(failed)


# -------------------------------------------------- user text never drives the terminal

ENTRY_TEXT = "\x1b]0;pwned\x07 hi zebra \x1b[2J"
ENTRY_TEXT_2 = "kiwi \x9b31m c1 \x85 nel \x7f del \x08 bs \r cr \x1b[5m blink \x1b[0m end"
NOTE_TEXT = "note \x1b[31mquokka\x1b[0m on sql"
DONE_NOTE = "\x1b[1mwombat\x1b[0m finished"


def shown(args: list[str], *visible: str) -> Any:
    """A command whose text output is checked, and words of the hostile text it must show."""
    return pytest.param(args, list(visible), id=" ".join(args))


@pytest.fixture
def hostile_journal(sandbox: Sandbox) -> Sandbox:
    """Entries and notes full of escape sequences, all written today, checked as written."""
    for args in (
        ["log", ENTRY_TEXT, "--hours", "1"],
        ["log", ENTRY_TEXT_2, "--topic", "sql"],
        ["note", "sql", NOTE_TEXT],
        ["reset", "sql"],
        ["done", "sql", "--note", DONE_NOTE],
    ):
        outcome = invoke(args)
        assert outcome.code == 0, summary(outcome)
        raw = CONTROL.findall(outcome.stdout + outcome.stderr)
        assert not raw, f"`mlpath {args[0]}` echoed control characters {raw!r}"
    return sandbox


@pytest.mark.parametrize(
    ("args", "visible"),
    [
        shown(["journal"], "zebra", "kiwi", "quokka"),
        shown(["journal", "--search", "zebra"], "zebra"),
        shown(["journal", "--topic", "sql"], "kiwi", "quokka"),
        shown(["show", "sql"], "quokka", "wombat"),
        shown(["review"], "zebra", "kiwi"),
        shown(["status"]),
        shown(["next"]),
    ],
)
def test_entry_text_reaches_the_terminal_without_control_characters(
    hostile_journal: Sandbox, args: list[str], visible: list[str]
) -> None:
    outcome = invoke(args)
    assert outcome.code == 0, summary(outcome)
    raw = sorted(set(CONTROL.findall(outcome.stdout + outcome.stderr)))
    assert not raw, f"raw control characters in `mlpath {' '.join(args)}`: {raw!r}"
    for word in visible:  # the entry is shown, made safe, not left out
        assert word in outcome.stdout


def test_the_installed_command_prints_no_control_characters_either(
    hostile_journal: Sandbox, mlpath_exe: str
) -> None:
    outcome = run_exe(mlpath_exe, ["journal"], hostile_journal.work)
    assert outcome.code == 0, summary(outcome)
    assert not CONTROL.findall(outcome.stdout + outcome.stderr)
    assert "zebra" in outcome.stdout


def test_json_and_export_keep_the_text_exactly(hostile_journal: Sandbox) -> None:
    journal = invoke(["journal", "--json"])
    assert journal.code == 0, summary(journal)
    assert "\x1b" not in journal.stdout  # JSON writes it as \u001b
    texts = [e["text"] for w in json.loads(journal.stdout)["data"]["weeks"] for e in w["entries"]]
    assert {ENTRY_TEXT, ENTRY_TEXT_2, NOTE_TEXT} <= set(texts)

    shown = invoke(["show", "sql", "--json"])
    assert shown.code == 0, summary(shown)
    detail = json.loads(shown.stdout)["data"]
    assert NOTE_TEXT in [n["text"] for n in detail["notes"]]
    assert DONE_NOTE in [h["note"] for h in detail["history"]]

    exported = invoke(["export"])
    assert exported.code == 0, summary(exported)
    document = json.loads(exported.stdout)
    entry_texts = {e["data"]["text"] for e in document["events"] if e["kind"] == "entry"}
    assert {ENTRY_TEXT, ENTRY_TEXT_2, NOTE_TEXT} <= entry_texts
    assert DONE_NOTE in [e["data"].get("note") for e in document["events"]]


@pytest.mark.parametrize("args", [["journal", "--json"], ["show", "sql", "--json"], ["export"]])
def test_json_writes_no_raw_c1_or_del_character(hostile_journal: Sandbox, args: list[str]) -> None:
    # json.dumps(ensure_ascii=False) escapes C0 but writes DEL and C1 (U+0080-U+009F) raw;
    # U+009B is CSI on terminals that take 8-bit controls.
    outcome = invoke(args)
    assert outcome.code == 0, summary(outcome)
    raw = sorted(set(CONTROL.findall(outcome.stdout)))
    assert not raw, f"raw {raw!r} in `mlpath {' '.join(args)}`"


EVIL_ROADMAP = """\
schema: 1
id: evil
title: "Evil \\e[2J roadmap"
summary: "A title change \\e]0;pwned\\a ahead"
stages:
  - id: basics
    title: "Stage \\e[31m red"
    topics:
      - id: alpha
        title: "Alpha \\e[2J lemur"
        summary: "Blink \\e[5m and CSI \\x9b31m"
        hours: 2
      - id: beta
        title: "Beta \\a bell"
        summary: "Second topic."
        hours: 3
        requires: [alpha]
"""


@pytest.fixture
def evil_roadmap(sandbox: Sandbox) -> Sandbox | None:
    """A roadmap whose titles carry escape sequences, added and started, or None when
    `roadmap add` refuses it (cleanly: then there is nothing to print)."""
    path = sandbox.resolve(Doc("evil.yaml", EVIL_ROADMAP.encode()))
    assert isinstance(path, str)
    added = invoke(["roadmap", "add", path])
    if added.code != 0:
        assert added.code == 1, summary(added)
        assert not CONTROL.search(added.stderr.replace("\n", "")), summary(added)
        assert "Traceback" not in added.stderr and not sandbox.crashes()
        assert not (sandbox.home / "roadmaps" / "evil.yaml").exists()
        return None
    assert not CONTROL.search(added.stdout + added.stderr), summary(added)
    started = invoke(["start", "evil/alpha"])
    assert started.code == 0, summary(started)
    assert not CONTROL.search(started.stdout + started.stderr), summary(started)
    return sandbox


@pytest.mark.parametrize(
    ("args", "visible"),
    [
        shown(["status"], "Evil", "lemur"),
        shown(["next"], "lemur"),
        shown(["show", "evil/alpha"], "lemur", "Blink"),
        shown(["show", "evil/beta"], "bell", "lemur"),
        shown(["roadmap", "show", "evil"], "Evil", "Stage", "lemur", "bell"),
        shown(["roadmap", "list"], "Evil"),
    ],
)
def test_roadmap_text_reaches_the_terminal_without_control_characters(
    evil_roadmap: Sandbox | None, args: list[str], visible: list[str]
) -> None:
    if evil_roadmap is None:
        return  # refused cleanly: nothing of it can reach the terminal
    outcome = invoke(args)
    assert outcome.code == 0, summary(outcome)
    raw = sorted(set(CONTROL.findall(outcome.stdout + outcome.stderr)))
    assert not raw, f"raw control characters in `mlpath {' '.join(args)}`: {raw!r}"
    for word in visible:
        assert word in outcome.stdout


def test_roadmap_json_keeps_the_titles_exactly(evil_roadmap: Sandbox | None) -> None:
    if evil_roadmap is None:
        return
    outcome = invoke(["roadmap", "show", "evil", "--json"])
    assert outcome.code == 0, summary(outcome)
    detail = json.loads(outcome.stdout)["data"]
    assert detail["title"] == "Evil \x1b[2J roadmap"
    assert detail["stages"][0]["topics"][0]["title"] == "Alpha \x1b[2J lemur"
