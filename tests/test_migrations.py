"""Every store an earlier mlpath made migrates to the event log with nothing lost or changed.

The fixture stores (tests/fixtures/stores/v1.db … v5.db) were made by the CLI of the last
commit of each schema, and each manifest (v{N}.json) lists every row they hold. Each test
works on a copy: the fixtures themselves are never opened for writing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from mlpath.store import APPLICATION_ID, SCHEMA_VERSION, Store, connect_read_only, facts, verify
from mlpath.store.db import LEGACY_CONTENT, LEGACY_TABLES
from mlpath.store.legacy import DEFAULT_PATH, FOLLOWED_KEY
from tests.conftest import Result

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "stores"
VERSIONS = (1, 2, 3, 4, 5)
EXPORTED = (3, 4, 5)  # the schemas whose commit had `mlpath export`
STATE_SHOWN = {"reset": "not-started", "started": "started", "done": "done", "skipped": "skipped"}
# The tables of schema 5: those of schema 4 (schema 5 only set the application id).
V5_TABLES = LEGACY_TABLES[4]
# Every old table and the order that names its rows exactly (for digests of a whole store).
OLD_TABLE_ORDER = {
    "topic_events": "id",
    "topic_state": "topic",
    "settings": "key",
    "projects": "id",
    "journal_entries": "id",
    "journal_tags": "entry, tag",
    "journal_topics": "entry, topic",
    "break_weeks": "week",
}

Run = Callable[..., Result]


# ----------------------------------------------------------------------------- helpers


def manifest(version: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"v{version}.json").read_text("utf-8"))
    return data


def install(version: int, home: Path) -> Path:
    """A copy of fixture store ``version`` as the store of ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / "mlpath.db"
    shutil.copyfile(FIXTURES / f"v{version}.db", target)
    return target


def copy_export(version: int, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"export-v{version}.json"
    shutil.copyfile(FIXTURES / f"export-v{version}.json", target)
    return target


def cli_json(mlpath: Run, *args: str) -> Any:
    """Run a command that prints JSON; its ``data``."""
    result = mlpath(*args)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    document = json.loads(result.stdout)
    return document["data"]


def read_rows(conn: sqlite3.Connection, table: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of ``table`` as the manifest lists them: its columns, in its order."""
    columns = spec["columns"]
    order = ", ".join(spec["order_by"])
    cursor = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def week_of(day: str) -> str:
    year, week, _ = dt.date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


class OldData(NamedTuple):
    """What an old store or an old export held, the way the new model should show it."""

    topic_events: list[dict[str, Any]]  # topic, state, at, note, order (old id or position)
    entries: dict[str, dict[str, Any]]  # uid -> kind, at, day, week, hours, tags, topics, text
    settings: dict[str, str]
    breaks: set[str]
    projects: list[dict[str, Any]]  # name, template, path, created_at, topics


def from_manifest(found: dict[str, Any]) -> OldData:
    tables = found["tables"]

    def rows(name: str) -> list[dict[str, Any]]:
        rows_: list[dict[str, Any]] = tables.get(name, {"rows": []})["rows"]
        return rows_

    tags: dict[int, list[str]] = {}
    for row in rows("journal_tags"):
        tags.setdefault(row["entry"], []).append(row["tag"])
    topics: dict[int, list[str]] = {}
    for row in rows("journal_topics"):
        topics.setdefault(row["entry"], []).append(row["topic"])
    entries = {
        row["uid"]: {
            "kind": row["kind"],
            "at": row["at"],
            "day": row["day"],
            "week": row["week"],
            "hours": row["hours"],
            "tags": sorted(tags.get(row["id"], [])),
            "topics": sorted(topics.get(row["id"], [])),
            "text": row["text"],
        }
        for row in rows("journal_entries")
    }
    return OldData(
        topic_events=[
            {
                "topic": r["topic"],
                "state": r["state"],
                "at": r["at"],
                "note": r["note"],
                "order": r["id"],
            }
            for r in rows("topic_events")
        ],
        entries=entries,
        settings={r["key"]: r["value"] for r in rows("settings")},
        breaks={r["week"] for r in rows("break_weeks")},
        projects=[
            {
                "name": r["name"],
                "template": r["template"],
                "path": r["path"],
                "created_at": r["created_at"],
                "topics": json.loads(r["topics"]),
            }
            for r in rows("projects")
        ],
    )


def from_export(document: dict[str, Any]) -> OldData:
    assert document["format"] == "mlpath" and document["version"] == 1
    return OldData(
        topic_events=[{**e, "order": i} for i, e in enumerate(document["events"])],
        entries={
            e["uid"]: {
                "kind": e["kind"],
                "at": e["at"],
                "day": e["day"],
                "week": week_of(e["day"]),
                "hours": e["hours"],
                "tags": sorted(e["tags"]),
                "topics": sorted(e["topics"]),
                "text": e["text"],
            }
            for e in document["entries"]
        },
        settings=dict(document["settings"]),
        breaks=set(document["breaks"]),
        projects=[
            {k: p[k] for k in ("name", "template", "path", "created_at", "topics")}
            for p in document["projects"]
        ],
    )


def old_current_states(topic_events: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each topic's current state by the old rule: latest in time, then in order of recording
    (what the old topic_state trigger kept)."""
    current: dict[str, dict[str, Any]] = {}
    for event in topic_events:
        held = current.get(event["topic"])
        if held is None or (event["at"], event["order"]) > (held["at"], held["order"]):
            current[event["topic"]] = event
    return current


def check_model(mlpath: Run, data: OldData) -> None:
    """Every record of ``data`` is what the CLI shows, read through its JSON."""
    current = old_current_states(data.topic_events)
    by_topic: dict[str, list[dict[str, Any]]] = {}
    for event in data.topic_events:
        by_topic.setdefault(event["topic"], []).append(event)

    # Each topic: its whole history in order, every note and time kept; its current state.
    for topic, history in by_topic.items():
        shown = cli_json(mlpath, "show", topic, "--json")
        expected = [
            (e["state"], e["at"], e["note"])
            for e in sorted(history, key=lambda e: (e["at"], e["order"]))
        ]
        got = [(h["state"], h["at"], h["note"]) for h in shown["history"]]
        assert got == expected, topic
        assert all(h["topic"] == topic and h["day"] == h["at"][:10] for h in shown["history"])
        winner = current[topic]
        assert shown["state"] == STATE_SHOWN[winner["state"]], topic
        if winner["state"] != "reset":
            assert shown["since"] == winner["at"], topic
        about = {uid for uid, e in data.entries.items() if topic in e["topics"]}
        assert {n["uid"] for n in shown["notes"]} == about, topic

    # Status: the counts per followed roadmap and the topics in progress.
    status = cli_json(mlpath, "status", "--json")
    for roadmap in status["roadmaps"]:
        states = Counter(e["state"] for t, e in current.items() if t.split("/")[0] == roadmap["id"])
        assert (roadmap["done"], roadmap["skipped"], roadmap["started"]) == (
            states["done"],
            states["skipped"],
            states["started"],
        ), roadmap["id"]
    started = {t for t, e in current.items() if e["state"] == "started"}
    assert {t["id"] for t in status["in_progress"]} == started
    assert {t["id"]: t["since"] for t in status["in_progress"]} == {
        t: current[t]["at"] for t in started
    }

    # The journal: every entry exactly, each week's break flag.
    journal = cli_json(mlpath, "journal", "--json", "-n", "1000")
    shown_entries = {e["uid"]: e for w in journal["weeks"] for e in w["entries"]}
    assert journal["total"] == len(data.entries)
    assert shown_entries.keys() == data.entries.keys()
    for uid, old in data.entries.items():
        entry = shown_entries[uid]
        got_entry = {k: entry[k] for k in old}
        assert got_entry == old, uid
    for week in journal["weeks"]:
        assert week["on_break"] == (week["week"] in data.breaks), week["week"]
        if week["entries"]:
            assert {e["week"] for e in week["entries"]} == {week["week"]}
        else:  # a break week with no entry is listed in its place
            assert week["on_break"] and week["hours"] == 0, week["week"]
    for week_name in data.breaks:  # and review knows every break week
        review = cli_json(mlpath, "review", "--week", week_name, "--json")
        assert review["on_break"] is True, week_name

    # Settings: the weekly goal, and the followed roadmaps from the old `followed` list.
    config = {s["key"]: s for s in cli_json(mlpath, "config", "--json")["settings"]}
    hours = config["weekly-hours"]
    if "weekly-hours" in data.settings:
        assert hours["value"] == float(data.settings["weekly-hours"])
    else:
        assert hours["value"] == hours["default"]
    followed = (
        json.loads(data.settings[FOLLOWED_KEY])
        if FOLLOWED_KEY in data.settings
        else list(DEFAULT_PATH)
    )
    roadmaps = cli_json(mlpath, "roadmap", "list", "--json")
    assert {r["id"]: r["followed"] for r in roadmaps} == {
        r["id"]: r["id"] in followed for r in roadmaps
    }
    assert {r["id"] for r in roadmaps} >= set(followed)

    # Projects: each one whole.
    projects = cli_json(mlpath, "projects", "--json")
    keys = ("name", "template", "path", "created_at", "topics")
    assert sorted(({k: p[k] for k in keys} for p in projects), key=json.dumps) == sorted(
        data.projects, key=json.dumps
    )


def header_facts(path: Path) -> tuple[int, int, set[str]]:
    """(user_version, application_id, tables) of a store, read-only."""
    conn = connect_read_only(path)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return int(version), int(app_id), tables
    finally:
        conn.close()


def event_kinds(path: Path) -> Counter[str]:
    conn = connect_read_only(path)
    try:
        return Counter(dict(conn.execute("SELECT kind, count(*) FROM events GROUP BY kind")))
    finally:
        conn.close()


def expected_kinds(data: OldData) -> Counter[str]:
    """The events a migration makes of ``data``: one a topic change, entry, break and
    project, one a setting but ``followed``, which becomes one a roadmap it names or a
    default roadmap it leaves out."""
    kinds: Counter[str] = Counter(
        topic=len(data.topic_events),
        entry=len(data.entries),
        setting=len([k for k in data.settings if k != FOLLOWED_KEY]),
        project=len(data.projects),
    )
    kinds["break"] = len(data.breaks)
    if FOLLOWED_KEY in data.settings:
        followed = set(json.loads(data.settings[FOLLOWED_KEY]))
        kinds["follow"] = len(followed | set(DEFAULT_PATH))
    return +kinds


# ------------------------------------------------------- 1. every fixture store migrates


@pytest.mark.parametrize("version", VERSIONS)
def test_an_old_store_migrates_with_every_row_kept(
    version: int, isolated_home: Path, mlpath: Run
) -> None:
    found = manifest(version)
    assert found["user_version"] == version
    db = install(version, isolated_home)

    result = mlpath("status")
    assert result.exit_code == 0, result.stderr

    # The store: current schema, sound, named in its header, no old table left.
    checked = facts(db)
    assert (checked.integrity, checked.version) == ("ok", SCHEMA_VERSION)
    user_version, app_id, tables = header_facts(db)
    assert (user_version, app_id) == (6, APPLICATION_ID)
    assert "events" in tables
    assert not {t for t in tables if t.startswith("old_")}

    # The backup beside it: verified, and the old store exactly, row for row.
    backups = sorted(isolated_home.glob(f"mlpath.db.v{version}-*.bak"))
    assert len(backups) == 1, sorted(p.name for p in isolated_home.iterdir())
    assert not list(isolated_home.glob(".*.tmp*"))
    problem, records = verify(backups[0])
    assert problem is None
    spec = found["tables"]
    assert records == sum(len(spec[t]["rows"]) for t in LEGACY_CONTENT if t in spec)
    conn = connect_read_only(backups[0])
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == found["user_version"]
        assert conn.execute("PRAGMA application_id").fetchone()[0] == found["application_id"]
        master = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
        assert sorted(master, key=repr) == sorted(
            ((m["type"], m["name"], m["tbl_name"], m["sql"]) for m in found["sqlite_master"]),
            key=repr,
        )
        for table, table_spec in spec.items():
            assert read_rows(conn, table, table_spec) == table_spec["rows"], table
    finally:
        conn.close()

    # The old topic_state (schemas 4 and 5) is the old rule applied to the old events: the
    # rule the new model is checked against below.
    data = from_manifest(found)
    if "topic_state" in spec:
        current = old_current_states(data.topic_events)
        kept = {r["topic"]: (r["event"], r["state"], r["at"]) for r in spec["topic_state"]["rows"]}
        assert kept == {t: (e["order"], e["state"], e["at"]) for t, e in current.items()}

    # Every old row, as the new model shows it.
    assert event_kinds(db) == expected_kinds(data)
    check_model(mlpath, data)

    # The order of all changes is the old one: in time, then in order of recording (in v5 a
    # change recorded later is stamped earlier than the one before it).
    exported = json.loads(mlpath("export", "--format", "json").stdout)["events"]
    in_order = [
        (e["target"], e["data"]["state"], e["recorded"], e["data"]["note"])
        for e in exported
        if e["kind"] == "topic"
    ]
    old_order = sorted(data.topic_events, key=lambda e: (e["at"], e["order"]))
    assert in_order == [(e["topic"], e["state"], e["at"], e["note"]) for e in old_order]


def test_the_v5_fixture_records_changes_out_of_time_order() -> None:
    """The v5 store is the one whose old ids are not in time order (a change stamped a
    second later than the next one recorded): the case the latest-in-time rule is about."""
    rows = manifest(5)["tables"]["topic_events"]["rows"]
    stamps = [r["at"] for r in rows]
    assert stamps != sorted(stamps)


# --------------------------------------------------------------------- 2. determinism


@pytest.mark.parametrize("version", VERSIONS)
def test_two_copies_of_an_old_store_migrate_to_the_same_events(
    version: int, tmp_path: Path, mlpath: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    exports = []
    for name in ("first", "second"):
        home = tmp_path / name
        install(version, home)
        monkeypatch.setenv("MLPATH_HOME", str(home))
        result = mlpath("status")
        assert result.exit_code == 0, result.stderr
        exported = mlpath("export", "--format", "json")
        assert exported.exit_code == 0, exported.stderr
        exports.append(exported.stdout)
    assert exports[0] == exports[1]
    events = json.loads(exports[0])["events"]
    assert events
    assert {e["replica"] for e in events} == {"legacy"}
    assert len({e["id"] for e in events}) == len(events)


# ------------------------------------------------------------ 3. old exports still import


@pytest.mark.parametrize("version", EXPORTED)
def test_an_old_export_imports_into_a_fresh_store_once(
    version: int, tmp_path: Path, isolated_home: Path, mlpath: Run
) -> None:
    export = copy_export(version, tmp_path / "files")
    document = json.loads(export.read_text("utf-8"))
    data = from_export(document)

    first = cli_json(mlpath, "import", "--json", str(export))
    assert first["format"] == "mlpath" and first["version"] == 1
    assert first["added"]["events"] == len(document["events"])
    assert first["added"]["entries"] == len(document["entries"])
    assert first["added"]["breaks"] == len(document["breaks"])
    assert first["added"]["projects"] == len(document["projects"])
    check_model(mlpath, data)

    again = cli_json(mlpath, "import", "--json", str(export))
    assert again["added"] == dict.fromkeys(again["added"], 0)
    check_model(mlpath, data)


@pytest.mark.parametrize("version", EXPORTED)
def test_an_old_export_adds_nothing_to_the_store_it_came_from(
    version: int, tmp_path: Path, mlpath: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export and the store it was made from convert to the same events, ids included:
    importing it into the migrated store adds nothing, and a fresh store that imports it
    holds exactly the migrated store's events."""
    export = copy_export(version, tmp_path / "files")
    migrated = tmp_path / "migrated"
    install(version, migrated)
    monkeypatch.setenv("MLPATH_HOME", str(migrated))
    assert mlpath("status").exit_code == 0
    before = mlpath("export", "--format", "json").stdout

    imported = cli_json(mlpath, "import", "--json", str(export))
    assert imported["added"] == dict.fromkeys(imported["added"], 0), imported
    assert mlpath("export", "--format", "json").stdout == before
    check_model(mlpath, from_manifest(manifest(version)))

    monkeypatch.setenv("MLPATH_HOME", str(tmp_path / "fresh"))
    cli_json(mlpath, "import", "--json", str(export))
    fresh = mlpath("export", "--format", "json").stdout
    assert json.loads(fresh)["events"] == json.loads(before)["events"]


def test_each_export_holds_what_its_store_holds() -> None:
    """The exports and the stores they came from hold the same records (so that the test
    above compares like with like); the jrnl twins are in both."""
    for version in EXPORTED:
        document = json.loads((FIXTURES / f"export-v{version}.json").read_text("utf-8"))
        exported, stored = from_export(document), from_manifest(manifest(version))
        assert exported.entries == stored.entries
        assert exported.settings == stored.settings
        assert exported.breaks == stored.breaks
        assert exported.projects == stored.projects
        strip = [{k: e[k] for k in ("topic", "state", "at", "note")} for e in stored.topic_events]
        assert document["events"] == strip


# ------------------------------------------------------------- 4. a newer store is refused


@pytest.mark.parametrize("made_by", ["current", "v5"])
def test_a_store_newer_than_the_code_is_refused_untouched(
    made_by: str, isolated_home: Path, mlpath: Run
) -> None:
    db = isolated_home / "mlpath.db"
    if made_by == "current":
        assert mlpath("log", "an entry from a future mlpath", "--hours", "1").exit_code == 0
    else:
        install(5, isolated_home)
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    assert not db.with_name("mlpath.db-wal").exists()
    before = db.read_bytes()
    names = sorted(p.name for p in isolated_home.glob("*mlpath.db*"))

    for args in (("status",), ("log", "more", "--hours", "1"), ("export",)):
        result = mlpath(*args)
        assert result.exit_code != 0, args
        assert "newer mlpath" in result.stderr, (args, result.stderr)
        assert f"store schema {SCHEMA_VERSION + 1}" in result.stderr
    assert db.read_bytes() == before
    assert sorted(p.name for p in isolated_home.glob("*mlpath.db*")) == names  # no .bak, -wal


# --------------------------------------------------------- 5. a big old store, quickly

BIG_TOPIC_ROWS = 100_000
BIG_ENTRIES = 10_000
_STATES = ("started", "done", "skipped", "reset")
_TAGS = ("ml", "sql", "git", "study", "reading", "ünïcode")


class BigStore(NamedTuple):
    path: Path
    records: int  # the learner's records, as store.verify counts them
    kinds: Counter[str]  # the events its migration must make, by kind
    digest: str  # of every row of every old table
    topic_state: dict[str, str]  # each topic's current state by the old rule


def old_digest(path: Path) -> str:
    """A digest of every row of every old table, read-only: equal only for equal stores."""
    conn = connect_read_only(path)
    try:
        hashed = hashlib.sha256()
        for table, order in OLD_TABLE_ORDER.items():
            hashed.update(table.encode())
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY {order}"):
                hashed.update(repr(row).encode("utf-8"))
        return hashed.hexdigest()
    finally:
        conn.close()


def events_digest(path: Path) -> str:
    """A digest of every event, read-only."""
    conn = connect_read_only(path)
    try:
        hashed = hashlib.sha256()
        for row in conn.execute("SELECT * FROM events ORDER BY id"):
            hashed.update(repr(row).encode("utf-8"))
        return hashed.hexdigest()
    finally:
        conn.close()


def build_big_v5_store(dest: Path, seed: int = 5, share: float = 1.0) -> BigStore:
    """A copy of the v5 fixture with about 100,000 more topic changes and 10,000 more journal
    entries (``share`` of them), inserted with plain sqlite3 into the old schema (the old
    trigger keeps topic_state by the old rule). Times are random, so that ids are not in time
    order, and a fifth of the changes fall within ten minutes, so that many share a second."""
    shutil.copyfile(FIXTURES / "v5.db", dest)
    rng = random.Random(seed)
    topics = (
        [
            f"foundations/{name}"
            for name in (
                "python-basics",
                "command-line",
                "git-github",
                "numpy",
                "pandas",
                "sql",
                "python-oop",
                "linear-algebra",
            )
        ]
        + [f"machine-learning/made-up-{i}" for i in range(150)]
        + ["a-removed-roadmap/its-topic"]
    )
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    span = 3 * 365 * 86400

    def stamp(moment: dt.datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    conn = sqlite3.connect(dest, isolation_level=None)
    try:
        conn.execute("BEGIN")
        changes = []
        for i in range(round(BIG_TOPIC_ROWS * share)):
            offset = rng.randrange(600) if i % 5 == 0 else rng.randrange(span)
            note = None if i % 3 else f"change {i}: «ok» ✅ {rng.random():.6f}"
            when = stamp(start + dt.timedelta(seconds=offset))
            changes.append((rng.choice(topics), rng.choice(_STATES), when, note))
        # A few identical changes, as an old history could hold.
        changes += [changes[7], changes[7], changes[11]]
        conn.executemany(
            "INSERT INTO topic_events (topic, state, at, note) VALUES (?, ?, ?, ?)", changes
        )
        for i in range(round(BIG_ENTRIES * share)):
            at = start + dt.timedelta(seconds=rng.randrange(span))
            day = (at - dt.timedelta(days=rng.randrange(3))).date()
            entry = conn.execute(
                "INSERT INTO journal_entries (uid, kind, at, day, week, hours, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    f"{rng.getrandbits(128):032x}",
                    rng.choice(("log", "note")),
                    stamp(at),
                    day.isoformat(),
                    week_of(day.isoformat()),
                    rng.choice((None, 0.25, 1.0, 2.5)),
                    f"entry {i}: learned something 📚\nline two",
                ),
            ).lastrowid
            for tag in rng.sample(_TAGS, rng.randrange(4)):
                conn.execute("INSERT INTO journal_tags (entry, tag) VALUES (?, ?)", (entry, tag))
            for topic in rng.sample(topics, rng.randrange(3)):
                conn.execute(
                    "INSERT INTO journal_topics (entry, topic) VALUES (?, ?)", (entry, topic)
                )
        conn.execute("COMMIT")
        # The old trigger's topic_state must be the old rule over all the events.
        mismatched = conn.execute(
            "SELECT count(*) FROM topic_state AS s JOIN (SELECT topic, id, row_number() OVER "
            "(PARTITION BY topic ORDER BY at DESC, id DESC) AS rank FROM topic_events) AS e "
            "ON e.topic = s.topic AND e.rank = 1 WHERE e.id != s.event"
        ).fetchone()[0]
        assert mismatched == 0
        state = dict(conn.execute("SELECT topic, state FROM topic_state").fetchall())
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in OLD_TABLE_ORDER
        }
    finally:
        conn.close()
    version, _, tables = header_facts(dest)
    assert (version, tables) == (5, V5_TABLES)
    data = from_manifest(manifest(5))
    kinds = expected_kinds(data)
    kinds["topic"] = counts["topic_events"]
    kinds["entry"] = counts["journal_entries"]
    return BigStore(
        path=dest,
        records=sum(counts[t] for t in LEGACY_CONTENT),
        kinds=kinds,
        digest=old_digest(dest),
        topic_state=state,
    )


@pytest.mark.slow
def test_a_big_old_store_migrates_keeping_every_row(
    isolated_home: Path,
    mlpath: Run,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolated_home.mkdir()
    big = build_big_v5_store(isolated_home / "mlpath.db")
    total = sum(big.kinds.values())
    assert big.kinds["topic"] > BIG_TOPIC_ROWS and big.kinds["entry"] > BIG_ENTRIES

    # Timed: the whole upgrade, and the verified backup it starts with.
    backing_up = Store._backup_before_migration
    backup_seconds: list[float] = []

    def timed_backup(store: Store, version: int) -> Path:
        begun = time.perf_counter()
        try:
            return backing_up(store, version)
        finally:
            backup_seconds.append(time.perf_counter() - begun)

    monkeypatch.setattr(Store, "_backup_before_migration", timed_backup)
    started, cpu = time.perf_counter(), time.process_time()
    Store.open().close()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    with capsys.disabled():
        print(
            f"\n[migration] schema 5 -> 6 of {total} events "
            f"({big.kinds['topic']} topic changes, {big.kinds['entry']} entries): "
            f"{seconds:.2f} s ({cpu:.2f} s CPU), of which the backup {sum(backup_seconds):.2f} s"
        )
    assert len(backup_seconds) == 1

    checked = facts(big.path)
    assert (checked.integrity, checked.version, checked.records) == ("ok", 6, total)
    assert event_kinds(big.path) == big.kinds
    conn = connect_read_only(big.path)
    try:
        state = dict(conn.execute("SELECT topic, state FROM topic_state").fetchall())
        entries, tags, topics = conn.execute(
            "SELECT (SELECT count(*) FROM entries WHERE hidden = 0), "
            "(SELECT count(*) FROM entry_tags), (SELECT count(*) FROM entry_topics)"
        ).fetchone()
    finally:
        conn.close()
    assert state == big.topic_state
    backups = list(isolated_home.glob("mlpath.db.v5-*.bak"))
    assert len(backups) == 1
    assert verify(backups[0]) == (None, big.records)
    assert old_digest(backups[0]) == big.digest
    old = connect_read_only(backups[0])
    try:
        old_tags, old_topics = old.execute(
            "SELECT (SELECT count(*) FROM journal_tags), (SELECT count(*) FROM journal_topics)"
        ).fetchone()
    finally:
        old.close()
    assert (entries, tags, topics) == (big.kinds["entry"], old_tags, old_topics)
    journal = cli_json(mlpath, "journal", "--json", "-n", "1")
    assert journal["total"] == big.kinds["entry"]
