"""The roadmap catalogue: built-in and user roadmaps, validated, cross-checked and cached.

Validation (YAML + pydantic) is the slow part, so a validated catalogue is cached as JSON in
``$MLPATH_HOME/cache``, keyed by the mlpath version and by the identity (path, size, mtime,
inode) of every roadmap file and of the code that reads and validates them. A stale, corrupt
or foreign cache file is ignored and rebuilt; a cache that cannot be written is simply not
written.

A topic's place in the graph (``Topic``: id, title, hours, prerequisites) is what most commands
need; its prose (``TopicText``: summary, resources, projects, checks) is most of the bytes and
only ``show`` and ``roadmap show`` read it. So the cache keeps each roadmap's prose as one
JSON string, decoded by ``Catalog.text`` the first time a topic of that roadmap is shown.
"""

import contextlib
import difflib
import json
import os
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from mlpath import __version__, paths
from mlpath.errors import AmbiguousError, NotFoundError, Problem, RoadmapError

DEFAULT_PATH = ("foundations", "machine-learning", "deep-learning", "mlops")
CACHE_FORMAT = 2


class Resource(NamedTuple):
    title: str
    url: str
    kind: str


class Topic(NamedTuple):
    roadmap: str
    stage: str
    id: str
    title: str
    hours: float
    requires: tuple[str, ...]  # full ids
    full_id: str  # roadmap/id, kept rather than formatted: status asks for it thousands of times


class TopicText(NamedTuple):
    """What a topic says, read only when it is shown (``Catalog.text``)."""

    summary: str
    resources: tuple[Resource, ...]
    projects: tuple[str, ...]
    checks: tuple[str, ...]


class Stage(NamedTuple):
    id: str
    title: str
    summary: str | None
    topics: tuple[Topic, ...]


class Roadmap(NamedTuple):
    id: str
    title: str
    summary: str
    requires: tuple[str, ...]
    stages: tuple[Stage, ...]
    source: str
    builtin: bool

    @property
    def topics(self) -> tuple[Topic, ...]:
        # A NamedTuple has nowhere to cache it, and flattening 30 topics takes about 1 µs.
        return tuple(t for s in self.stages for t in s.topics)

    @property
    def total_hours(self) -> float:
        return sum(t.hours for t in self.topics)


class Catalog:
    """Every known roadmap, in path order (the default path first, then by id)."""

    def __init__(
        self,
        roadmaps: dict[str, Roadmap],
        texts: dict[str, TopicText],
        packed_texts: dict[str, str] | None = None,
    ) -> None:
        """``texts`` by full topic id; ``packed_texts``: for roadmaps whose texts are not in
        ``texts`` yet, the JSON list of them in topic order, as the cache keeps it."""
        self.roadmaps = roadmaps
        self.topics: dict[str, Topic] = {t.full_id: t for r in roadmaps.values() for t in r.topics}
        self._by_bare: dict[str, list[str]] = {}
        for topic in self.topics.values():
            self._by_bare.setdefault(topic.id, []).append(topic.full_id)
        self._texts = texts
        self._packed = packed_texts or {}

    def text(self, topic: Topic) -> TopicText:
        """The summary, resources, projects and checks of ``topic``."""
        found = self._texts.get(topic.full_id)
        if found is None:
            self._unpack(topic.roadmap)
            found = self._texts[topic.full_id]
        return found

    def _unpack(self, roadmap_id: str) -> None:
        packed = self._packed.pop(roadmap_id)
        topics = self.roadmaps[roadmap_id].topics
        try:
            rows = json.loads(packed)
            self._texts.update(
                (topic.full_id, _text_from_json(row))
                for topic, row in zip(topics, rows, strict=True)
            )
        except (ValueError, TypeError):  # a damaged cache: read the roadmaps again
            fresh = load_catalog(refresh=True)
            self._texts.update((t.full_id, fresh.text(t)) for t in topics)

    def roadmap(self, roadmap_id: str) -> Roadmap:
        try:
            return self.roadmaps[roadmap_id]
        except KeyError:
            raise NotFoundError(
                f"no roadmap '{roadmap_id}'{suggest(roadmap_id, self.roadmaps)}"
            ) from None

    def resolve(self, ref: str) -> Topic:
        """A topic from ``roadmap/topic`` or a bare id that only one roadmap has."""
        ref = ref.strip()
        if ref in self.topics:
            return self.topics[ref]
        candidates = self._by_bare.get(ref, [])
        if len(candidates) == 1:
            return self.topics[candidates[0]]
        if candidates:
            listed = ", ".join(candidates)
            raise AmbiguousError(f"topic '{ref}' is in several roadmaps: {listed}; name one")
        if "/" in ref:
            close = difflib.get_close_matches(ref, list(self.topics), n=3, cutoff=0.6)
        else:
            near = difflib.get_close_matches(ref, list(self._by_bare), n=3, cutoff=0.6)
            close = [full for bare in near for full in self._by_bare[bare]][:3]
        hint = "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?" if close else ""
        raise NotFoundError(f"no topic '{ref}'{hint}")

    @cached_property
    def unlocks(self) -> dict[str, tuple[str, ...]]:
        """For each topic, the topics that list it as a prerequisite."""
        result: dict[str, list[str]] = {}
        for topic in self.topics.values():
            for req in topic.requires:
                result.setdefault(req, []).append(topic.full_id)
        return {k: tuple(v) for k, v in result.items()}


def suggest(word: str, pool: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(dict.fromkeys(pool)), n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


# ---------------------------------------------------------------------------------- loading


def roadmap_files() -> list[tuple[Path, bool]]:
    """Built-in roadmap files, then the user's, each with whether it is built in."""
    found: list[tuple[Path, bool]] = []
    for folder, builtin in (
        (paths.builtin_roadmaps_dir(), True),
        (paths.user_roadmaps_dir(), False),
    ):
        try:
            names = sorted(e.name for e in os.scandir(folder) if e.name.endswith((".yaml", ".yml")))
        except (FileNotFoundError, NotADirectoryError):
            continue
        found.extend((folder / n, builtin) for n in names)
    return found


def load_catalog(*, refresh: bool = False) -> Catalog:
    """The validated catalogue of every roadmap file; raises RoadmapError on any problem.
    With ``refresh``, validate the files again even when the cache is current."""
    files = roadmap_files()
    key = _cache_key(files)
    cached = None if refresh else _read_cache(key)
    if cached is not None:
        return cached
    catalog, problems = build_catalog(files)
    if problems:
        raise RoadmapError(problems)
    _write_cache(key, catalog)
    return catalog


def build_catalog(
    files: Sequence[tuple[Path, bool]],
    *,
    focus: Sequence[Path] = (),
    yield_to_focus: bool = False,
) -> tuple[Catalog, list[Problem]]:
    """Validate ``files`` together. With ``focus``, report only problems in those files (the
    others are context: their topics can be required). With ``yield_to_focus``, a context
    roadmap whose id a focus file (listed first) also has is left out instead of clashing."""
    from mlpath import schema
    from mlpath.yamlload import Located, YamlProblem, load_file

    focus_set = {p.resolve() for p in focus}
    problems: list[Problem] = []
    loaded: list[tuple[Path, bool, Located, Any]] = []
    for path, builtin in files:
        try:
            located = load_file(path, paths.display(path))
        except YamlProblem as exc:
            problems.append(exc.problem)
            continue
        model, found = schema.validate(located)
        problems.extend(found)
        if model is not None:
            loaded.append((path, builtin, located, model))

    roadmaps: dict[str, Roadmap] = {}
    texts: dict[str, TopicText] = {}
    locators: dict[str, Located] = {}
    for path, builtin, located, model in loaded:
        if model.id in roadmaps:
            if yield_to_focus and path.resolve() not in focus_set:
                continue
            other = roadmaps[model.id].source
            problems.append(
                located.problem(("id",), f"roadmap id '{model.id}' is already used by {other}")
            )
            continue
        roadmap, found = _from_model(model, located, str(path), builtin, texts)
        problems.extend(found)
        roadmaps[model.id] = roadmap
        locators[model.id] = located

    problems.extend(_check_references(roadmaps, locators))
    if focus_set:
        shown = {paths.display(p) for p in focus_set} | {str(p) for p in focus_set}
        problems = [p for p in problems if p.file in shown]
    ordered = dict(sorted(roadmaps.items(), key=lambda kv: _path_rank(kv[0])))
    return Catalog(ordered, texts), sorted(set(problems))


def _path_rank(roadmap_id: str) -> tuple[int, str]:
    if roadmap_id in DEFAULT_PATH:
        return (DEFAULT_PATH.index(roadmap_id), "")
    return (len(DEFAULT_PATH), roadmap_id)


def _from_model(
    model: Any, located: Any, source: str, builtin: bool, texts: dict[str, TopicText]
) -> tuple[Roadmap, list[Problem]]:
    """The roadmap ``model`` describes; its topics' texts go into ``texts``."""
    problems: list[Problem] = []
    stage_ids: dict[str, int] = {}
    topic_paths: dict[str, tuple[str | int, ...]] = {}
    stages: list[Stage] = []
    for si, stage in enumerate(model.stages):
        if stage.id in stage_ids:
            problems.append(
                located.problem(
                    ("stages", si, "id"),
                    f"duplicate stage id '{stage.id}' (also stage {stage_ids[stage.id] + 1})",
                )
            )
        stage_ids.setdefault(stage.id, si)
        topics: list[Topic] = []
        for ti, t in enumerate(stage.topics):
            path = ("stages", si, "topics", ti)
            if t.id in topic_paths:
                line = located.where(topic_paths[t.id])[0]
                problems.append(
                    located.problem(
                        (*path, "id"),
                        f"duplicate topic id '{t.id}' (first defined at line {line})",
                    )
                )
            topic_paths.setdefault(t.id, path)
            requires = tuple(r if "/" in r else f"{model.id}/{r}" for r in t.requires)
            full_id = f"{model.id}/{t.id}"
            topics.append(
                Topic(
                    roadmap=model.id,
                    stage=stage.id,
                    id=t.id,
                    title=t.title,
                    hours=t.hours,
                    requires=requires,
                    full_id=full_id,
                )
            )
            texts.setdefault(
                full_id,
                TopicText(
                    summary=t.summary,
                    resources=tuple(Resource(r.title, r.url, r.kind) for r in t.resources),
                    projects=tuple(t.projects),
                    checks=tuple(t.checks),
                ),
            )
        stages.append(Stage(stage.id, stage.title, stage.summary, tuple(topics)))
    roadmap = Roadmap(
        id=model.id,
        title=model.title,
        summary=model.summary,
        requires=tuple(model.requires),
        stages=tuple(stages),
        source=source,
        builtin=builtin,
    )
    return roadmap, problems


def _topic_path(roadmap: Roadmap, topic_id: str) -> tuple[str | int, ...]:
    for si, stage in enumerate(roadmap.stages):
        for ti, topic in enumerate(stage.topics):
            if topic.id == topic_id:
                return ("stages", si, "topics", ti)
    return ()


def _check_references(roadmaps: dict[str, Roadmap], locators: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    known = {t.full_id for r in roadmaps.values() for t in r.topics}
    for rid, roadmap in roadmaps.items():
        located = locators[rid]
        for i, req in enumerate(roadmap.requires):
            if req not in roadmaps:
                problems.append(
                    located.problem(
                        ("requires", i), f"requires roadmap '{req}', which does not exist"
                    )
                )
        seen: set[str] = set()
        for topic in roadmap.topics:
            if topic.id in seen:  # a duplicate id is already reported; its edges mean nothing
                continue
            seen.add(topic.id)
            base = _topic_path(roadmap, topic.id)
            for i, req in enumerate(topic.requires):
                if req == topic.full_id:
                    problems.append(
                        located.problem((*base, "requires", i), "a topic cannot require itself")
                    )
                elif req not in known:
                    bare = req.split("/", 1)[1]
                    pool = [k for k in known if k.endswith("/" + bare)] or list(known)
                    problems.append(
                        located.problem(
                            (*base, "requires", i),
                            f"requires '{req}', which is not a topic{suggest(req, pool)}",
                        )
                    )
    for cycle in find_cycles({t.full_id: t.requires for r in roadmaps.values() for t in r.topics}):
        first = cycle[0]
        rid, tid = first.split("/", 1)
        roadmap = roadmaps[rid]
        topic = next(t for t in roadmap.topics if t.id == tid)
        index = topic.requires.index(cycle[1])
        chain = " -> ".join([*cycle, cycle[0]])
        problems.append(
            locators[rid].problem(
                (*_topic_path(roadmap, tid), "requires", index),
                f"prerequisite cycle: {chain}",
            )
        )
    return problems


def find_cycles(graph: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """Each strongly connected set of topics that requires itself, as one cycle path.

    Iterative Tarjan, so that a long chain of prerequisites cannot exhaust the stack. Each
    reported cycle starts at its smallest id and follows ``requires`` edges.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, edge = work.pop()
            if edge == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            edges = [e for e in graph.get(node, ()) if e in graph]
            if edge < len(edges):
                work.append((node, edge + 1))
                nxt = edges[edge]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:  # a topic requiring itself is reported on its own
                    components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return [_cycle_path(graph, set(c)) for c in components]


def _cycle_path(graph: dict[str, tuple[str, ...]], members: set[str]) -> list[str]:
    """A simple cycle through the smallest member, staying inside the component."""
    start = min(members)
    parents: dict[str, str] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in graph.get(node, ()):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return list(reversed(path))
                if nxt in members and nxt not in seen:
                    seen.add(nxt)
                    parents[nxt] = node
                    following.append(nxt)
        frontier = following
    return sorted(members)


# ------------------------------------------------------------------------------------ cache


def _identity(path: Path) -> list[Any]:
    st = path.stat()
    return [str(path), st.st_size, st.st_mtime_ns, st.st_ino]


def _cache_key(files: Sequence[tuple[Path, bool]]) -> list[Any]:
    """What a cached catalogue depends on: the mlpath version, the files of the code that
    reads and validates roadmaps (so that an edited checkout is keyed too), and every
    roadmap file."""
    here = Path(__file__)
    code = [here, here.with_name("schema.py"), here.with_name("yamlload.py")]
    return [
        CACHE_FORMAT,
        __version__,
        *(_identity(p) for p in code),
        *(_identity(p) for p, _ in files),
    ]


def _cache_file() -> Path:
    return paths.cache_dir() / "roadmaps.json"


def _read_cache(key: list[Any]) -> Catalog | None:
    try:
        with _cache_file().open("rb") as fh:
            payload = json.load(fh)
        if payload["key"] != key:
            return None
        roadmaps = payload["roadmaps"]
        packed = {r["id"]: r["texts"] for r in roadmaps}
        if not all(isinstance(texts, str) for texts in packed.values()):
            return None
        return Catalog({r["id"]: _roadmap_from_json(r) for r in roadmaps}, {}, packed)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write_cache(key: list[Any], catalog: Catalog) -> None:
    from mlpath.fileio import atomic_write_text

    payload = {
        "key": key,
        "roadmaps": [_roadmap_to_json(r, catalog) for r in catalog.roadmaps.values()],
    }
    with contextlib.suppress(OSError):  # an unwritable cache only costs speed
        atomic_write_text(_cache_file(), json.dumps(payload, separators=(",", ":")))


def _roadmap_to_json(r: Roadmap, catalog: Catalog) -> dict[str, Any]:
    texts = [
        [t.summary, [list(x) for x in t.resources], list(t.projects), list(t.checks)]
        for t in map(catalog.text, r.topics)
    ]
    return {
        "id": r.id,
        "title": r.title,
        "summary": r.summary,
        "requires": list(r.requires),
        "source": r.source,
        "builtin": r.builtin,
        "stages": [
            {
                "id": s.id,
                "title": s.title,
                "summary": s.summary,
                "topics": [[t.id, t.title, t.hours, list(t.requires)] for t in s.topics],
            }
            for s in r.stages
        ],
        "texts": json.dumps(texts, separators=(",", ":")),
    }


def _roadmap_from_json(r: dict[str, Any]) -> Roadmap:
    rid = r["id"]
    stages = tuple(
        Stage(
            s["id"],
            s["title"],
            s["summary"],
            tuple(
                Topic(rid, s["id"], tid, title, float(hours), tuple(requires), f"{rid}/{tid}")
                for tid, title, hours, requires in s["topics"]
            ),
        )
        for s in r["stages"]
    )
    return Roadmap(
        rid, r["title"], r["summary"], tuple(r["requires"]), stages, r["source"], r["builtin"]
    )


def _text_from_json(row: list[Any]) -> TopicText:
    summary, resources, projects, checks = row
    return TopicText(
        summary, tuple(Resource(*x) for x in resources), tuple(projects), tuple(checks)
    )
