"""What a change to topics unlocks: the topics it made ready to learn (every prerequisite
now done or skipped), as `start`, `done`, `skip` and `reset` report them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

CHAIN = """\
schema: 1
id: chain
title: Chain
summary: Prerequisites in a row, for tests.
stages:
  - id: only
    title: Only
    topics:
      - {id: a, title: A, summary: First., hours: 1}
      - {id: b, title: B, summary: After a., hours: 1, requires: [a]}
      - {id: c, title: C, summary: After a and b., hours: 1, requires: [a, b]}
      - {id: d, title: D, summary: Needs nothing., hours: 1}
"""


@pytest.fixture
def chain(isolated_home: Path) -> Path:
    folder = isolated_home / "roadmaps"
    folder.mkdir(parents=True)
    path = folder / "chain.yaml"
    path.write_text(CHAIN, encoding="utf-8")
    return path


def unlocked(mlpath: Callable[..., Result], *args: str) -> list[str]:
    result = mlpath(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return [row["id"] for row in json.loads(result.stdout)["data"]["unlocked"]]


@pytest.mark.usefixtures("chain")
def test_finishing_a_prerequisite_unlocks_what_it_alone_held_back(
    mlpath: Callable[..., Result],
) -> None:
    assert unlocked(mlpath, "done", "chain/a") == ["chain/b"]  # c waits for b too; d never did
    assert unlocked(mlpath, "skip", "chain/b") == ["chain/c"]


@pytest.mark.usefixtures("chain")
def test_a_batch_unlocks_what_the_whole_batch_made_ready(mlpath: Callable[..., Result]) -> None:
    # b is finished in the same change: it is not listed as ready.
    assert unlocked(mlpath, "done", "chain/a", "chain/b") == ["chain/c"]


@pytest.mark.usefixtures("chain")
def test_finishing_the_last_prerequisite_out_of_order_unlocks(
    mlpath: Callable[..., Result],
) -> None:
    assert unlocked(mlpath, "done", "chain/b") == []  # allowed before a, with a warning
    assert unlocked(mlpath, "done", "chain/a") == ["chain/c"]


@pytest.mark.usefixtures("chain")
def test_starting_unlocks_nothing(mlpath: Callable[..., Result]) -> None:
    assert unlocked(mlpath, "start", "chain/a") == []
    assert unlocked(mlpath, "done", "chain/a") == ["chain/b"]


@pytest.mark.usefixtures("chain")
def test_the_text_names_what_was_unlocked(mlpath: Callable[..., Result]) -> None:
    result = mlpath("done", "chain/a")
    assert result.exit_code == 0, result.stderr
    assert "Unlocked: chain/b" in result.stdout
