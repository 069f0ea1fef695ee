"""Self-checks: ticked only by `mlpath check`, with evidence; counted by show, status and
roadmap show; undone like any change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.test_cli import data

TOPIC = "foundations/python-basics"


def test_tick_with_evidence_untick_and_replace_the_evidence(mlpath: Callable[..., Result]) -> None:
    shown = data(mlpath("show", "python-basics", "--json"), "show")
    assert [c["ticked"] for c in shown["checks"]] == [False, False]
    assert list(shown["checks"][0]) == ["number", "text", "ticked", "note", "day"]

    ticked = data(mlpath("check", "python-basics", "1", "--note", "https://example.org/nb",
                         "--json"), "check")  # fmt: skip
    assert list(ticked) == ["topic", "title", "action", "changed", "unchanged", "checks", "open"]
    assert (ticked["topic"], ticked["action"], ticked["changed"], ticked["open"]) == (
        TOPIC, "tick", [1], 1)  # fmt: skip
    first = ticked["checks"][0]
    assert (first["ticked"], first["note"]) == (True, "https://example.org/nb")
    assert first["day"] is not None

    again = data(mlpath("check", "python-basics", "1", "--json"), "check")
    assert (again["changed"], again["unchanged"]) == ([], [1])  # no new evidence: nothing to do
    assert again["checks"][0]["note"] == "https://example.org/nb"
    replaced = data(mlpath("check", "python-basics", "1", "--note", "commit abc123", "--json"),
                    "check")  # fmt: skip
    assert replaced["changed"] == [1] and replaced["checks"][0]["note"] == "commit abc123"

    both = data(mlpath("check", "python-basics", "2", "1", "2", "--json"), "check")
    assert (both["changed"], both["unchanged"], both["open"]) == ([2], [1], 0)
    text = mlpath("show", "python-basics").stdout
    assert "Check yourself  2/2 ticked" in text and text.count("[x]") == 2

    unticked = data(mlpath("check", "python-basics", "1", "--undo", "--json"), "check")
    assert (unticked["action"], unticked["changed"], unticked["open"]) == ("untick", [1], 1)
    assert unticked["checks"][0]["note"] is None
    assert mlpath("undo").exit_code == 0  # the untick undone: ticked again, with its evidence
    assert data(mlpath("show", "python-basics", "--json"), "show")["checks"][0]["note"] == (
        "commit abc123"
    )


def test_status_and_roadmap_show_count_ticks(mlpath: Callable[..., Result]) -> None:
    before = data(mlpath("status", "--json"), "status")["roadmaps"][0]
    assert before["checks_ticked"] == 0 and before["checks"] >= 2 * 28
    assert mlpath("check", "python-basics", "1", "2").exit_code == 0
    assert mlpath("check", "sql", "1").exit_code == 0
    after = data(mlpath("status", "--json"), "status")["roadmaps"][0]
    assert (after["checks"], after["checks_ticked"]) == (before["checks"], 3)
    detail = data(mlpath("roadmap", "show", "foundations", "--json"), "roadmap show")
    assert (detail["checks"], detail["checks_ticked"]) == (before["checks"], 3)
    topics = {t["id"]: t for s in detail["stages"] for t in s["topics"]}
    assert topics[TOPIC]["checks_ticked"] == [1, 2]
    assert topics["foundations/sql"]["checks_ticked"] == [1]


def test_done_with_open_checks_is_allowed_and_says_how_many(mlpath: Callable[..., Result]) -> None:
    assert mlpath("check", "python-basics", "1").exit_code == 0
    result = mlpath("done", "python-basics", "command-line", "--json")
    changed = {c["topic"]["id"]: c["open_checks"] for c in data(result, "done")["changed"]}
    assert changed == {TOPIC: 1, "foundations/command-line": 2}
    text = mlpath("done", "sql").stdout
    assert "self-checks still open" in text and "mlpath check foundations/sql N" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["python-basics", "3"], "has 2 self-checks, numbered 1 to 2: there is no check 3"),
        (["python-basics", "0"], "there is no check 0"),
        (["python-basics", "1", "--undo", "--note", "x"], "leave it out with --undo"),
        (["python-basics", "1", "--note", "  "], "--note is empty"),
        (["pyton-basics", "1"], "did you mean"),
    ],
)
def test_check_refuses_bad_input_in_one_line_and_changes_nothing(
    mlpath: Callable[..., Result], args: list[str], message: str
) -> None:
    result = mlpath("check", *args)
    assert result.exit_code == 1
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert all(
        not c["ticked"] for c in data(mlpath("show", "python-basics", "--json"), "show")["checks"]
    )


def test_a_topic_without_checks_says_so(
    mlpath: Callable[..., Result], write_roadmap: Callable[..., Path]
) -> None:
    added = mlpath("roadmap", "add", str(write_roadmap()))  # the demo roadmap lists none
    assert added.exit_code == 0, added.stderr
    result = mlpath("check", "demo/alpha", "1")
    assert result.exit_code == 1 and "demo/alpha lists no self-checks" in result.stderr
    assert "self-checks still open" not in mlpath("done", "demo/alpha").stdout
