"""Export all of a learner's data (JSON, or Markdown to read and publish) and import it back,
or import a jrnl journal.

The JSON format (``"format": "mlpath"``, ``"version": 1``) is documented key by key in the
README. Import reads the file twice, a piece at a time (``mlpath.jsonstream``), so that a
journal of a million entries needs little memory: first to check all of it, creating and
changing nothing, then to write it in one transaction. It is idempotent:

- entries are the same entry when their ``uid`` is the same (jrnl entries get a uid made from
  their date, time and text);
- progress events are compared as whole rows and added only as far as the store has fewer of
  them, in the file's order;
- settings already set in the store are kept; projects are the same project when name,
  template, path and creation time are the same.
"""

import datetime as dt
import errno
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, NoReturn, TypeVar

from mlpath import config, dates, journal, paths
from mlpath.errors import InvalidInputError, NotFoundError
from mlpath.fileio import atomic_write_text, open_to_read
from mlpath.journal import Entry
from mlpath.progress import FOLLOWED_KEY
from mlpath.safetext import json_safe
from mlpath.store import STATES, Store

FORMAT = "mlpath"
VERSION = 1
SECTIONS = ("settings", "events", "entries", "breaks", "projects")
MISSING: Any = object()  # what a field that is not there reads as, to say so
_PROJECT_COLUMNS = ("id", "name", "template", "path", "created_at", "topics")
T = TypeVar("T")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SETTING_KEY = re.compile(r"[a-z][a-z0-9-]{0,63}")


class ExportResult(NamedTuple):
    format: str
    path: str | None  # None: the text goes to stdout
    counts: dict[str, int]
    text: str


class ImportResult(NamedTuple):
    file: str
    format: str  # "mlpath" | "jrnl"
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
    data = document(store)
    text = (
        markdown(data)
        if fmt == "markdown"
        else json_safe(json.dumps(data, ensure_ascii=False, indent=2)) + "\n"
    )
    if output is not None:
        try:
            atomic_write_text(output, text)
        except OSError as exc:
            why = "nothing is reading from it" if exc.errno == errno.ENXIO else exc.strerror
            raise InvalidInputError(
                f"cannot write {paths.display(output)} ({why}); nothing was changed"
            ) from None
    counts = {k: len(data[k]) for k in SECTIONS}
    return ExportResult(fmt, paths.display(output) if output else None, counts, text)


def document(store: Store) -> dict[str, Any]:
    """Everything the store holds about the learner, in the documented export format."""
    projects = store.query(f"SELECT {', '.join(_PROJECT_COLUMNS)} FROM projects ORDER BY id")
    return {
        "format": FORMAT,
        "version": VERSION,
        "settings": dict(store.query("SELECT key, value FROM settings ORDER BY key")),
        "events": [
            {"topic": topic, "state": state, "at": at, "note": note}
            for topic, state, at, note in store.query(
                "SELECT topic, state, at, note FROM topic_events ORDER BY id"
            )
        ],
        "entries": [_entry_data(e) for e in journal.all_entries(store)],
        "breaks": [w for (w,) in store.query("SELECT week FROM break_weeks ORDER BY week")],
        "projects": [
            {**dict(zip(_PROJECT_COLUMNS, row, strict=True)), "topics": json.loads(row[-1])}
            for row in projects
        ],
    }


def _entry_data(entry: Entry) -> dict[str, Any]:
    return {
        "uid": entry.uid,
        "kind": entry.kind,
        "at": entry.at,
        "day": entry.day,
        "hours": entry.hours,
        "tags": entry.tags,
        "topics": entry.topics,
        "text": entry.text,
    }


def markdown(data: dict[str, Any]) -> str:
    """A readable learning log: weeks newest first, each with the topics done and entries."""
    done: dict[str, list[str]] = {}
    for event in data["events"]:
        if event["state"] == "done":
            week = dates.week_of(dates.local_day(event["at"]))
            done.setdefault(week, []).append(event["topic"])
    by_week: dict[str, list[dict[str, Any]]] = {}
    for entry in data["entries"]:  # oldest first
        by_week.setdefault(dates.week_of(dt.date.fromisoformat(entry["day"])), []).append(entry)
    breaks = set(data["breaks"])
    hours = sum(e["hours"] or 0 for e in data["entries"])
    topics = len({t for ts in done.values() for t in ts})
    lines = [
        "# Learning log",
        "",
        f"{_count(len(data['entries']), 'journal entry', 'journal entries')}, "
        f"{hours:g} hours logged, {_count(topics, 'topic', 'topics')} done.",
    ]
    for week in sorted(by_week.keys() | done.keys() | breaks, reverse=True):
        entries = by_week.get(week, [])
        start = dates.monday(week)
        week_hours = sum(e["hours"] or 0 for e in entries)
        lines += [
            "",
            f"## {week} · {start:%d %b} – {start + dt.timedelta(days=6):%d %b %Y}"
            + (f" · {week_hours:g} h" if week_hours else ""),
        ]
        if week in breaks:
            lines += ["", "_A planned break._"]
        if week in done:
            lines += ["", "Done: " + ", ".join(dict.fromkeys(done[week]))]
        for entry in reversed(entries):
            about = [f"{dt.date.fromisoformat(entry['day']):%A %d %B}"]
            if entry["hours"]:
                about.append(f"{entry['hours']:g} h")
            if entry["topics"]:
                topics_text = ", ".join(entry["topics"])
                about.append(f"note on {topics_text}" if entry["kind"] == "note" else topics_text)
            if entry["tags"]:
                about.append(" ".join(f"#{t}" for t in entry["tags"]))
            lines += ["", "### " + " · ".join(about), "", entry["text"]]
    return "\n".join(lines) + "\n"


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


# ---------------------------------------------------------------------------------- import


STREAMED = ("events", "entries", "breaks", "projects")


def read(path: Path) -> Checked:
    """Read and check a file to import, without touching the store: a problem anywhere in
    it, and nothing is imported."""
    return _walk(path, None)


def apply(store: Store, checked: Checked) -> ImportResult:
    """Add what the store does not have yet, all in one transaction. The file is read again
    (and checked again: it may have changed since) as it is written."""
    with store.write():
        sink = _Sink(store)
        _walk(checked.path, sink, checked)
    added = sink.added
    sizes = checked.sizes
    return ImportResult(
        checked.file, checked.format, added, {k: sizes[k] - added[k] for k in SECTIONS}
    )


class _Header(NamedTuple):
    format: str  # "mlpath" | "jrnl"
    version: int


class _Restart(Exception):
    """The document's header came after its records: read again, knowing it."""

    def __init__(self, header: _Header) -> None:
        self.header = header


def _walk(path: Path, sink: "_Sink | None", checked: Checked | None = None) -> Checked:
    header = _Header(checked.format, checked.version) if checked else None
    try:
        return _walk_once(path, sink, header)
    except _Restart as again:
        return _walk_once(path, sink, again.header)


def _walk_once(path: Path, sink: "_Sink | None", known: _Header | None) -> Checked:
    """Read the file once, checking every record and handing each to ``sink``."""
    from mlpath.jsonstream import JsonStream

    name = paths.display(path)
    root = _At(name)
    try:
        source = open_to_read(path)
    except FileNotFoundError:
        raise NotFoundError(f"no file {name}") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot read {name} ({exc.strerror})") from None
    with source:
        stream = JsonStream(source, name)
        try:
            if not stream.is_object():
                root.fail(_NOT_AN_EXPORT)
            members = stream.members(STREAMED)
            header = known
            seen: dict[str, Any] = {}
            sizes = dict.fromkeys(SECTIONS, 0)
            for key, value in members:
                seen[key] = True
                if key in ("format", "version"):
                    seen[key] = value
                    continue
                if header is None and "format" in seen:
                    header = _header(seen, root)
                if header is None:
                    continue  # which format this is shows later: read again then
                sizes_for = _section(header, key, value, root, sink)
                if sizes_for is not None:
                    sizes[key] = sizes_for
        except OSError as exc:
            raise InvalidInputError(f"cannot read {name} ({exc.strerror})") from None
    actual = _header(seen, root) if "format" in seen else None
    if actual is None and "entries" not in seen:
        root.fail(_NOT_AN_EXPORT)
    actual = actual or _Header("jrnl", 0)
    if header != actual:
        raise _Restart(actual)
    return Checked(name, path, actual.format, actual.version, sizes)


_NOT_AN_EXPORT = 'not an mlpath export ("format": "mlpath") nor a jrnl JSON export ("entries")'


def _header(seen: dict[str, Any], root: "_At") -> _Header:
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


def _section(
    header: _Header, key: str, value: Any, root: "_At", sink: "_Sink | None"
) -> int | None:
    """Check one top-level member and hand its records to ``sink``; how many it holds, or
    None for a member that is no section of this format (left alone, as before)."""
    at = root[key]
    if header.format == "jrnl":
        if key != "entries":
            return None
        return _each(at, value, _jrnl_entries(at), sink and sink.entry)
    if key == "settings":
        settings = at.obj(value)
        for name, text in settings.items():
            checked = _setting(at[name], name, text)
            if sink:
                sink.setting(name, checked)
        return len(settings)
    convert = {"events": _event, "entries": _mlpath_entry, "breaks": _At.week,
               "projects": _project}.get(key)  # fmt: skip
    if convert is None:
        return None
    return _each(at, value, convert, getattr(sink, _SINKS[key]) if sink else None)


_SINKS = {"events": "event", "entries": "entry", "breaks": "break_week", "projects": "project"}


def _each(at: "_At", value: Any, convert: Callable[["_At", Any], T], put: Any) -> int:
    """Convert each element of a section (streamed, or a value that must be a list)."""
    items = value if isinstance(value, Iterator) else at.items(value)
    count = 0
    for i, item in enumerate(items):
        record = convert(at[i], item)
        if put is not None:
            put(record)
        count += 1
    return count


def _jrnl_entries(at: "_At") -> Callable[["_At", Any], Entry]:
    """jrnl's entries, where two identical ones stay two: a twin's uid counts the ones
    before it. Only a number per entry is kept to tell twins, not the entry."""
    seen: set[int] = set()
    twins: Counter[str] = Counter()

    def convert(place: "_At", item: Any) -> Entry:
        entry = _jrnl_entry(place, item)
        key = int(entry.uid[5:21], 16)
        if key in seen:
            twins[entry.uid] += 1
            return entry._replace(uid=f"{entry.uid}-{twins[entry.uid]}")
        seen.add(key)
        return entry

    return convert


class _At:
    """A place in the document, named the way a reader finds it: ``entries[3].date``. The
    name is put together only when a problem is reported: a million entries are checked
    with a few places each."""

    __slots__ = ("file", "key", "parent")

    def __init__(self, file: str, parent: "_At | None" = None, key: str | int = "") -> None:
        self.file = file
        self.parent = parent
        self.key = key

    def __getitem__(self, key: str | int) -> "_At":
        return _At(self.file, self, key)

    @property
    def where(self) -> str:
        if self.parent is None:
            return ""
        above = self.parent.where
        if isinstance(self.key, int):
            return f"{above}[{self.key}]"
        return f"{above}.{self.key}" if above else self.key

    def fail(self, message: str) -> NoReturn:
        where = self.where
        place = f"{self.file}: {where}" if where else self.file
        raise InvalidInputError(f"{place}: {message}")

    def obj(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(_expected("an object", value))
        return value

    def items(self, value: Any) -> list[Any]:
        if not isinstance(value, list):
            self.fail(_expected("a list", value))
        return value

    def text(self, value: Any, *, empty: bool = False) -> str:
        if not isinstance(value, str):
            self.fail(_expected("a string", value))
        if not empty and not value.strip():
            self.fail("is empty")
        return value

    def each(self, value: Any, convert: Callable[["_At", Any], T]) -> list[T]:
        return [convert(self[i], v) for i, v in enumerate(self.items(value))]

    def stamp(self, value: Any) -> str:
        text = self.text(value)
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            self.fail(f"'{text}' is not a UTC timestamp (YYYY-MM-DDTHH:MM:SSZ)")
        self._in_range(moment.date(), text)
        return dates.utc_stamp(moment)

    def day(self, value: Any) -> dt.date:
        text = self.text(value)
        try:
            if _ISO_DAY.fullmatch(text):
                return self._in_range(dt.date.fromisoformat(text), text)
        except ValueError:
            pass
        self.fail(f"'{text}' is not a date (YYYY-MM-DD)")

    def _in_range(self, day: dt.date, text: str) -> dt.date:
        """A day the learner's history can hold: inside the supported range, and not after
        tomorrow (a day in the future cannot have happened; a day's grace covers every time
        zone)."""
        if not dates.in_range(day):
            self.fail(f"'{text}' is outside the dates mlpath supports ({dates.RANGE_WORDS})")
        today = dt.date.today()
        if day > today + dt.timedelta(days=1):
            self.fail(f"'{text}' is in the future (today is {today.isoformat()})")
        return day

    def topic(self, value: Any) -> str:
        text = self.text(value)
        if text.count("/") != 1 or text != text.strip():
            self.fail(f"'{text}' is not a topic id (roadmap/topic)")
        return text

    def week(self, value: Any) -> str:
        text = self.text(value)
        try:
            return dates.parse_week(text)
        except InvalidInputError:
            self.fail(f"'{text}' is not an ISO week (YYYY-Www)")

    def tag(self, value: Any) -> str:
        try:
            return journal.clean_tag(self.text(value))
        except InvalidInputError as exc:
            self.fail(exc.message)


def _expected(what: str, value: Any) -> str:
    if value is MISSING:
        return f"is missing (expected {what})"
    return f"expected {what}, found {_kind(value)}"


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def _setting(at: _At, key: str, value: Any) -> str:
    if not _SETTING_KEY.fullmatch(key):
        at.fail("is not a setting name (lower-case letters, digits and dashes)")
    text = at.text(value, empty=True)
    if key in config.SPECS:
        try:
            return config.normalise(key, text)
        except InvalidInputError as exc:
            at.fail(exc.message)
    if key == FOLLOWED_KEY:
        try:
            followed = json.loads(text)
        except ValueError:
            followed = None
        if not isinstance(followed, list) or not all(isinstance(r, str) for r in followed):
            at.fail("expected a JSON list of roadmap ids, as text")
    return text


def _event(at: _At, item: Any) -> tuple[str, str, str, str | None]:
    data = at.obj(item)
    state = at["state"].text(data.get("state", MISSING))
    if state not in STATES:
        at["state"].fail(f"'{state}' is not one of {', '.join(STATES)}")
    note = data.get("note")
    return (
        at["topic"].topic(data.get("topic", MISSING)),
        state,
        at["at"].stamp(data.get("at", MISSING)),
        None if note is None else at["note"].text(note, empty=True),
    )


def _mlpath_entry(at: _At, item: Any) -> Entry:
    data = at.obj(item)
    kind = at["kind"].text(data.get("kind", MISSING))
    if kind not in journal.KINDS:
        at["kind"].fail(f"'{kind}' is not one of {', '.join(journal.KINDS)}")
    hours = data.get("hours")
    if hours is not None:
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            at["hours"].fail(f"expected a number or null, found {_kind(hours)}")
        if not 0 < hours <= journal.MAX_HOURS:
            at["hours"].fail(f"{hours:g} is not more than 0 and at most {journal.MAX_HOURS:g}")
    day = at["day"].day(data.get("day", MISSING))
    return Entry(
        uid=at["uid"].text(data.get("uid", MISSING)),
        kind=kind,
        at=at["at"].stamp(data.get("at", MISSING)),
        day=day.isoformat(),
        week=dates.week_of(day),
        hours=None if hours is None else float(hours),
        tags=sorted(set(at["tags"].each(data.get("tags", []), _At.tag))),
        topics=sorted(set(at["topics"].each(data.get("topics", []), _At.topic))),
        text=_entry_text(at["text"], data.get("text", MISSING)),
    )


def _entry_text(at: _At, value: Any) -> str:
    text = at.text(value)
    if len(text) > journal.MAX_TEXT:
        at.fail(f"is longer than {journal.MAX_TEXT:,} characters")
    return text


def _project(at: _At, item: Any) -> dict[str, Any]:
    data = at.obj(item)
    ident = data.get("id", MISSING)
    if not isinstance(ident, int) or isinstance(ident, bool) or ident < 1:
        at["id"].fail(
            "is missing (expected a whole number from 1)"
            if ident is MISSING
            else f"expected a whole number from 1, found {json.dumps(ident)}"
        )
    return {
        "id": ident,
        "name": at["name"].text(data.get("name", MISSING)),
        "template": at["template"].text(data.get("template", MISSING)),
        "path": at["path"].text(data.get("path", MISSING)),
        "created_at": at["created_at"].stamp(data.get("created_at", MISSING)),
        "topics": json.dumps(at["topics"].each(data.get("topics", []), _At.topic)),
    }


def _jrnl_entry(at: _At, item: Any) -> Entry:
    data = at.obj(item)
    title = at["title"].text(data.get("title", MISSING), empty=True)
    body = at["body"].text(data.get("body", ""), empty=True)
    text = f"{title}\n{body}" if title and body else title or body
    if not text.strip():
        at.fail("the entry has no text (title and body are empty)")
    if len(text) > journal.MAX_TEXT:
        at.fail(f"the entry is longer than {journal.MAX_TEXT:,} characters")
    day = at["date"].day(data.get("date", MISSING))
    clock = at["time"].text(data.get("time", "00:00"))
    try:
        written = dt.datetime.combine(day, dt.time.fromisoformat(clock))
    except ValueError:
        at["time"].fail(f"'{clock}' is not a time of day (HH:MM)")
    starred = data.get("starred", False)
    if not isinstance(starred, bool):
        at["starred"].fail(f"expected true or false, found {_kind(starred)}")
    tags = set(at["tags"].each(data.get("tags", []), _At.tag)) | set(journal.tags_in(text))
    digest = hashlib.sha256("\0".join((day.isoformat(), clock, text)).encode()).hexdigest()
    return Entry(
        uid=f"jrnl-{digest[:32]}",
        kind="log",
        at=dates.utc_stamp(written.astimezone()),  # jrnl's times are local
        day=day.isoformat(),
        week=dates.week_of(day),
        hours=None,
        tags=sorted(tags | {"starred"} if starred else tags),
        topics=[],
        text=text,
    )


class _Sink:
    """Adds checked records to the store inside the caller's transaction, skipping what it
    has already, and counts what it added."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.conn
        self.added = dict.fromkeys(SECTIONS, 0)
        self._events: Counter[tuple[str, str, str, str | None]] | None = None
        self._projects: set[tuple[str, str, str, str]] | None = None
        self._taken: set[int] = set()

    def setting(self, key: str, value: str) -> None:
        sql = "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"
        self.added["settings"] += self.conn.execute(sql, (key, value)).rowcount

    def event(self, event: tuple[str, str, str, str | None]) -> None:
        # Events are compared as whole rows: the file adds only as many of a row as the
        # store has fewer of.
        if self._events is None:
            self._events = Counter(
                self.store.query("SELECT topic, state, at, note FROM topic_events")
            )
        if self._events[event] > 0:
            self._events[event] -= 1
            return
        self.conn.execute(
            "INSERT INTO topic_events (topic, state, at, note) VALUES (?, ?, ?, ?)", event
        )
        self.added["events"] += 1

    def entry(self, entry: Entry) -> None:
        if journal.insert(self.store, entry):
            self.added["entries"] += 1

    def break_week(self, week: str) -> None:
        self.added["breaks"] += self.conn.execute(
            "INSERT OR IGNORE INTO break_weeks (week) VALUES (?)", (week,)
        ).rowcount

    def project(self, project: dict[str, Any]) -> None:
        if self._projects is None:
            self._projects = set(
                self.store.query("SELECT name, template, path, created_at FROM projects")
            )
            self._taken = {i for (i,) in self.store.query("SELECT id FROM projects")}
        identity = (project["name"], project["template"], project["path"], project["created_at"])
        if identity in self._projects:
            return
        self._projects.add(identity)
        row = {k: v for k, v in project.items() if k != "id" or v not in self._taken}
        self._taken.add(project["id"])
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.conn.execute(f"INSERT INTO projects ({columns}) VALUES ({marks})", list(row.values()))
        self.added["projects"] += 1
