"""Tracks: named selections of topics across roadmaps, with their own progress, next topics,
finish date and plan (`mlpath track list | show | follow | unfollow | validate`).

A track file (schema 1) lists full topic ids. It must be closed under prerequisites: every
prerequisite of a listed topic is listed too, so that following the track never leaves a
topic waiting on one the learner cannot see. The order of the list is a preference, not a
rule: it need not put prerequisites first, since `next` offers only topics whose
prerequisites are finished and `plan` places prerequisites first anyway.

Following a track is the setting ``track`` (see ``mlpath.store.registers``): from then on the
learner's path (``progress.on_path``) is the track's topics, as each roadmap cut down to
them, so status, next, plan, review and report cover the track with no code of their own.
"""

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlpath import paths, progress
from mlpath.errors import InvalidInputError, Problem
from mlpath.pace import Pace
from mlpath.progress import FINISHED, STATUS_NEXT, States, TopicRow, state_of, topic_row
from mlpath.roadmaps import (
    Catalog,
    Roadmap,
    Topic,
    TopicHints,
    Track,
    build_catalog,
    roadmap_files,
    track_files,
)
from mlpath.store import Store, registers
from mlpath.store import topics as topic_store
from mlpath.tuples import NamedTuple

if TYPE_CHECKING:
    from mlpath.roadmap_ops import ValidateResult
    from mlpath.yamlload import Located


class TrackProgress(NamedTuple):
    id: str
    title: str
    topics: int
    finished: int  # done + skipped
    percent: float
    hours_total: float
    hours_left: float


class TrackSummary(NamedTuple):
    id: str
    title: str
    summary: str
    topics: int
    hours: float
    finished: int
    percent: float
    followed: bool
    builtin: bool
    source: str


class TrackRoadmap(NamedTuple):
    """The part of one roadmap a track takes."""

    id: str
    title: str
    total: int
    finished: int
    hours_left: float
    topics: list[TopicRow]


class TrackDetail(NamedTuple):
    id: str
    title: str
    summary: str
    followed: bool
    builtin: bool
    source: str
    topics: int
    finished: int
    percent: float
    hours_total: float
    hours_left: float
    finish: str | None  # the Sunday of the plan's week that finishes it, at the learner's pace
    pace: Pace
    next: list[TopicRow]  # ready to learn within the track
    roadmaps: list[TrackRoadmap]


class PathSize(NamedTuple):
    """What status, next and plan cover."""

    track: str | None  # the followed track, or None: the followed roadmaps
    roadmaps: list[str]
    topics: int
    hours_left: float


class FollowResult(NamedTuple):
    track: str | None  # the track followed after the command (None: none)
    was: str | None  # the one followed before it (perhaps one whose file is gone)
    changed: bool
    before: PathSize
    after: PathSize


# ------------------------------------------------------------------------------- loading


def build_tracks(
    models: "Sequence[tuple[Path, bool, Located, Any]]",
    known: dict[str, Topic],
    checked: Collection[Path] | None = None,
) -> tuple[dict[str, Track], list[Problem]]:
    """The tracks of the track files read (each file's path, whether it is built in, the
    document and its model), checked against the topics ``known``, and the problems found.
    ``checked``: the files being validated, listed first (see ``_clash``)."""
    problems: list[Problem] = []
    hint = TopicHints(known)
    found: dict[str, tuple[Track, Located]] = {}
    for path, builtin, located, model in models:
        if model.id in found:
            problems.extend(_clash(found[model.id], path, builtin, located, checked))
            continue
        topics = _checked_topics(model.topics, located, known, hint, problems)
        track = Track(model.id, model.title, model.summary, topics, str(path), builtin)
        found[model.id] = (track, located)
    ordered = sorted((t for t, _ in found.values()), key=lambda t: (not t.builtin, t.id))
    return {t.id: t for t in ordered}, problems


def _clash(
    held: "tuple[Track, Located]", path: Path, builtin: bool, located: "Located",
    checked: Collection[Path] | None,
) -> list[Problem]:  # fmt: skip
    """The problem of a second track file with the id of ``held`` (a track and its document).
    When files are being validated (``checked``), it is told in the checked one, whichever
    came first. An installed track of the learner's gives way to a checked file from
    elsewhere (a new version of it, to put in its place), but a built-in track never does,
    nor does one beside the checked file: every command would read both and stop."""
    track, held_at = held
    if checked is None or path.resolve() in checked:
        return [located.problem(("id",), f"track id '{track.id}' is already used by "
                                         f"{track.source}")]  # fmt: skip
    if not builtin and not _installed(Path(track.source)):
        return []
    return [held_at.problem(("id",), f"track id '{track.id}' is already used by {path}")]


def _installed(path: Path) -> bool:
    """Whether ``path`` is in a folder commands read tracks from."""
    folders = (paths.builtin_tracks_dir(), paths.user_tracks_dir())
    return path.resolve().parent in {f.resolve() for f in folders}


def _checked_topics(
    refs: Sequence[str], located: "Located", known: Mapping[str, Topic], hint: TopicHints,
    problems: list[Problem],
) -> tuple[str, ...]:  # fmt: skip
    """The topics of a track that name topics, once each; a problem for every other entry,
    then one for each prerequisite of a listed topic that the track leaves out (a topic
    named by its bare id is reported as such, not again as left out)."""
    listed: dict[str, int] = {}  # full id -> its place in the list
    meant: set[str] = set()  # what bare ids name, when only one topic has the id
    for i, ref in enumerate(refs):
        if "/" not in ref:
            message = f"'{ref}' is not a full topic id (roadmap/topic){hint(ref)}"
            same = hint.by_bare.get(ref, [])
            meant.update(same if len(same) == 1 else ())
        elif ref not in known:
            message = f"'{ref}' is not a topic{hint(ref)}"
        elif ref in listed:
            line = located.where(("topics", listed[ref]))[0]
            message = f"duplicate topic '{ref}' (first listed at line {line})"
        else:
            listed[ref] = i
            continue
        problems.append(located.problem(("topics", i), message))
    for ref, i in listed.items():
        for req in known[ref].requires:
            if req not in listed and req not in meant:
                problems.append(
                    located.problem(
                        ("topics", i), f"'{ref}' requires '{req}', which the track does not include"
                    )
                )
    return tuple(listed)


def partial_roadmaps(catalog: Catalog, track: Track) -> list[Roadmap]:
    """The track's topics as its roadmaps cut down to them: each roadmap, and within it each
    stage, where the track first names it; within a stage, the track's order. Stages with
    none of its topics are left out."""
    grouped: dict[str, dict[str, list[Topic]]] = {}
    for full_id in track.topics:
        topic = catalog.topics[full_id]
        grouped.setdefault(topic.roadmap, {}).setdefault(topic.stage, []).append(topic)
    cut: list[Roadmap] = []
    for roadmap_id, stages in grouped.items():
        roadmap = catalog.roadmaps[roadmap_id]
        whole = {s.id: s for s in roadmap.stages}
        kept = tuple(whole[sid]._replace(topics=tuple(ts)) for sid, ts in stages.items())
        cut.append(roadmap._replace(stages=kept))
    return cut


# ------------------------------------------------------------------------------ progress


def track_progress(catalog: Catalog, track: Track, states: States) -> TrackProgress:
    """(done + skipped) / topics, and hours, as a roadmap's progress is counted."""
    topics = [catalog.topics[t] for t in track.topics]
    finished = [t for t in topics if state_of(states, t.full_id) in FINISHED]
    total = sum(t.hours for t in topics)
    return TrackProgress(
        id=track.id,
        title=track.title,
        topics=len(topics),
        finished=len(finished),
        percent=round(100.0 * len(finished) / len(topics), 1) if topics else 100.0,
        hours_total=total,
        hours_left=total - sum(t.hours for t in finished),
    )


def list_tracks(catalog: Catalog, store: Store) -> list[TrackSummary]:
    states = topic_store.states(store)
    chosen = registers.setting(store, registers.TRACK_KEY)
    rows = []
    for track in catalog.tracks.values():
        done = track_progress(catalog, track, states)
        rows.append(
            TrackSummary(track.id, track.title, track.summary, done.topics, done.hours_total,
                         done.finished, done.percent, track.id == chosen, track.builtin,
                         track.source)
        )  # fmt: skip
    return rows


def show_track(catalog: Catalog, store: Store, track_id: str) -> TrackDetail:
    """A track whether it is followed or not: its progress, when the learner will finish it
    at their pace, what is ready next in it, and its topics roadmap by roadmap."""
    from mlpath.activity import outlook

    track = catalog.track(track_id)
    states = topic_store.states(store)
    cut = partial_roadmaps(catalog, track)
    topics = [t for r in cut for t in r.topics]
    done = track_progress(catalog, track, states)
    ahead = outlook(store, [(track.id, done.hours_left)], progress.tasks(topics, states))
    parts = []
    for roadmap in cut:
        part = progress.roadmap_progress(roadmap, states)
        rows = [topic_row(t, states) for t in roadmap.topics]
        parts.append(TrackRoadmap(roadmap.id, roadmap.title, part.total,
                                  part.done + part.skipped, part.hours_left, rows))  # fmt: skip
    return TrackDetail(
        id=track.id,
        title=track.title,
        summary=track.summary,
        followed=registers.setting(store, registers.TRACK_KEY) == track.id,
        builtin=track.builtin,
        source=track.source,
        topics=done.topics,
        finished=done.finished,
        percent=done.percent,
        hours_total=done.hours_total,
        hours_left=done.hours_left,
        finish=ahead.finish.date,
        pace=ahead.pace,
        next=[topic_row(t, states) for t in progress.ready_first(topics, states)[:STATUS_NEXT]],
        roadmaps=parts,
    )


# ----------------------------------------------------------------------------- following


def _size(catalog: Catalog, store: Store) -> PathSize:
    path = progress.on_path(catalog, store)
    states = topic_store.states(store)
    topics = [t for r in path.roadmaps for t in r.topics]
    left = sum(t.hours for t in topics if state_of(states, t.full_id) not in FINISHED)
    track = path.track.id if path.track else None
    return PathSize(track, [r.id for r in path.roadmaps], len(topics), left)


def follow(catalog: Catalog, store: Store, track_id: str | None) -> FollowResult:
    """Follow the track ``track_id`` (replacing the one followed, if any), or with None go
    back to the followed roadmaps; as one change that syncs and that undo takes back."""
    if track_id is not None:
        track_id = catalog.track(track_id).id  # raises with suggestions when unknown
    command = f"track follow {track_id}" if track_id else "track unfollow"
    with store.change(command) as change:
        # Read in the write transaction: when another terminal follows a track at the same
        # moment, what this one replaces and whether it changed anything are still true.
        was = registers.setting(store, registers.TRACK_KEY)
        before = _size(catalog, store)
        if was != track_id:
            change.record("setting", registers.TRACK_KEY, {"value": track_id})
        after = _size(catalog, store)
    return FollowResult(track_id, was, was != track_id, before, after)


# ---------------------------------------------------------------------------- validating


def validate_files(files: Sequence[Path]) -> "ValidateResult":
    """Check track files against the format, every installed roadmap and the installed
    tracks (one of the learner's with the id of a file from elsewhere gives way to it)."""
    # Here, not at the top: status imports this module when a track is followed.
    from mlpath.roadmap_ops import file_reports

    if not files:
        raise InvalidInputError("name at least one track file to validate")
    given = [p.resolve() for p in files]
    context = [(p, b) for p, b in track_files() if p.resolve() not in given]
    _, problems = build_catalog(
        roadmap_files(), tracks=[(p, False) for p in given] + context, focus=given,
        yield_to_focus=True,
    )  # fmt: skip
    return file_reports(files, problems)
