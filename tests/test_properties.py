"""Property-based tests for topic-id resolution and for the YAML loader's limits."""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        assert "\n" not in exc.message.replace(ref, "")
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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(BOMB, "document expands to more than", id="alias bomb"),
        pytest.param("k: " + "[" * 200_000 + "]" * 200_000, "nesting is deeper", id="deep nesting"),
    ],
)
def test_hostile_documents_are_refused_with_bounded_memory(text: str, message: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(YamlProblem, match=message):
            load_text(text, "hostile.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024
