"""`mlpath backup` and `mlpath doctor`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from mlpath import maintenance
from tests.conftest import DEMO, Result
from tests.test_cli import data


def _record(mlpath: Callable[..., Result], *topics: str) -> None:
    for topic in topics:
        assert mlpath("done", topic).exit_code == 0


def test_backup_needs_a_store(mlpath: Callable[..., Result], isolated_home: Path) -> None:
    result = mlpath("backup")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: nothing to back up yet: {isolated_home / 'mlpath.db'} does not exist\n"
    )


def test_backup_is_a_verified_copy(mlpath: Callable[..., Result], isolated_home: Path) -> None:
    _record(mlpath, "python-basics", "sql")
    made = data(mlpath("backup", "--json"), "backup")
    assert list(made) == ["path", "bytes", "records", "kept", "removed", "warning"]
    copy = Path(made["path"])
    assert copy.parent == isolated_home / "backups"
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        topics = {r[0] for r in conn.execute("SELECT target FROM events WHERE kind = 'topic'")}
    finally:
        conn.close()
    assert topics == {"foundations/python-basics", "foundations/sql"}
    assert made["records"] >= 2
    assert not [p for p in copy.parent.iterdir() if p.name.startswith(".")]


def test_backup_to_a_chosen_file_or_folder(mlpath: Callable[..., Result], tmp_path: Path) -> None:
    _record(mlpath, "python-basics")
    target = tmp_path / "copy.db"
    assert data(mlpath("backup", str(target), "--json"), "backup")["path"] == str(target)
    again = mlpath("backup", str(target))
    assert (again.exit_code, again.stderr) == (
        1,
        f"error: {target} already exists; choose another path\n",
    )
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    inside = Path(data(mlpath("backup", str(folder), "--json"), "backup")["path"])
    assert inside.parent == folder


def test_rotation_keeps_the_newest(
    mlpath: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(maintenance, "KEEP_BACKUPS", 3)
    _record(mlpath, "python-basics")
    paths = [data(mlpath("backup", "--json"), "backup") for _ in range(5)]
    assert paths[-1]["removed"] == [paths[1]["path"]]
    assert [Path(p).name for p in paths[-1]["kept"]] == [Path(p["path"]).name for p in paths[2:]]


def test_a_smaller_backup_never_pushes_out_a_good_one(
    mlpath: Callable[..., Result], isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(maintenance, "KEEP_BACKUPS", 2)
    _record(mlpath, "python-basics", "sql", "command-line")
    first = data(mlpath("backup", "--json"), "backup")
    data(mlpath("backup", "--json"), "backup")
    conn = sqlite3.connect(isolated_home / "mlpath.db")
    conn.execute("DELETE FROM events")  # something went badly wrong
    conn.commit()
    conn.close()
    result = mlpath("backup", "--json")
    shrunk = data(result, "backup")
    assert shrunk["removed"] == []
    assert first["path"] in shrunk["kept"]
    assert "fewer records" in shrunk["warning"]
    assert len(list((isolated_home / "backups").glob("mlpath-*.db"))) == 3


def test_doctor_on_a_fresh_machine(mlpath: Callable[..., Result], isolated_home: Path) -> None:
    report = data(mlpath("doctor", "--json"), "doctor")
    assert list(report) == ["home", "store", "checks"]
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses["store"] == "ok" and statuses["roadmaps"] == "ok"
    assert statuses["backups"] == "warn"
    assert not isolated_home.exists(), "doctor must not create anything"


def test_doctor_reports_healthy_store_and_backups(mlpath: Callable[..., Result]) -> None:
    _record(mlpath, "python-basics")
    assert mlpath("backup").exit_code == 0
    result = mlpath("doctor")
    assert result.exit_code == 0
    assert "store integrity" in result.stdout and "FAIL" not in result.stdout


@pytest.mark.parametrize(
    ("damage", "name"),
    [
        ("store", "store"),
        ("roadmap", "roadmaps"),
        ("newer", "store schema"),
    ],
)
def test_doctor_fails_on_problems(
    mlpath: Callable[..., Result], isolated_home: Path, damage: str, name: str
) -> None:
    _record(mlpath, "python-basics")
    db = isolated_home / "mlpath.db"
    if damage == "store":
        db.write_bytes(b"\0" * 100 + b"garbage" * 500)
    elif damage == "roadmap":
        (isolated_home / "roadmaps").mkdir()
        (isolated_home / "roadmaps" / "bad.yaml").write_text(DEMO.replace("hours: 2", "hours: x"))
    else:
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA user_version = 99")
        conn.close()
    before = db.read_bytes()
    result = mlpath("doctor", "--json")
    assert result.exit_code == 1
    failed = [c["name"] for c in data_any(result)["checks"] if c["status"] == "fail"]
    assert failed == [name]
    assert db.read_bytes() == before


def data_any(result: Result) -> dict[str, list[dict[str, str]]]:
    import json

    document: dict[str, dict[str, list[dict[str, str]]]] = json.loads(result.stdout)
    return document["data"]
