"""Export all of a learner's data (JSON, or Markdown to read and publish) and import it back,
or import a jrnl journal or an export of an older mlpath.

The JSON format (``"format": "mlpath"``, ``"version": 2``) is the store's events, in order,
each whole (documented key by key in the README): importing it into an empty store and
exporting again gives the same bytes. Import reads a file twice, a piece at a time
(``mlpath.jsonstream``), so that a journal of a million entries needs little memory: first
to check all of it, creating and changing nothing, then to write it as one change. It is
idempotent: an event already in the store is skipped, and an export of version 1 or a jrnl
export is converted to the same events every time (``mlpath.store.legacy``).
"""

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from mlpath import dates, journal, paths, records
from mlpath.errors import InvalidInputError, NotFoundError
from mlpath.fileio import open_to_read, write_named_file
from mlpath.records import At
from mlpath.store import Store, legacy, registers
from mlpath.store import events as event_store
from mlpath.store import topics as topic_store
from mlpath.store.events import Event
from mlpath.store.events import line as event_line
from mlpath.tuples import NamedTuple

FORMAT = "mlpath"
VERSION = 2
# What an import counts, by what the records are about (events of each kind go under one).
SECTIONS = ("settings", "events", "entries", "breaks", "projects")
SECTION_OF = {"setting": "settings", "follow": "settings", "topic": "events",
              "entry": "entries", "entry.hidden": "entries", "break": "breaks",
              "project": "projects", "check": "events", "recall": "events"}  # fmt: skip
T = TypeVar("T")


class ExportResult(NamedTuple):
    format: str
    path: str | None  # None: the text goes to stdout
    counts: dict[str, int]
    text: str


class ImportResult(NamedTuple):
    file: str
    format: str  # "mlpath" | "jrnl"
    version: int  # of an mlpath export; 0 for jrnl
    added: dict[str, int]
    unchanged: dict[str, int]  # already in the store


class Checked(NamedTuple):
    """A file read through and found importable."""

    file: str
    path: Path
    format: str  # "mlpath" | "jrnl"
    version: int  # of an mlpath export; 0 for jrnl
    sizes: dict[str, int]  # records of each section


# ---------------------------------------------------------------------------------- export


def export(store: Store, fmt: str, output: Path | None = None) -> ExportResult:
    counts = dict.fromkeys(SECTIONS, 0)
    for event in event_store.every(store.conn):
        counts[SECTION_OF[event.kind]] += 1
    text = markdown(store) if fmt == "markdown" else document(store)
    if output is not None:
        write_named_file(output, text.encode("utf-8"))
    return ExportResult(fmt, paths.display(output) if output else None, counts, text)


def document(store: Store) -> str:
    """Every event, in order, as the documented JSON: one event a line inside the list, so
    that a diff of two exports reads event by event."""
    lines = [event_line(e) for e in event_store.every(store.conn)]
    body = ",\n    ".join(lines)
    events = f"[\n    {body}\n  ]" if lines else "[]"
    return f'{{\n  "format": "{FORMAT}",\n  "version": {VERSION},\n  "events": {events}\n}}\n'


def markdown(store: Store) -> str:
    """A readable learning log: weeks newest first, each with the topics done and entries."""
    from mlpath.history import cancelled

    done: dict[str, list[str]] = {}
    rows = topic_store.done_days(store)
    gone = cancelled([(event, undoes) for event, _, _, undoes in rows])
    for event, topic, day, undoes in rows:
        if not undoes and event not in gone:
            done.setdefault(dates.week_of(dt.date.fromisoformat(day)), []).append(topic)
    entries = journal.all_entries(store)
    by_week: dict[str, list[journal.Entry]] = {}
    for entry in entries:  # oldest first
        by_week.setdefault(entry.week, []).append(entry)
    breaks = registers.break_weeks(store)
    hours = sum(e.hours or 0 for e in entries)
    topics = len({t for ts in done.values() for t in ts})
    lines = [
        "# Learning log",
        "",
        f"{_count(len(entries), 'journal entry', 'journal entries')}, "
        f"{hours:g} hours logged, {_count(topics, 'topic', 'topics')} done.",
    ]
    for week in sorted(by_week.keys() | done.keys() | breaks, reverse=True):
        lines += _markdown_week(week, by_week.get(week, []), done.get(week, []), week in breaks)
    return "\n".join(lines) + "\n"


def _markdown_week(
    week: str, entries: list[journal.Entry], done: list[str], on_break: bool
) -> list[str]:
    start = dates.monday(week)
    week_hours = sum(e.hours or 0 for e in entries)
    lines = [
        "",
        f"## {week} · {start:%d %b} – {start + dt.timedelta(days=6):%d %b %Y}"
        + (f" · {week_hours:g} h" if week_hours else ""),
    ]
    if on_break:
        lines += ["", "_A planned break._"]
    if done:
        lines += ["", "Done: " + ", ".join(dict.fromkeys(done))]
    for entry in reversed(entries):
        about = [f"{dt.date.fromisoformat(entry.day):%A %d %B}"]
        if entry.hours:
            about.append(f"{entry.hours:g} h")
        if entry.topics:
            topics_text = ", ".join(entry.topics)
            about.append(f"note on {topics_text}" if entry.kind == "note" else topics_text)
        if entry.tags:
            about.append(" ".join(f"#{t}" for t in entry.tags))
        lines += ["", "### " + " · ".join(about), "", entry.text]
    return lines


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


# ---------------------------------------------------------------------------------- import


STREAMED = ("events", "entries", "breaks", "projects")


def read(path: Path) -> Checked:
    """Read and check a file to import, without touching the store: a problem anywhere in
    it, and nothing is imported."""
    return _walk(path, None)


def apply(store: Store, checked: Checked) -> ImportResult:
    """Add what the store does not have yet, as one change. The file is read again (and
    checked again: it may have changed since) as it is written."""
    with store.change(f"import {checked.file}") as change:
        sink = _Sink(change.add)
        _walk(checked.path, sink, checked)
        sink.flush()
        added = dict.fromkeys(SECTIONS, 0)
        for kind, count in change.kinds.items():
            added[SECTION_OF[kind]] += count
    sizes = sink.sizes
    unchanged = {k: max(sizes[k] - added[k], 0) for k in SECTIONS}
    return ImportResult(checked.file, checked.format, checked.version, added, unchanged)


class _Sink:
    """Turns checked records into events and hands them on in batches."""

    BATCH = 1000

    def __init__(self, put: Callable[[list[Event]], object]) -> None:
        self.put = put
        self.pending: list[Event] = []
        self.sizes = dict.fromkeys(SECTIONS, 0)
        self._topics: list[tuple[str, str, str, str | None]] = []

    def add(self, events: Iterator[Event] | list[Event]) -> None:
        for event in events:
            self.pending.append(event)
            self.sizes[SECTION_OF[event.kind]] += 1
        if len(self.pending) >= self.BATCH:
            self.put(self.pending)
            self.pending = []

    def topic_change(self, change: tuple[str, str, str, str | None]) -> None:
        # Converted together at the end: an old change's id counts the identical changes
        # before it, and its order the changes of the same second.
        self._topics.append(change)

    def flush(self) -> None:
        self.add(legacy.topic_events(self._topics))
        self._topics = []
        self.put(self.pending)
        self.pending = []


class _Header(NamedTuple):
    format: str  # "mlpath" | "jrnl"
    version: int


class _Restart(Exception):
    """The document's header came after its records: read again, knowing it."""

    def __init__(self, header: _Header) -> None:
        self.header = header


def _walk(path: Path, sink: _Sink | None, checked: Checked | None = None) -> Checked:
    header = _Header(checked.format, checked.version) if checked else None
    try:
        return _walk_once(path, sink, header)
    except _Restart as again:
        return _walk_once(path, sink, again.header)


def _walk_once(path: Path, sink: _Sink | None, known: _Header | None) -> Checked:
    """Read the file once, checking every record and handing each to ``sink``."""
    from mlpath.jsonstream import JsonStream

    name = paths.display(path)
    root = At(name)
    try:
        source = open_to_read(path)
    except FileNotFoundError:
        raise NotFoundError(f"no file {name}") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot read {name} ({exc.strerror})") from None
    counter = _Sink(lambda events: None) if sink is None else sink
    with source:
        stream = JsonStream(source, name)
        try:
            if not stream.is_object():
                root.fail(_NOT_AN_EXPORT)
            header = known
            seen: dict[str, Any] = {}
            for key, value in stream.members(STREAMED):
                seen[key] = value if key in ("format", "version") else True
                if key in ("format", "version"):
                    continue
                if header is None and "format" in seen:
                    header = _header(seen, root)
                if header is not None:  # else which format this is shows later: read again
                    _section(header, key, value, root, counter)
        except OSError as exc:
            raise InvalidInputError(f"cannot read {name} ({exc.strerror})") from None
    actual = _header(seen, root) if "format" in seen else None
    if actual is None and "entries" not in seen:
        root.fail(_NOT_AN_EXPORT)
    actual = actual or _Header("jrnl", 0)
    if header != actual:
        raise _Restart(actual)
    if sink is None:
        counter.flush()
    return Checked(name, path, actual.format, actual.version, counter.sizes)


_NOT_AN_EXPORT = 'not an mlpath export ("format": "mlpath") nor a jrnl JSON export ("entries")'


def _header(seen: dict[str, Any], root: At) -> _Header:
    fmt = seen.get("format")
    if fmt != FORMAT:
        root["format"].fail(f'expected "{FORMAT}", found {json.dumps(fmt)}')
    version = seen.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        root["version"].fail(f"expected a whole number from 1, found {json.dumps(version)}")
    if version > VERSION:
        root["version"].fail(
            f"written by a newer mlpath (export version {version}, this mlpath reads "
            f"{VERSION}); upgrade mlpath: pip install --upgrade mlpath"
        )
    return _Header(FORMAT, version)


def _section(header: _Header, key: str, value: Any, root: At, sink: _Sink) -> None:
    """Check one top-level member and hand its records to ``sink``; a member that is no
    section of this format is left alone."""
    at = root[key]
    if header.format == "jrnl":
        if key == "entries":
            twins = records.jrnl_entries()
            _each(at, value, lambda a, v: sink.add([legacy.entry_event(twins(a, v)._asdict())]))
        return
    if header.version >= 2:
        if key == "events":
            _each(at, value, lambda a, v: sink.add([records.event(a, v)]))
        return
    if key == "settings":
        settings = at.obj(value)
        checked = {name: records.setting(at[name], name, text) for name, text in settings.items()}
        sink.add(legacy.setting_events(checked))
        return
    convert: dict[str, Callable[[At, Any], None]] = {
        "events": lambda a, v: sink.topic_change(records.topic_change(a, v)),
        "entries": lambda a, v: sink.add([legacy.entry_event(_v1_entry(a, v))]),
        "breaks": lambda a, v: sink.add([legacy.break_event(a.week(v))]),
        "projects": lambda a, v: sink.add([legacy.project_event(records.project(a, v))]),
    }
    if key in convert:
        _each(at, value, convert[key])


def _v1_entry(at: At, value: Any) -> dict[str, Any]:
    return records.mlpath_entry(at, value)._asdict()


def _each(at: At, value: Any, convert: Callable[[At, Any], None]) -> None:
    """Check each element of a section (streamed, or a value that must be a list)."""
    items = value if isinstance(value, Iterator) else at.items(value)
    for i, item in enumerate(items):
        convert(at[i], item)
