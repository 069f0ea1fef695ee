"""A damaged roadmap cache, whatever the damage, is treated as no cache and rebuilt: commands
never crash or give wrong answers because of it. Damage on disk (bytes cut, flipped or
replaced) is found by the frames' sizes and CRCs before anything is decoded; a file of the
right frames but the wrong shape (as a writer with a bug would leave) by the shape checks."""

from __future__ import annotations

import json
import marshal
import os
import random
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cache_file import MAGIC, cache_path, frame, joined, parts, retitled, texts_of
from tests.conftest import Result

DEEP = b"[" * 200_000 + b"]" * 200_000


def _good_cache(mlpath: Callable[..., Result], home: Path) -> tuple[Path, bytes]:
    assert mlpath("status").exit_code == 0
    cache = cache_path(home)
    return cache, cache.read_bytes()


def _at(path: str, value: Any) -> Callable[[bytes], bytes]:
    """The good cache, its current key and all, with the part at ``path`` of its graph
    replaced (the prose after it as it was, and said to be the sizes it was)."""

    def damage(good: bytes) -> bytes:
        payload, texts = parts(good)
        *parents, last = (int(p) if p.isdigit() else p for p in path.split("."))
        target: Any = payload
        for part in parents:
            target = target[part]
        target[last] = value
        return MAGIC + frame(marshal.dumps(payload)) + b"".join(texts)

    return damage


def _a_roadmap_twice(good: bytes) -> bytes:
    graph, texts = parts(good)
    graph["roadmaps"].append(graph["roadmaps"][0])
    return joined(graph, [*texts, texts[0]])


def _flipped(raw: bytes, at: int) -> bytes:
    return raw[:at] + bytes([raw[at] ^ 0x10]) + raw[at + 1 :]


def _size_plus(extra: int) -> Callable[[bytes], bytes]:
    """The first roadmap's prose said to be ``extra`` bytes longer than it is."""

    def damage(good: bytes) -> bytes:
        graph, _ = parts(good)
        return _at("roadmaps.0.texts", graph["roadmaps"][0]["texts"] + extra)(good)

    return damage


DAMAGE: list[Any] = [
    pytest.param(lambda good: DEEP, id="nested 200,000 deep"),
    pytest.param(lambda good: DEEP + b"\n", id="a first line nested 200,000 deep"),
    pytest.param(lambda good: b"", id="empty"),
    pytest.param(lambda good: random.Random(7).randbytes(4096), id="random bytes"),
    pytest.param(lambda good: good[: len(good) // 2], id="cut short"),
    pytest.param(lambda good: joined(parts(good)[0], []), id="the graph alone"),
    pytest.param(lambda good: good + b"[]", id="more after the prose"),
    # A title still text, just not the file's: only the CRC can tell.
    pytest.param(
        lambda good: _flipped(good, good.index(b"Foundations")), id="a bit flipped in a title"
    ),
    pytest.param(lambda good: _flipped(good, 2), id="a bit flipped in the magic"),
    pytest.param(lambda good: _flipped(good, len(MAGIC)), id="a bit flipped in a size"),
    pytest.param(lambda good: _flipped(good, len(MAGIC) + 5), id="a bit flipped in a CRC"),
    pytest.param(lambda good: joined({"roadmaps": [], "tracks": []}, []), id="no key"),
    pytest.param(lambda good: joined([], []), id="a list"),
    pytest.param(lambda good: MAGIC + frame(b"\xff" * 64), id="not marshal data"),
    pytest.param(_at("roadmaps", {"a": 1}), id="roadmaps a mapping"),
    pytest.param(_at("roadmaps.0", "x"), id="a roadmap as text"),
    pytest.param(_at("roadmaps.0.title", 7), id="a title a number"),
    pytest.param(_at("roadmaps.0.requires", "ab"), id="requires as text"),
    pytest.param(_at("roadmaps.0.builtin", "yes"), id="builtin as text"),
    pytest.param(_at("roadmaps.0.stages", {}), id="stages a mapping"),
    pytest.param(_at("roadmaps.0.stages.0.summary", 3), id="a stage summary a number"),
    pytest.param(_at("roadmaps.0.stages.0.topics", []), id="a stage without topics"),
    pytest.param(_at("roadmaps.0.stages.0.topics.0", "abcd"), id="a topic as text"),
    pytest.param(_at("roadmaps.0.stages.0.topics.0.0", 5), id="a topic id a number"),
    pytest.param(_at("roadmaps.0.stages.0.topics.0.1", None), id="a topic title null"),
    pytest.param(_at("roadmaps.0.stages.0.topics.0.2", "2"), id="hours as text"),
    pytest.param(_at("roadmaps.0.stages.0.topics.0.2", True), id="hours true"),
    pytest.param(_at("roadmaps.0.stages.0.topics.0.3", [1]), id="a prerequisite a number"),
    pytest.param(_at("roadmaps.0.stages.0.topics.0.3", "ab"), id="prerequisites as text"),
    pytest.param(_at("roadmaps.0.stages.0.topics.0.4", 1.5), id="checks a fraction"),
    pytest.param(_at("roadmaps.0.stages.0.topics.1", ["a", "b", 1, [], 0, 9]), id="six fields"),
    pytest.param(_at("roadmaps.0.texts", ["x"]), id="texts a list"),
    pytest.param(_at("roadmaps.0.texts", 0), id="texts of no bytes"),
    pytest.param(_size_plus(1), id="texts one byte longer than written"),
    pytest.param(_size_plus(-1), id="texts one byte shorter than written"),
    pytest.param(_a_roadmap_twice, id="a roadmap twice"),
    pytest.param(_at("tracks", {}), id="tracks a mapping"),
    pytest.param(_at("tracks.0", "x"), id="a track as text"),
    pytest.param(_at("tracks.0.3", []), id="a track without topics"),
    pytest.param(_at("tracks.0.3", ["nope/nope"]), id="a track of a topic that is not there"),
    pytest.param(_at("tracks.0.5", 1), id="builtin a number"),
]


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_cache_is_rebuilt(
    mlpath: Callable[..., Result], isolated_home: Path, damage: Callable[[bytes], bytes]
) -> None:
    cache, good = _good_cache(mlpath, isolated_home)
    cache.write_bytes(damage(good))
    result = mlpath("status")
    assert (result.exit_code, result.stderr) == (0, "")
    assert "Foundations" in result.stdout
    assert cache.read_bytes() == good


@pytest.mark.parametrize("damage", DAMAGE[:4])
def test_the_installed_command_rebuilds_a_damaged_cache(
    mlpath_exe: str, isolated_home: Path, damage: Callable[[bytes], bytes]
) -> None:
    # In a process of its own, with the interpreter's default recursion limit.
    env = dict(os.environ)
    assert (
        subprocess.run([mlpath_exe, "status"], env=env, capture_output=True, check=False).returncode
        == 0
    )
    cache = cache_path(isolated_home)
    good = cache.read_bytes()
    cache.write_bytes(damage(good))
    run = subprocess.run(
        [mlpath_exe, "status"], env=env, capture_output=True, text=True, check=False
    )
    assert (run.returncode, run.stderr) == (0, "")
    assert cache.read_bytes() == good


def test_an_empty_folder_in_place_of_the_cache_is_replaced_by_it(
    mlpath: Callable[..., Result], isolated_home: Path
) -> None:
    cache, good = _good_cache(mlpath, isolated_home)
    cache.unlink()
    cache.mkdir()
    result = mlpath("status")
    assert (result.exit_code, result.stderr) == (0, "")
    assert cache.read_bytes() == good


def test_a_folder_with_files_in_place_of_the_cache_is_left_alone(
    mlpath: Callable[..., Result], isolated_home: Path
) -> None:
    cache, _ = _good_cache(mlpath, isolated_home)
    cache.unlink()
    (cache / "keep").mkdir(parents=True)
    for _ in range(2):
        result = mlpath("status")
        assert (result.exit_code, result.stderr) == (0, "")
        assert "Foundations" in result.stdout
    assert [p.name for p in cache.iterdir()] == ["keep"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_place_of_the_cache_neither_hangs_nor_stays(
    mlpath_exe: str, isolated_home: Path
) -> None:
    env = dict(os.environ)
    assert (
        subprocess.run([mlpath_exe, "status"], env=env, capture_output=True, check=False).returncode
        == 0
    )
    cache = cache_path(isolated_home)
    good = cache.read_bytes()
    cache.unlink()
    os.mkfifo(cache)
    run = subprocess.run(
        [mlpath_exe, "status"], env=env, capture_output=True, timeout=30, check=False
    )
    assert run.returncode == 0
    assert cache.read_bytes() == good


def test_a_huge_cache_file_is_not_read(mlpath: Callable[..., Result], isolated_home: Path) -> None:
    cache, good = _good_cache(mlpath, isolated_home)
    with cache.open("r+b") as fh:
        fh.truncate(256 * 1024 * 1024)  # sparse: costs no disk
    tracemalloc.start()
    try:
        result = mlpath("status")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.exit_code, result.stderr) == (0, "")
    assert cache.read_bytes() == good
    assert peak < 64 * 1024 * 1024


def test_running_out_of_memory_reading_the_cache_rebuilds_it(
    mlpath: Callable[..., Result], isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlpath import roadmaps

    cache, good = _good_cache(mlpath, isolated_home)
    cache.write_bytes(retitled(good, "Foundations", "Stale"))

    class NoMemoryMarshal:
        dumps = staticmethod(marshal.dumps)

        @staticmethod
        def loads(*args: Any, **kwargs: Any) -> Any:
            raise MemoryError

        load = loads

    with monkeypatch.context() as patch:
        patch.setattr(roadmaps, "marshal", NoMemoryMarshal)
        result = mlpath("roadmap", "list", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert "Stale" not in result.stdout and "Foundations" in result.stdout
    assert cache.read_bytes() == good


def _rows(change: Callable[[list[Any]], object]) -> Callable[[bytes], bytes]:
    """The good texts with one change; the first row is python-basics's."""

    def damage(packed: bytes) -> bytes:
        roadmap_id, rows = texts_of(packed)
        change(rows)
        return frame(marshal.dumps([roadmap_id, rows]))

    return damage


def _first(index: int, value: Any) -> Callable[[list[Any]], object]:
    return lambda rows: rows[0].__setitem__(index, value)


TEXT_DAMAGE = [
    pytest.param(lambda packed: DEEP, id="nested 200,000 deep"),
    pytest.param(lambda packed: b" ", id="a space"),
    pytest.param(lambda packed: packed[:-1], id="cut short"),
    pytest.param(lambda packed: _flipped(packed, len(packed) - 3), id="a bit flipped"),
    pytest.param(lambda packed: frame(b"\xff\xfe\x00"), id="not marshal data"),
    pytest.param(lambda packed: frame(marshal.dumps("summary")), id="text"),
    pytest.param(lambda packed: frame(marshal.dumps({})), id="a mapping"),
    pytest.param(
        lambda packed: frame(marshal.dumps(["machine-learning", texts_of(packed)[1]])),
        id="the prose naming another roadmap",
    ),
    pytest.param(lambda packed: frame(marshal.dumps(texts_of(packed)[1])), id="no roadmap named"),
    pytest.param(_rows(lambda rows: rows.pop()), id="one text too few"),
    pytest.param(_rows(lambda rows: rows[0].pop()), id="a text of three fields"),
    pytest.param(_rows(_first(0, 1)), id="summary a number"),
    pytest.param(_rows(_first(1, "abc")), id="resources text"),
    pytest.param(_rows(_first(1, [["t", "u"]])), id="a resource of two fields"),
    pytest.param(_rows(_first(1, [{"a": 1, "b": 2, "c": 3}])), id="a resource a mapping"),
    pytest.param(_rows(_first(2, "abc")), id="projects text"),
    pytest.param(_rows(_first(3, [3])), id="a check a number"),
]


@pytest.mark.parametrize("damage", TEXT_DAMAGE)
def test_damaged_topic_texts_are_read_again_from_the_roadmaps(
    mlpath: Callable[..., Result], isolated_home: Path, damage: Callable[[bytes], bytes]
) -> None:
    # A roadmap's texts are decoded only when one of its topics is shown: damage found late.
    cache, good = _good_cache(mlpath, isolated_home)
    graph, texts = parts(good)
    first = graph["roadmaps"][0]
    assert (first["id"], first["stages"][0]["topics"][0][0]) == ("foundations", "python-basics")
    texts[0] = damage(texts[0])
    cache.write_bytes(joined(graph, texts))
    result = mlpath("show", "foundations/python-basics", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    data = json.loads(result.stdout)["data"]
    assert data["resources"]
    assert all(list(r) == ["title", "url", "kind"] for r in data["resources"])
    assert all(isinstance(v, str) for r in data["resources"] for v in r.values())
    assert cache.read_bytes() == good


def test_the_cache_is_read_without_importing_the_validators(
    mlpath_exe: str, isolated_home: Path
) -> None:
    env = dict(os.environ)
    assert (
        subprocess.run([mlpath_exe, "status"], env=env, capture_output=True, check=False).returncode
        == 0
    )
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mlpath", "status"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if "|" in line}
    for heavy in ("yaml", "pydantic", "mlpath.yamlload", "mlpath.schema"):
        assert heavy not in imported


def test_the_cache_an_earlier_mlpath_wrote_is_removed(
    mlpath: Callable[..., Result], isolated_home: Path
) -> None:
    # Format 5 and before: one JSON document, roadmaps.json. The new cache replaces it.
    old = isolated_home / "cache" / "roadmaps.json"
    old.parent.mkdir(parents=True)
    old.write_text('{"key": [5], "roadmaps": [], "tracks": []}', encoding="utf-8")
    result = mlpath("status")
    assert (result.exit_code, result.stderr) == (0, "")
    assert sorted(p.name for p in old.parent.iterdir()) == ["roadmaps.cache"]


def test_a_folder_under_the_old_cache_name_is_left_alone(
    mlpath: Callable[..., Result], isolated_home: Path
) -> None:
    old = isolated_home / "cache" / "roadmaps.json"
    (old / "keep").mkdir(parents=True)
    result = mlpath("status")
    assert (result.exit_code, result.stderr) == (0, "")
    assert [p.name for p in old.iterdir()] == ["keep"]
