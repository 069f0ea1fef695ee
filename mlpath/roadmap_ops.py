"""The `mlpath roadmap` commands: list, show, validate, add, follow and unfollow."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlpath import paths
from mlpath.errors import InvalidInputError, MlpathError, Problem, RoadmapError
from mlpath.progress import followed, roadmap_progress, state_of
from mlpath.roadmaps import Catalog, build_catalog, roadmap_files
from mlpath.store import Store
from mlpath.store.topics import states as topic_states
from mlpath.tuples import NamedTuple


class RoadmapSummary(NamedTuple):
    id: str
    title: str
    summary: str
    topics: int
    hours: float
    percent: float
    followed: bool
    builtin: bool
    source: str


class RoadmapDetail(NamedTuple):
    id: str
    title: str
    summary: str
    requires: list[str]
    followed: bool
    builtin: bool
    source: str
    topics: int
    hours: float
    percent: float
    checks: int  # self-checks its topics list
    checks_ticked: int
    stages: list[dict[str, Any]]


class FileReport(NamedTuple):
    file: str
    ok: bool
    problems: list[str]


class ValidateResult(NamedTuple):
    files: list[FileReport]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)


class AddResult(NamedTuple):
    id: str
    title: str
    path: str
    followed: list[str]


class FollowResult(NamedTuple):
    id: str
    followed: list[str]
    changed: bool  # False: it was followed (or not) already
    track: str | None = None  # the followed track, which is the path while it is followed


def list_roadmaps(catalog: Catalog, store: Store) -> list[RoadmapSummary]:
    states = topic_states(store)
    chosen = set(followed(catalog, store))
    return [
        RoadmapSummary(
            id=r.id,
            title=r.title,
            summary=r.summary,
            topics=len(r.topics),
            hours=r.total_hours,
            percent=roadmap_progress(r, states).percent,
            followed=r.id in chosen,
            builtin=r.builtin,
            source=r.source,
        )
        for r in catalog.roadmaps.values()
    ]


def show_roadmap(catalog: Catalog, store: Store, roadmap_id: str) -> RoadmapDetail:
    from mlpath.store.checks import ticked_counts

    roadmap = catalog.roadmap(roadmap_id)
    states = topic_states(store)
    ticked = ticked_counts(store)
    stages = [
        {
            "id": s.id,
            "title": s.title,
            "summary": s.summary,
            "topics": [
                {
                    "id": t.full_id,
                    "title": t.title,
                    "summary": text.summary,
                    "hours": t.hours,
                    "requires": list(t.requires),
                    "resources": [
                        {"title": x.title, "url": x.url, "kind": x.kind} for x in text.resources
                    ],
                    "projects": list(text.projects),
                    "checks": list(text.checks),
                    "checks_ticked": sorted(n for n in ticked.get(t.full_id, ()) if n <= t.checks),
                    "state": state_of(states, t.full_id),
                }
                for t, text in zip(s.topics, map(catalog.text, s.topics), strict=True)
            ],
        }
        for s in roadmap.stages
    ]
    done = roadmap_progress(roadmap, states, ticked)
    return RoadmapDetail(
        id=roadmap.id,
        title=roadmap.title,
        summary=roadmap.summary,
        requires=list(roadmap.requires),
        followed=roadmap.id in followed(catalog, store),
        builtin=roadmap.builtin,
        source=roadmap.source,
        topics=len(roadmap.topics),
        hours=roadmap.total_hours,
        percent=done.percent,
        checks=done.checks,
        checks_ticked=done.checks_ticked,
        stages=stages,
    )


def _validate_in_context(files: Sequence[Path]) -> tuple[Catalog, list[Problem]]:
    """Validate ``files`` against every installed roadmap (for cross-roadmap prerequisites).
    An installed roadmap with the same id as a file given here gives way to that file."""
    given = [p.resolve() for p in files]
    context = [(p, b) for p, b in roadmap_files() if p.resolve() not in given]
    return build_catalog([(p, False) for p in given] + context, focus=given, yield_to_focus=True)


def validate_files(files: Sequence[Path]) -> ValidateResult:
    if not files:
        raise InvalidInputError("name at least one roadmap file to validate")
    _, problems = _validate_in_context(files)
    return file_reports(files, problems)


def file_reports(files: Sequence[Path], problems: Sequence[Problem]) -> ValidateResult:
    """Each file given with its problems (`roadmap validate`, `track validate`)."""
    reports = []
    for path in files:
        shown = {paths.display(path.resolve()), str(path.resolve())}
        lines = [str(p) for p in problems if p.file in shown]
        reports.append(FileReport(paths.display(path.resolve()), not lines, lines))
    return ValidateResult(reports)


def add_roadmap(catalog: Catalog, store: Store, file: Path) -> AddResult:
    """Validate ``file``, copy it into the user's roadmaps and follow it."""
    from mlpath.fileio import atomic_write_bytes
    from mlpath.progress import set_followed

    checked, problems = _validate_in_context([file])
    if problems:
        raise RoadmapError(problems)
    source = str(file.resolve())
    new = next(r for r in checked.roadmaps.values() if r.source == source)
    if new.id in catalog.roadmaps:
        existing = catalog.roadmaps[new.id]
        where = "built in" if existing.builtin else f"in {existing.source}"
        raise MlpathError(f"a roadmap with id '{new.id}' already exists ({where}); change the id")
    target = paths.user_roadmaps_dir() / f"{new.id}.yaml"
    if target.exists():
        raise MlpathError(f"{target} already exists; remove it or change the roadmap id")
    try:
        atomic_write_bytes(target, file.read_bytes())
    except OSError as exc:
        raise MlpathError(f"cannot copy the roadmap to {target}: {exc.strerror}") from None
    from mlpath.roadmaps import load_catalog

    now = load_catalog()
    return AddResult(new.id, new.title, str(target), set_followed(now, store, new.id, True))
