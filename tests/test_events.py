"""The event model's promises (GUIDE section 4): any order, any batching and any repetition of
the same events gives the same tables and the same export; a local change is ordered after
everything the store has seen; ties break on the event id; an export imports back to the same
bytes; and a bad event is refused with its place named."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpath import dates, export, records
from mlpath.errors import InvalidInputError, StoreError
from mlpath.recall_core import RATINGS, card_row
from mlpath.records import At
from mlpath.store import Store
from mlpath.store import events as ev
from mlpath.store.entries import ref_of
from mlpath.store.events import BEFORE_ALL, KINDS, REGISTERS, Event
from mlpath.store.recall import enrolment
from mlpath.store.topics import STATES
from tests.conftest import Result

DERIVED = ("topic_state", "topic_weeks", "entries", "entry_tags", "entry_topics",
           "entry_visibility", "settings", "breaks", "follows", "projects", "checks", "reviews",
           "recall_cards")  # fmt: skip
Rows = list[tuple[Any, ...]]


def _micros(moment: dt.datetime) -> int:
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


NOW = _micros(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC))
YEAR_2999 = _micros(dt.datetime(2999, 1, 1, tzinfo=dt.UTC))

# ------------------------------------------------------------------------------ strategies
# Small pools of targets, so that registers collide; hlcs from a small pool too, so that ties
# (the same hlc, different ids) are common, and from the whole range an event may carry.

TOPICS = ("a/x", "a/y", "b/z")
UIDS = ("u-1", "u-2", "jrnl-3")
SETTING_KEYS = ("weekly-hours", "x-colour")
WEEKS = ("2026-W10", "2026-W53", "1900-W01")
ROADMAPS = ("demo", "mlops")
PROJECT_UIDS = ("0f" * 16, "a1" * 16)
CHECKS = ("a/x#1", "a/x#2", "b/z#1")
REVIEWS = tuple(f"{t}#{ev.make_id(NOW // 1000 + i, bytes(10))}"
                for i, t in enumerate(("a/x", "a/x", "b/z")))  # fmt: skip
TARGETS: dict[str, Sequence[str]] = {
    "topic": TOPICS,
    "entry": UIDS,
    "entry.hidden": UIDS,
    "setting": SETTING_KEYS,
    "break": WEEKS,
    "follow": ROADMAPS,
    "project": PROJECT_UIDS,
    "check": CHECKS,
    "recall": REVIEWS,
}

ids = st.builds(
    ev.make_id,
    st.one_of(st.sampled_from([0, 1, NOW // 1000]), st.integers(0, (1 << 48) - 1)),
    st.binary(min_size=10, max_size=10),
)
hlcs = st.one_of(
    st.sampled_from(
        [BEFORE_ALL, BEFORE_ALL + 1, -1, 0, 1, NOW, YEAR_2999, ev.LAST_DATE_HLC, ev.MAX_HLC]
    ),
    st.integers(NOW - 3, NOW + 3),
    st.integers(BEFORE_ALL, ev.MAX_HLC),
)
replicas = st.sampled_from([ev.LEGACY_REPLICA, "0a1b2c3d4e5f6a7b", "b-two"])
days = st.one_of(
    st.sampled_from([dt.date(2026, 3, 2), dt.date(2026, 3, 8), dt.date(2026, 12, 31)]),
    st.dates(dates.FIRST_DAY, dates.LAST_DAY),
)
stamps = st.datetimes(
    dt.datetime(1900, 1, 1), dt.datetime(9998, 12, 31, 23, 59, 59), timezones=st.just(dt.UTC)
).map(dates.utc_stamp)
texts = st.text(max_size=12)
words = st.text(min_size=1, max_size=12).filter(str.strip)


def _is_stored_tag(text: str) -> bool:
    """Whether ``text`` is a tag as the store keeps it (cleaned already)."""
    try:
        return At("t").tag(text) == text
    except InvalidInputError:
        return False


tags = st.text(min_size=1, max_size=6).filter(_is_stored_tag)


def _entry_data(draw: st.DrawFn) -> dict[str, Any]:
    day = draw(days)
    return {
        "kind": draw(st.sampled_from(["log", "note"])),
        "at": draw(stamps),
        "day": day.isoformat(),
        "week": dates.week_of(day),
        "hours": draw(st.none() | st.floats(0, 24, exclude_min=True)),
        "tags": sorted(draw(st.sets(tags, max_size=3))),
        "topics": sorted(draw(st.sets(st.sampled_from(TOPICS), max_size=2))),
        "text": draw(words),
    }


def _setting_value(draw: st.DrawFn, key: str) -> str | None:
    if key == "weekly-hours":  # a known setting holds its normalised form
        return draw(st.none() | st.floats(0, 168, exclude_min=True).map(lambda v: f"{v:g}"))
    return draw(st.none() | texts)


def _project_data(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "name": draw(words),
        "template": draw(st.sampled_from(["housing-prices", "cnn"])),
        "path": draw(words),
        "created_at": draw(stamps),
        "topics": draw(st.lists(st.sampled_from(TOPICS), max_size=3)),
        "host": draw(st.none() | words),
    }


def data_of(draw: st.DrawFn, kind: str, target: str) -> dict[str, Any]:
    """Valid data for an event of ``kind``, as core code records it."""
    if kind == "topic":
        return {"state": draw(st.sampled_from(STATES)), "note": draw(st.none() | texts)}
    if kind == "entry":
        return _entry_data(draw)
    if kind == "entry.hidden":
        return {"hidden": draw(st.booleans())}
    if kind == "setting":
        return {"value": _setting_value(draw, target)}
    if kind == "break":
        return {"on": draw(st.booleans())}
    if kind == "follow":
        return {"on": draw(st.none() | st.booleans())}
    if kind == "check":
        return {"on": draw(st.booleans()), "note": draw(st.none() | words)}
    if kind == "recall":
        return {"rating": draw(st.none() | st.sampled_from(RATINGS)), "at": draw(stamps)}
    assert kind == "project"
    return _project_data(draw)


@st.composite
def event_sets(draw: st.DrawFn, max_size: int = 24) -> list[Event]:
    """Distinct events of every kind on a few registers; some undo another (or an unknown)
    event."""
    idents = draw(st.lists(ids, max_size=max_size, unique=True))
    made = []
    for ident in idents:
        kind = draw(st.sampled_from(KINDS))
        target = draw(st.sampled_from(TARGETS[kind]))
        data = data_of(draw, kind, target)
        if draw(st.integers(0, 3)) == 0:
            data["undoes"] = draw(st.sampled_from(idents) | ids)
        day = draw(st.none() | days.map(dt.date.isoformat))
        made.append(Event(ident, draw(replicas), draw(hlcs), draw(stamps), kind, target, day, data))
    return made


# --------------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def stores(count: int) -> Iterator[list[Store]]:
    """Fresh stores in a temp folder of their own (hypothesis runs many examples a test)."""
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(Store.open(path=Path(folder) / f"{i}.db", create=True))
            for i in range(count)
        ]


def add(store: Store, batch: Sequence[Event]) -> list[Event]:
    with store.change("test") as change:
        return change.add(batch)


def dump(store: Store, tables: Sequence[str] = DERIVED) -> dict[str, Rows]:
    """Each table's rows, sorted by all their columns."""
    found = {}
    for table in tables:
        width = len(store.query(f"PRAGMA table_info({table})"))
        order = ", ".join(str(i) for i in range(1, width + 1))
        found[table] = store.query(f"SELECT * FROM {table} ORDER BY {order}")
    return found


def every_table(store: Store) -> dict[str, Rows]:
    names = store.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return dump(store, [n for (n,) in names])


def winners(made: Sequence[Event]) -> dict[tuple[str, str], Event]:
    """What each register must hold: its event of greatest (hlc, id)."""
    best: dict[tuple[str, str], Event] = {}
    for event in made:
        key = (event.kind, event.target)
        if key not in best or (event.hlc, event.id) > (best[key].hlc, best[key].id):
            best[key] = event
    return best


def model(made: Sequence[Event]) -> dict[str, Counter[tuple[Any, ...]]]:
    """The derived tables, worked out from the events by the documented rules alone."""
    rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in DERIVED}
    best = winners(made)
    for (kind, target), w in best.items():
        data = w.data
        if kind == "topic":
            rows["topic_state"].append((target, data["state"], w.recorded, w.day, w.hlc, w.id))
        elif kind == "entry":
            seen = best.get(("entry.hidden", target))
            hidden = int(seen.data["hidden"]) if seen else 0
            rows["entries"].append((target, ref_of(target), data["kind"], data["at"],
                                    data["day"], data["week"], data["hours"], data["text"],
                                    hidden, w.hlc, w.id))  # fmt: skip
            rows["entry_tags"] += [(target, t) for t in data["tags"]]
            rows["entry_topics"] += [(target, t) for t in data["topics"]]
        elif kind == "entry.hidden":
            rows["entry_visibility"].append((target, int(data["hidden"]), w.hlc, w.id))
        elif kind == "setting":
            rows["settings"].append((target, data["value"], w.hlc, w.id))
        elif kind == "break":
            rows["breaks"].append((target, int(data["on"]), w.hlc, w.id))
        elif kind == "follow":
            on = data["on"]
            rows["follows"].append((target, None if on is None else int(on), w.hlc, w.id))
        elif kind == "check":
            topic, _, number = target.rpartition("#")
            rows["checks"].append((target, topic, int(number), int(data["on"]), data["note"],
                                   w.day, w.hlc, w.id))  # fmt: skip
        elif kind == "recall":
            rows["reviews"].append((target, target.rpartition("#")[0], data["rating"],
                                    data["at"], w.hlc, w.id))  # fmt: skip
        else:
            rows["projects"].append((target, data["name"], data["template"], data["path"],
                                     data["created_at"], json.dumps(data["topics"]),
                                     data["host"], w.replica, w.hlc, w.id))  # fmt: skip
    # A topic done has a card: replayed from the ratings that came after its done event.
    for (kind, topic), w in best.items():
        if kind == "topic" and w.data["state"] == "done":
            history = sorted((e for e in made if e.kind == "topic" and e.target == topic),
                             key=lambda e: (e.hlc, e.id))  # fmt: skip
            start = enrolment(history)
            ratings = sorted(
                (r for (k, t), r in best.items() if k == "recall"
                 and t.rpartition("#")[0] == topic and r.data["rating"] is not None
                 and (r.hlc, r.id) > (start.hlc, start.id)),
                key=lambda r: (r.hlc, r.id),
            )  # fmt: skip
            pairs = [(r.data["rating"], r.data["at"]) for r in ratings]
            rows["recall_cards"].append(card_row(topic, start.recorded, start.day, pairs))
    weeks = Counter(
        dates.week_of(dt.date.fromisoformat(e.day))
        for e in made
        if e.kind == "topic" and e.day and "undoes" not in e.data
    )
    rows["topic_weeks"] = list(weeks.items())
    return {t: Counter(r) for t, r in rows.items()}


def counted(tables: dict[str, Rows]) -> dict[str, Counter[tuple[Any, ...]]]:
    return {t: Counter(tuple(r) for r in rows) for t, rows in tables.items()}


def plan(data: st.DataObject, made: list[Event]) -> list[list[Event]]:
    """The events in a random order, some of them twice, cut into random batches, some of
    which repeat events of their own."""
    repeats = data.draw(st.lists(st.sampled_from(made), max_size=5)) if made else []
    order = data.draw(st.permutations(made + repeats))
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(order)), max_size=5))))
    bounds = [0, *cuts, len(order)]
    batches = [order[a:b] for a, b in itertools.pairwise(bounds)]
    for batch in batches:
        repeat = bool(batch) and data.draw(st.booleans())
        if repeat:
            batch.extend(data.draw(st.lists(st.sampled_from(batch), min_size=1, max_size=3)))
    return batches


def local_data(kind: str) -> tuple[str, dict[str, Any]]:
    """A register of each kind, and a value for it as core code records it."""
    values: dict[str, dict[str, Any]] = {
        "topic": {"state": "reset", "note": None},
        "entry": {
            "kind": "log",
            "at": "2026-03-02T10:00:00Z",
            "day": "2026-03-02",
            "week": "2026-W10",
            "hours": 1.0,
            "tags": ["local"],
            "topics": [],
            "text": "written here",
        },
        "entry.hidden": {"hidden": False},
        "setting": {"value": "7"},
        "break": {"on": False},
        "follow": {"on": None},
        "project": {
            "name": "here",
            "template": "cnn",
            "path": "/p",
            "topics": [],
            "created_at": "2026-03-02T10:00:00Z",
            "host": "box",
        },
        "check": {"on": False, "note": None},
        "recall": {"rating": "good", "at": "2026-03-02T10:00:00Z"},
    }
    return TARGETS[kind][0], values[kind]


# ---------------------------------------------------------------------------- convergence


@settings(max_examples=60, deadline=None)
@given(event_sets(), st.data())
def test_any_order_batching_and_repetition_gives_the_same_tables_and_export(
    made: list[Event], data: st.DataObject
) -> None:
    with stores(4) as made_stores:
        first, *others = made_stores
        add(first, made)  # in the order given, as one batch
        expected = (dump(first), dump(first, ["events"]), export.document(first))
        assert counted(expected[0]) == model(made)
        for store in others:
            for batch in plan(data, made):
                add(store, batch)
            assert (dump(store), dump(store, ["events"]), export.document(store)) == expected
        for (kind, target), best in winners(made).items():
            assert ev.winner(first.conn, kind, target) == best.id


# ----------------------------------------------------------------------------- idempotence


@settings(max_examples=40, deadline=None)
@given(event_sets(), st.data())
def test_applying_events_already_there_adds_nothing_and_changes_no_table(
    made: list[Event], data: st.DataObject
) -> None:
    half = data.draw(st.integers(0, len(made)))
    with stores(1) as (store,):
        assert add(store, made[:half]) == made[:half]
        # apply returns exactly the new events, in order, each once
        assert add(store, made + made[:half] + made) == made[half:]
        before = every_table(store)
        with store.write() as conn:
            assert ev.apply(conn, made) == []
        again = data.draw(st.permutations(made + made))
        with store.change("again") as change:
            assert change.add(again) == []
            assert sum(change.kinds.values()) == 0
        assert add(store, []) == []
        assert every_table(store) == before  # events, derived tables, meta, changes


# --------------------------------------------------------------------------------- the clock


def test_a_local_change_wins_over_an_imported_event_from_the_year_2999(tmp_path: Path) -> None:
    future = Event(ev.make_id(YEAR_2999 // 1000, bytes(10)), "b-two", YEAR_2999,
                   "2999-01-01T00:00:00Z", "topic", "a/x", "2999-01-01",
                   {"state": "done", "note": None})  # fmt: skip
    path = tmp_path / "x.db"
    with Store.open(path=path, create=True) as store:
        assert add(store, [future]) == [future]
        with store.change("reset a/x") as change:
            local = change.record("topic", "a/x", {"state": "reset", "note": None}, "2026-03-02")
        assert local.hlc > future.hlc
        assert ev.winner(store.conn, "topic", "a/x") == local.id
        assert store.query("SELECT state FROM topic_state") == [("reset",)]
    with Store.open(path=path) as store:  # the clock is kept with the store
        with store.change("done a/x") as change:
            later = change.record("topic", "a/x", {"state": "done", "note": None}, "2026-03-02")
        assert later.hlc > local.hlc
        assert ev.winner(store.conn, "topic", "a/x") == later.id


@settings(max_examples=30, deadline=None)
@given(event_sets(), st.lists(st.sampled_from(KINDS), min_size=1, max_size=8))
def test_local_events_come_after_every_event_seen_and_increase_within_a_change(
    made: list[Event], kinds: list[str]
) -> None:
    # Past the end of the supported dates a store's clock has only 2**40 steps left; the
    # test above pins what happens at the very end.
    made = [e._replace(hlc=min(e.hlc, ev.LAST_DATE_HLC)) for e in made]
    with stores(1) as (store,):
        add(store, made)
        seen = max((e.hlc for e in made), default=BEFORE_ALL)
        with store.change("local") as change:
            recorded = []
            for kind in kinds:
                target, data = local_data(kind)
                recorded.append(change.record(kind, target, data))
                assert ev.winner(store.conn, kind, target) == recorded[-1].id
            # A new id (a fixed one could be among ``made``, and an event already there is
            # not applied again).
            late = Event(ev.new_id(NOW // 1000), "b-two", max(seen, recorded[-1].hlc) + 5,
                         "2026-03-02T10:00:00Z", "setting", "x-colour", None,
                         {"value": "red"})  # fmt: skip
            change.add([late])  # an event seen in the middle of a change
            after = change.record("setting", "x-colour", {"value": "blue"})
        hlcs_made = [e.hlc for e in recorded]
        assert hlcs_made[0] > seen
        assert all(a < b for a, b in itertools.pairwise(hlcs_made))
        assert after.hlc > late.hlc
        assert ev.winner(store.conn, "setting", "x-colour") == after.id
        with store.change("next") as change:
            assert change.record("break", WEEKS[0], {"on": True}).hlc > after.hlc


def test_ids_are_unique_and_sort_by_creation_time(tmp_path: Path) -> None:
    with Store.open(path=tmp_path / "x.db", create=True) as store:
        with store.change("many") as change:
            fast = [change.record("setting", "x-colour", {"value": str(i)}) for i in range(300)]
        spaced = []
        for i in range(6):
            with store.change(f"spaced {i}") as change:
                spaced.append(change.record("break", WEEKS[0], {"on": i % 2 == 0}))
            time.sleep(0.002)
    made = [e.id for e in fast + spaced]
    assert all(len(i) == 26 and ev.is_id(i) for i in made)
    assert len(set(made)) == len(made)
    assert [e.id for e in spaced] == sorted(e.id for e in spaced)


@given(
    st.integers(0, (1 << 48) - 2),
    st.integers(1, 1 << 20),
    st.binary(min_size=10, max_size=10),
    st.binary(min_size=10, max_size=10),
)
def test_an_id_made_a_millisecond_later_sorts_after(
    millis: int, gap: int, one: bytes, other: bytes
) -> None:
    later = min(millis + gap, (1 << 48) - 1)
    first, second = ev.make_id(millis, one), ev.make_id(later, other)
    assert ev.is_id(first) and ev.is_id(second)
    assert first < second


# ----------------------------------------------------------------------------------- ties


def _pair(kind: str) -> tuple[Event, Event]:
    """Two events on one register with the same hlc: ``high`` has the greater id, made at an
    earlier millisecond even, so only the id can decide."""
    target, data = local_data(kind)
    other: dict[str, dict[str, Any]] = {
        "topic": {"state": "done", "note": "tie"},
        "entry": {**data, "text": "the other text", "tags": ["other"]},
        "entry.hidden": {"hidden": True},
        "setting": {"value": "8"},
        "break": {"on": True},
        "follow": {"on": True},
        "project": {**data, "name": "there", "host": None},
        "check": {"on": True, "note": "tie"},
        "recall": {"rating": "again", "at": "2026-03-02T10:00:01Z"},
    }
    low = Event(ev.make_id(NOW // 1000 + 1, bytes(10)), "0a1b2c3d4e5f6a7b", NOW,
                "2026-03-02T10:00:00Z", kind, target, None, data)  # fmt: skip
    high = Event(ev.make_id(NOW // 1000 + 1, bytes(9) + b"\x01"), "b-two", NOW,
                 "2026-03-02T10:00:01Z", kind, target, None, other[kind])  # fmt: skip
    assert low.id < high.id and low.id[:-1] == high.id[:-1]
    return low, high


@pytest.mark.parametrize("kind", KINDS)
def test_a_tie_on_hlc_goes_to_the_greater_id_in_any_order(kind: str, tmp_path: Path) -> None:
    low, high = _pair(kind)
    ways: list[list[list[Event]]] = [
        [[low, high]], [[high, low]], [[low], [high]], [[high], [low]], [[high, low, high]],
    ]  # fmt: skip
    dumps = []
    for n, way in enumerate(ways):
        with Store.open(path=tmp_path / f"{n}.db", create=True) as store:
            for batch in way:
                add(store, batch)
            assert ev.winner(store.conn, kind, low.target) == high.id
            table, key = REGISTERS[kind]
            assert store.query(f"SELECT event FROM {table} WHERE {key} = ?", (low.target,)) == [
                (high.id,)
            ]
            assert ev.before(store.conn, high) == low
            dumps.append((dump(store), export.document(store)))
    assert all(d == dumps[0] for d in dumps)
    assert counted(dumps[0][0]) == model([low, high])


# ------------------------------------------------------------------------------ round trip


def _import(store: Store, text: str, folder: Path) -> export.ImportResult:
    path = folder / "in.json"
    path.write_text(text, encoding="utf-8")
    return export.apply(store, export.read(path))


@settings(max_examples=40, deadline=None)
@given(event_sets())
def test_an_export_imports_into_an_empty_store_and_exports_to_the_same_bytes(
    made: list[Event],
) -> None:
    with stores(2) as (source, copy), tempfile.TemporaryDirectory() as folder:
        add(source, made)
        text = export.document(source)
        listed = json.loads(text)["events"]
        assert len(listed) == len(made)
        for i, item in enumerate(listed):  # every exported event passes the import's check
            assert records.event(At("x.json")["events"][i], item)._asdict() == item
        result = _import(copy, text, Path(folder))
        assert sum(result.added.values()) == len(made)
        assert export.document(copy) == text
        assert dump(copy) == dump(source)
        again = _import(copy, text, Path(folder))
        assert sum(again.added.values()) == 0
        assert sum(again.unchanged.values()) == len(made)
        assert export.document(copy) == text


def test_a_store_that_saw_the_last_hlc_still_exports_what_it_can_import(tmp_path: Path) -> None:
    """An event from the end of the supported dates is accepted; a local change after it
    must still be exportable and importable (the export's promise is a round trip for every
    store). An event at the very last hlc accepted leaves the store's clock nowhere to go: a
    local change is then refused, and the store still exports what it can import."""
    last = Event(ev.make_id(1, bytes(10)), "b-two", ev.LAST_DATE_HLC, "2026-03-02T10:00:00Z",
                 "setting", "x-colour", None, {"value": "red"})  # fmt: skip
    with (
        Store.open(path=tmp_path / "a.db", create=True) as source,
        Store.open(path=tmp_path / "b.db", create=True) as copy,
    ):
        add(source, [last])
        with source.change("config set") as change:
            local = change.record("setting", "x-colour", {"value": "blue"})
        assert ev.winner(source.conn, "setting", "x-colour") == local.id
        text = export.document(source)
        _import(copy, text, tmp_path)
        assert export.document(copy) == text
    end = last._replace(id=ev.make_id(2, bytes(10)), hlc=ev.MAX_HLC, target="y-colour")
    with Store.open(path=tmp_path / "c.db", create=True) as source:
        add(source, [end])
        with pytest.raises(StoreError, match="clock has reached its end"):  # noqa: SIM117
            with source.change("config set") as change:
                change.record("setting", "y-colour", {"value": "blue"})
        (tmp_path / "again").mkdir()
        with Store.open(path=tmp_path / "d.db", create=True) as other:
            _import(other, export.document(source), tmp_path / "again")


def fill(mlpath: Callable[..., Result]) -> None:
    """A learner with a bit of everything, made through the CLI."""
    for args in (
        ["done", "python-basics", "--note", "tutorial finished ✔"],
        ["start", "numpy"],
        ["reset", "numpy"],
        ["config", "set", "weekly-hours", "6"],
        ["roadmap", "follow", "nlp"],
        ["log", "first \u2028 entry\x85 #study", "--hours", "1.5", "--topic", "numpy"],
        ["log", "last week", "--date", "2026-03-02", "--hours", "3"],
        ["note", "numpy", "axis=0 goes down the rows"],
        ["journal", "break", "--week", "2026-W30"],
        ["undo"],
    ):
        result = mlpath(*args)
        assert result.exit_code == 0, (args, result.stderr)


def test_cli_export_import_export_gives_the_same_bytes(
    mlpath: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(mlpath)
    with Store.open() as store:  # and events from elsewhere, one from a clock far ahead
        future = Event(ev.make_id(YEAR_2999 // 1000, bytes(10)), "b-two", YEAR_2999,
                       "2999-01-01T00:00:00Z", "topic", "foundations/numpy", "2999-01-01",
                       {"state": "skipped", "note": None})  # fmt: skip
        add(store, [future])
    assert mlpath("done", "numpy").exit_code == 0
    a, b, c = (tmp_path / n for n in ("a.json", "b.json", "c.json"))
    assert mlpath("export", "-o", str(a)).exit_code == 0
    monkeypatch.setenv("MLPATH_HOME", str(tmp_path / "second-home"))
    assert mlpath("import", str(a)).exit_code == 0
    assert mlpath("export", "-o", str(b)).exit_code == 0
    assert a.read_bytes() == b.read_bytes()
    assert mlpath("import", str(a)).exit_code == 0  # again: adds nothing
    assert mlpath("export", "-o", str(c)).exit_code == 0
    assert c.read_bytes() == a.read_bytes()
    with Store.open() as store:
        assert store.query("SELECT state FROM topic_state WHERE topic = ?",
                           ("foundations/numpy",)) == [("done",)]  # fmt: skip


# ------------------------------------------------------------------------------ validation

GOOD_TOPIC: dict[str, Any] = {
    "id": "01J" + "0" * 23,
    "replica": "0a1b2c3d4e5f6a7b",
    "hlc": NOW,
    "recorded": "2026-03-02T10:00:00Z",
    "kind": "topic",
    "target": "a/x",
    "day": "2026-03-02",
    "data": {"state": "done", "note": None},
}
GOOD_ENTRY: dict[str, Any] = {
    **GOOD_TOPIC,
    "kind": "entry",
    "target": "u-1",
    "day": None,
    "data": local_data("entry")[1],
}
DROP = object()


def _changed(base: dict[str, Any], place: str, value: Any) -> dict[str, Any]:
    """``base`` with the field at ``place`` (``data.state``) set, or dropped."""
    item: dict[str, Any] = json.loads(json.dumps(base))
    *path, last = place.split(".")
    inner = item
    for key in path:
        inner = inner[key]
    if value is DROP:
        del inner[last]
    else:
        inner[last] = value
    return item


BAD = [
    (GOOD_TOPIC, "id", "01J000", "id", "is not an event id"),
    (GOOD_TOPIC, "id", "81J" + "0" * 23, "id", "is not an event id"),
    (GOOD_TOPIC, "id", "01j" + "0" * 23, "id", "is not an event id"),
    (GOOD_TOPIC, "id", DROP, "id", "is missing"),
    (GOOD_TOPIC, "kind", "topics", "kind", "'topics' is not one of topic, entry"),
    (GOOD_TOPIC, "hlc", "5", "hlc", "expected a whole number from"),
    (GOOD_TOPIC, "hlc", 5.0, "hlc", "expected a whole number from"),
    (GOOD_TOPIC, "hlc", True, "hlc", "expected a whole number from"),
    (GOOD_TOPIC, "hlc", ev.MAX_HLC + 1, "hlc", "expected a whole number from"),
    (GOOD_TOPIC, "hlc", BEFORE_ALL - 1, "hlc", "expected a whole number from"),
    (GOOD_TOPIC, "replica", "Not A Replica", "replica", "is not a replica id"),
    (GOOD_TOPIC, "colour", "red", "colour", "is not a field of an event"),
    (GOOD_TOPIC, "recorded", "2026-03-02 10:00", "recorded", "is not a UTC timestamp"),
    (GOOD_TOPIC, "day", "2026-02-30", "day", "is not a date"),
    (GOOD_TOPIC, "target", "no-slash", "target", "is not a topic id"),
    (GOOD_TOPIC, "data", DROP, "data", "is missing (expected an object)"),
    (GOOD_TOPIC, "data.state", "finished", "data.state", "'finished' is not one of started"),
    (GOOD_TOPIC, "data.note", DROP, "data.note", "is missing"),
    (GOOD_TOPIC, "data.extra", 1, "data.extra", "is not part of this kind of event"),
    (GOOD_TOPIC, "data.undoes", "nope", "data.undoes", "expected an event id"),
    (GOOD_ENTRY, "data.week", "2026-W11", "data.week", "expected 2026-W10, the week of 2026"),
    (GOOD_ENTRY, "data.text", DROP, "data.text", "is missing"),
    (GOOD_ENTRY, "data.hours", 25, "data.hours", "is not more than 0 and at most 24"),
    (GOOD_ENTRY, "data.uid", "u-2", "data.uid", "is not part of this kind of event"),
    ({**GOOD_TOPIC, "kind": "entry.hidden", "target": "u-1", "data": {"hidden": False}},
     "data.hidden", 1, "data.hidden", "expected true or false"),
    ({**GOOD_TOPIC, "kind": "break", "target": "2026-W10", "data": {"on": True}},
     "data.on", None, "data.on", "expected true or false"),
    ({**GOOD_TOPIC, "kind": "break", "target": "2026-W10", "data": {"on": True}},
     "target", "2026-W10 ", "target", "is not an ISO week as mlpath writes it"),
    ({**GOOD_TOPIC, "kind": "break", "target": "2026-W10", "data": {"on": True}},
     "target", "2026-W1", "target", "is not an ISO week (YYYY-Www)"),
    ({**GOOD_TOPIC, "kind": "follow", "target": "demo", "data": {"on": None}},
     "data.on", "yes", "data.on", "expected true or false or null"),
    ({**GOOD_TOPIC, "kind": "setting", "target": "weekly-hours", "data": {"value": "6"}},
     "data.value", "lots", "data.value", "weekly-hours must be a number"),
    ({**GOOD_TOPIC, "kind": "setting", "target": "x-colour", "data": {"value": "[]"}},
     "target", "followed", "target", "is not a setting name"),
]  # fmt: skip


def test_the_good_events_of_the_table_pass() -> None:
    for good in (GOOD_TOPIC, GOOD_ENTRY, *(b[0] for b in BAD)):
        assert records.event(At("f.json")["events"][0], good)._asdict() == good


@pytest.mark.parametrize(("base", "field", "value", "place", "says"), BAD)
def test_a_bad_event_is_refused_with_its_place_named(
    base: dict[str, Any], field: str, value: Any, place: str, says: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        records.event(At("f.json")["events"][0], _changed(base, field, value))
    prefix = f"f.json: events[0].{place}: "
    assert caught.value.message.startswith(prefix), caught.value.message
    assert says in caught.value.message.removeprefix(prefix)


def test_an_import_with_one_bad_event_adds_nothing(tmp_path: Path) -> None:
    good = GOOD_TOPIC
    bad = _changed(GOOD_ENTRY, "data.week", "2026-W11")
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"format": "mlpath", "version": 2, "events": [good, bad]}))
    with Store.open(path=tmp_path / "x.db", create=True) as store:
        before = every_table(store)
        with pytest.raises(InvalidInputError, match=r"in\.json: events\[1\]\.data\.week: "):
            export.apply(store, export.read(path))
        assert every_table(store) == before
