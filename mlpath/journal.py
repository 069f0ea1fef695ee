"""The weekly journal: entries with hours, tags and topics, notes on topics, break weeks, and
correcting the history (edit, delete, restore).

Every entry keeps the UTC instant it was written (``at``), the local calendar day it is about
(``day``: today or ``--date``) and that day's ISO week (``week``). The week is fixed when the
entry is written, so moving to another time zone never moves an entry to another week, and
weekly figures are GROUP BY queries on an indexed column rather than a walk through history.
An edit or a deletion is a new event: the entry keeps its id, and its old versions stay.
"""

import datetime as dt
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from mlpath import dates
from mlpath.activity import WeekTotal, week_total
from mlpath.errors import (
    AmbiguousError,
    EmptyEntryError,
    InvalidInputError,
    NotFoundError,
    check_count,
)
from mlpath.fileio import decode_utf8
from mlpath.store import Store, registers
from mlpath.store import entries as entry_store
from mlpath.store import topics as topic_store
from mlpath.store.entries import Entry, ref_of
from mlpath.tuples import NamedTuple

KINDS = ("log", "note")
MAX_HOURS = 24.0
MAX_TAG = 60
MAX_TEXT = 1_000_000  # characters of one entry: a long essay is a tenth of it
# A tag starts with a letter and follows a space or punctuation, so "C#", "#1" and a URL's
# "/#anchor" are not tags.
TAG = re.compile(r"(?<![\w#/&])#([^\W\d_][\w-]*)")
_HEX = re.compile(r"[0-9a-f]{4,32}")
FIELDS = ("text", "hours", "day", "tags", "topics")  # what an edit can change

__all__ = ["Entry"]


class Logged(NamedTuple):
    entry: Entry
    week: WeekTotal


class JournalWeek(NamedTuple):
    week: str
    hours: float  # all entries of the week that match the filters, even beyond -n
    on_break: bool
    entries: list[Entry]


class JournalResult(NamedTuple):
    weeks: list[JournalWeek]
    shown: int
    total: int  # entries matching the filters
    ids: dict[str, str]  # each shown entry's id -> the shortest prefix that names it
    filters: list[str]  # the filters given, as typed (to say what emptied a listing)
    entries: int  # entries in the journal, whatever the filters


class BreakResult(NamedTuple):
    week: str
    on_break: bool
    changed: bool


class TopicChanges(NamedTuple):
    started: list[str]
    done: list[str]
    skipped: list[str]

    def described(self) -> list[str]:
        """E.g. ["done foundations/numpy", "started foundations/pandas, foundations/sql"]."""
        pairs = (("done", self.done), ("started", self.started), ("skipped", self.skipped))
        return [f"{state} {', '.join(topics)}" for state, topics in pairs if topics]


class Edit(NamedTuple):
    """What to change in an entry; None (or empty) leaves a field as it is."""

    text: str | None = None
    hours: float | None = None
    date: str | None = None
    tags: Sequence[str] = ()
    untags: Sequence[str] = ()
    topics: Sequence[str] = ()
    untopics: Sequence[str] = ()

    def is_empty(self) -> bool:
        given = (self.tags, self.untags, self.topics, self.untopics)
        return self.text is None and self.hours is None and self.date is None and not any(given)


class Edited(NamedTuple):
    before: Entry
    entry: Entry
    changed: list[str]  # the fields that changed, of FIELDS
    short: str  # the entry's short id


class Hidden(NamedTuple):
    action: str  # delete | restore
    changed: list[Entry]
    unchanged: list[Entry]  # already deleted (or, for restore, not deleted)
    ids: dict[str, str]  # each entry's id -> its short id


class Version(NamedTuple):
    event: str
    at: str  # UTC instant it was recorded
    what: str  # written | edited | deleted | restored
    entry: Entry | None  # the content, for written and edited


class EntryDetail(NamedTuple):
    entry: Entry
    short: str
    deleted: bool
    history: list[Version]  # oldest first; empty unless asked for


# --------------------------------------------------------------------------------- checks


def tags_in(text: str) -> list[str]:
    return [m.rstrip("-").casefold() for m in TAG.findall(text)]


def clean_tag(tag: str) -> str:
    """A tag as stored: without its '#' (or jrnl's '@'), case-folded. Looser than a #tag in
    the text, so that every jrnl tag comes over."""
    word = tag.strip().lstrip("#@").casefold()
    if not word or len(word) > MAX_TAG or not word.isprintable() or any(c.isspace() for c in word):
        raise InvalidInputError(
            f"tag '{tag}' is not a tag: one word of up to {MAX_TAG} printable characters"
        )
    return word


def check_hours(hours: float | None) -> None:
    if hours is not None and not 0 < hours <= MAX_HOURS:  # also refuses nan
        raise InvalidInputError(
            f"--hours must be more than 0 and at most {MAX_HOURS:g} per entry, not {hours:g}"
        )


def _checked_text(text: str, empty: str) -> str:
    text = text.strip()
    if not text:
        raise EmptyEntryError(empty)
    if len(text) > MAX_TEXT:
        raise InvalidInputError(
            f"nothing saved: the entry is longer than {MAX_TEXT:,} characters ({len(text):,})"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in the command line
        raise InvalidInputError("TEXT is not UTF-8 text; nothing saved") from None
    return text


def _resolve(refs: Sequence[str]) -> list[str]:
    if not refs:
        return []
    from mlpath.roadmaps import load_catalog  # only when asked: loading it costs time

    catalog = load_catalog()
    return list(dict.fromkeys(catalog.resolve(r).full_id for r in refs))


# -------------------------------------------------------------------------------- writing


def log(
    store: Store,
    text: str | None,
    *,
    kind: str = "log",
    hours: float | None = None,
    tags: Sequence[str] = (),
    topics: Sequence[str] = (),
    date: str | None = None,
    file: Path | None = None,
    stdin: BinaryIO | None = None,
    now: dt.datetime | None = None,
) -> Logged:
    """Add one entry. Without ``text`` it comes from ``file`` (an editor's file: its template
    comments are left out), else from ``stdin`` when given (not a terminal), else from the
    learner's editor. Everything is checked before any text is asked for, so a typo in an
    option never costs the learner what they wrote."""
    now = now or dt.datetime.now(dt.UTC)
    today = now.astimezone().date()
    day = dates.past_day(date, today) if date is not None else today
    check_hours(hours)
    chosen_tags = [clean_tag(t) for t in tags]
    chosen_topics = _resolve(topics)
    if text is not None and file is not None:
        raise InvalidInputError("give the entry as TEXT or with --file, not both")
    from mlpath import editor

    if file is not None:
        text = editor.strip_comments(read_entry_file(file))
    elif text is None and stdin is not None:
        text = decode_utf8(stdin.read(), "stdin")
    if text is not None:
        return _add(store, kind, day, hours, chosen_tags, chosen_topics, text, now)
    with editor.session(weekly_template(store, day), resume="mlpath log --file") as written:
        body = editor.strip_comments(written)
        return _add(store, kind, day, hours, chosen_tags, chosen_topics, body, now)


def read_entry_file(file: Path) -> str:
    """An entry's text from a file the learner names (the one an editor left, say)."""
    from mlpath import paths
    from mlpath.fileio import open_to_read

    name = paths.display(file)
    try:
        with open_to_read(file) as fh:
            data = fh.read(4 * MAX_TEXT + 1)
    except FileNotFoundError:
        raise NotFoundError(f"no file {name}") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot read {name} ({exc.strerror})") from None
    return decode_utf8(data, name)


def _add(
    store: Store,
    kind: str,
    day: dt.date,
    hours: float | None,
    tags: list[str],
    topics: list[str],
    text: str,
    now: dt.datetime,
) -> Logged:
    text = _checked_text(text, "nothing saved: the entry is empty")
    uid = os.urandom(16).hex()
    entry = Entry(
        id=ref_of(uid),
        uid=uid,
        kind=kind,
        at=dates.utc_stamp(now),
        day=day.isoformat(),
        week=dates.week_of(day),
        hours=hours,
        tags=sorted({*tags, *tags_in(text)}),
        topics=sorted(topics),
        text=text,
    )
    with store.change(f"{kind} {_gist(text)}") as change:
        change.record("entry", entry.uid, content(entry))
    return Logged(entry, week_total(store, entry.week))


def content(entry: Entry) -> dict[str, Any]:
    """What an entry's content event holds: the whole entry, so it can be applied alone."""
    return {
        "kind": entry.kind,
        "at": entry.at,
        "day": entry.day,
        "week": entry.week,
        "hours": entry.hours,
        "tags": entry.tags,
        "topics": entry.topics,
        "text": entry.text,
    }


def _gist(text: str) -> str:
    """The start of an entry's text, for the list of changes."""
    first = " ".join(text.split())
    return repr(first if len(first) <= 40 else first[:39] + "…")


def set_break(store: Store, week: str | None, undo: bool = False) -> BreakResult:
    """Mark a week (default: this one) as a planned break, or with ``undo`` unmark it."""
    chosen = dates.parse_week(week) if week is not None else dates.week_of(dt.date.today())
    with store.change(f"journal break --week {chosen}{' --undo' if undo else ''}") as change:
        changed = registers.is_break(store, chosen) == undo
        if changed:
            change.record("break", chosen, {"on": not undo})
    return BreakResult(chosen, not undo, changed)


# ----------------------------------------------------------------------------- correcting


def find_entry(store: Store, ref: str) -> tuple[Entry, bool]:
    """The entry an id names (a unique prefix of at least 4 digits is enough), and whether
    it is deleted."""
    prefix = ref.strip().lower()
    if not _HEX.fullmatch(prefix):
        raise InvalidInputError(
            f"'{ref}' is not an entry id: use the hex id `mlpath journal` shows (at least 4 digits)"
        )
    found = entry_store.by_prefix(store, prefix)
    if not found:
        raise NotFoundError(f"no entry {prefix}; `mlpath journal` shows each entry's id")
    if len(found) > 1:
        names = entry_store.short_ids(store, [e.id for e, _ in found[:5]])
        shown = ", ".join(names.values())
        raise AmbiguousError(f"entry id {prefix} is ambiguous: {shown}; give more digits")
    return found[0]


def edit(
    store: Store,
    ref: str,
    changes: Edit,
    *,
    file: Path | None = None,
    stdin: BinaryIO | None = None,
    today: dt.date | None = None,
) -> Edited:
    """Change an entry: it keeps its id, and its old version stays in the history. With no
    change given, the new text comes from ``file``, else stdin (not a terminal), else the
    learner's editor, opened on the entry."""
    before, deleted = find_entry(store, ref)
    if deleted:
        raise InvalidInputError(
            f"entry {ref} is deleted; bring it back first: mlpath journal restore {ref}"
        )
    today = today or dt.date.today()
    check_hours(changes.hours)
    if changes.is_empty():
        short = entry_store.short_ids(store, [before.id])[before.id]
        changes = changes._replace(text=_new_text(before, short, file, stdin))
    elif file is not None:
        raise InvalidInputError("give the new text with --text or --file, not both")
    short = entry_store.short_ids(store, [before.id])[before.id]
    after = _edited(before, changes, today, short)
    changed = [f for f in FIELDS if getattr(after, f) != getattr(before, f)]
    if changed:
        with store.change(f"journal edit {short} ({', '.join(changed)})") as change:
            change.record("entry", before.uid, content(after))
    return Edited(before, after, changed, short)


def _new_text(entry: Entry, short: str, file: Path | None, stdin: BinaryIO | None) -> str:
    from mlpath import editor

    if file is not None:
        return editor.strip_comments(read_entry_file(file))
    if stdin is not None:
        return decode_utf8(stdin.read(), "stdin")
    notes = [
        f"Editing entry {short} of {entry.day} ({entry.week}).",
        f"Lines starting with {editor.COMMENT} are left out; save it unchanged to cancel.",
        f"To delete the entry instead: mlpath journal delete {short}",
    ]
    template = entry.text + "\n\n" + "\n".join(f"{editor.COMMENT} {n}" for n in notes) + "\n"
    with editor.session(template, resume=f"mlpath journal edit {short} --file") as written:
        return editor.strip_comments(written)


def _edited(before: Entry, changes: Edit, today: dt.date, short: str) -> Entry:
    text = before.text
    tags = set(before.tags)
    if changes.text is not None:
        text = _checked_text(
            changes.text,
            "nothing changed: the new text is empty (to delete the entry: "
            f"mlpath journal delete {short})",
        )
        tags = (tags - set(tags_in(before.text))) | set(tags_in(text))
    tags = (tags | {clean_tag(t) for t in changes.tags}) - {clean_tag(t) for t in changes.untags}
    topics = (set(before.topics) | set(_resolve(changes.topics))) - set(_resolve(changes.untopics))
    day = dt.date.fromisoformat(before.day)
    if changes.date is not None:
        day = dates.past_day(changes.date, today)
    return before._replace(
        text=text,
        hours=changes.hours if changes.hours is not None else before.hours,
        day=day.isoformat(),
        week=dates.week_of(day),
        tags=sorted(tags),
        topics=sorted(topics),
    )


def hide(store: Store, refs: Sequence[str], delete: bool = True) -> Hidden:
    """Delete entries (hide them: nothing is erased, and `restore` brings them back), or
    with ``delete=False`` restore them, as one change."""
    if not refs:
        raise InvalidInputError("name at least one entry id")
    found = list({e.uid: (e, gone) for e, gone in (find_entry(store, r) for r in refs)}.values())
    action = "delete" if delete else "restore"
    moving = [e for e, gone in found if gone != delete]
    ids = entry_store.short_ids(store, [e.id for e, _ in found])
    with store.change(f"journal {action} {' '.join(ids[e.id] for e in moving)}") as change:
        for entry in moving:
            change.record("entry.hidden", entry.uid, {"hidden": delete})
    return Hidden(action, moving, [e for e, gone in found if gone == delete], ids)


def show_entry(store: Store, ref: str, history: bool = False) -> EntryDetail:
    entry, deleted = find_entry(store, ref)
    short = entry_store.short_ids(store, [entry.id])[entry.id]
    versions: list[Version] = []
    written = False
    for event in entry_store.versions(store, entry.uid) if history else ():
        if event.kind == "entry":
            fields = {k: v for k, v in event.data.items() if k in Entry._fields}
            kept = Entry(entry.id, entry.uid, **fields)
            what = "edited" if written else "written"
            versions.append(Version(event.id, event.recorded, what, kept))
            written = True
        else:
            what = "deleted" if event.data["hidden"] else "restored"
            versions.append(Version(event.id, event.recorded, what, None))
    return EntryDetail(entry, short, deleted, versions)


# -------------------------------------------------------------------------------- reading


def topic_changes(store: Store, week: str) -> TopicChanges:
    """Topics started, done and skipped on the days of a week (the day each change is about,
    so a change recorded later with --date counts in its own week). A change that was
    undone, and the undoing of it, are left out."""
    from mlpath.history import cancelled

    first = dates.monday(week)
    rows = topic_store.changed_between(store, first, first + dt.timedelta(days=6))
    # An undo is about the day of the value it gives back, so it may sit in another week
    # than the change it undoes: every undo counts, wherever it is.
    gone = cancelled([(event, undoes) for event, _, _, undoes in rows] + topic_store.undos(store))
    found: dict[str, list[str]] = {"started": [], "done": [], "skipped": []}
    for event, topic, state, undoes in rows:
        if undoes or event in gone:
            continue
        if state in found and topic not in found[state]:
            found[state].append(topic)
    return TopicChanges(**found)


def weekly_template(store: Store, day: dt.date) -> str:
    """What the editor opens with: room to write, then this week's figures and prompts."""
    from mlpath.editor import COMMENT

    week = dates.week_of(day)
    total = week_total(store, week)
    moved = topic_changes(store, week).described()
    lines = [
        f"Entry for {day:%A} {day.isoformat()}, week {week}",
        f"This week so far: {total.hours:g} h of your {total.goal:g} h goal, "
        f"{total.entries} {'entry' if total.entries == 1 else 'entries'}",
        f"Topics this week: {'; '.join(moved) if moved else 'no changes yet'}",
        "",
        "What did I learn?",
        "What blocked me?",
        "What's next?",
        "",
        f"Lines starting with {COMMENT} are left out; #tags in your text become tags.",
        "Save an empty entry to cancel.",
    ]
    return "\n\n" + "\n".join(f"{COMMENT} {line}".rstrip() for line in lines) + "\n"


def entries(
    store: Store,
    *,
    week: str | None = None,
    since: str | None = None,
    until: str | None = None,
    tag: str | None = None,
    topic: str | None = None,
    search: str | None = None,
    limit: int = 20,
    today: dt.date | None = None,
) -> JournalResult:
    """Entries newest first, grouped by week, with each week's total hours."""
    check_count(limit)
    if week is not None and (since is not None or until is not None):
        raise InvalidInputError("--week cannot be combined with --since or --until")
    today = today or dt.date.today()
    first = dates.parse_day(since, today, "--since") if since is not None else None
    last = dates.parse_day(until, today, "--until") if until is not None else None
    if first and last and first > last:
        raise InvalidInputError(f"--since {first} is after --until {last}")
    if search is not None and not search.strip():
        raise InvalidInputError("--search is empty: give the text to look for")
    chosen = entry_store.Filter(
        week=dates.parse_week(week) if week is not None else None,
        first=first.isoformat() if first else None,
        last=last.isoformat() if last else None,
        tag=clean_tag(tag) if tag is not None else None,
        topic=_resolve([topic])[0] if topic is not None else None,
        search=search.casefold() if search is not None else None,
    )
    found, total = entry_store.find(store, chosen, limit)
    shown = list(dict.fromkeys(e.week for e in found))
    sums = entry_store.week_sums(store, chosen, shown)
    breaks = registers.break_weeks(store)
    given = {"--week": week, "--since": since, "--until": until, "--tag": tag,
             "--topic": topic, "--search": search}  # fmt: skip
    filters = [f"{option} {value}" for option, value in given.items() if value is not None]
    everything = entry_store.find(store, entry_store.Filter(), 1)[1] if filters else total
    weeks = {
        w: JournalWeek(w, round(sums[w], 2), w in breaks, [e for e in found if e.week == w])
        for w in shown
    }
    # Listed as far back as the entries shown reach (all the way when none is left out).
    reach = shown[-1] if len(found) < total and shown else None
    for w in _breaks_in_view(breaks, chosen, reach, cut=len(found) < total):
        weeks.setdefault(w, JournalWeek(w, 0.0, True, []))
    return JournalResult(
        weeks=sorted(weeks.values(), key=lambda w: w.week, reverse=True),  # YYYY-Www sorts
        shown=len(found),
        total=total,
        ids=entry_store.short_ids(store, [e.id for e in found]),
        filters=filters,
        entries=everything,
    )


def _breaks_in_view(
    breaks: set[str], chosen: entry_store.Filter, reach: str | None, cut: bool
) -> list[str]:
    """The break weeks a listing shows in their place: those in its days (--week, --since,
    --until), no older than the oldest entry shown when entries are left out (``cut``), and
    none when it is filtered by what entries say (a tag, a topic, a text): a break has none."""
    if chosen.tag is not None or chosen.topic is not None or chosen.search is not None:
        return []
    if cut and reach is None:
        return []
    if chosen.week is not None:
        return [chosen.week] if chosen.week in breaks else []
    shown = []
    for week in breaks:
        monday = dates.monday(week)
        if chosen.first is not None and (monday + dt.timedelta(days=6)).isoformat() < chosen.first:
            continue
        if chosen.last is not None and monday.isoformat() > chosen.last:
            continue
        if reach is not None and week < reach:
            continue
        shown.append(week)
    return shown


def topic_notes(store: Store, topic: str) -> list[Entry]:
    """Entries about one topic (`mlpath note` and `mlpath log --topic`), oldest first."""
    return entry_store.about_topic(store, topic)


def week_entries(store: Store, week: str) -> list[Entry]:
    return entry_store.in_week(store, week)


def all_entries(store: Store) -> list[Entry]:
    return entry_store.visible(store)
