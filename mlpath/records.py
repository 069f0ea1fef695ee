"""The records an import reads, checked one at a time and named where they are.

Each check takes a place in the document (``At``: ``entries[3].date``) and a value, and
returns the record or fails with one line naming the file, the place and what is wrong:

- an mlpath export of version 1 (settings, topic changes, entries, breaks, projects, none of
  them with ids) and a jrnl JSON export;
- an mlpath export of version 2: events, checked whole (their ids, order and data), which is
  also what sync will check every event it receives with.
"""

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from mlpath import config, dates, journal
from mlpath.digest import sha256
from mlpath.errors import InvalidInputError
from mlpath.recall_core import RATINGS
from mlpath.store.entries import Entry, ref_of
from mlpath.store.events import BEFORE_ALL, KINDS, MAX_HLC, Event, is_id
from mlpath.store.legacy import FOLLOWED_KEY
from mlpath.store.registers import TRACK_KEY
from mlpath.store.topics import STATES

MISSING: Any = object()  # what a field that is not there reads as, to say so
T = TypeVar("T")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SLUG = re.compile(r"[a-z][a-z0-9-]{0,63}")
# A track id as a track file may spell it (schema.SLUG_PATTERN, which may start with a digit:
# `100-days`), so that a machine can take in every follow that another one could make.
_TRACK_ID = re.compile(r"(?=.{1,64}$)[a-z0-9]+(?:-[a-z0-9]+)*")
_REPLICA = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
MAX_CHECKS = 99  # more self-checks than a topic could sensibly list


class At:
    """A place in the document, named the way a reader finds it: ``entries[3].date``. The
    name is put together only when a problem is reported: a million entries are checked
    with a few places each."""

    __slots__ = ("file", "key", "parent")

    def __init__(self, file: str, parent: "At | None" = None, key: str | int = "") -> None:
        self.file = file
        self.parent = parent
        self.key = key

    def __getitem__(self, key: str | int) -> "At":
        return At(self.file, self, key)

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
            self.fail(expected("an object", value))
        return value

    def items(self, value: Any) -> list[Any]:
        if not isinstance(value, list):
            self.fail(expected("a list", value))
        return value

    def text(self, value: Any, *, empty: bool = False) -> str:
        if not isinstance(value, str):
            self.fail(expected("a string", value))
        if not empty and not value.strip():
            self.fail("is empty")
        return value

    def each(self, value: Any, convert: Callable[["At", Any], T]) -> list[T]:
        return [convert(self[i], v) for i, v in enumerate(self.items(value))]

    def stamp(self, value: Any, *, future: bool = False) -> str:
        text = self.text(value)
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            self.fail(f"'{text}' is not a UTC timestamp (YYYY-MM-DDTHH:MM:SSZ)")
        self._in_range(moment.date(), text, future)
        return dates.utc_stamp(moment)

    def day(self, value: Any, *, future: bool = False) -> dt.date:
        text = self.text(value)
        try:
            if _ISO_DAY.fullmatch(text):
                return self._in_range(dt.date.fromisoformat(text), text, future)
        except ValueError:
            pass
        self.fail(f"'{text}' is not a date (YYYY-MM-DD)")

    def _in_range(self, day: dt.date, text: str, future: bool) -> dt.date:
        """A day the learner's history can hold: inside the supported range and, unless
        ``future``, not after tomorrow (a day's grace covers every time zone). Events carry
        their order, so a machine whose clock ran ahead is no reason to refuse them; a day in
        an old export's records, or jrnl's, cannot have happened yet."""
        if not dates.in_range(day):
            self.fail(f"'{text}' is outside the dates mlpath supports ({dates.RANGE_WORDS})")
        today = dt.date.today()
        if not future and day > today + dt.timedelta(days=1):
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


def expected(what: str, value: Any) -> str:
    if value is MISSING:
        return f"is missing (expected {what})"
    return f"expected {what}, found {kind_of(value)}"


def kind_of(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def setting(at: At, key: str, value: Any) -> str:
    """A setting of an export of version 1: its value as text."""
    if not _SLUG.fullmatch(key):
        at.fail("is not a setting name (lower-case letters, digits and dashes)")
    text = at.text(value, empty=True)
    if key in config.SPECS:
        try:
            return config.normalise(key, text)
        except InvalidInputError as exc:
            at.fail(exc.message)
    if key == TRACK_KEY and not _TRACK_ID.fullmatch(text):
        at.fail(f"'{text}' is not a track id")
    if key == FOLLOWED_KEY:
        try:
            followed = json.loads(text)
        except ValueError:
            followed = None
        if not isinstance(followed, list) or not all(isinstance(r, str) for r in followed):
            at.fail("expected a JSON list of roadmap ids, as text")
    return text


def topic_change(at: At, item: Any) -> tuple[str, str, str, str | None]:
    """A topic change of an export of version 1: (topic, state, at, note)."""
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


def mlpath_entry(at: At, item: Any, *, future: bool = False) -> Entry:
    """An entry of an export of version 1 (``future``: see ``At.day``)."""
    data = at.obj(item)
    kind = at["kind"].text(data.get("kind", MISSING))
    if kind not in journal.KINDS:
        at["kind"].fail(f"'{kind}' is not one of {', '.join(journal.KINDS)}")
    hours = data.get("hours")
    if hours is not None:
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            at["hours"].fail(f"expected a number or null, found {kind_of(hours)}")
        if not 0 < hours <= journal.MAX_HOURS:
            at["hours"].fail(f"{hours:g} is not more than 0 and at most {journal.MAX_HOURS:g}")
    day = at["day"].day(data.get("day", MISSING), future=future)
    uid = at["uid"].text(data.get("uid", MISSING))
    return Entry(
        id=ref_of(uid),
        uid=uid,
        kind=kind,
        at=at["at"].stamp(data.get("at", MISSING), future=future),
        day=day.isoformat(),
        week=dates.week_of(day),
        hours=None if hours is None else float(hours),
        tags=sorted(set(at["tags"].each(data.get("tags", []), At.tag))),
        topics=sorted(set(at["topics"].each(data.get("topics", []), At.topic))),
        text=entry_text(at["text"], data.get("text", MISSING)),
    )


def entry_text(at: At, value: Any) -> str:
    text = at.text(value)
    if len(text) > journal.MAX_TEXT:
        at.fail(f"is longer than {journal.MAX_TEXT:,} characters")
    return text


def project(at: At, item: Any) -> dict[str, Any]:
    """A project of an export of version 1."""
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
        "topics": at["topics"].each(data.get("topics", []), At.topic),
    }


def _jrnl_entry(at: At, item: Any) -> Entry:
    """An entry of a jrnl JSON export."""
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
        at["starred"].fail(f"expected true or false, found {kind_of(starred)}")
    tags = set(at["tags"].each(data.get("tags", []), At.tag)) | set(journal.tags_in(text))
    digest = sha256("\0".join((day.isoformat(), clock, text)).encode()).hex()
    uid = f"jrnl-{digest[:32]}"
    return Entry(
        id=ref_of(uid),
        uid=uid,
        kind="log",
        at=dates.utc_stamp(written.astimezone()),  # jrnl's times are local
        day=day.isoformat(),
        week=dates.week_of(day),
        hours=None,
        tags=sorted(tags | {"starred"} if starred else tags),
        topics=[],
        text=text,
    )


def jrnl_entries() -> Callable[["At", Any], Entry]:
    """jrnl's entries, where two identical ones stay two: a twin's uid counts the ones
    before it. Only a number per entry is kept to tell twins, not the entry."""
    seen: set[int] = set()
    twins: Counter[str] = Counter()

    def convert(place: "At", item: Any) -> Entry:
        entry = _jrnl_entry(place, item)
        key = int(entry.uid[5:21], 16)
        if key in seen:
            twins[entry.uid] += 1
            uid = f"{entry.uid}-{twins[entry.uid]}"
            return entry._replace(id=ref_of(uid), uid=uid)
        seen.add(key)
        return entry

    return convert


# ------------------------------------------------------------------ events (version 2)


def event(at: At, item: Any) -> Event:
    """One event, checked whole: what it is, its place in the order, and that its data is
    what its kind holds. An event that fails any check is not applied."""
    data = at.obj(item)
    extra = sorted(set(data) - set(Event._fields))
    if extra:
        at[extra[0]].fail("is not a field of an event")
    ident = at["id"].text(data.get("id", MISSING))
    if not is_id(ident):
        at["id"].fail(f"'{ident}' is not an event id (26 characters of Crockford base 32)")
    replica = at["replica"].text(data.get("replica", MISSING))
    if not _REPLICA.fullmatch(replica):
        at["replica"].fail(f"'{replica}' is not a replica id")
    hlc = data.get("hlc", MISSING)
    if not isinstance(hlc, int) or isinstance(hlc, bool) or not BEFORE_ALL <= hlc <= MAX_HLC:
        at["hlc"].fail(f"expected a whole number from {BEFORE_ALL} to {MAX_HLC}")
    kind = at["kind"].text(data.get("kind", MISSING))
    if kind not in KINDS:
        at["kind"].fail(f"'{kind}' is not one of {', '.join(KINDS)}")
    target = at["target"].text(data.get("target", MISSING))
    if len(target) > 200 or not target.isprintable():
        at["target"].fail("is not a name mlpath writes (printable, at most 200 characters)")
    day = data.get("day")
    chosen_day = None if day is None else at["day"].day(day, future=True).isoformat()
    value = _DATA[kind](at, target, at["data"].obj(data.get("data", MISSING)))
    recorded = at["recorded"].stamp(data.get("recorded", MISSING), future=True)
    return Event(ident, replica, hlc, recorded, kind, target, chosen_day, value)


def _fields(at: At, value: dict[str, Any], wanted: set[str]) -> None:
    """The data of an event holds exactly ``wanted``, and maybe what undo adds."""
    missing = sorted(wanted - set(value))
    if missing:
        at[missing[0]].fail("is missing")
    extra = sorted(set(value) - wanted - {"undoes"})
    if extra:
        at[extra[0]].fail("is not part of this kind of event")
    if "undoes" in value and not (isinstance(value["undoes"], str) and is_id(value["undoes"])):
        at["undoes"].fail("expected an event id")


def _topic_data(event: At, target: str, value: dict[str, Any]) -> dict[str, Any]:
    at = event["data"]
    _fields(at, value, {"state", "note"})
    event["target"].topic(target)
    state = at["state"].text(value["state"])
    if state not in STATES:
        at["state"].fail(f"'{state}' is not one of {', '.join(STATES)}")
    if value["note"] is not None:
        at["note"].text(value["note"], empty=True)
    return value


def _entry_data(event: At, target: str, value: dict[str, Any]) -> dict[str, Any]:
    at = event["data"]
    _fields(at, value, {"kind", "at", "day", "week", "hours", "tags", "topics", "text"})
    entry = mlpath_entry(at, {**value, "uid": target}, future=True)
    if value["week"] != entry.week:
        at["week"].fail(f"expected {entry.week}, the week of {entry.day}")
    return {**value, "tags": entry.tags, "topics": entry.topics, "hours": entry.hours}


def _hidden_data(event: At, target: str, value: dict[str, Any]) -> dict[str, Any]:
    at = event["data"]
    _fields(at, value, {"hidden"})
    if not isinstance(value["hidden"], bool):
        at["hidden"].fail("expected true or false")
    return value


def _setting_data(event: At, target: str, value: dict[str, Any]) -> dict[str, Any]:
    at = event["data"]
    _fields(at, value, {"value"})
    if not _SLUG.fullmatch(target) or target == FOLLOWED_KEY:
        event["target"].fail("is not a setting name (lower-case letters, digits and dashes)")
    if value["value"] is not None:
        value = {**value, "value": setting(at["value"], target, value["value"])}
    return value


def _switch_data(event: At, value: dict[str, Any], none: bool) -> dict[str, Any]:
    at = event["data"]
    _fields(at, value, {"on"})
    if not (isinstance(value["on"], bool) or (none and value["on"] is None)):
        at["on"].fail("expected true or false" + (" or null" if none else ""))
    return value


def _break_data(event: At, target: str, value: dict[str, Any]) -> dict[str, Any]:
    if event["target"].week(target) != target:
        event["target"].fail(f"'{target}' is not an ISO week as mlpath writes it (YYYY-Www)")
    return _switch_data(event, value, none=False)


def _follow_data(event: At, target: str, value: dict[str, Any]) -> dict[str, Any]:
    if not _SLUG.fullmatch(target):
        event["target"].fail(f"'{target}' is not a roadmap id")
    return _switch_data(event, value, none=True)


def _project_data(event: At, target: str, value: dict[str, Any]) -> dict[str, Any]:
    at = event["data"]
    forgotten = {"forgotten"} & set(value)  # `projects forget`: the record, taken off the list
    _fields(at, value, {"name", "template", "path", "created_at", "topics", "host", *forgotten})
    if forgotten and value["forgotten"] is not True:
        at["forgotten"].fail("expected true")
    for key in ("name", "template", "path"):
        at[key].text(value[key])
    at["created_at"].stamp(value["created_at"], future=True)
    at["topics"].each(value["topics"], At.topic)
    if value["host"] is not None:
        at["host"].text(value["host"])
    return value


def _numbered(event: At, target: str, what: str) -> str:
    """The topic of a target ``topic#...``; the part after ``#`` is checked by the caller."""
    topic, mark, _ = target.rpartition("#")
    if not mark:
        event["target"].fail(f"expected the topic and the {what} as topic#{what}")
    return event["target"].topic(topic)


def _check_data(event: At, target: str, value: dict[str, Any]) -> dict[str, Any]:
    at = event["data"]
    _fields(at, value, {"on", "note"})
    _numbered(event, target, "number")
    number = target.rpartition("#")[2]
    if not (number.isascii() and number.isdigit() and 1 <= int(number) <= MAX_CHECKS):
        event["target"].fail(f"expected a check number from 1 to {MAX_CHECKS} after '#'")
    if not isinstance(value["on"], bool):
        at["on"].fail("expected true or false")
    if value["note"] is not None:
        at["note"].text(value["note"])
    return value


def _recall_data(event: At, target: str, value: dict[str, Any]) -> dict[str, Any]:
    at = event["data"]
    _fields(at, value, {"rating", "at"})
    _numbered(event, target, "review")
    if not is_id(target.rpartition("#")[2]):
        event["target"].fail("expected a review id (26 characters of Crockford base 32)")
    if value["rating"] is not None and value["rating"] not in RATINGS:
        at["rating"].fail(f"'{value['rating']}' is not one of {', '.join(RATINGS)}")
    if at["at"].stamp(value["at"], future=True) != value["at"]:
        at["at"].fail(f"'{value['at']}' is not a UTC timestamp as mlpath writes it")
    return value


_DATA: dict[str, Callable[[At, str, dict[str, Any]], dict[str, Any]]] = {
    "topic": _topic_data,
    "entry": _entry_data,
    "entry.hidden": _hidden_data,
    "setting": _setting_data,
    "break": _break_data,
    "follow": _follow_data,
    "project": _project_data,
    "check": _check_data,
    "recall": _recall_data,
}
