"""`mlpath projects` shows each project's topics and a missing folder, and `mlpath projects
forget` takes a project off the list as an undoable event, never touching the disk."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.test_cli import data


def make(
    mlpath: Callable[..., Result], parent: Path, name: str = "demo", template: str = "sentiment"
) -> Path:
    made = mlpath("new-project", template, name, "--dir", str(parent), "--no-input", "--json")
    return Path(data(made, "new-project")["path"])


def names(mlpath: Callable[..., Result]) -> list[str]:
    return [p["name"] for p in data(mlpath("projects", "--json"), "projects")]


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_projects_shows_the_topics_and_one_commit(
    mlpath: Callable[..., Result], parent: Path
) -> None:
    make(mlpath, parent)
    shown = mlpath("projects").stdout
    assert "1 commit," in shown and "1 commits" not in shown
    assert "topics: machine-learning/logistic-regression, " in shown
    assert "foundations/testing" in shown
    assert "projects forget" not in shown  # nothing is missing: no hint


def test_a_missing_folder_is_shown_with_the_forget_hint(
    mlpath: Callable[..., Result], parent: Path
) -> None:
    kept = make(mlpath, parent, "kept")
    gone = make(mlpath, parent, "House Prices", "housing-prices")
    shutil.rmtree(gone)
    shown = mlpath("projects").stdout
    assert f"{gone} (missing)" in shown and "folder missing" in shown
    assert "  mlpath projects forget 'House Prices'\n" in shown  # quoted for the shell
    assert "mlpath projects forget kept" not in shown
    assert str(kept) in shown and f"{kept} (missing)" not in shown


def test_a_hint_for_a_shared_name_gives_the_path(
    mlpath: Callable[..., Result], parent: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    first = make(mlpath, parent)
    make(mlpath, other)
    shutil.rmtree(first)
    assert f"  mlpath projects forget {first}\n" in mlpath("projects").stdout


def test_forget_by_name_leaves_the_folder_and_undo_brings_it_back(
    mlpath: Callable[..., Result], parent: Path
) -> None:
    folder = make(mlpath, parent)
    before = files(folder)
    forgotten = data(mlpath("projects", "forget", "demo", "--json"), "projects forget")
    assert list(forgotten) == ["forgotten"]
    assert list(forgotten["forgotten"][0]) == ["name", "template", "path", "exists", "host", "here"]
    assert forgotten["forgotten"][0] | {"host": None} == {
        "name": "demo", "template": "sentiment", "path": str(folder), "exists": True,
        "host": None, "here": True,
    }  # fmt: skip
    assert names(mlpath) == []
    assert files(folder) == before, "forget never touches the disk"
    assert "No projects in your list" in mlpath("projects").stdout

    undone = mlpath("undo")
    assert undone.exit_code == 0, undone.stderr
    assert "project demo: listed again" in undone.stdout
    assert names(mlpath) == ["demo"]
    listed = data(mlpath("projects", "--json"), "projects")[0]
    assert (listed["path"], listed["commits"]) == (str(folder), 1)  # the same record

    redone = mlpath("redo")
    assert "project demo: forgotten" in redone.stdout
    assert names(mlpath) == []
    changes = data(mlpath("undo", "--list", "--json"), "undo --list")["changes"]
    assert [c["command"] for c in changes][-1] == "projects forget 'demo'"


def test_forget_by_path_even_when_the_folder_is_gone(
    mlpath: Callable[..., Result], parent: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(mlpath, parent, "one")
    two = make(mlpath, parent, "two")
    shutil.rmtree(two)
    result = mlpath("projects", "forget", str(two))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"Forgot two (sentiment): its folder {two} was already gone\n")
    assert names(mlpath) == ["one"]
    monkeypatch.chdir(parent)  # a path relative to the working folder
    assert mlpath("projects", "forget", "one/").exit_code == 0
    assert names(mlpath) == []


def test_an_unknown_name_is_one_line_with_a_suggestion(
    mlpath: Callable[..., Result], parent: Path
) -> None:
    make(mlpath, parent)
    typo = mlpath("projects", "forget", "dmeo")
    assert (typo.exit_code, typo.stdout) == (1, "")
    assert typo.stderr == (
        "error: no project 'dmeo' in your list (`mlpath projects` shows it); did you mean 'demo'?\n"
    )
    far = mlpath("projects", "forget", "zzz")
    assert far.stderr == "error: no project 'zzz' in your list (`mlpath projects` shows it)\n"
    document = json.loads(mlpath("projects", "forget", "zzz", "--json").stdout)
    assert (document["command"], document["error"]["code"]) == ("projects forget", "not-found")
    assert names(mlpath) == ["demo"]
    # A project forgotten already is unknown too, and nothing new is recorded.
    assert mlpath("projects", "forget", "demo").exit_code == 0
    assert mlpath("projects", "forget", "demo").exit_code == 1
    assert len(data(mlpath("undo", "--list", "--json"), "undo --list")["changes"]) == 1


def test_a_shared_name_is_refused_and_the_path_chooses(
    mlpath: Callable[..., Result], parent: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    first = make(mlpath, parent)
    second = make(mlpath, other)
    refused = mlpath("projects", "forget", "demo")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: 2 projects are named 'demo'; forget one by its path: ")
    assert refused.stderr.count("\n") == 1
    paths = refused.stderr.rstrip("\n").split("by its path: ", 1)[1].split(", ")
    assert sorted(paths) == sorted([str(first), str(second)])
    assert mlpath("projects", "forget", str(second)).exit_code == 0
    assert [p["path"] for p in data(mlpath("projects", "--json"), "projects")] == [str(first)]


def test_a_forgotten_project_goes_through_export_and_import(
    mlpath: Callable[..., Result], parent: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(mlpath, parent)
    make(mlpath, parent, "kept")
    assert mlpath("projects", "forget", "demo").exit_code == 0
    exported = tmp_path / "export.json"
    assert mlpath("export", "-o", str(exported)).exit_code == 0
    monkeypatch.setenv("MLPATH_HOME", str(tmp_path / "elsewhere"))
    imported = mlpath("import", str(exported))
    assert imported.exit_code == 0, imported.stderr
    assert names(mlpath) == ["kept"]


def test_a_forgotten_project_leaves_the_review(mlpath: Callable[..., Result], parent: Path) -> None:
    from mlpath.projects import commits_between
    from mlpath.store import Store

    make(mlpath, parent)
    now = dt.datetime.now(dt.UTC)
    window = (now - dt.timedelta(days=1), now + dt.timedelta(minutes=1))
    with Store.open() as store:
        assert len(commits_between(store, *window)) == 1
    assert mlpath("projects", "forget", "demo").exit_code == 0
    with Store.open() as store:
        assert commits_between(store, *window) == []


def test_forgetting_converges_in_any_order(mlpath: Callable[..., Result], parent: Path) -> None:
    """The creation and the forgetting, applied to another store in either order, give the
    same list: the register keeps its latest event, whatever arrives first."""
    from mlpath.store import Store
    from mlpath.store import events as event_store
    from mlpath.store import projects as project_store

    make(mlpath, parent)
    assert mlpath("projects", "forget", "demo").exit_code == 0
    with Store.open() as store:
        made = [e for e in event_store.every(store.conn) if e.kind == "project"]
    assert [bool(e.data.get("forgotten")) for e in made] == [False, True]
    for order in (made, made[::-1]):
        with Store.open(parent / f"copy-{len(order)}-{order[0].id}.db", create=True) as copy:
            with copy.write() as conn:
                event_store.apply(conn, order)
            assert project_store.every(copy) == []
