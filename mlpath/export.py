"""Export all of a learner's data (JSON, or Markdown to read and publish) and import it back,
or import a jrnl journal.

The JSON format (``"format": "mlpath"``, ``"version": 1``) is documented key by key in the
README. Import checks the whole file before it writes anything, then writes it in one
transaction; it is idempotent:

- entries are the same entry when their ``uid`` is the same (jrnl entries get a uid made from
  their date, time and text);
- progress events are compared as whole rows and added only as far as the store has fewer of
  them, in the file's order;
- settings already set in the store are kept; projects are the same project when name,
  template, path and creation time are the same.
"""

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, NoReturn, TypeVar

from mlpath import config, dates, journal, paths
from mlpath.errors import InvalidInputError, NotFoundError
from mlpath.fileio import atomic_write_text, decode_utf8
from mlpath.journal import Entry
from mlpath.progress import FOLLOWED_KEY
from mlpath.store import STATES, Store

FORMAT = "mlpath"
VERSION = 1
SECTIONS = ("settings", "events", "entries", "breaks", "projects")
MISSING: Any = object()  # what a field that is not there reads as, to say so
_PROJECT_COLUMNS = ("id", "name", "template", "path", "created_at", "topics")
T = TypeVar("T")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


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


class Import(NamedTuple):
    """A file read and checked, ready to be added to the store."""

    file: str
    format: str  # "mlpath" | "jrnl"
    settings: Mapping[str, str] = MappingProxyType({})
    events: Sequence[tuple[str, str, str, str | None]] = ()
    entries: Sequence[Entry] = ()
    breaks: Sequence[str] = ()
    projects: Sequence[dict[str, Any]] = ()


# ---------------------------------------------------------------------------------- export


def export(store: Store, fmt: str, output: Path | None = None) -> ExportResult:
    data = document(store)
    text = (
        markdown(data)
        if fmt == "markdown"
        else json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    )
    if output is not None:
        try:
            atomic_write_text(output, text)
        except OSError as exc:
            raise InvalidInputError(
                f"cannot write {paths.display(output)} ({exc.strerror}); nothing was changed"
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


def read(path: Path) -> Import:
    """Read and check a file to import, without touching the store: a problem anywhere in
    it, and nothing is imported."""
    name = paths.display(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"no file {name}") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot read {name} ({exc.strerror})") from None
    try:
        doc = json.loads(decode_utf8(raw, name))
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{name}:{exc.lineno}:{exc.colno}: {exc.msg}") from None
    root = _At(name)
    if isinstance(doc, dict) and "format" in doc:
        return _mlpath_import(doc, root)
    if isinstance(doc, dict) and "entries" in doc:
        return _jrnl_import(doc, root)
    root.fail('not an mlpath export ("format": "mlpath") nor a jrnl JSON export ("entries")')


def apply(store: Store, data: Import) -> ImportResult:
    """Add what the store does not have yet, all in one transaction."""
    with store.write():
        added = _add_missing(store, data)
    sizes = {k: len(getattr(data, k)) for k in SECTIONS}
    return ImportResult(data.file, data.format, added, {k: sizes[k] - added[k] for k in SECTIONS})


class _At:
    """A place in the document, named the way a reader finds it: ``entries[3].date``."""

    def __init__(self, file: str, where: str = "") -> None:
        self.file = file
        self.where = where

    def __getitem__(self, key: str | int) -> "_At":
        if isinstance(key, int):
            return _At(self.file, f"{self.where}[{key}]")
        return _At(self.file, f"{self.where}.{key}" if self.where else key)

    def fail(self, message: str) -> NoReturn:
        place = f"{self.file}: {self.where}" if self.where else self.file
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
        return dates.utc_stamp(moment)

    def day(self, value: Any) -> dt.date:
        text = self.text(value)
        try:
            if _ISO_DAY.fullmatch(text):
                return dt.date.fromisoformat(text)
        except ValueError:
            pass
        self.fail(f"'{text}' is not a date (YYYY-MM-DD)")

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


def _mlpath_import(doc: dict[str, Any], root: _At) -> Import:
    if doc.get("format") != FORMAT:
        root["format"].fail(f'expected "{FORMAT}", found {json.dumps(doc.get("format"))}')
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        root["version"].fail(f"expected a whole number from 1, found {json.dumps(version)}")
    if version > VERSION:
        root["version"].fail(
            f"written by a newer mlpath (export version {version}, this mlpath reads "
            f"{VERSION}); upgrade mlpath: pip install --upgrade mlpath"
        )
    settings = root["settings"]
    return Import(
        root.file,
        FORMAT,
        settings={
            k: _setting(settings[k], k, v) for k, v in settings.obj(doc.get("settings", {})).items()
        },
        events=root["events"].each(doc.get("events", []), _event),
        entries=root["entries"].each(doc.get("entries", []), _mlpath_entry),
        breaks=root["breaks"].each(doc.get("breaks", []), _At.week),
        projects=root["projects"].each(doc.get("projects", []), _project),
    )


def _setting(at: _At, key: str, value: Any) -> str:
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
        text=at["text"].text(data.get("text", MISSING)),
    )


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


def _jrnl_import(doc: dict[str, Any], root: _At) -> Import:
    entries = root["entries"].each(doc["entries"], _jrnl_entry)
    # Two identical jrnl entries stay two entries: a twin's uid counts the ones before it.
    seen: Counter[str] = Counter()
    for i, entry in enumerate(entries):
        if seen[entry.uid]:
            entries[i] = entry._replace(uid=f"{entry.uid}-{seen[entry.uid]}")
        seen[entry.uid] += 1
    return Import(root.file, "jrnl", entries=entries)


def _jrnl_entry(at: _At, item: Any) -> Entry:
    import hashlib

    data = at.obj(item)
    title = at["title"].text(data.get("title", MISSING), empty=True)
    body = at["body"].text(data.get("body", ""), empty=True)
    text = f"{title}\n{body}" if title and body else title or body
    if not text.strip():
        at.fail("the entry has no text (title and body are empty)")
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


def _add_missing(store: Store, data: Import) -> dict[str, int]:
    conn = store.conn
    added = dict.fromkeys(SECTIONS, 0)
    for key, value in data.settings.items():
        sql = "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"
        added["settings"] += conn.execute(sql, (key, value)).rowcount
    have = Counter(store.query("SELECT topic, state, at, note FROM topic_events"))
    for event in data.events:
        if have[event] > 0:
            have[event] -= 1
            continue
        conn.execute("INSERT INTO topic_events (topic, state, at, note) VALUES (?, ?, ?, ?)", event)
        added["events"] += 1
    uids = {u for (u,) in store.query("SELECT uid FROM journal_entries")}
    for entry in data.entries:
        if entry.uid not in uids:
            journal.insert(store, entry)
            uids.add(entry.uid)
            added["entries"] += 1
    for week in data.breaks:
        added["breaks"] += conn.execute(
            "INSERT OR IGNORE INTO break_weeks (week) VALUES (?)", (week,)
        ).rowcount
    known = set(store.query("SELECT name, template, path, created_at FROM projects"))
    taken = {i for (i,) in store.query("SELECT id FROM projects")}
    for project in data.projects:
        identity = (project["name"], project["template"], project["path"], project["created_at"])
        if identity in known:
            continue
        known.add(identity)
        row = {k: v for k, v in project.items() if k != "id" or v not in taken}
        taken.add(project["id"])
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        conn.execute(f"INSERT INTO projects ({columns}) VALUES ({marks})", list(row.values()))
        added["projects"] += 1
    return added
