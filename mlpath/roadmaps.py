"""The roadmap catalogue: built-in and user roadmaps and tracks, validated, cross-checked and
cached.

Validation (YAML + pydantic) is the slow part, so a validated catalogue is cached in
``$MLPATH_HOME/cache/roadmaps.cache``, keyed by the mlpath version and by the identity (path,
size, mtime, inode) of every roadmap and track file and of the code that reads and validates
them. A stale, corrupt or foreign cache file is ignored and rebuilt; a cache that cannot be
written is simply not written.

A topic's place in the graph (``Topic``: id, title, hours, prerequisites) is what most commands
need; its prose (``TopicText``: summary, resources, projects, checks) is most of the bytes and
only ``show`` and ``roadmap show`` read it. So the cache file holds the graph, then each
roadmap's prose apart, which ``Catalog.text`` decodes the first time a topic of that roadmap is
shown: every command decodes the quarter of the file it needs and not the rest.

Each part is in ``marshal``'s format (what Python's own ``.pyc`` files hold), which decodes in
half the time JSON takes and needs no import; the key names the interpreter, whose format it
is. Each part is framed with its size and CRC-32, and nothing is decoded unless they match: a
file cut short, overwritten or damaged on disk is a stale cache, never input to the decoder.
What decodes is still checked to have the shape the writer gives it (each roadmap's prose
names its roadmap). The checks guard against damage, not malice: like Python's ``.pyc``
files beside it in the user's folders, a file framed on purpose is decoded, and marshal can
be made to allocate gigabytes; whoever can write it can as well write bytecode Python runs.
"""

import contextlib
import difflib
import gc
import marshal
import os
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from itertools import chain, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from mlpath import __version__, paths
from mlpath.errors import AmbiguousError, NotFoundError, Problem, RoadmapError
from mlpath.tuples import NamedTuple

if TYPE_CHECKING:  # at run time only validation imports it: the hot path reads the cache
    from mlpath.yamlload import Located

DEFAULT_PATH = ("foundations", "machine-learning", "deep-learning", "mlops")
CACHE_FORMAT = 7  # 4: tracks; 5: titles are one line; 6: the prose apart; 7: marshal, framed


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
    checks: int = 0  # how many self-checks it lists (counted without reading its text)


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


class Track(NamedTuple):
    """A named selection of topics across roadmaps (see ``mlpath.tracks``)."""

    id: str
    title: str
    summary: str
    topics: tuple[str, ...]  # full ids, in the track's order; closed under prerequisites
    source: str
    builtin: bool


class Catalog:
    """Every known roadmap, in path order (the default path first, then by id), and every
    track (built-in ones first, then by id)."""

    def __init__(
        self,
        roadmaps: dict[str, Roadmap],
        texts: dict[str, TopicText],
        packed_texts: dict[str, bytes] | None = None,
        tracks: dict[str, Track] | None = None,
    ) -> None:
        """``texts`` by full topic id; ``packed_texts``: for roadmaps whose texts are not in
        ``texts`` yet, the list of them in topic order, framed, as the cache keeps it."""
        self.roadmaps = roadmaps
        self.tracks = tracks or {}
        self.topics: dict[str, Topic] = {t.full_id: t for r in roadmaps.values() for t in r.topics}
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
            texts = _texts_from_rows(packed, roadmap_id, len(topics))
        except Exception:  # damaged in any way, even too deep to decode: read the roadmaps again
            fresh = load_catalog(refresh=True)
            texts = [fresh.text(t) for t in topics]
        self._texts.update(zip((t.full_id for t in topics), texts, strict=True))

    def roadmap(self, roadmap_id: str) -> Roadmap:
        try:
            return self.roadmaps[roadmap_id]
        except KeyError:
            raise NotFoundError(
                f"no roadmap '{roadmap_id}'{suggest(roadmap_id, self.roadmaps)}"
            ) from None

    def track(self, track_id: str) -> Track:
        try:
            return self.tracks[track_id]
        except KeyError:
            hint = suggest(track_id, self.tracks) or _some_tracks(list(self.tracks))
            raise NotFoundError(f"no track '{track_id}'{hint}") from None

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
        raise NotFoundError(f"no topic '{ref}'{did_you_mean(close)}")

    @cached_property
    def _by_bare(self) -> dict[str, list[str]]:
        """Full topic ids by bare id: for the topics the learner names (most runs name none)."""
        found: dict[str, list[str]] = {}
        for topic in self.topics.values():
            found.setdefault(topic.id, []).append(topic.full_id)
        return found

    @cached_property
    def unlocks(self) -> dict[str, tuple[str, ...]]:
        """For each topic, the topics that list it as a prerequisite."""
        result: dict[str, list[str]] = {}
        for topic in self.topics.values():
            for req in topic.requires:
                result.setdefault(req, []).append(topic.full_id)
        return {k: tuple(v) for k, v in result.items()}


def suggest(word: str, pool: Iterable[str]) -> str:
    return did_you_mean(difflib.get_close_matches(word, list(dict.fromkeys(pool)), n=3, cutoff=0.6))


def _some_tracks(tracks: list[str], shown: int = 5) -> str:
    """The end of a "no such track" message with no close match: the tracks there are, a
    few of them (hundreds of files would make the one line a page)."""
    if not tracks:
        return ""
    more = f" and {len(tracks) - shown} more (`mlpath track list`)" if len(tracks) > shown else ""
    return f"; tracks: {', '.join(tracks[:shown])}{more}"


def did_you_mean(close: Sequence[str]) -> str:
    """The end of a "no such" message: ``; did you mean 'a' or 'b'?``, or nothing."""
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


# ---------------------------------------------------------------------------------- loading


def roadmap_files() -> list[tuple[Path, bool]]:
    """Built-in roadmap files, then the user's, each with whether it is built in."""
    return _yaml_files(paths.builtin_roadmaps_dir(), paths.user_roadmaps_dir())


def track_files() -> list[tuple[Path, bool]]:
    """Built-in track files, then the user's, each with whether it is built in."""
    return _yaml_files(paths.builtin_tracks_dir(), paths.user_tracks_dir())


def _yaml_files(builtin_dir: Path, user_dir: Path) -> list[tuple[Path, bool]]:
    """The *.yaml and *.yml files of the two folders (not of their subfolders), by name."""
    found: list[tuple[Path, bool]] = []
    for folder, builtin in ((builtin_dir, True), (user_dir, False)):
        try:
            names = sorted(e.name for e in os.scandir(folder) if e.name.endswith((".yaml", ".yml")))
        except (FileNotFoundError, NotADirectoryError):
            continue
        found.extend((folder / n, builtin) for n in names)
    return found


def load_catalog(*, refresh: bool = False) -> Catalog:
    """The validated catalogue of every roadmap and track file; raises RoadmapError on any
    problem. With ``refresh``, validate the files again even when the cache is current."""
    files = roadmap_files()
    tracks = track_files()
    key = _cache_key(files, tracks)
    cached = None if refresh else _read_cache(key)
    if cached is not None:
        return cached
    catalog, problems = build_catalog(files, tracks=tracks)
    if problems:
        raise RoadmapError(problems, {paths.display(p) for p, _ in tracks})
    _write_cache(key, catalog)
    return catalog


def build_catalog(
    files: Sequence[tuple[Path, bool]],
    *,
    tracks: Sequence[tuple[Path, bool]] = (),
    focus: Sequence[Path] = (),
    yield_to_focus: bool = False,
) -> tuple[Catalog, list[Problem]]:
    """Validate the roadmap ``files`` together, then the track files ``tracks`` against
    them. With ``focus``, report only problems in those files (the others are context: their
    topics can be required). With ``yield_to_focus``, a context roadmap or track whose id a
    focus file (listed first) also has is left out instead of clashing."""
    focus_set = {p.resolve() for p in focus}
    with _cyclic_gc_paused():
        loaded, problems = _load_models(files, "roadmap")
        roadmaps: dict[str, Roadmap] = {}
        texts: dict[str, TopicText] = {}
        sources: dict[str, _Source] = {}
        for path, builtin, located, model in loaded:
            if model.id in roadmaps:
                if yield_to_focus and path.resolve() not in focus_set:
                    continue
                other = roadmaps[model.id].source
                problems.append(
                    located.problem(("id",), f"roadmap id '{model.id}' is already used by {other}")
                )
                continue
            roadmap, topic_paths, found = _from_model(model, located, str(path), builtin, texts)
            problems.extend(found)
            roadmaps[model.id] = roadmap
            sources[model.id] = _Source(located, topic_paths)
        problems.extend(_check_references(roadmaps, sources))
        chosen: dict[str, Track] = {}
        if tracks:
            from mlpath.tracks import build_tracks

            known = {t.full_id: t for r in roadmaps.values() for t in r.topics}
            models, found = _load_models(tracks, "track")
            problems.extend(found)
            chosen, found = build_tracks(models, known, focus_set if yield_to_focus else None)
            problems.extend(found)
    if focus_set:
        shown = {paths.display(p) for p in focus_set} | {str(p) for p in focus_set}
        problems = [p for p in problems if p.file in shown]
    ordered = dict(sorted(roadmaps.items(), key=lambda kv: _path_rank(kv[0])))
    return Catalog(ordered, texts, tracks=chosen), sorted(set(problems))


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Loading a big roadmap makes hundreds of thousands of small objects (values, positions,
    models) and no reference cycles. As they pile up, the cyclic collector walks all of them
    again and again, so validation time grew faster than the file: three times the topics
    took four and a half times as long. Reference counting still frees all of it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load_models(
    files: Sequence[tuple[Path, bool]], kind: str
) -> tuple[list[tuple[Path, bool, "Located", Any]], list[Problem]]:
    """Each file read and checked against the schema of ``kind`` (roadmap or track) on its
    own: the valid ones with their model, and the problems of all."""
    from mlpath import schema
    from mlpath.yamlload import YamlProblem, load_file

    problems: list[Problem] = []
    loaded: list[tuple[Path, bool, Located, Any]] = []
    read: set[Path] = set()
    for path, builtin in files:
        if path.resolve() in read:  # one file named twice is one roadmap, not a clash
            continue
        read.add(path.resolve())
        try:
            located = load_file(path, paths.display(path), kind)
        except YamlProblem as exc:
            problems.append(exc.problem)
            continue
        model, found = schema.validate(located, kind)
        problems.extend(found)
        if model is not None:
            loaded.append((path, builtin, located, model))
    return loaded, problems


def _path_rank(roadmap_id: str) -> tuple[int, str]:
    if roadmap_id in DEFAULT_PATH:
        return (DEFAULT_PATH.index(roadmap_id), "")
    return (len(DEFAULT_PATH), roadmap_id)


class _Source(NamedTuple):
    """Where a roadmap's parts are in its file: the loaded document, and each topic's path in
    it by bare id (the first definition, when an id is used twice)."""

    located: "Located"
    topic_paths: dict[str, tuple[str | int, ...]]

    def topic_problem(self, topic_id: str, sub: tuple[str | int, ...], message: str) -> Problem:
        return self.located.problem((*self.topic_paths[topic_id], *sub), message)


def _from_model(
    model: Any, located: Any, source: str, builtin: bool, texts: dict[str, TopicText]
) -> tuple[Roadmap, dict[str, tuple[str | int, ...]], list[Problem]]:
    """The roadmap ``model`` describes, where each topic is in the file, and the problems
    found on the way; its topics' texts go into ``texts``.

    A topic whose id is already taken is reported and left out: one full id cannot name two
    topics in the graph, and checking the second one's prerequisites as if they were the
    first one's found cycles that are not there."""
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
                continue
            topic_paths[t.id] = path
            topics.append(_topic_from_model(model.id, stage.id, t))
            texts[topics[-1].full_id] = TopicText(
                summary=t.summary,
                resources=tuple(Resource(r.title, r.url, r.kind) for r in t.resources),
                projects=tuple(t.projects),
                checks=tuple(t.checks),
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
    return roadmap, topic_paths, problems


def _topic_from_model(roadmap_id: str, stage_id: str, t: Any) -> Topic:
    return Topic(
        roadmap=roadmap_id,
        stage=stage_id,
        id=t.id,
        title=t.title,
        hours=t.hours,
        requires=tuple(r if "/" in r else f"{roadmap_id}/{r}" for r in t.requires),
        full_id=f"{roadmap_id}/{t.id}",
        checks=len(t.checks),
    )


# A "did you mean" for a prerequisite that names no topic compares it with every topic id,
# so a file full of broken references would take time quadratic in its size. After this many
# such searches the rest are reported without a hint.
MAX_HINT_SEARCHES = 50


class TopicHints:
    """'did you mean' hints for prerequisites (and a track's entries) that name no topic, one
    search per name."""

    def __init__(self, known: dict[str, Topic]) -> None:
        self.known = known
        self.by_bare: dict[str, list[str]] = {}
        for full_id, topic in known.items():
            self.by_bare.setdefault(topic.id, []).append(full_id)
        self.hints: dict[str, str] = {}
        self.searches = 0

    def __call__(self, ref: str) -> str:
        """A hint for ``ref``, a full id or (in a track) a bare one."""
        if ref in self.hints:
            return self.hints[ref]
        same_id = self.by_bare.get(ref.rpartition("/")[2])  # the topic is in another roadmap
        if same_id:
            hint = suggest(ref, same_id) if "/" in ref else did_you_mean(same_id[:3])
        elif self.searches < MAX_HINT_SEARCHES:
            self.searches += 1
            hint = suggest(ref, self.known)
        else:
            return ""
        self.hints[ref] = hint
        return hint


def _check_references(roadmaps: dict[str, Roadmap], sources: dict[str, _Source]) -> list[Problem]:
    problems: list[Problem] = []
    known = {t.full_id: t for r in roadmaps.values() for t in r.topics}
    hint = TopicHints(known)
    for rid, roadmap in roadmaps.items():
        source = sources[rid]
        for i, req in enumerate(roadmap.requires):
            if req not in roadmaps:
                problems.append(
                    source.located.problem(
                        ("requires", i), f"requires roadmap '{req}', which does not exist"
                    )
                )
        for topic in roadmap.topics:
            for i, req in enumerate(topic.requires):
                if req == topic.full_id:
                    message = "a topic cannot require itself"
                elif req not in known:
                    message = f"requires '{req}', which is not a topic{hint(req)}"
                else:
                    continue
                problems.append(source.topic_problem(topic.id, ("requires", i), message))
    for cycle in find_cycles({full_id: t.requires for full_id, t in known.items()}):
        first = known[cycle[0]]
        chain = " -> ".join([*cycle, cycle[0]])
        problems.append(
            sources[first.roadmap].topic_problem(
                first.id,
                ("requires", first.requires.index(cycle[1])),
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
    for root, root_edges in graph.items():
        if root in index:
            continue
        work: list[tuple[str, int, tuple[str, ...]]] = [(root, 0, root_edges)]
        while work:
            node, edge, edges = work.pop()
            if edge == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            if edge < len(edges):
                work.append((node, edge + 1, edges))
                nxt = edges[edge]
                if nxt not in graph:
                    continue
                if nxt not in index:
                    work.append((nxt, 0, graph[nxt]))
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
    try:
        st = path.stat()
    except OSError:  # a dangling link, a file gone since its folder was listed: reading says so
        return [str(path), None]
    return [str(path), st.st_size, st.st_mtime_ns, st.st_ino]


def _cache_key(
    files: Sequence[tuple[Path, bool]], tracks: Sequence[tuple[Path, bool]] = ()
) -> list[Any]:
    """What a cached catalogue depends on: the mlpath version, the files of the code that
    reads and validates roadmaps and tracks (so that an edited checkout is keyed too), and
    every roadmap and track file (each identity names its path, so that a file moved from
    one folder to the other is a new key)."""
    here = Path(__file__)
    code = [here, *(here.with_name(n) for n in ("schema.py", "yamlload.py", "tracks.py"))]
    return [
        CACHE_FORMAT,
        __version__,
        sys.implementation.cache_tag,  # marshal's format is the interpreter's
        *(_identity(p) for p in code),
        *(_identity(p) for p, _ in files),
        *(_identity(p) for p, _ in tracks),
    ]


CACHE_NAME = "roadmaps.cache"
OLD_CACHE_NAME = "roadmaps.json"  # format 5 and before: one JSON document


def _cache_file() -> Path:
    return paths.cache_dir() / CACHE_NAME


def _read_cache(key: list[Any]) -> Catalog | None:
    """The cached catalogue, or None when it is stale or damaged in any way."""
    try:
        raw = _read_cache_bytes(_cache_budget(key))
        if raw is None:
            return None
        head, texts = _split_cache(raw)
        payload = marshal.loads(head)
        if type(payload) is not dict or payload.get("key") != key:
            return None
        return _catalog_from_rows(payload["roadmaps"], payload["tracks"], texts)
    except Exception:  # whatever is wrong with it, rebuild it
        return None


_MAGIC = b"mlpath roadmaps\n"


def _framed(data: bytes) -> bytes:
    """``data`` after its size and CRC-32 (4 bytes each)."""
    return len(data).to_bytes(4, "big") + zlib.crc32(data).to_bytes(4, "big") + data


def _frame_end(raw: bytes, start: int) -> int:
    """Where the frame at ``start`` ends; _Damaged unless it is whole and its CRC matches."""
    size = int.from_bytes(raw[start : start + 4], "big")
    end = start + 8 + size
    _expect(start + 8 <= end <= len(raw))
    _expect(zlib.crc32(raw[start + 8 : end]) == int.from_bytes(raw[start + 4 : start + 8], "big"))
    return end


def _unframed(frame: bytes) -> bytes:
    """The data of ``frame``, a frame and nothing more, checked."""
    _expect(_frame_end(frame, 0) == len(frame))
    return frame[8:]


def _split_cache(raw: bytes) -> tuple[bytes, bytes]:
    """The cache's graph, checked, and the rest (each roadmap's prose, framed, one after
    another, checked only when it is decoded)."""
    _expect(raw.startswith(_MAGIC))
    end = _frame_end(raw, len(_MAGIC))
    return raw[len(_MAGIC) + 8 : end], raw[end:]


def _cache_budget(key: list[Any]) -> int:
    """The most bytes a cache of the files in ``key`` can hold: their text once more, with
    room to spare. Anything bigger is not a cache of them and is not read."""
    sizes: list[int] = [identity[1] for identity in key if type(identity) is list]
    return 1024 * 1024 + 8 * sum(sizes)


def _read_cache_bytes(limit: int) -> bytes | None:
    # Without blocking: a FIFO in the cache's place must not hang every command.
    fd = os.open(_cache_file(), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        with open(fd, "rb", closefd=False) as fh:
            raw = fh.read(limit + 1)
        return raw if len(raw) <= limit else None
    finally:
        os.close(fd)


def _write_cache(key: list[Any], catalog: Catalog) -> None:
    from mlpath.fileio import atomic_write_bytes

    texts = [_framed(_texts_to_rows(r, catalog)) for r in catalog.roadmaps.values()]
    payload = {
        "key": key,
        "roadmaps": [
            _roadmap_to_row(r, len(t))
            for r, t in zip(catalog.roadmaps.values(), texts, strict=True)
        ],
        "tracks": [
            [t.id, t.title, t.summary, list(t.topics), t.source, t.builtin]
            for t in catalog.tracks.values()
        ],
    }
    head = _framed(marshal.dumps(payload))
    target = _cache_file()
    with contextlib.suppress(OSError):  # an unwritable cache only costs speed
        if _make_room_for_cache(target):
            atomic_write_bytes(target, b"".join([_MAGIC, head, *texts]))
            _remove_old_cache(target.with_name(OLD_CACHE_NAME))


def _remove_old_cache(old: Path) -> None:
    """The cache file an earlier mlpath wrote, under its own name: a file, not a folder or
    a link (nothing else of ours would be there)."""
    if old.is_file() and not old.is_symlink():
        old.unlink()


def _make_room_for_cache(target: Path) -> bool:
    """Whether the cache can be written at ``target``, after taking away an empty folder or
    a FIFO or socket there (nothing but the cache belongs at that name). A non-empty folder
    is left alone (rmdir refuses), and so is a link to anything but a file."""
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return True
    if stat.S_ISREG(mode):
        return True
    if os.path.islink(target):
        return False
    if stat.S_ISDIR(mode):
        os.rmdir(target)
    else:
        os.unlink(target)
    return True


def _texts_to_rows(r: Roadmap, catalog: Catalog) -> bytes:
    texts = [
        [t.summary, [list(x) for x in t.resources], list(t.projects), list(t.checks)]
        for t in map(catalog.text, r.topics)
    ]
    return marshal.dumps([r.id, texts])  # the id: prose in another roadmap's place is damage


def _roadmap_to_row(r: Roadmap, texts_size: int) -> dict[str, Any]:
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
                "topics": [[t.id, t.title, t.hours, list(t.requires), t.checks] for t in s.topics],
            }
            for s in r.stages
        ],
        "texts": texts_size,  # bytes of its framed prose, after the graph, in roadmap order
    }


class _Damaged(ValueError):
    """The cache holds something ``_write_cache`` does not write."""


def _expect(ok: bool) -> None:
    if not ok:
        raise _Damaged


def _str(value: Any) -> str:
    _expect(type(value) is str)
    return cast(str, value)


def _strs(value: Any) -> tuple[str, ...]:
    _expect(type(value) is list)
    "".join(value)  # TypeError unless every item is text
    return tuple(value)


def _catalog_from_rows(rows: Any, track_rows: Any, texts: bytes) -> Catalog:
    """The catalogue a cache holds, checked to have the shape ``_write_cache`` gives it: a
    damaged value raises here rather than surfacing later as a wrong answer or a crash.
    ``texts``: the roadmaps' prose, undecoded, one after another."""
    _expect(type(rows) is list and type(track_rows) is list)
    roadmaps: dict[str, Roadmap] = {}
    packed: dict[str, bytes] = {}
    start = 0
    for r in rows:
        _expect(type(r) is dict)
        roadmap = _roadmap_from_row(r)
        _expect(roadmap.id not in roadmaps)
        roadmaps[roadmap.id] = roadmap
        size = r["texts"]
        _expect(type(size) is int and 0 < size <= len(texts) - start)
        packed[roadmap.id] = texts[start : start + size]
        start += size
    _expect(start == len(texts))
    catalog = Catalog(roadmaps, {}, packed)
    for row in track_rows:
        track = _track_from_row(row)
        _expect(track.id not in catalog.tracks and all(t in catalog.topics for t in track.topics))
        catalog.tracks[track.id] = track
    return catalog


def _track_from_row(row: Any) -> Track:
    _expect(type(row) is list and len(row) == 6)
    tid, title, summary, topics, source, builtin = row
    _expect(type(builtin) is bool and type(topics) is list and len(topics) > 0)
    return Track(_str(tid), _str(title), _str(summary), _strs(topics), _str(source), builtin)


def _roadmap_from_row(r: dict[str, Any]) -> Roadmap:
    rid = _str(r["id"])
    stages = r["stages"]
    _expect(type(stages) is list)
    builtin = r["builtin"]
    _expect(type(builtin) is bool)
    return Roadmap(
        rid,
        _str(r["title"]),
        _str(r["summary"]),
        _strs(r["requires"]),
        tuple(_stage_from_row(rid, s) for s in stages),
        _str(r["source"]),
        builtin,
    )


_NUMBERS = frozenset({int, float})
_LIST = frozenset({list})
_INT = frozenset({int})


def _types(values: Iterable[Any]) -> set[type]:
    return set(map(type, values))


def _stage_from_row(rid: str, s: Any) -> Stage:
    _expect(type(s) is dict)
    sid, summary, rows = _str(s["id"]), s["summary"], s["topics"]
    _expect((summary is None or type(summary) is str) and type(rows) is list and len(rows) > 0)
    # Every command reads these thousands of rows, so they are checked and made a column at a
    # time, by loops that run in C: no Python call per topic.
    _expect(_types(rows) <= _LIST and set(map(len, rows)) == {5})
    tids, titles, hours, requires, checks = zip(*rows, strict=True)
    "".join(tids + titles)  # TypeError unless every one is text
    _expect(_types(hours) <= _NUMBERS and _types(requires) <= _LIST and _types(checks) <= _INT)
    "".join(chain.from_iterable(requires))
    columns = zip(
        repeat(rid), repeat(sid), tids, titles, map(float, hours), map(tuple, requires),
        map(f"{rid}/".__add__, tids), checks,
    )  # fmt: skip
    # tuple.__new__ makes each Topic from its fields as Topic(...) would, minus the call.
    topics = tuple(map(tuple.__new__, repeat(Topic), columns))
    return Stage(sid, _str(s["title"]), summary, topics)


def _texts_from_rows(packed: bytes, roadmap_id: str, count: int) -> list[TopicText]:
    whole = marshal.loads(_unframed(packed))
    _expect(type(whole) is list and len(whole) == 2 and whole[0] == roadmap_id)
    rows = whole[1]
    _expect(type(rows) is list and len(rows) == count)
    return [_text_from_row(row) for row in rows]


def _text_from_row(row: Any) -> TopicText:
    _expect(type(row) is list and len(row) == 4)
    summary, resources, projects, checks = row
    _expect(type(resources) is list)
    return TopicText(
        _str(summary),
        tuple(map(_resource_from_row, resources)),
        _strs(projects),
        _strs(checks),
    )


def _resource_from_row(value: Any) -> Resource:
    title, url, kind = _strs(value)  # not three: ValueError, which is damage too
    return Resource(title, url, kind)
