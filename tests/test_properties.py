"""Property-based tests for topic-id resolution and for the YAML loader's limits."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpath import yamlload
from mlpath.errors import AmbiguousError, NotFoundError, Problem
from mlpath.roadmaps import Catalog, Roadmap, Stage, Topic
from mlpath.yamlload import YamlProblem, load_text

slugs = st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)


def _catalog(layout: dict[str, list[str]]) -> Catalog:
    roadmaps = {}
    for rid, topic_ids in layout.items():
        topics = tuple(
            Topic(rid, "s", tid, tid.title(), 1.0, (), f"{rid}/{tid}") for tid in topic_ids
        )
        stage = Stage("s", "Stage", None, topics)
        roadmaps[rid] = Roadmap(rid, rid.title(), "Summary.", (), (stage,), f"{rid}.yaml", False)
    return Catalog(roadmaps, {})


layouts = st.dictionaries(slugs, st.lists(slugs, min_size=1, max_size=6, unique=True), max_size=4)


@given(layouts)
def test_every_topic_resolves_by_full_id_and_by_unique_bare_id(
    layout: dict[str, list[str]],
) -> None:
    catalog = _catalog(layout)
    for full, topic in catalog.topics.items():
        assert catalog.resolve(full) is topic
        owners = [rid for rid, ids in layout.items() if topic.id in ids]
        if len(owners) == 1:
            assert catalog.resolve(topic.id) is topic
        else:
            with pytest.raises(AmbiguousError) as caught:
                catalog.resolve(topic.id)
            for rid in owners:
                assert f"{rid}/{topic.id}" in caught.value.message


@given(layouts, st.text(max_size=30))
def test_any_input_resolves_exactly_or_fails_cleanly(
    layout: dict[str, list[str]], ref: str
) -> None:
    catalog = _catalog(layout)
    try:
        topic = catalog.resolve(ref)
    except (NotFoundError, AmbiguousError) as exc:
        assert "\n" not in exc.message.replace(ref.strip(), "")  # resolve strips the ref
        return
    assert ref.strip() in (topic.full_id, topic.id)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_loader_never_crashes_on_arbitrary_text(text: str) -> None:
    try:
        load_text(text, "fuzz.yaml")
    except YamlProblem as exc:
        assert isinstance(exc.problem, Problem)
        assert exc.problem.line >= 1 and exc.problem.col >= 1


BOMB = "".join(
    f"{name}: &{name} [{', '.join([prev] * 10)}]\n"
    for name, prev in zip(
        "abcdefghi", ["x", "*a", "*b", "*c", "*d", "*e", "*f", "*g", "*h"], strict=True
    )
)  # nine levels of ten: a billion values from a few hundred bytes


# Both of PyYAML's parsers: libyaml's (the default when PyYAML has it) and the pure-Python one.
LOADERS = [
    pytest.param(getattr(yaml, "CSafeLoader", None), id="libyaml"),
    pytest.param(yaml.SafeLoader, id="python"),
]
DEEP = "nesting is deeper than 64 levels"


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param(
            BOMB,
            6,
            "aliases expand to more than 500,000 values (aliases referring to aliases?); "
            "refusing to load it",
            id="alias bomb",
        ),
        pytest.param("k: " + "[" * 200_000 + "]" * 200_000, 1, DEEP, id="deep flow nesting"),
        pytest.param("k: " + "{a: " * 50_000 + "}" * 50_000, 1, DEEP, id="deep flow mappings"),
        pytest.param("- " * 100_000 + "x\n", 1, DEEP, id="deep block nesting"),
        pytest.param("".join(" " * i + "-\n" for i in range(200)), 65, DEEP, id="deep indents"),
    ],
)
def test_hostile_documents_are_refused_with_bounded_memory(
    monkeypatch: pytest.MonkeyPatch, loader: Any, text: str, line: int, message: str
) -> None:
    # mlpath's own limits decide, in mlpath's words, at the place the limit is crossed,
    # whichever parser reads the file and whatever limits of its own that parser has.
    if loader is None:
        pytest.skip("this PyYAML has no libyaml")
    monkeypatch.setattr(yamlload, "_Loader", loader)
    tracemalloc.start()
    try:
        with pytest.raises(YamlProblem) as caught:
            load_text(text, "hostile.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (caught.value.problem.file, caught.value.problem.line) == ("hostile.yaml", line)
    assert caught.value.problem.message == message
    assert "\n" not in str(caught.value)
    assert peak < 64 * 1024 * 1024


def _nested(depth: int) -> str:
    return "k: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"  # the top mapping is a level


@pytest.fixture
def strict_libyaml() -> Iterator[None]:
    """libyaml refusing to nest more than 10 levels: a parser whose own limit is below
    mlpath's, as libyaml's 1,000 is below the depth of [[[[... on one line that it reads ahead."""
    cyaml: Any = pytest.importorskip("yaml._yaml")
    if not hasattr(cyaml, "_set_max_nest_level"):
        pytest.skip("this libyaml has no nesting limit to set")
    before = cyaml._get_max_nest_level()
    cyaml._set_max_nest_level(10)
    try:
        yield
    finally:
        cyaml._set_max_nest_level(before)


@pytest.mark.usefixtures("strict_libyaml")
def test_a_parser_limit_below_mlpaths_neither_refuses_nor_words_the_refusal() -> None:
    value = load_text(_nested(64), "deep.yaml").data["k"]
    lists = 0
    while isinstance(value, list):
        lists, value = lists + 1, value[0] if value else None
    assert lists == 63  # inside the top mapping: 64 levels, which mlpath allows
    with pytest.raises(YamlProblem) as caught:
        load_text(_nested(65), "deep.yaml")
    assert str(caught.value.problem) == f"deep.yaml:1:67: {DEEP}"
