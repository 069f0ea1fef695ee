"""Reading and writing the roadmap cache's parts in tests: a magic line, the graph, then each
roadmap's prose. Each part is framed (its size and CRC-32, then ``marshal`` data); the graph
gives the size of each roadmap's framed prose."""

from __future__ import annotations

import marshal
import zlib
from pathlib import Path
from typing import Any

NAME = "roadmaps.cache"
MAGIC = b"mlpath roadmaps\n"


def cache_path(home: Path) -> Path:
    return home / "cache" / NAME


def frame(data: bytes) -> bytes:
    """``data`` framed as the cache frames it, with its true size and CRC: what a writer of
    the wrong shape would leave, as opposed to damage on disk, which the CRC finds."""
    return len(data).to_bytes(4, "big") + zlib.crc32(data).to_bytes(4, "big") + data


def unframe(framed: bytes) -> bytes:
    size = int.from_bytes(framed[:4], "big")
    assert len(framed) == 8 + size and zlib.crc32(framed[8:]) == int.from_bytes(framed[4:8], "big")
    return framed[8:]


def parts(raw: bytes) -> tuple[dict[str, Any], list[bytes]]:
    """The graph, and each roadmap's framed prose, in order."""
    assert raw.startswith(MAGIC)
    size = int.from_bytes(raw[len(MAGIC) : len(MAGIC) + 4], "big")
    end = len(MAGIC) + 8 + size
    graph = marshal.loads(unframe(raw[len(MAGIC) : end]))
    texts, start = [], end
    for roadmap in graph["roadmaps"]:
        texts.append(raw[start : start + roadmap["texts"]])
        start += roadmap["texts"]
    assert start == len(raw)
    return graph, texts


def head(raw: bytes) -> dict[str, Any]:
    return parts(raw)[0]


def joined(graph: Any, texts: list[bytes]) -> bytes:
    """A cache file of ``graph`` and the framed ``texts``, with their sizes written in."""
    if type(graph) is dict and type(graph.get("roadmaps")) is list:
        for roadmap, text in zip(graph["roadmaps"], texts, strict=False):
            if type(roadmap) is dict:
                roadmap["texts"] = len(text)
    return MAGIC + frame(marshal.dumps(graph)) + b"".join(texts)


def texts_of(framed: bytes) -> Any:
    """One roadmap's framed prose: [its roadmap's id, a row for each topic]."""
    return marshal.loads(unframe(framed))


def retitled(raw: bytes, old: str, new: str) -> bytes:
    """The cache ``raw`` with ``old`` replaced by ``new`` in every text of its graph, framed
    again: a cache that says something the roadmap files do not."""

    def replace(value: Any) -> Any:
        if type(value) is str:
            return value.replace(old, new)
        if type(value) is list:
            return [replace(v) for v in value]
        if type(value) is dict:
            return {k: (v if k == "key" else replace(v)) for k, v in value.items()}
        return value

    graph, texts = parts(raw)
    return joined(replace(graph), texts)
