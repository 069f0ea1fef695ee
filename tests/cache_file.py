"""Reading and writing the roadmap cache's two parts in tests: its first line, the graph as
JSON, and after it each roadmap's prose, a JSON text of the size that line gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NAME = "roadmaps.cache"


def cache_path(home: Path) -> Path:
    return home / "cache" / NAME


def parts(raw: bytes) -> tuple[dict[str, Any], list[bytes]]:
    """The graph and the prose of each roadmap, in order."""
    head, _, rest = raw.partition(b"\n")
    graph = json.loads(head)
    texts, start = [], 0
    for roadmap in graph["roadmaps"]:
        texts.append(rest[start : start + roadmap["texts"]])
        start += roadmap["texts"]
    assert start == len(rest)
    return graph, texts


def head(raw: bytes) -> dict[str, Any]:
    return parts(raw)[0]


def joined(graph: dict[str, Any], texts: list[bytes]) -> bytes:
    """A cache file of ``graph`` and ``texts``, with the sizes of ``texts`` written in."""
    for roadmap, text in zip(graph["roadmaps"], texts, strict=True):
        roadmap["texts"] = len(text)
    return json.dumps(graph).encode() + b"\n" + b"".join(texts)
