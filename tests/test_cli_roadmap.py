"""`mlpath roadmap ...`: list, show, add, follow, unfollow, schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import DEMO, Result
from tests.test_cli import CORE, data


def test_list_shows_every_roadmap_with_followed_core(mlpath: Callable[..., Result]) -> None:
    items = data(mlpath("roadmap", "list", "--json"), "roadmap list")
    assert [r["id"] for r in items] == [*CORE, "computer-vision", "nlp"]
    assert [r["followed"] for r in items] == [True] * 4 + [False] * 2
    assert list(items[0]) == [
        "id", "title", "summary", "topics", "hours", "percent", "followed", "builtin", "source",
    ]  # fmt: skip


def test_show_has_every_field_and_state(mlpath: Callable[..., Result]) -> None:
    assert mlpath("done", "python-basics").exit_code == 0
    detail = data(mlpath("roadmap", "show", "foundations", "--json"), "roadmap show")
    assert list(detail) == [
        "id", "title", "summary", "requires", "followed", "builtin", "source", "topics",
        "hours", "percent", "checks", "checks_ticked", "stages",
    ]  # fmt: skip
    topic = detail["stages"][0]["topics"][0]
    assert list(topic) == [
        "id", "title", "summary", "hours", "requires", "resources", "projects", "checks",
        "checks_ticked", "state",
    ]  # fmt: skip
    assert (topic["id"], topic["state"]) == ("foundations/python-basics", "done")
    assert list(topic["resources"][0]) == ["title", "url", "kind"]
    text = mlpath("roadmap", "show", "foundations").stdout
    assert "Python basics" in text and "done" in text


def test_follow_and_unfollow_change_status_scope(mlpath: Callable[..., Result]) -> None:
    followed = data(mlpath("roadmap", "follow", "nlp", "--json"), "roadmap follow")
    assert followed["followed"] == [*CORE, "nlp"]
    status = data(mlpath("status", "--json"), "status")
    assert [r["id"] for r in status["roadmaps"]] == [*CORE, "nlp"]
    after = data(mlpath("roadmap", "unfollow", "deep-learning", "--json"), "roadmap unfollow")
    assert after["followed"] == ["foundations", "machine-learning", "mlops", "nlp"]
    assert mlpath("roadmap", "follow", "nope").stderr == "error: no roadmap 'nope'\n"


def test_add_validates_copies_and_follows(
    mlpath: Callable[..., Result], write_roadmap: Callable[..., Path], isolated_home: Path
) -> None:
    source = write_roadmap(DEMO.replace("[alpha]", "[alpha, foundations/python-basics]"))
    added = data(mlpath("roadmap", "add", str(source), "--json"), "roadmap add")
    assert added["id"] == "demo"
    assert added["followed"] == [*CORE, "demo"]
    copy = isolated_home / "roadmaps" / "demo.yaml"
    assert copy.read_bytes() == source.read_bytes()
    assert data(mlpath("show", "demo/beta", "--json"), "show")["title"] == "Beta"

    again = mlpath("roadmap", "add", str(source))
    assert again.exit_code == 1
    assert again.stderr == (
        f"error: a roadmap with id 'demo' already exists (in {copy}); change the id\n"
    )


def test_add_refuses_builtin_id_and_invalid_files(
    mlpath: Callable[..., Result], write_roadmap: Callable[..., Path], isolated_home: Path
) -> None:
    clash = write_roadmap(DEMO.replace("id: demo", "id: mlops"), "clash.yaml")
    result = mlpath("roadmap", "add", str(clash))
    assert (
        result.stderr
        == "error: a roadmap with id 'mlops' already exists (built in); change the id\n"
    )
    broken = write_roadmap(DEMO.replace("hours: 2", "hours: -2"), "broken.yaml")
    result = mlpath("roadmap", "add", str(broken))
    assert result.exit_code == 1
    assert result.stderr == f"{broken}:12:16: 'hours' must be greater than 0; got -2\n"
    assert not (isolated_home / "roadmaps").exists()


def test_schema_is_a_json_schema_of_the_format(mlpath: Callable[..., Result]) -> None:
    result = mlpath("roadmap", "schema")
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["required"]) == {"schema", "id", "title", "summary", "stages"}
    assert schema["additionalProperties"] is False
    topic = schema["$defs"]["TopicModel"]
    assert set(topic["properties"]) == {
        "id", "title", "summary", "hours", "requires", "resources", "projects", "checks",
    }  # fmt: skip


def test_validate_needs_a_file(mlpath: Callable[..., Result]) -> None:
    result = mlpath("roadmap", "validate")
    assert result.exit_code == 2
    missing = mlpath("roadmap", "validate", "no/such/file.yaml")
    assert missing.exit_code == 1
    assert missing.stderr == "no/such/file.yaml:1:1: no such file\n"
