"""Big roadmaps: a plain document is bounded by the file-size limit alone, and validation
work grows in proportion to the roadmap (counted in executed lines, not timed)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from mlpath import roadmaps, yamlload
from mlpath.yamlload import YamlProblem, load_text
from tests.conftest import Result


def generated(topics: int, *, per_stage: int = 100) -> str:
    """A valid roadmap of ``topics`` short topics, most with three prerequisites."""
    lines = ["schema: 1", "id: big", "title: Big", "summary: Generated.", "stages:"]
    for first in range(0, topics, per_stage):
        lines += [f"- id: s{first // per_stage}", "  title: S", "  topics:"]
        for i in range(first, min(topics, first + per_stage)):
            earlier = sorted({j for j in (i - 1, i // 2, i * 7 // 10) if 0 <= j < i})
            requires = ",".join(f"t{j}" for j in earlier)
            lines.append(
                f"  - {{id: t{i}, title: T, summary: S, hours: 1, requires: [{requires}]}}"
            )
    return "\n".join(lines) + "\n"


def test_a_big_roadmap_without_aliases_is_not_taken_for_an_alias_bomb(
    mlpath: Callable[..., Result], write_roadmap: Callable[..., Path]
) -> None:
    text = generated(12_000)
    assert len(text.encode()) < yamlload.MAX_BYTES
    path = write_roadmap(text, "big.yaml")
    result = mlpath("roadmap", "validate", str(path))
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"ok {path}\n", "")


def test_aliases_are_counted_by_what_they_expand_to() -> None:
    resource = "{title: Docs, url: 'https://example.com/', kind: docs}"
    shared = f"shared: &r [{', '.join([resource] * 10)}]\n"  # 41 values
    uses = "".join(f"u{i}: *r\n" for i in range(12_000))  # 492,000 values from aliases
    assert len(load_text(shared + uses, "ok.yaml").data) == 12_001
    with pytest.raises(YamlProblem) as caught:
        load_text(shared + uses + "".join(f"v{i}: *r\n" for i in range(300)), "many.yaml")
    assert caught.value.problem.line == 1 + 12_000 + 196  # v195: 492,000 + 196 × 41 > 500,000
    assert caught.value.problem.message.startswith("aliases expand to more than 500,000 values")


def _executed_lines(action: Callable[[], Any]) -> int:
    count = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return trace

    before = sys.gettrace()
    sys.settrace(trace)
    try:
        action()
    finally:
        sys.settrace(before)
    return count


def test_validation_work_grows_in_proportion_to_the_roadmap(tmp_path: Path) -> None:
    small, big = tmp_path / "small.yaml", tmp_path / "big.yaml"
    small.write_text(generated(500), encoding="utf-8")
    big.write_text(generated(1500), encoding="utf-8")
    catalog, problems = roadmaps.build_catalog([(small, False)])  # imports happen here
    assert (len(catalog.topics), problems) == (500, [])
    work_small = _executed_lines(lambda: roadmaps.build_catalog([(small, False)]))
    work_big = _executed_lines(lambda: roadmaps.build_catalog([(big, False)]))
    ratio = work_big / work_small
    assert ratio < 3.5, ratio  # three times the topics: three times the work


def test_many_unknown_prerequisites_do_not_each_search_every_topic(tmp_path: Path) -> None:
    text = generated(1000).replace("requires: [t", "requires: [gone-t")
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    searches: list[str] = []
    real = roadmaps.suggest

    def counting(word: str, pool: Any) -> str:
        searches.append(word)
        return real(word, pool)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(roadmaps, "suggest", counting)
        _, problems = roadmaps.build_catalog([(path, False)])
    assert len(problems) == 999  # each topic but the first has one unknown prerequisite
    assert all("which is not a topic" in p.message for p in problems)
    assert len(searches) <= roadmaps.MAX_HINT_SEARCHES


def test_the_cyclic_collector_is_paused_while_roadmaps_load_and_then_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Loading makes hundreds of thousands of small objects and no cycles; a collector walking
    # them again and again as they pile up made validation time grow faster than the file.
    path = tmp_path / "demo.yaml"
    path.write_text(generated(10), encoding="utf-8")
    seen: list[bool] = []
    real = yamlload.load_file

    def noting(*args: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args)

    monkeypatch.setattr(yamlload, "load_file", noting)
    assert gc.isenabled()
    roadmaps.build_catalog([(path, False)])
    assert (seen, gc.isenabled()) == ([False], True)
    gc.disable()
    try:
        roadmaps.build_catalog([(path, False)])
    finally:
        still_disabled = not gc.isenabled()
        gc.enable()
    assert still_disabled  # a caller's choice is left as it was
