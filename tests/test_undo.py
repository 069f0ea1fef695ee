"""`mlpath undo` and `mlpath redo`: reversing the learner's own changes, a whole command at a
time, by recording new events."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mlpath.store import Store
from mlpath.store.events import Event
from tests.conftest import Result
from tests.test_cli import data
from tests.test_correcting import (
    Run,
    ago,
    changes,
    event,
    fails,
    hlc_now,
    import_events,
    listed,
    logged,
    review,
    week_ago,
)

TOPICS = ["foundations/command-line", "foundations/sql", "foundations/python-basics"]
NOTHING_TO_UNDO = "nothing to undo: no change made on this store is left to reverse"
NOTHING_TO_REDO = "nothing to redo: no undo since your last change"
UNDO_KEYS = ["action", "change", "reversed", "skipped"]
CHANGE_KEYS = ["id", "hlc", "recorded", "command", "action", "target", "events"]
ROW_KEYS = ["id", "at", "command", "action", "undone", "events"]
WHEN = r"  \(\d{4}-\d\d-\d\d \d\d:\d\d\)"


def said(result: Result, verb: str, command: str) -> list[str]:
    """The lines after the heading of an undo or a redo, checking the heading."""
    assert result.exit_code == 0, result.stderr
    first, *rest = result.stdout.splitlines()
    assert re.fullmatch(re.escape(f"{verb} {command}") + WHEN, first), first
    return rest


def undo(mlpath: Run, command: str) -> list[str]:
    return said(mlpath("undo"), "Undid", command)


def redo(mlpath: Run, command: str) -> list[str]:
    return said(mlpath("redo"), "Redid", command)


def state(mlpath: Run, topic: str) -> str:
    found: str = data(mlpath("show", topic, "--json"), "show")["state"]
    return found


def setting(mlpath: Run) -> float:
    found: float = data(mlpath("config", "--json"), "config")["settings"][0]["value"]
    return found


# ----------------------------------------------------------------------- a whole command


def test_undo_reverses_a_whole_command_and_says_what(mlpath: Run) -> None:
    assert mlpath("done", "command-line", "sql", "python-basics").exit_code == 0
    command = "done " + " ".join(TOPICS)
    assert undo(mlpath, command) == [
        "  foundations/python-basics: done → not started",
        "  foundations/sql: done → not started",
        "  foundations/command-line: done → not started",
        "`mlpath redo` reverses this.",
    ]
    assert [state(mlpath, t) for t in TOPICS] == ["not-started"] * 3
    assert data(mlpath("status", "--json"), "status")["roadmaps"][0]["done"] == 0
    fails(mlpath("undo"), NOTHING_TO_UNDO)
    fails(mlpath("undo", "--json"), NOTHING_TO_UNDO)

    assert redo(mlpath, command) == [
        "  foundations/command-line: not started → done",
        "  foundations/sql: not started → done",
        "  foundations/python-basics: not started → done",
        "`mlpath undo` reverses this.",
    ]
    assert [state(mlpath, t) for t in TOPICS] == ["done"] * 3
    fails(mlpath("redo"), NOTHING_TO_REDO)


def test_undo_and_redo_json(mlpath: Run) -> None:
    assert mlpath("start", "command-line").exit_code == 0
    assert mlpath("done", "command-line", "sql").exit_code == 0
    listing = changes(mlpath)
    assert list(listing) == ["changes", "undo", "redo"]
    done = listing["changes"][0]
    assert list(done) == ROW_KEYS

    undone = data(mlpath("undo", "--json"), "undo")
    assert list(undone) == UNDO_KEYS
    assert list(undone["change"]) == CHANGE_KEYS
    assert undone["action"] == "undo"
    assert {k: undone["change"][k] for k in ("id", "command", "action", "target", "events")} == {
        "id": done["id"], "command": "done foundations/command-line foundations/sql",
        "action": "do", "target": None, "events": 2,
    }  # fmt: skip
    assert undone["reversed"] == [
        {"kind": "topic", "target": "foundations/sql",
         "description": "foundations/sql: done → not started"},
        {"kind": "topic", "target": "foundations/command-line",
         "description": "foundations/command-line: done → started"},
    ]  # fmt: skip
    assert undone["skipped"] == []
    assert state(mlpath, "command-line") == "started"

    redone = data(mlpath("redo", "--json"), "redo")
    assert list(redone) == UNDO_KEYS
    assert (redone["action"], redone["change"]["id"]) == ("redo", done["id"])
    assert [r["description"] for r in redone["reversed"]] == [
        "foundations/command-line: started → done",
        "foundations/sql: not started → done",
    ]
    assert state(mlpath, "command-line") == "done"


def test_repeated_undo_goes_further_back(mlpath: Run) -> None:
    assert mlpath("start", "command-line").exit_code == 0
    assert mlpath("done", "sql").exit_code == 0
    assert mlpath("log", "studied", "--hours", "1").exit_code == 0
    assert undo(mlpath, "log 'studied'")[1:] == ["`mlpath redo` reverses this."]
    assert undo(mlpath, "done foundations/sql") == [
        "  foundations/sql: done → not started", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    assert undo(mlpath, "start foundations/command-line") == [
        "  foundations/command-line: started → not started", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    fails(mlpath("undo"), NOTHING_TO_UNDO)
    # ... and redo comes forward again, in order.
    assert redo(mlpath, "start foundations/command-line")
    assert redo(mlpath, "done foundations/sql")
    assert redo(mlpath, "log 'studied'")
    fails(mlpath("redo"), NOTHING_TO_REDO)
    assert (state(mlpath, "command-line"), state(mlpath, "sql")) == ("started", "done")
    assert [e["text"] for e in listed(mlpath)] == ["studied"]


def test_repeated_undo_of_one_register_goes_further_back(mlpath: Run) -> None:
    """Undoing the later of two changes to one register leaves the earlier one to undo: the
    undo's own event is no change 'since' it."""
    assert mlpath("config", "set", "weekly-hours", "7").exit_code == 0
    assert mlpath("config", "set", "weekly-hours", "8").exit_code == 0
    assert undo(mlpath, "config set weekly-hours 8") == [
        "  weekly-hours: 8 → 7", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    assert setting(mlpath) == 7.0
    assert undo(mlpath, "config set weekly-hours 7") == [
        "  weekly-hours: 7 → its default", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    assert setting(mlpath) == 10.0


def test_undo_after_redo_reverses_the_change_again(mlpath: Run) -> None:
    """A redo's events stand for the change they make again: undo reverses it once more."""
    assert mlpath("done", "sql").exit_code == 0
    assert undo(mlpath, "done foundations/sql")
    assert redo(mlpath, "done foundations/sql")
    assert undo(mlpath, "done foundations/sql") == [
        "  foundations/sql: done → not started", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    assert state(mlpath, "sql") == "not-started"
    assert redo(mlpath, "done foundations/sql") == [
        "  foundations/sql: not started → done", "`mlpath undo` reverses this.",
    ]  # fmt: skip
    assert state(mlpath, "sql") == "done"


def test_a_new_change_after_an_undo_empties_redo(mlpath: Run) -> None:
    assert mlpath("done", "sql").exit_code == 0
    assert undo(mlpath, "done foundations/sql")
    assert changes(mlpath)["redo"] is not None
    assert mlpath("start", "command-line").exit_code == 0
    assert changes(mlpath)["redo"] is None
    fails(mlpath("redo"), NOTHING_TO_REDO)
    fails(mlpath("redo", "--json"), NOTHING_TO_REDO)
    assert state(mlpath, "sql") == "not-started"


def test_nothing_to_undo_in_a_fresh_store(mlpath: Run, isolated_home: Path) -> None:
    fails(mlpath("undo"), NOTHING_TO_UNDO)
    fails(mlpath("redo"), NOTHING_TO_REDO)
    listing = changes(mlpath)
    assert listing == {"changes": [], "undo": None, "redo": None}
    assert mlpath("undo", "--list").stdout == "No changes recorded on this store yet.\n"
    # A change that changes nothing (done twice) is no change to undo.
    assert mlpath("done", "sql").exit_code == 0
    assert mlpath("done", "sql").exit_code == 0
    assert len(changes(mlpath)["changes"]) == 1


def test_undo_list_shows_changes_newest_first_with_what_undo_and_redo_would_take(
    mlpath: Run,
) -> None:
    assert mlpath("done", "sql").exit_code == 0
    assert mlpath("start", "command-line").exit_code == 0
    assert undo(mlpath, "start foundations/command-line")
    listing = changes(mlpath)
    rows = listing["changes"]
    assert [list(r) for r in rows] == [ROW_KEYS] * 3
    assert [(r["command"], r["action"], r["undone"], r["events"]) for r in rows] == [
        ("undo start foundations/command-line", "undo", False, 1),
        ("start foundations/command-line", "do", True, 1),
        ("done foundations/sql", "do", False, 1),
    ]
    assert (listing["undo"], listing["redo"]) == (rows[2]["id"], rows[1]["id"])
    text = mlpath("undo", "--list").stdout.splitlines()
    when = r"\d{4}-\d\d-\d\d \d\d:\d\d  "
    assert re.fullmatch(when + "undo start foundations/command-line", text[0]), text
    assert re.fullmatch(when + "start foundations/command-line +undone  <- next redo", text[1])
    assert re.fullmatch(when + "done foundations/sql +<- next undo", text[2]), text
    assert len(text) == 3
    newest = data(mlpath("undo", "--list", "-n", "1", "--json"), "undo --list")["changes"]
    assert [r["command"] for r in newest] == [rows[0]["command"]]
    fails(mlpath("undo", "--list", "-n", "0"),
          "-n must be a whole number from 1 to 1,000,000, not 0")  # fmt: skip


# ---------------------------------------------------------------------- each kind of change


def test_undo_of_a_log_hides_the_entry_and_redo_shows_it(mlpath: Run) -> None:
    entry = logged(mlpath, "hello there", "--hours", "2")
    short = entry["id"][:7]
    assert undo(mlpath, "log 'hello there'") == [
        f"  entry {short}: deleted", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    assert listed(mlpath) == []
    assert data(mlpath("status", "--json"), "status")["this_week"]["hours"] == 0.0
    assert data(mlpath("journal", "show", short, "--json"), "journal show")["deleted"] is True
    assert redo(mlpath, "log 'hello there'") == [
        f"  entry {short}: shown again", "`mlpath undo` reverses this.",
    ]  # fmt: skip
    assert listed(mlpath) == [entry]


def test_undo_of_a_delete_brings_the_entry_back(mlpath: Run) -> None:
    entry = logged(mlpath, "keep me")
    short = entry["id"][:7]
    assert mlpath("journal", "delete", short, "--yes").exit_code == 0
    assert undo(mlpath, f"journal delete {short}") == [
        f"  entry {short}: shown again", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    assert listed(mlpath) == [entry]


def test_undo_of_config_set_and_unset(mlpath: Run) -> None:
    assert mlpath("config", "set", "weekly-hours", "7").exit_code == 0
    assert undo(mlpath, "config set weekly-hours 7") == [
        "  weekly-hours: 7 → its default", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    assert setting(mlpath) == 10.0
    assert mlpath("config", "set", "weekly-hours", "5").exit_code == 0
    assert mlpath("config", "set", "weekly-hours", "6").exit_code == 0
    assert undo(mlpath, "config set weekly-hours 6") == [
        "  weekly-hours: 6 → 5", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    assert setting(mlpath) == 5.0
    assert data(mlpath("status", "--json"), "status")["this_week"]["goal"] == 5.0


def test_undo_of_config_unset_says_it_leaves_the_default(mlpath: Run) -> None:
    assert mlpath("config", "set", "weekly-hours", "5").exit_code == 0
    assert mlpath("config", "unset", "weekly-hours").exit_code == 0
    assert setting(mlpath) == 10.0
    lines = undo(mlpath, "config unset weekly-hours")
    assert setting(mlpath) == 5.0
    assert lines == ["  weekly-hours: its default → 5", "`mlpath redo` reverses this."]


def test_undo_of_journal_edit_restores_the_previous_text(mlpath: Run) -> None:
    entry = logged(mlpath, "first #alpha", "--hours", "1")
    short = entry["id"][:7]
    assert mlpath("journal", "edit", short, "--text", "second", "--hours", "2").exit_code == 0
    assert undo(mlpath, f"journal edit {short} (text, hours, tags)") == [
        f"  entry {short}: back to its earlier text and details", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    assert listed(mlpath) == [entry]
    assert redo(mlpath, f"journal edit {short} (text, hours, tags)")
    [now] = listed(mlpath)
    assert (now["text"], now["hours"], now["tags"]) == ("second", 2.0, [])


def test_history_of_an_entry_after_undoing_an_edit(mlpath: Run) -> None:
    entry = logged(mlpath, "first #alpha")
    short = entry["id"][:7]
    assert mlpath("journal", "edit", short, "--text", "second").exit_code == 0
    assert mlpath("undo").exit_code == 0
    result = mlpath("journal", "show", short, "--history", "--json")
    shown = data(result, "journal show")
    assert [(v["what"], v["entry"]["text"]) for v in shown["history"]] == [
        ("written", "first #alpha"), ("edited", "second"), ("edited", "first #alpha"),
    ]  # fmt: skip
    assert mlpath("journal", "show", short, "--history").exit_code == 0


def test_undo_of_journal_break(mlpath: Run) -> None:
    week = week_ago(2)

    def on_break() -> bool:
        weeks = data(mlpath("status", "--json"), "status")["activity"]
        return bool(next(w for w in weeks if w["week"] == week)["on_break"])

    assert mlpath("journal", "break", "--week", week).exit_code == 0
    assert undo(mlpath, f"journal break --week {week}") == [
        f"  break week {week}: no longer a break", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    assert not on_break()
    assert redo(mlpath, f"journal break --week {week}")
    assert on_break()
    assert mlpath("journal", "break", "--week", week, "--undo").exit_code == 0
    assert not on_break()
    assert undo(mlpath, f"journal break --week {week} --undo") == [
        f"  break week {week}: a planned break", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    assert on_break()


def test_undo_of_roadmap_follow_and_unfollow(mlpath: Run) -> None:
    def followed() -> list[str]:
        return [r["id"] for r in data(mlpath("status", "--json"), "status")["roadmaps"]]

    path = followed()
    assert "nlp" not in path and "mlops" in path
    assert mlpath("roadmap", "follow", "nlp").exit_code == 0
    assert followed() == [*path, "nlp"]
    assert undo(mlpath, "roadmap follow nlp") == [
        "  nlp: as by default", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    assert followed() == path
    assert mlpath("roadmap", "unfollow", "mlops").exit_code == 0
    assert undo(mlpath, "roadmap unfollow mlops") == [
        "  mlops: as by default", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    assert followed() == path
    assert redo(mlpath, "roadmap unfollow mlops") == [
        "  mlops: not followed", "`mlpath undo` reverses this.",
    ]  # fmt: skip
    assert "mlops" not in followed()


def test_undo_never_reverses_new_project(mlpath: Run, parent: Path) -> None:
    assert mlpath("done", "sql").exit_code == 0
    created = mlpath("new-project", "housing-prices", "demo", "--dir", str(parent), "--no-input")
    assert created.exit_code == 0, created.stderr
    assert [r["command"] for r in changes(mlpath)["changes"]] == ["done foundations/sql"]
    assert undo(mlpath, "done foundations/sql")
    fails(mlpath("undo"), NOTHING_TO_UNDO)
    assert (parent / "demo").is_dir()
    assert [p["name"] for p in data(mlpath("projects", "--json"), "projects")] == ["demo"]


# ------------------------------------------------------------------ changes made elsewhere


def _hlc_of(mlpath: Run, target: str) -> int:
    events = json.loads(mlpath("export").stdout)["events"]
    return int(max(e["hlc"] for e in events if e["target"] == target))


def _apply_from_another_machine(events: list[dict[str, Any]]) -> None:
    """Events arriving from another machine, as sync will apply them: not a change of this
    store's, so not one that undo could take."""
    with Store.open() as store, store.change("sync") as change:
        change.undoable = False
        change.add([Event(**e) for e in events])


def test_a_register_changed_since_by_another_machine_is_left_as_it_is(mlpath: Run) -> None:
    assert mlpath("done", "command-line", "sql").exit_code == 0
    later = _hlc_of(mlpath, "foundations/sql") + 1_000_000
    _apply_from_another_machine([
        event("topic", "foundations/command-line", {"state": "skipped", "note": None},
              hlc=later, day=ago(0)),
    ])  # fmt: skip
    assert [r["command"] for r in changes(mlpath)["changes"]] == [
        "done foundations/command-line foundations/sql"
    ]
    result = mlpath("undo", "--json")
    undone = data(result, "undo")
    assert undone["reversed"] == [
        {"kind": "topic", "target": "foundations/sql",
         "description": "foundations/sql: done → not started"},
    ]  # fmt: skip
    assert undone["skipped"] == [
        {"kind": "topic", "target": "foundations/command-line",
         "description": "foundations/command-line: changed since"},
    ]  # fmt: skip
    assert (state(mlpath, "command-line"), state(mlpath, "sql")) == ("skipped", "not-started")
    fails(mlpath("undo"), NOTHING_TO_UNDO)


def test_undo_says_so_when_everything_changed_since(mlpath: Run) -> None:
    assert mlpath("done", "sql").exit_code == 0
    later = _hlc_of(mlpath, "foundations/sql") + 1_000_000
    _apply_from_another_machine([
        event("topic", "foundations/sql", {"state": "skipped", "note": None}, hlc=later,
              day=ago(0)),
    ])  # fmt: skip
    assert undo(mlpath, "done foundations/sql") == [
        "  left as it is: foundations/sql: changed since",
        "  nothing left to reverse: all of it had changed since",
        "`mlpath redo` reverses this.",
    ]
    assert state(mlpath, "sql") == "skipped"


def test_undo_of_an_import_takes_back_what_it_added(mlpath: Run, tmp_path: Path) -> None:
    """An import is a change of this store: the next undo reverses it, then the one before."""
    assert mlpath("done", "command-line", "sql").exit_code == 0
    later = _hlc_of(mlpath, "foundations/sql") + 1_000_000
    import_events(mlpath, tmp_path / "files", [
        event("topic", "foundations/command-line", {"state": "skipped", "note": None},
              hlc=later, day=ago(0)),
    ])  # fmt: skip
    assert state(mlpath, "command-line") == "skipped"
    lines = said(mlpath("undo"), "Undid", f"import {tmp_path / 'files' / 'export-0.json'}")
    assert lines == ["  foundations/command-line: skipped → done", "`mlpath redo` reverses this."]
    assert state(mlpath, "command-line") == "done"
    # With the import undone, nothing stands between the change before it and its undo.
    assert undo(mlpath, "done foundations/command-line foundations/sql") == [
        "  foundations/sql: done → not started",
        "  foundations/command-line: done → not started",
        "`mlpath redo` reverses this.",
    ]


def test_undo_takes_the_latest_command_even_when_it_imported_old_events(
    mlpath: Run, tmp_path: Path
) -> None:
    """The undo stack is the order the learner ran commands in: an import of events made long
    ago is still the latest command."""
    assert mlpath("done", "sql").exit_code == 0
    old = hlc_now() - 400 * 86_400 * 1_000_000
    import_events(mlpath, tmp_path / "files", [
        event("topic", "foundations/command-line", {"state": "done", "note": None}, hlc=old,
              day=ago(400)),
    ])  # fmt: skip
    imported = f"import {tmp_path / 'files' / 'export-0.json'}"
    assert changes(mlpath)["changes"][0]["command"] == imported
    assert said(mlpath("undo"), "Undid", imported) == [
        "  foundations/command-line: done → not started", "`mlpath redo` reverses this.",
    ]  # fmt: skip
    assert state(mlpath, "sql") == "done"


# ------------------------------------------------------------------------ weeks and undo


def test_review_leaves_out_a_topic_change_that_was_undone(mlpath: Run) -> None:
    then = week_ago(2)
    nothing: dict[str, list[str]] = {"started": [], "done": [], "skipped": []}
    assert mlpath("done", "sql", "--date", ago(14)).exit_code == 0
    assert review(mlpath, then)["topics"] == {**nothing, "done": ["foundations/sql"]}
    assert undo(mlpath, "done foundations/sql")
    assert review(mlpath, then)["topics"] == nothing
    assert review(mlpath)["topics"] == nothing
    assert "Done:" not in mlpath("export", "--format", "markdown").stdout
    assert redo(mlpath, "done foundations/sql")
    assert review(mlpath, then)["topics"] == {**nothing, "done": ["foundations/sql"]}
    assert review(mlpath)["topics"] == nothing
    assert "Done: foundations/sql" in mlpath("export", "--format", "markdown").stdout
    shown = data(mlpath("show", "sql", "--json"), "show")
    assert [(h["state"], h["day"]) for h in shown["history"]] == [
        ("done", ago(14)), ("reset", ago(14)), ("done", ago(14)),
    ]  # fmt: skip
