"""The store's schema, one migration a version: ``PRAGMA user_version`` says how many have
run. Each runs in its own transaction with its version bump (see ``Store._migrate``), after a
verified copy of the store. Append only: a released migration is never edited, reordered or
removed, and each has a test from a fixture store made by the code of its time
(tests/fixtures/stores).
"""

import json
import sqlite3
from collections.abc import Callable, Iterator

from mlpath.store.db import APPLICATION_ID
from mlpath.store.events import Event


def _m1_initial(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE topic_events (
            id    INTEGER PRIMARY KEY,
            topic TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('started', 'done', 'skipped', 'reset')),
            at    TEXT NOT NULL,
            note  TEXT
        )
        """
    )
    conn.execute("CREATE INDEX topic_events_by_topic ON topic_events (topic, id)")
    conn.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def _m2_projects(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE projects (
            id         INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            template   TEXT NOT NULL,
            path       TEXT NOT NULL,
            created_at TEXT NOT NULL,
            topics     TEXT NOT NULL DEFAULT '[]'  -- JSON list of full topic ids
        )
        """
    )


def _m3_journal(conn: sqlite3.Connection) -> None:
    # `day` is the learner's local calendar day the entry is about and `week` its ISO week,
    # both fixed when written, so a later change of time zone never moves an entry to
    # another week. `uid` makes an entry the same entry in every export and import.
    conn.execute(
        """
        CREATE TABLE journal_entries (
            id    INTEGER PRIMARY KEY,
            uid   TEXT NOT NULL UNIQUE,
            kind  TEXT NOT NULL CHECK (kind IN ('log', 'note')),
            at    TEXT NOT NULL,  -- UTC instant it was written
            day   TEXT NOT NULL,  -- YYYY-MM-DD
            week  TEXT NOT NULL,  -- YYYY-Www
            hours REAL CHECK (hours IS NULL OR (hours > 0 AND hours <= 24)),
            text  TEXT NOT NULL
        )
        """
    )
    # (week, hours) covers the weekly sums behind status, review, streaks and pace.
    conn.execute("CREATE INDEX journal_by_week ON journal_entries (week, hours)")
    conn.execute("CREATE INDEX journal_by_day ON journal_entries (day, at)")
    conn.execute(
        """
        CREATE TABLE journal_tags (
            entry INTEGER NOT NULL REFERENCES journal_entries (id),
            tag   TEXT NOT NULL,  -- without the '#', case-folded
            PRIMARY KEY (entry, tag)
        ) WITHOUT ROWID
        """
    )
    conn.execute("CREATE INDEX journal_tags_by_tag ON journal_tags (tag, entry)")
    conn.execute(
        """
        CREATE TABLE journal_topics (
            entry INTEGER NOT NULL REFERENCES journal_entries (id),
            topic TEXT NOT NULL,  -- full topic id
            PRIMARY KEY (entry, topic)
        ) WITHOUT ROWID
        """
    )
    conn.execute("CREATE INDEX journal_topics_by_topic ON journal_topics (topic, entry)")
    conn.execute("CREATE TABLE break_weeks (week TEXT PRIMARY KEY) WITHOUT ROWID")
    # The weekly review reads the topic changes made inside one week.
    conn.execute("CREATE INDEX topic_events_by_at ON topic_events (at)")


def _m4_topic_state(conn: sqlite3.Connection) -> None:
    # Each topic's current state, kept by a trigger in the same transaction as the event that
    # changes it, so status reads one row per topic however long the history grows. It is
    # derived data: the events stay the record. "Latest" means latest in time, then in order
    # of recording, so importing an older history never overrides a newer local change.
    conn.execute(
        """
        CREATE TABLE topic_state (
            topic TEXT PRIMARY KEY,
            event INTEGER NOT NULL,  -- id of the event that set it
            state TEXT NOT NULL,
            at    TEXT NOT NULL
        ) WITHOUT ROWID
        """
    )
    conn.execute(
        """
        CREATE TRIGGER topic_state_follows_events AFTER INSERT ON topic_events
        BEGIN
            INSERT INTO topic_state (topic, event, state, at)
            VALUES (NEW.topic, NEW.id, NEW.state, NEW.at)
            ON CONFLICT (topic) DO UPDATE
                SET event = excluded.event, state = excluded.state, at = excluded.at
                WHERE (excluded.at, excluded.event) > (topic_state.at, topic_state.event);
        END
        """
    )
    conn.execute(
        """
        INSERT INTO topic_state (topic, event, state, at)
        SELECT topic, id, state, at FROM (
            SELECT topic, id, state, at,
                   row_number() OVER (PARTITION BY topic ORDER BY at DESC, id DESC) AS rank
            FROM topic_events
        ) WHERE rank = 1
        """
    )


def _m5_application_id(conn: sqlite3.Connection) -> None:
    # From here on a store names itself in its header, so that mlpath can tell its own files
    # from any other SQLite file before it writes a byte.
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


# The schema of events and of the tables derived from them (schema 6). A register table keeps
# the value of its greatest (hlc, event); see mlpath.store.events.
EVENT_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    """CREATE TABLE events (
        id       TEXT PRIMARY KEY,   -- 26-character ULID
        replica  TEXT NOT NULL,      -- the store that made it
        hlc      INTEGER NOT NULL,   -- its place in the order of all changes
        recorded TEXT NOT NULL,      -- UTC wall-clock time it was written
        kind     TEXT NOT NULL,
        target   TEXT NOT NULL,
        day      TEXT,               -- the local day it is about
        data     TEXT NOT NULL       -- the register's new value, JSON
    ) WITHOUT ROWID""",
    "CREATE INDEX events_in_order ON events (hlc, id)",
    "CREATE INDEX events_of_register ON events (kind, target, hlc, id)",
    "CREATE INDEX events_by_day ON events (kind, day)",
    """CREATE TABLE topic_state (
        topic TEXT PRIMARY KEY, state TEXT NOT NULL, since TEXT NOT NULL, day TEXT,
        hlc INTEGER NOT NULL, event TEXT NOT NULL
    ) WITHOUT ROWID""",
    "CREATE TABLE topic_weeks (week TEXT PRIMARY KEY, changes INTEGER NOT NULL) WITHOUT ROWID",
    """CREATE TABLE entries (
        uid TEXT PRIMARY KEY, ref TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, at TEXT NOT NULL,
        day TEXT NOT NULL, week TEXT NOT NULL, hours REAL, text TEXT NOT NULL,
        hidden INTEGER NOT NULL DEFAULT 0, hlc INTEGER NOT NULL, event TEXT NOT NULL
    )""",
    # (week, hours) of the visible entries covers the weekly sums behind status and review.
    "CREATE INDEX entries_visible_by_week ON entries (week, hours) WHERE hidden = 0",
    "CREATE INDEX entries_by_day ON entries (day, at)",
    """CREATE TABLE entry_tags (
        uid TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (uid, tag)
    ) WITHOUT ROWID""",
    "CREATE INDEX entry_tags_by_tag ON entry_tags (tag, uid)",
    """CREATE TABLE entry_topics (
        uid TEXT NOT NULL, topic TEXT NOT NULL, PRIMARY KEY (uid, topic)
    ) WITHOUT ROWID""",
    "CREATE INDEX entry_topics_by_topic ON entry_topics (topic, uid)",
    """CREATE TABLE entry_visibility (
        uid TEXT PRIMARY KEY, hidden INTEGER NOT NULL, hlc INTEGER NOT NULL,
        event TEXT NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE settings (
        key TEXT PRIMARY KEY, value TEXT, hlc INTEGER NOT NULL, event TEXT NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE breaks (
        week TEXT PRIMARY KEY, on_break INTEGER NOT NULL, hlc INTEGER NOT NULL,
        event TEXT NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE follows (
        roadmap TEXT PRIMARY KEY, followed INTEGER, hlc INTEGER NOT NULL, event TEXT NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE projects (
        uid TEXT PRIMARY KEY, name TEXT NOT NULL, template TEXT NOT NULL, path TEXT NOT NULL,
        created_at TEXT NOT NULL, topics TEXT NOT NULL, host TEXT, replica TEXT NOT NULL,
        hlc INTEGER NOT NULL, event TEXT NOT NULL
    ) WITHOUT ROWID""",
    # Self-checks: one register per (topic, number), target "topic#number".
    """CREATE TABLE checks (
        key TEXT PRIMARY KEY, topic TEXT NOT NULL, number INTEGER NOT NULL,
        ticked INTEGER NOT NULL, note TEXT, day TEXT, hlc INTEGER NOT NULL, event TEXT NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX checks_by_topic ON checks (topic, ticked, number)",
    # Recall: one register per rating, target "topic#review-id" (a null rating is one taken
    # back), and each finished topic's FSRS card, replayed from its events.
    """CREATE TABLE reviews (
        key TEXT PRIMARY KEY, topic TEXT NOT NULL, rating TEXT, at TEXT NOT NULL,
        hlc INTEGER NOT NULL, event TEXT NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX reviews_by_topic ON reviews (topic, hlc, event)",
    """CREATE TABLE recall_cards (
        topic TEXT PRIMARY KEY, enrolled TEXT NOT NULL, due TEXT NOT NULL,
        last_review TEXT NOT NULL, stability REAL NOT NULL, difficulty REAL NOT NULL,
        reviews INTEGER NOT NULL, lapses INTEGER NOT NULL
    ) WITHOUT ROWID""",
    # This store's own changes, for undo (local: they do not sync).
    """CREATE TABLE changes (
        id TEXT PRIMARY KEY, hlc INTEGER NOT NULL, recorded TEXT NOT NULL,
        command TEXT NOT NULL, action TEXT NOT NULL, target TEXT
    ) WITHOUT ROWID""",
    "CREATE INDEX changes_in_order ON changes (hlc, id)",
    """CREATE TABLE change_events (
        change TEXT NOT NULL, event TEXT NOT NULL, PRIMARY KEY (change, event)
    ) WITHOUT ROWID""",
    "CREATE INDEX change_events_by_event ON change_events (event)",
    # Sync (this machine's view of the sync repository): the events it holds, how much of each
    # replica's file has been read (with a digest of it, to notice a rewritten file), and
    # each custom roadmap file as of the last sync.
    "CREATE TABLE sync_known (event TEXT PRIMARY KEY) WITHOUT ROWID",
    """CREATE TABLE sync_files (
        name TEXT PRIMARY KEY, size INTEGER NOT NULL, digest TEXT NOT NULL
    ) WITHOUT ROWID""",
    "CREATE TABLE sync_roadmaps (name TEXT PRIMARY KEY, digest TEXT NOT NULL) WITHOUT ROWID",
)
_OLD_TABLES = ("topic_events", "topic_state", "settings", "projects", "journal_entries",
               "journal_tags", "journal_topics", "break_weeks")  # fmt: skip


def _m6_events(conn: sqlite3.Connection) -> None:
    """Every fact becomes an event with an id, and the tables everything reads are derived
    from the events. The old tables are set aside under new names, converted a row at a
    time, then dropped."""
    from mlpath.store import events

    conn.execute("DROP TRIGGER topic_state_follows_events")
    for table in _OLD_TABLES:  # migrations run in order, so the schema here is 5's
        conn.execute(f"ALTER TABLE {table} RENAME TO old_{table}")
    for statement in EVENT_SCHEMA:
        conn.execute(statement)
    events.set_meta(conn, "replica", events.new_replica())
    events.apply(conn, _converted(conn))
    for table in reversed(_OLD_TABLES):  # tags and topics refer to entries: they go first
        conn.execute(f"DROP TABLE old_{table}")


def _converted(conn: sqlite3.Connection) -> Iterator[Event]:
    from mlpath.store import legacy

    yield from legacy.topic_events(
        conn.execute("SELECT topic, state, at, note FROM old_topic_events ORDER BY id")
    )
    yield from legacy.setting_events(dict(conn.execute("SELECT key, value FROM old_settings")))
    for name, template, path, created, topics in conn.execute(
        "SELECT name, template, path, created_at, topics FROM old_projects ORDER BY id"
    ).fetchall():
        project = {"name": name, "template": template, "path": path, "created_at": created}
        yield legacy.project_event({**project, "topics": json.loads(topics)})
    for (week,) in conn.execute("SELECT week FROM old_break_weeks").fetchall():
        yield legacy.break_event(week)
    yield from (legacy.entry_event(e) for e in _old_entries(conn))


def _old_entries(conn: sqlite3.Connection) -> Iterator[dict[str, object]]:
    """The old journal, an entry at a time with its tags and topics."""
    rows = conn.execute(
        "SELECT e.id, e.uid, e.kind, e.at, e.day, e.hours, e.text, "
        "(SELECT json_group_array(tag) FROM old_journal_tags WHERE entry = e.id), "
        "(SELECT json_group_array(topic) FROM old_journal_topics WHERE entry = e.id) "
        "FROM old_journal_entries AS e ORDER BY e.id"
    )
    for _, uid, kind, at, day, hours, text, tags, topics in rows:
        yield {"uid": uid, "kind": kind, "at": at, "day": day, "hours": hours, "text": text,
               "tags": json.loads(tags), "topics": json.loads(topics)}  # fmt: skip


Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS: list[Migration] = [
    _m1_initial,
    _m2_projects,
    _m3_journal,
    _m4_topic_state,
    _m5_application_id,
    _m6_events,
]
