"""export and import: the documented JSON, Markdown, jrnl files, atomicity and round trips."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlpath import dates, export, journal
from mlpath.store import Store, legacy
from mlpath.store.entries import ref_of
from mlpath.store.topics import STATES
from tests.conftest import Result
from tests.test_cli import data
from tests.test_journal import EXACT, ago, dump

PROJECT = {"name": "housing", "template": "housing-prices", "path": "/work/housing",
           "created_at": "2026-01-02T03:04:05Z", "topics": ["a/b"]}  # fmt: skip


def fill(mlpath: Callable[..., Result]) -> None:
    """A learner with a bit of everything."""
    for args in (
        ["done", "python-basics", "--note", "tutorial finished ✔"],
        ["start", "numpy"],
        ["config", "set", "weekly-hours", "6"],
        ["roadmap", "follow", "nlp"],
        ["log", EXACT, "--hours", "1.5", "--tag", "study", "--topic", "numpy"],
        ["log", "last week", "--date", ago(7), "--hours", "3"],
        ["note", "numpy", "axis=0 goes down the rows"],
        ["journal", "break", "--week", "2026-W30"],
    ):
        assert mlpath(*args).exit_code == 0, args
    with Store.open() as store, store.change("new-project") as change:
        change.add([legacy.project_event(PROJECT)])


def test_export_has_every_documented_key(mlpath: Callable[..., Result]) -> None:
    fill(mlpath)
    result = mlpath("export")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert list(doc) == ["format", "version", "events"]
    assert (doc["format"], doc["version"]) == ("mlpath", 2)
    fields = ["id", "replica", "hlc", "recorded", "kind", "target", "day", "data"]
    assert all(list(e) == fields for e in doc["events"])
    order = [(e["hlc"], e["id"]) for e in doc["events"]]
    assert order == sorted(order), "events are written in their order"
    kinds = [e["kind"] for e in doc["events"]]
    assert kinds.count("topic") == 2 and kinds.count("entry") == 3
    done = next(e for e in doc["events"] if e["kind"] == "topic")
    assert (done["kind"], done["target"], done["day"]) == (
        "topic", "foundations/python-basics", dt.date.today().isoformat()
    )  # fmt: skip
    assert done["data"] == {"note": "tutorial finished ✔", "state": "done"}
    setting = next(e for e in doc["events"] if e["kind"] == "setting")
    assert (setting["target"], setting["data"]) == ("weekly-hours", {"value": "6"})
    follow = next(e for e in doc["events"] if e["kind"] == "follow")
    assert (follow["target"], follow["data"]) == ("nlp", {"on": True})
    entries = [e for e in doc["events"] if e["kind"] == "entry"]
    assert list(entries[0]["data"]) == ["at", "day", "hours", "kind", "tags", "text", "topics",
                                        "week"]  # fmt: skip
    assert EXACT.strip() in [e["data"]["text"] for e in entries]
    assert [e["target"] for e in doc["events"] if e["kind"] == "break"] == ["2026-W30"]
    [project] = [e for e in doc["events"] if e["kind"] == "project"]
    assert project["data"] == {**PROJECT, "host": None}
    assert project["replica"] == "legacy"


def test_export_import_export_round_trips_into_an_empty_home(
    mlpath: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(mlpath)
    first = tmp_path / "out" / "mlpath.json"
    first.parent.mkdir()  # -o names a file in a folder that exists (a missing one is refused)
    written = mlpath("export", "-o", str(first))
    assert written.stdout == (
        f"Exported 2 settings, 2 topic changes, 3 journal entries, 1 break week, 1 project "
        f"to {first}\n"
    )
    assert [p.name for p in first.parent.iterdir()] == ["mlpath.json"]

    monkeypatch.setenv("MLPATH_HOME", str(tmp_path / "new-home"))
    imported = data(mlpath("import", str(first), "--json"), "import")
    counts = {"settings": 2, "events": 2, "entries": 3, "breaks": 1, "projects": 1}
    zero = dict.fromkeys(counts, 0)
    assert imported == {"file": str(first), "format": "mlpath", "version": 2, "added": counts,
                        "unchanged": zero}  # fmt: skip
    again = data(mlpath("import", str(first), "--json"), "import")
    assert (again["added"], again["unchanged"]) == (zero, counts)

    second = mlpath("export")
    assert second.stdout.encode() == first.read_bytes()
    entry = next(
        e["data"]
        for e in json.loads(second.stdout)["events"]
        if e["kind"] == "entry" and e["data"]["tags"] == ["pytorch", "study"]
    )
    assert entry["text"] == EXACT.strip()
    assert mlpath("show", "numpy", "--json").exit_code == 0
    status = data(mlpath("status", "--json"), "status")
    assert status["this_week"]["goal"] == 6.0
    assert [r["id"] for r in status["roadmaps"]][-1] == "nlp"


def test_export_to_a_file_replaces_it_whole(mlpath: Callable[..., Result], tmp_path: Path) -> None:
    target = tmp_path / "log.md"
    target.write_text("old", encoding="utf-8")
    fill(mlpath)
    assert mlpath("export", "--format", "markdown", "-o", str(target)).exit_code == 0
    text = target.read_bytes().decode()  # not read_text: it would turn CRLF into LF
    assert text.startswith("# Learning log\n\n3 journal entries, 4.5 hours logged, 1 topic done.")
    assert "\n## 2026-W30 · " in text and "_A planned break._" in text
    assert f"\n## {dates.week_of(dt.date.today())} · " in text
    assert "Done: foundations/python-basics" in text
    assert "note on foundations/numpy" in text and "axis=0 goes down the rows" in text
    assert EXACT.strip() in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "log.md", "mlpath-home"]


def test_export_to_an_unwritable_place_is_one_line(
    mlpath: Callable[..., Result], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = mlpath("export", "-o", str(blocker / "out.json"))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot write {blocker / 'out.json'} (")
    assert result.stderr.count("\n") == 1


JRNL = {
    "tags": {"@ml": 2},
    "entries": [
        {
            "title": "Started the course.",
            "body": "Watched lesson 1 @ml\r\nNotes in 日本語 🎉",
            "date": "2025-12-30",
            "time": "21:15",
            "tags": ["@ml"],
            "starred": True,
        },
        {"title": "Same again", "body": "", "date": "2026-01-02", "time": "08:00", "tags": []},
        {"title": "Same again", "body": "", "date": "2026-01-02", "time": "08:00", "tags": []},
    ],
}


def test_jrnl_export_imports_once(
    mlpath: Callable[..., Result], tmp_path: Path, set_zone: Callable[[str], None]
) -> None:
    set_zone("UTC0")
    source = tmp_path / "jrnl.json"
    source.write_text(json.dumps(JRNL, ensure_ascii=False), encoding="utf-8")
    result = data(mlpath("import", str(source), "--json"), "import")
    assert (result["format"], result["added"]["entries"]) == ("jrnl", 3)
    assert mlpath("import", str(source)).stdout.endswith(
        "Already in your store: 3 journal entries\n"
    )

    entries = [
        e for w in data(mlpath("journal", "--json"), "journal")["weeks"] for e in w["entries"]
    ]
    first = entries[-1]
    assert first["text"] == "Started the course.\nWatched lesson 1 @ml\r\nNotes in 日本語 🎉"
    assert (first["day"], first["week"], first["at"]) == (
        "2025-12-30",
        "2026-W01",
        "2025-12-30T21:15:00Z",
    )
    assert first["tags"] == ["ml", "starred"]
    assert len({e["uid"] for e in entries}) == 3  # identical twins stay two entries


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{\n  "format": "mlpath",\n  "version": 1,\n  "entries": [,]\n}',
            "{f}:4:15: Expecting value",
        ),
        (b"\xff\xfe{}", "{f} is not UTF-8 text (byte 0xff at offset 0)"),
        ("[1, 2]", '{f}: not an mlpath export ("format": "mlpath") nor a jrnl JSON export'),
        ({"format": "other", "version": 1}, '{f}: format: expected "mlpath", found "other"'),
        ({"format": "mlpath", "version": 3}, "{f}: version: written by a newer mlpath"),
        (
            {"format": "mlpath", "version": 1, "events": [{"topic": "a/b", "state": "finished"}]},
            "{f}: events[0].state: 'finished' is not one of started, done, skipped, reset",
        ),
        (
            {"format": "mlpath", "version": 1, "entries": "x"},
            "{f}: entries: expected a list, found a string",
        ),
        ("entry-day", "{f}: entries[1].day: '2026-13-01' is not a date (YYYY-MM-DD)"),
        ("entry-hours", "{f}: entries[1].hours: -1 is not more than 0 and at most 24"),
        ("entry-at", "{f}: entries[1].at: '2026-01-01 10:00' is not a UTC timestamp"),
        (
            {"format": "mlpath", "version": 1, "breaks": ["2026-W54"]},
            "{f}: breaks[0]: '2026-W54' is not an ISO week (YYYY-Www)",
        ),
        (
            {"format": "mlpath", "version": 1, "settings": {"weekly-hours": "200"}},
            "{f}: settings.weekly-hours: weekly-hours must be a number above 0 and at most 168",
        ),
        (
            {"entries": [{"title": "x", "date": "2026-01-01", "time": "25:00"}]},
            "{f}: entries[0].time: '25:00' is not a time of day (HH:MM)",
        ),
        (
            {"entries": [{"title": "", "body": " ", "date": "2026-01-01"}]},
            "{f}: entries[0]: the entry has no text",
        ),
        (
            {"entries": [{"title": "x", "date": "2026-01-01", "tags": ["two words"]}]},
            "{f}: entries[0].tags[0]: tag 'two words' is not a tag",
        ),
        (
            {"format": "mlpath", "version": 1, "projects": [{"id": "1"}]},
            '{f}: projects[0].id: expected a whole number from 1, found "1"',
        ),
        (
            {"format": "mlpath", "version": 1, "projects": [{"name": "p"}]},
            "{f}: projects[0].id: is missing (expected a whole number from 1)",
        ),
        (
            {"format": "mlpath", "version": 1, "events": [{"topic": "a/b"}]},
            "{f}: events[0].state: is missing (expected a string)",
        ),
        (
            {"format": "mlpath", "version": 1, "events": [{"topic": "a/b", "state": None}]},
            "{f}: events[0].state: expected a string, found null",
        ),
    ],
)
def test_a_malformed_file_imports_nothing_and_says_where(
    mlpath: Callable[..., Result],
    isolated_home: Path,
    tmp_path: Path,
    content: Any,
    message: str,
) -> None:
    good = {"uid": "u0", "kind": "log", "at": "2026-01-01T10:00:00Z", "day": "2026-01-01",
            "hours": 1, "tags": [], "topics": [], "text": "fine"}  # fmt: skip
    broken = {"day": "2026-13-01", "hours": -1, "at": "2026-01-01 10:00"}
    if isinstance(content, str) and content.startswith("entry-"):
        field = content.removeprefix("entry-")
        content = {
            "format": "mlpath",
            "version": 1,
            "entries": [good, {**good, "uid": "u1", field: broken[field]}],
        }
    source = tmp_path / "in.json"
    if isinstance(content, bytes):
        source.write_bytes(content)
    else:
        source.write_text(content if isinstance(content, str) else json.dumps(content))
    assert mlpath("log", "before", "--hours", "1").exit_code == 0
    before = dump(isolated_home)
    result = mlpath("import", str(source))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: " + message.format(f=source))
    assert result.stderr.count("\n") == 1
    assert dump(isolated_home) == before


def test_importing_a_missing_file_creates_no_store(
    mlpath: Callable[..., Result], isolated_home: Path, tmp_path: Path
) -> None:
    result = mlpath("import", str(tmp_path / "nope.json"))
    assert (result.exit_code, result.stderr) == (1, f"error: no file {tmp_path / 'nope.json'}\n")
    assert not (isolated_home / "mlpath.db").exists()


# ------------------------------------------------------------------------ property: round trip

_texts = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40).filter(
    lambda t: t.strip() != ""
)
_stamps = st.datetimes(
    min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2025, 1, 1), timezones=st.just(dt.UTC)
).map(dates.utc_stamp)
_topics = st.from_regex(r"[a-z][a-z0-9-]{0,8}/[a-z][a-z0-9-]{0,8}", fullmatch=True)
_tags = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True), st.sampled_from(["数学", "c++"])
)
_entries = st.builds(
    lambda uid, at, day, hours, tags, topics, text, kind: journal.Entry(
        ref_of(uid.hex),
        uid.hex,
        kind,
        at,
        day.isoformat(),
        dates.week_of(day),
        hours,
        sorted(tags),
        sorted(topics),
        text,
    ),
    st.uuids(),
    _stamps,
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2025, 1, 1)),
    st.none() | st.floats(min_value=0.01, max_value=24),
    st.sets(_tags, max_size=3),
    st.sets(_topics, max_size=2),
    _texts,
    st.sampled_from(journal.KINDS),
)
_events = st.tuples(_topics, st.sampled_from(STATES), _stamps, st.none() | _texts)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entries=st.lists(_entries, max_size=6, unique_by=lambda e: e.uid),
    events=st.lists(_events, max_size=6),
    breaks=st.sets(
        st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1)).map(dates.week_of),
        max_size=3,
    ),
    goal=st.floats(min_value=0.5, max_value=168).map(lambda h: f"{h:g}"),
)
def test_any_store_round_trips_through_export_and_import(
    entries: list[journal.Entry],
    events: list[tuple[str, str, str, str | None]],
    breaks: set[str],
    goal: str,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        original, copy, file = (Path(folder) / n for n in ("a.db", "b.db", "export.json"))
        with Store.open(original, create=True) as store, store.change("fill") as change:
            change.add([legacy.entry_event(e._asdict()) for e in entries])
            change.add(legacy.topic_events(events))
            change.add(legacy.break_event(w) for w in breaks)
            change.add(legacy.setting_events({"weekly-hours": goal}))
        with Store.open(original) as store:
            exported = export.export(store, "json", file)
        with Store.open(copy, create=True) as store:
            first = export.apply(store, export.read(file))
            second = export.apply(store, export.read(file))
            assert export.export(store, "json").text == exported.text
        assert first.added == exported.counts
        assert sum(second.added.values()) == 0


def test_export_to_a_device_writes_through_and_never_replaces_it(
    mlpath: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    real_replace = os.replace

    def guarded_replace(src: Any, dst: Any) -> None:  # so a regression cannot break /dev/full
        assert not str(dst).startswith("/dev/"), f"tried to rename over {dst}"
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", guarded_replace)
    assert mlpath("log", "an entry").exit_code == 0
    full = Path("/dev/full")
    before = full.stat()
    result = mlpath("export", "-o", str(full))
    assert result.exit_code == 1
    assert result.stderr == (
        "error: cannot write /dev/full (No space left on device); nothing was changed\n"
    )
    after = full.stat()
    assert (after.st_mode, after.st_rdev) == (before.st_mode, before.st_rdev)
    assert not list(Path("/dev").glob(".full.*"))


def test_export_through_a_link_replaces_the_file_it_points_to(
    mlpath: Callable[..., Result], tmp_path: Path
) -> None:
    assert mlpath("log", "an entry").exit_code == 0
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert mlpath("export", "-o", str(link)).exit_code == 0
    assert link.is_symlink()
    assert '"format": "mlpath"' in real.read_text()


def test_full_disk_keeps_the_old_export(
    mlpath: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    assert mlpath("log", "an entry").exit_code == 0
    target = tmp_path / "export.json"
    target.write_text("the previous export")

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    result = mlpath("export", "-o", str(target))
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert target.read_text() == "the previous export"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _jrnl_file(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"tags": {"@ml": 1}, "entries": [\n')
        for i in range(count):
            entry = {"date": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", "time": "10:00",
                     "title": f"entry {i} on gradient descent", "body": "notes " * 10,
                     "tags": ["@ml"], "starred": False}  # fmt: skip
            fh.write(("," if i else "") + json.dumps(entry) + "\n")
        fh.write("]}\n")


def _peak_rss_mib(argv: list[str]) -> float:
    import os
    import subprocess

    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, child.stderr.read() if child.stderr else ""
    return usage.ru_maxrss / 1024  # kilobytes on Linux


@pytest.mark.slow
def test_import_memory_does_not_grow_with_the_file(
    mlpath_exe: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A journal twelve times larger needs about the same memory: it is read a piece at a time
    (json.load of the larger file alone would take about 50 MiB more)."""
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    _jrnl_file(small, 5_000)
    _jrnl_file(large, 60_000)
    assert large.stat().st_size > 10 * 1024 * 1024
    first = _peak_rss_mib([mlpath_exe, "import", str(small)])
    monkeypatch.setenv("MLPATH_HOME", str(tmp_path / "second-home"))
    second = _peak_rss_mib([mlpath_exe, "import", str(large)])
    assert second - first < 20, (first, second)  # 0 measured; json.load alone adds 50


def test_import_of_an_endless_or_odd_file_is_one_line(
    mlpath: Callable[..., Result], tmp_path: Path, isolated_home: Path
) -> None:
    for source, message in (
        ("/dev/zero", "error: /dev/zero:1:1: Expecting value\n"),
        (str(tmp_path), f"error: cannot read {tmp_path} (Is a directory)\n"),
    ):
        result = mlpath("import", source)
        assert (result.exit_code, result.stderr) == (1, message)
    assert not (isolated_home / "mlpath.db").exists()


def test_a_section_before_the_header_is_read_by_the_header(
    mlpath: Callable[..., Result], tmp_path: Path
) -> None:
    """The order of keys does not matter: a hand-edited export with its entries first is
    read as an mlpath export all the same."""
    doc = {"entries": [{"uid": "u1", "kind": "log", "at": "2026-01-01T10:00:00Z",
                        "day": "2026-01-01", "hours": 1, "tags": [], "topics": [],
                        "text": "moved up"}],
           "format": "mlpath", "version": 1}  # fmt: skip
    source = tmp_path / "reordered.json"
    source.write_text(json.dumps(doc))
    result = data(mlpath("import", str(source), "--json"), "import")
    assert (result["format"], result["added"]["entries"]) == ("mlpath", 1)


def test_export_json_summarises_the_file_written(
    mlpath: Callable[..., Result], tmp_path: Path
) -> None:
    fill(mlpath)
    target = tmp_path / "all.json"
    document = json.loads(mlpath("export", "-o", str(target), "--json").stdout)
    assert document["command"] == "export"
    assert list(document["data"]) == ["format", "path", "counts"]
    assert document["data"]["counts"]["entries"] == 3 and target.exists()
    refused = mlpath("export", "--json")
    assert refused.exit_code == 1 and "-o FILE" in refused.stderr
