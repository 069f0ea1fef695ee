"""The weekly journal: entries with hours, tags and topics, notes on topics, break weeks.

Every entry keeps the UTC instant it was written (``at``), the local calendar day it is about
(``day``: today or ``--date``) and that day's ISO week (``week``). The week is fixed when the
entry is written, so moving to another time zone never moves an entry to another week, and
weekly figures are GROUP BY queries on an indexed column rather than a walk through history.
"""

import datetime as dt
import os
import re
from collections.abc import Sequence
from typing import Any, BinaryIO, NamedTuple

from mlpath import dates
from mlpath.activity import WeekTotal, week_total
from mlpath.errors import EmptyEntryError, InvalidInputError, check_count
from mlpath.fileio import decode_utf8
from mlpath.store import Store

KINDS = ("log", "note")
MAX_HOURS = 24.0
MAX_TAG = 60
MAX_TEXT = 1_000_000  # characters of one entry: a long essay is a tenth of it
# A tag starts with a letter and follows a space or punctuation, so "C#", "#1" and a URL's
# "/#anchor" are not tags.
TAG = re.compile(r"(?<![\w#/&])#([^\W\d_][\w-]*)")
_ENTRY_COLUMNS = "e.id, e.uid, e.kind, e.at, e.day, e.week, e.hours, e.text"
_CHUNK = 500  # ids per IN (...) query, well below SQLite's limit on parameters


class Entry(NamedTuple):
    uid: str
    kind: str  # "log" | "note"
    at: str  # UTC instant it was written
    day: str  # local calendar day it is about
    week: str
    hours: float | None
    tags: list[str]
    topics: list[str]
    text: str


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
    total: int


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


# --------------------------------------------------------------------------------- writing


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


def log(
    store: Store,
    text: str | None,
    *,
    kind: str = "log",
    hours: float | None = None,
    tags: Sequence[str] = (),
    topics: Sequence[str] = (),
    date: str | None = None,
    stdin: BinaryIO | None = None,
    now: dt.datetime | None = None,
) -> Logged:
    """Add one entry. Without ``text`` it comes from ``stdin`` when given (not a terminal),
    otherwise from the learner's editor. Everything is checked before any text is asked for,
    so a typo in an option never costs the learner what they wrote."""
    now = now or dt.datetime.now(dt.UTC)
    today = now.astimezone().date()
    day = dates.past_day(date, today) if date is not None else today
    check_hours(hours)
    chosen_tags = [clean_tag(t) for t in tags]
    chosen_topics = _resolve(topics)
    if text is None and stdin is not None:
        text = decode_utf8(stdin.read(), "stdin")
    if text is not None:
        return _add(store, kind, day, hours, chosen_tags, chosen_topics, text, now)
    from mlpath import editor

    with editor.session(weekly_template(store, day)) as written:
        body = editor.strip_comments(written)
        return _add(store, kind, day, hours, chosen_tags, chosen_topics, body, now)


def _resolve(refs: Sequence[str]) -> list[str]:
    if not refs:
        return []
    from mlpath.roadmaps import load_catalog  # only when asked: loading it costs time

    catalog = load_catalog()
    return list(dict.fromkeys(catalog.resolve(r).full_id for r in refs))


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
    text = text.strip()
    if not text:
        raise EmptyEntryError("nothing saved: the entry is empty")
    if len(text) > MAX_TEXT:
        raise InvalidInputError(
            f"nothing saved: the entry is longer than {MAX_TEXT:,} characters ({len(text):,})"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in the command line
        raise InvalidInputError("TEXT is not UTF-8 text; nothing saved") from None
    entry = Entry(
        uid=os.urandom(16).hex(),
        kind=kind,
        at=dates.utc_stamp(now),
        day=day.isoformat(),
        week=dates.week_of(day),
        hours=hours,
        tags=sorted({*tags, *tags_in(text)}),
        topics=sorted(topics),
        text=text,
    )
    with store.write():
        insert(store, entry)
    return Logged(entry, week_total(store, entry.week))


def insert(store: Store, entry: Entry) -> bool:
    """Insert one entry inside the caller's write transaction; False (and nothing written)
    when an entry with its uid is there already."""
    cursor = store.conn.execute(
        "INSERT OR IGNORE INTO journal_entries (uid, kind, at, day, week, hours, text) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (entry.uid, entry.kind, entry.at, entry.day, entry.week, entry.hours, entry.text),
    )
    if not cursor.rowcount:
        return False
    store.conn.executemany(
        "INSERT INTO journal_tags (entry, tag) VALUES (?, ?)",
        [(cursor.lastrowid, t) for t in entry.tags],
    )
    store.conn.executemany(
        "INSERT INTO journal_topics (entry, topic) VALUES (?, ?)",
        [(cursor.lastrowid, t) for t in entry.topics],
    )
    return True


def set_break(store: Store, week: str | None, undo: bool = False) -> BreakResult:
    """Mark a week (default: this one) as a planned break, or with ``undo`` unmark it."""
    chosen = dates.parse_week(week) if week is not None else dates.week_of(dt.date.today())
    with store.write() as conn:
        if undo:
            changed = conn.execute("DELETE FROM break_weeks WHERE week = ?", (chosen,)).rowcount
        else:
            sql = "INSERT OR IGNORE INTO break_weeks (week) VALUES (?)"
            changed = conn.execute(sql, (chosen,)).rowcount
    return BreakResult(chosen, not undo, bool(changed))


# --------------------------------------------------------------------------------- reading


def topic_changes(store: Store, week: str) -> TopicChanges:
    """Topics started, done and skipped during a week of the learner's local time."""
    start, end = (dates.utc_stamp(b) for b in dates.week_bounds(week))
    rows = store.query(
        "SELECT topic, state FROM topic_events WHERE at >= ? AND at < ? ORDER BY id",
        (start, end),
    )
    found: dict[str, list[str]] = {"started": [], "done": [], "skipped": []}
    for topic, state in rows:
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
    where: list[str] = []
    params: list[Any] = []
    if week is not None:
        where.append("e.week = ?")
        params.append(dates.parse_week(week))
    first = dates.parse_day(since, today, "--since") if since is not None else None
    last = dates.parse_day(until, today, "--until") if until is not None else None
    if first and last and first > last:
        raise InvalidInputError(f"--since {first} is after --until {last}")
    if first:
        where.append("e.day >= ?")
        params.append(first.isoformat())
    if last:
        where.append("e.day <= ?")
        params.append(last.isoformat())
    if tag is not None:
        where.append("EXISTS (SELECT 1 FROM journal_tags WHERE entry = e.id AND tag = ?)")
        params.append(clean_tag(tag))
    if topic is not None:
        where.append("EXISTS (SELECT 1 FROM journal_topics WHERE entry = e.id AND topic = ?)")
        params.extend(_resolve([topic]))
    if search is not None:
        if not search.strip():
            raise InvalidInputError("--search is empty: give the text to look for")
        store.conn.create_function("casefold", 1, _casefold, deterministic=True)
        where.append("instr(casefold(e.text), ?) > 0")
        params.append(search.casefold())
    condition = " AND ".join(where) or "1"
    found = _select(
        store,
        f"WHERE {condition} ORDER BY e.day DESC, e.at DESC, e.id DESC LIMIT ?",
        [*params, limit],
    )
    total = store.query(f"SELECT count(*) FROM journal_entries AS e WHERE {condition}", params)
    shown = list(dict.fromkeys(e.week for e in found))
    marks = ", ".join("?" for _ in shown)
    sums = dict(
        store.query(
            f"SELECT e.week, total(e.hours) FROM journal_entries AS e "
            f"WHERE {condition} AND e.week IN ({marks}) GROUP BY e.week",
            [*params, *shown],
        )
    )
    breaks = {
        w for (w,) in store.query(f"SELECT week FROM break_weeks WHERE week IN ({marks})", shown)
    }
    return JournalResult(
        weeks=[
            JournalWeek(w, round(sums[w], 2), w in breaks, [e for e in found if e.week == w])
            for w in shown
        ],
        shown=len(found),
        total=total[0][0],
    )


def topic_notes(store: Store, topic: str) -> list[Entry]:
    """Entries about one topic (`mlpath note` and `mlpath log --topic`), oldest first."""
    return _select(
        store,
        "JOIN journal_topics AS t ON t.entry = e.id WHERE t.topic = ? ORDER BY e.day, e.at, e.id",
        [topic],
    )


def week_entries(store: Store, week: str) -> list[Entry]:
    return _select(store, "WHERE e.week = ? ORDER BY e.day, e.at, e.id", [week])


def all_entries(store: Store) -> list[Entry]:
    return _select(store, "ORDER BY e.day, e.at, e.id", [])


def _select(store: Store, tail: str, params: Sequence[Any]) -> list[Entry]:
    rows = store.query(f"SELECT {_ENTRY_COLUMNS} FROM journal_entries AS e {tail}", params)
    ids = [r[0] for r in rows]
    tags = _related(store, "SELECT entry, tag FROM journal_tags", ids)
    topics = _related(store, "SELECT entry, topic FROM journal_topics", ids)
    return [
        Entry(uid, kind, at, day, week, hours, tags.get(i, []), topics.get(i, []), text)
        for i, uid, kind, at, day, week, hours, text in rows
    ]


def _related(store: Store, select: str, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        for entry, value in store.query(f"{select} WHERE entry IN ({marks}) ORDER BY 1, 2", chunk):
            found.setdefault(entry, []).append(value)
    return found


def _casefold(text: str | None) -> str | None:
    return text.casefold() if text is not None else None
