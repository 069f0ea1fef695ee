"""`mlpath report`: the learner's path as one page, from the same results the terminal
commands show (status, the plan, the journal's weekly sums, the projects), gathered here and
drawn by ``mlpath.render.report``."""

import datetime as dt
from pathlib import Path

from mlpath import activity, dates, progress, version
from mlpath.errors import InvalidInputError
from mlpath.plan import Plan
from mlpath.progress import FINISHED, StatusResult
from mlpath.roadmaps import Catalog, Topic
from mlpath.store import Store
from mlpath.store import checks as check_store
from mlpath.store import entries as entry_store
from mlpath.store import topics as topic_store
from mlpath.tuples import NamedTuple

CALENDAR_WEEKS = 53  # the activity calendar: a year, whole weeks


class StageRow(NamedTuple):
    title: str
    total: int
    finished: int
    hours_left: float


class RoadmapRow(NamedTuple):
    id: str
    title: str
    percent: float
    finished: int
    total: int
    hours_left: float
    finish: str | None
    stages: list[StageRow]


class WeekBar(NamedTuple):
    week: str
    start: str  # its Monday
    hours: float
    on_break: bool


class Point(NamedTuple):
    day: str  # a Sunday
    hours_left: float


class DoneTopic(NamedTuple):
    id: str
    title: str
    day: str | None
    checks: int
    ticked: int


class ProjectRow(NamedTuple):
    name: str
    template: str
    topics: list[str]
    commits: int
    last_commit: str | None
    path: str | None  # None in a public report
    commit_weeks: list[int]  # commits in each of the last 26 weeks, oldest first


class JournalEntry(NamedTuple):
    day: str
    hours: float | None
    text: str


class ReportData(NamedTuple):
    generated: str  # UTC stamp
    version: str
    public: bool
    status: StatusResult
    roadmaps: list[RoadmapRow]
    weeks: list[WeekBar]  # every week from the first logged one to this one
    calendar: list[activity.DayHours]  # the last 53 weeks, Monday to Sunday, day by day
    burndown: list[Point]  # hours left at the end of each week so far
    projection: list[Point]  # and at the end of each planned week
    done: list[DoneTopic]  # newest first
    projects: list[ProjectRow]
    journal: list[JournalEntry] | None  # only with --include-journal


def report(
    catalog: Catalog,
    store: Store,
    *,
    include_journal: bool = False,
    public: bool = False,
    today: dt.date | None = None,
) -> ReportData:
    if public and include_journal:
        raise InvalidInputError("--public leaves the journal out: choose one of the two")
    today = today or dt.date.today()
    status, ahead = progress.status_and_outlook(catalog, store, today=today, with_plan=True)
    assert ahead.plan is not None
    states = topic_store.states(store)
    roadmaps = progress.scope(catalog, store, None)  # status's own: a track's cut-down ones
    finish = {r.id: r.date for r in status.finish.roadmaps}
    rows = []
    for roadmap, done in zip(roadmaps, status.roadmaps, strict=True):
        stages = [
            StageRow(
                s.title,
                len(s.topics),
                sum(1 for t in s.topics if progress.state_of(states, t.full_id) in FINISHED),
                sum(
                    t.hours
                    for t in s.topics
                    if progress.state_of(states, t.full_id) not in FINISHED
                ),
            )
            for s in roadmap.stages
        ]
        finished = done.done + done.skipped
        rows.append(RoadmapRow(roadmap.id, roadmap.title, done.percent, finished, done.total,
                               done.hours_left, finish.get(roadmap.id), stages))  # fmt: skip
    current = dates.week_index(dates.week_of(today))
    breaks = ahead.breaks
    sums = activity.weekly(store)
    first = min(sums, default=current)
    weeks = [
        WeekBar(dates.week_at(i), dates.monday(dates.week_at(i)).isoformat(),
                sums.get(i, (0.0, 0))[0], i in breaks)
        for i in range(first, current + 1)
    ]  # fmt: skip
    topics = [t for r in roadmaps for t in r.topics]
    past, projection = _burndown(topics, states, status.hours_left, first, current, ahead.plan)
    ticked = check_store.ticked_counts(store)
    done_rows = sorted(
        (
            DoneTopic(t.full_id, t.title, states[t.full_id][2] or states[t.full_id][1][:10],
                      t.checks, len([n for n in ticked.get(t.full_id, ()) if n <= t.checks]))
            for t in topics
            if progress.state_of(states, t.full_id) == "done"
        ),
        key=lambda d: (d.day or "", d.id),
        reverse=True,
    )  # fmt: skip
    return ReportData(
        generated=dates.utc_stamp(dt.datetime.now(dt.UTC)),
        version=version(),
        public=public,
        status=status,
        roadmaps=rows,
        weeks=weeks,
        calendar=activity.calendar(store, CALENDAR_WEEKS, today, breaks),
        burndown=past,
        projection=projection,
        done=done_rows,
        projects=_projects(store, public, current),
        journal=_journal(store) if include_journal else None,
    )


def _burndown(
    topics: list[Topic], states: progress.States, left_now: float, first: int, current: int,
    plan: Plan,
) -> tuple[list[Point], list[Point]]:  # fmt: skip
    """Hours left at the end of each week: so far, from the days the topics now finished were
    finished on; ahead, from the plan."""
    finished_in: dict[int, float] = {}
    for t in topics:
        state = states.get(t.full_id)
        if state and state[0] in FINISHED:
            day = state[2] or state[1][:10]
            week = max(dates.week_index(dates.week_of(dt.date.fromisoformat(day))), first)
            finished_in[week] = finished_in.get(week, 0.0) + t.hours
    total = left_now + sum(finished_in.values())
    past: list[Point] = []
    for index in range(first, current + 1):
        total -= finished_in.get(index, 0.0)
        past.append(Point(_sunday(index), round(max(total, 0.0), 2)))
    ahead: list[Point] = []
    remaining = left_now
    for planned in plan.weeks:
        remaining -= planned.hours
        ahead.append(Point(planned.end, round(max(remaining, 0.0), 2)))
    return past, ahead


def _sunday(index: int) -> str:
    return (dates.monday(dates.week_at(index)) + dt.timedelta(days=6)).isoformat()


def _projects(store: Store, public: bool, current: int) -> list[ProjectRow]:
    """Each project with its commits: one `git log` a project, read for the count, the last
    commit and the weeks."""
    from mlpath import projects
    from mlpath.store import projects as project_store

    host = projects.this_host()
    rows = []
    for record in project_store.every(store):
        folder = Path(record.path)
        here = record.host in (None, host) and folder.is_dir()
        times = projects.commit_times(folder) if here else []
        weekly = [0] * 26
        for stamp in times:
            day = dt.datetime.fromisoformat(stamp).astimezone().date()
            back = current - dates.week_index(dates.week_of(day))
            if 0 <= back < 26:
                weekly[25 - back] += 1
        last = dates.utc_stamp(dt.datetime.fromisoformat(times[0])) if times else None
        # A template named by its folder or zip file is a local path too: its name only.
        template = Path(record.template).name if public else record.template
        rows.append(ProjectRow(record.name, template, record.topics, len(times), last,
                               None if public else record.path, weekly))  # fmt: skip
    return rows


def _journal(store: Store) -> list[JournalEntry]:
    return [JournalEntry(e.day, e.hours, e.text) for e in reversed(entry_store.visible(store))]


def write(data: ReportData, file: Path, badge_file: Path | None = None) -> None:
    """Render the page (and the badge) and write them, each atomically. Both are made, and
    their folders checked, before either is written; should the badge still fail, the message
    says that the page was written."""
    from mlpath import paths
    from mlpath.fileio import write_named_file
    from mlpath.render.report import badge, page

    if badge_file is not None and _same(file, badge_file):
        raise InvalidInputError(
            f"-o and --badge both name {paths.display(file)}: the badge would replace the page"
        )
    html = page(data).encode("utf-8")
    svg = badge(data).encode("utf-8") if badge_file is not None else b""
    for target in (file, badge_file):
        if target is not None and not _folder_of(target).is_dir():
            raise InvalidInputError(
                f"cannot write {paths.display(target)} (no folder "
                f"{paths.display(_folder_of(target))}); nothing was changed"
            )
    write_named_file(file, html)
    if badge_file is not None:
        try:
            write_named_file(badge_file, svg)
        except InvalidInputError as exc:
            said = exc.message.removesuffix("; nothing was changed")
            raise InvalidInputError(
                f"{said}; the report was written to {paths.display(file)}"
            ) from None


def _folder_of(path: Path) -> Path:
    try:
        return (path.resolve() if path.is_symlink() else path).parent
    except (OSError, RuntimeError):
        return path.parent


def _same(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve()
    except (OSError, RuntimeError):
        return one == other
