"""Topic progress: where the learner stands, what to learn next, and recording changes."""

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING

from mlpath import dates
from mlpath.activity import (
    CALENDAR_WEEKS,
    DayHours,
    Outlook,
    WeekHours,
    WeekTotal,
    calendar,
    outlook,
)
from mlpath.errors import InvalidInputError, check_count
from mlpath.pace import Finish, Pace, Streak
from mlpath.roadmaps import DEFAULT_PATH, Catalog, Roadmap, Topic
from mlpath.store import Store, registers
from mlpath.store import topics as topic_store
from mlpath.store.topics import TopicChange
from mlpath.tuples import NamedTuple

FINISHED = frozenset({"done", "skipped"})
ACTIONS = {"start": "started", "done": "done", "skip": "skipped", "reset": "reset"}
STATUS_NEXT = 5
_NOT_STARTED = ("not-started", None, None)  # what ``states`` leaves out

States = dict[str, tuple[str, str, str | None]]  # topic -> (state, since, day)

if TYPE_CHECKING:
    from mlpath.journal import Entry
    from mlpath.plan import Task
    from mlpath.roadmaps import Track
    from mlpath.selfcheck import CheckRow
    from mlpath.tracks import TrackProgress


class TopicRow(NamedTuple):
    id: str
    title: str
    roadmap: str
    hours: float
    state: str  # not-started | started | done | skipped
    since: str | None  # UTC instant the state was recorded
    day: str | None  # the local day the change is about (YYYY-MM-DD)


class RoadmapProgress(NamedTuple):
    id: str
    title: str
    total: int
    done: int
    skipped: int
    started: int
    percent: float
    hours_total: float
    hours_left: float
    checks: int  # self-checks its topics list
    checks_ticked: int


class Goal(NamedTuple):
    date: str  # the goal date the learner set
    hours_per_week: float | None  # the pace that finishes by it; None when no week is left
    pace: float  # the current pace
    on_track: bool
    weeks: int  # weeks left to learn in before it (break weeks left out)


class StatusResult(NamedTuple):
    roadmaps: list[RoadmapProgress]
    in_progress: list[TopicRow]
    next: list[TopicRow]
    hours_left: float
    store: str
    activity: list[WeekHours]  # the last 26 weeks, oldest first, this week last
    calendar: list[DayHours]  # the days of the last 52 weeks, Monday first, up to today
    this_week: WeekTotal
    streak: Streak
    pace: Pace
    finish: Finish
    goal_date: Goal | None  # where the learner stands against the goal date they set
    recall_due: int  # finished topics due for a recall
    track: "TrackProgress | None"  # the followed track, when status covers it
    track_missing: str | None  # a followed track that no longer exists (status fell back)


class Blocked(NamedTuple):
    id: str
    waits_on: list[str]  # its prerequisites not finished


class NextResult(NamedTuple):
    topics: list[TopicRow]
    roadmaps: list[str]
    blocked: list[Blocked]  # when nothing is ready: the first topics left, and what they wait on


class Change(NamedTuple):
    topic: TopicRow
    before: str
    after: str
    unmet: Sequence[str] = ()  # prerequisites not finished (a warning)
    open_checks: int = 0  # self-checks not ticked (said when a topic is done)


class MarkResult(NamedTuple):
    action: str
    changed: list[Change]
    unchanged: list[TopicRow]
    unlocked: list[TopicRow]
    roadmaps: list[RoadmapProgress]


class Link(NamedTuple):
    id: str
    title: str
    state: str


class TopicDetail(NamedTuple):
    id: str
    title: str
    roadmap: str
    roadmap_title: str
    stage: str
    stage_title: str
    summary: str
    hours: float
    state: str
    since: str | None
    day: str | None
    resources: list[dict[str, str]]
    checks: "list[CheckRow]"
    projects: list[str]
    requires: list[Link]
    unlocks: list[Link]
    history: list[TopicChange]
    notes: "list[Entry]"


# ------------------------------------------------------------------------------- helpers


def state_of(states: States, topic_id: str) -> str:
    return states.get(topic_id, _NOT_STARTED)[0]


def topic_row(topic: Topic, states: States) -> TopicRow:
    """``topic`` with the learner's state of it."""
    state, since, day = states.get(topic.full_id, _NOT_STARTED)
    return TopicRow(topic.full_id, topic.title, topic.roadmap, topic.hours, state, since, day)


def roadmap_progress(
    roadmap: Roadmap, states: States, ticked: dict[str, set[int]] | None = None
) -> RoadmapProgress:
    """How far the learner is through ``roadmap``: (done + skipped) / topics, hours, and
    self-checks ticked (``ticked``: the numbers ticked by topic)."""
    counts = {"done": 0, "skipped": 0, "started": 0}
    hours = left = 0.0
    checks = ticks = 0
    topics = roadmap.topics
    ticked = ticked or {}
    get = states.get
    for topic in topics:
        state = (get(topic.full_id) or _NOT_STARTED)[0]
        if state in counts:
            counts[state] += 1
        hours += topic.hours
        if state not in FINISHED:
            left += topic.hours
        checks += topic.checks
        if ticked and topic.full_id in ticked:
            ticks += sum(1 for n in ticked[topic.full_id] if n <= topic.checks)
    total = len(topics)
    finished = counts["done"] + counts["skipped"]
    return RoadmapProgress(
        id=roadmap.id,
        title=roadmap.title,
        total=total,
        done=counts["done"],
        skipped=counts["skipped"],
        started=counts["started"],
        percent=round(100.0 * finished / total, 1) if total else 100.0,
        hours_total=hours,
        hours_left=left,
        checks=checks,
        checks_ticked=ticks,
    )


def _unmet(topic: Topic, states: States) -> list[str]:
    return [r for r in topic.requires if state_of(states, r) not in FINISHED]


def _ready(topics: Iterable[Topic], states: States) -> list[Topic]:
    return [
        t for t in topics if state_of(states, t.full_id) not in FINISHED and not _unmet(t, states)
    ]


def ready_first(topics: Iterable[Topic], states: States) -> list[Topic]:
    """The topics ready to learn: in progress first, each group in the order given."""
    ready = _ready(topics, states)
    ready.sort(key=lambda t: state_of(states, t.full_id) != "started")  # stable
    return ready


# ------------------------------------------------------------------------------ followed


def followed(catalog: Catalog, store: Store) -> list[str]:
    """Followed roadmap ids in path order: the default path, changed by the learner's
    follows and unfollows (each its own event, so two machines' choices both hold)."""
    chosen = registers.follows(store)
    return [rid for rid in catalog.roadmaps if chosen.get(rid, rid in DEFAULT_PATH)]


def set_followed(catalog: Catalog, store: Store, roadmap_id: str, follow: bool) -> list[str]:
    catalog.roadmap(roadmap_id)  # raises with suggestions when unknown
    verb = "follow" if follow else "unfollow"
    with store.change(f"roadmap {verb} {roadmap_id}") as change:
        if (roadmap_id in followed(catalog, store)) != follow:
            change.record("follow", roadmap_id, {"on": follow})
    return followed(catalog, store)


class OnPath(NamedTuple):
    """What status, next and plan cover: the followed track's topics, else the followed
    roadmaps."""

    roadmaps: list[Roadmap]  # a track's: each roadmap cut down to the track's topics
    track: "Track | None"
    missing: str | None  # the id of a followed track that no longer exists


def on_path(catalog: Catalog, store: Store) -> OnPath:
    """The learner's path: the followed track (one settings read finds there is none)."""
    chosen = registers.setting(store, registers.TRACK_KEY)
    track = catalog.tracks.get(chosen) if chosen is not None else None
    if track is None:
        roadmaps = [catalog.roadmaps[rid] for rid in followed(catalog, store)]
        return OnPath(roadmaps, None, chosen)
    from mlpath.tracks import partial_roadmaps

    return OnPath(partial_roadmaps(catalog, track), track, None)


def scope(catalog: Catalog, store: Store, roadmap_id: str | None) -> list[Roadmap]:
    """The roadmaps a command covers: all of ``roadmap_id``, else the learner's path."""
    if roadmap_id is not None:
        return [catalog.roadmap(roadmap_id)]
    return on_path(catalog, store).roadmaps


# ------------------------------------------------------------------------------ commands


def tasks(topics: Iterable[Topic], states: States) -> "list[Task]":
    """The topics still to learn, as the plan takes them (in the order given)."""
    from mlpath.plan import Task

    get = states.get
    return [
        Task(t.full_id, t.title, t.roadmap, t.hours, state == "started", t.requires)
        for t in topics
        if (state := (get(t.full_id) or _NOT_STARTED)[0]) not in FINISHED
    ]


def goal(store: Store, ahead: "Outlook", hours_left: float, today: dt.date) -> Goal | None:
    """Where the learner stands against the goal date they set, if they set one."""
    from mlpath import config
    from mlpath.plan import needed

    chosen = config.goal_date(store)
    if chosen is None:
        return None
    need = needed(hours_left, chosen, today, ahead.this_week.hours, ahead.breaks)
    finish = ahead.finish.date
    on_track = not hours_left or (finish is not None and finish <= chosen.isoformat())
    return Goal(chosen.isoformat(), need.hours_per_week, ahead.pace.hours_per_week, on_track,
                need.weeks)  # fmt: skip


def status(
    catalog: Catalog, store: Store, roadmap_id: str | None = None, today: dt.date | None = None
) -> StatusResult:
    return status_and_outlook(catalog, store, roadmap_id, today)[0]


def status_and_outlook(
    catalog: Catalog,
    store: Store,
    roadmap_id: str | None = None,
    today: dt.date | None = None,
    *,
    with_plan: bool = False,
) -> tuple[StatusResult, Outlook]:
    """Status, and the outlook it was made from (with the week-by-week plan if asked): for
    the report, which draws both and must not work them out twice."""
    from mlpath.store import checks as check_store

    today = today or dt.date.today()
    path = on_path(catalog, store) if roadmap_id is None else None
    roadmaps = path.roadmaps if path else scope(catalog, store, roadmap_id)
    states = topic_store.states(store)
    topics = [t for r in roadmaps for t in r.topics]
    ticked = check_store.ticked_counts(store)
    progress = [roadmap_progress(r, states, ticked) for r in roadmaps]
    in_progress: list[TopicRow] = []
    fresh: list[Topic] = []  # ready and not started, the first few
    for t in topics:
        found = states.get(t.full_id)
        if found is None:  # not started (a reset topic is not in ``states``)
            if len(fresh) < STATUS_NEXT and not _unmet(t, states):
                fresh.append(t)
        elif found[0] == "started":
            in_progress.append(topic_row(t, states))
    left = [(p.id, p.hours_left) for p in progress]
    ahead = outlook(store, left, tasks(topics, states), today, with_plan=with_plan)
    hours_left = sum(p.hours_left for p in progress)
    result = StatusResult(
        roadmaps=progress,
        in_progress=in_progress,
        next=[topic_row(t, states) for t in fresh],
        hours_left=hours_left,
        store=store.label,
        activity=ahead.activity,
        calendar=calendar(store, CALENDAR_WEEKS, today, ahead.breaks, until=today),
        this_week=ahead.this_week,
        streak=ahead.streak,
        pace=ahead.pace,
        finish=ahead.finish,
        goal_date=_path_goal(catalog, store, states, roadmap_id, ahead, hours_left, today),
        recall_due=recall_due(store, ahead.breaks, catalog.topics.keys()),
        track=_track_progress(catalog, path, states),
        track_missing=path.missing if path else None,
    )
    return result, ahead


def _track_progress(
    catalog: Catalog, path: OnPath | None, states: States
) -> "TrackProgress | None":
    if path is None or path.track is None:
        return None
    from mlpath.tracks import track_progress

    return track_progress(catalog, path.track, states)


def _path_goal(
    catalog: Catalog, store: Store, states: States, roadmap_id: str | None, ahead: Outlook,
    hours_left: float, today: dt.date,
) -> Goal | None:  # fmt: skip
    """The goal date is for the followed roadmaps, whatever one ``--roadmap`` shows."""
    from mlpath import config

    if roadmap_id is None or config.goal_date(store) is None:
        return goal(store, ahead, hours_left, today)
    return path_outlook(catalog, store, today, states)[1]


def path_outlook(
    catalog: Catalog, store: Store, today: dt.date, states: States | None = None
) -> tuple[Outlook, Goal | None]:
    """The outlook of the learner's whole path (pace, streak, finish dates) and where they
    stand against their goal date: what `review` shows of status, without the rest."""
    path = on_path(catalog, store).roadmaps
    states = topic_store.states(store) if states is None else states
    left = [(r.id, roadmap_progress(r, states).hours_left) for r in path]
    topics = [t for r in path for t in r.topics]
    whole = outlook(store, left, tasks(topics, states), today)
    return whole, goal(store, whole, sum(h for _, h in left), today)


def recall_due(
    store: Store, breaks: set[int], known: Collection[str], now: "dt.datetime | None" = None
) -> int:
    """How many finished topics are due for a recall (read from the cards, without the
    scheduler); ``known``: the topics of the catalogue (a card whose roadmap was removed is
    not counted, as `recall` does not list it)."""
    from mlpath.store import recall

    now = now or dt.datetime.now(dt.UTC)
    moment = dates.utc_stamp(now)
    if not breaks:  # nothing pushes a review back: each card due by now is due
        return sum(1 for topic in recall.due_topics(store, moment) if topic in known)
    from mlpath.recall_core import still_due

    pauses = sorted(breaks)
    return sum(
        1
        for topic, due, last in recall.due_by(store, moment)
        if topic in known and still_due(due, last, pauses, now)
    )


def next_topics(
    catalog: Catalog, store: Store, limit: int = 5, roadmap_id: str | None = None
) -> NextResult:
    check_count(limit)
    roadmaps = scope(catalog, store, roadmap_id)
    states = topic_store.states(store)
    topics = [t for r in roadmaps for t in r.topics]
    ready = ready_first(topics, states)
    blocked = [] if ready else [
        Blocked(t.full_id, _unmet(t, states))
        for t in topics if state_of(states, t.full_id) not in FINISHED
    ][:limit]  # fmt: skip
    return NextResult(
        [topic_row(t, states) for t in ready[:limit]], [r.id for r in roadmaps], blocked
    )


def mark(
    catalog: Catalog,
    store: Store,
    refs: Sequence[str],
    action: str,
    note: str | None = None,
    date: str | None = None,
    today: dt.date | None = None,
) -> MarkResult:
    """Move topics to the state ``action`` names, as one change; unchanged ones are left.
    ``date`` is the day the change is about (default today), in the words of ``log --date``."""
    target = ACTIONS[action]
    topics = list({t.full_id: t for t in (catalog.resolve(r) for r in refs)}.values())
    if note is not None:
        note = note.strip()
        if not note:
            raise InvalidInputError("--note is empty: leave it out, or say something")
    today = today or dt.date.today()
    day = (dates.past_day(date, today) if date is not None else today).isoformat()
    after = "not-started" if target == "reset" else target
    with store.change(f"{action} {' '.join(t.full_id for t in topics)}") as change:
        states = topic_store.states(store)
        moving = [t for t in topics if state_of(states, t.full_id) != after]
        planned = _planned(states, moving, target)
        changed = [
            Change(
                topic_row(t, states),
                state_of(states, t.full_id),
                after,
                _unmet(t, planned) if target in ("started", "done") else [],
            )
            for t in moving
        ]
        for c in changed:
            change.record("topic", c.topic.id, {"state": target, "note": note}, day)
        # Only the topics moved can have changed (the change holds the store's write lock):
        # their rows are read again, not all.
        moved = [t.full_id for t in moving]
        gone = set(moved)
        new_states = {k: v for k, v in states.items() if k not in gone}
        new_states.update(topic_store.states_of(store, moved))
        unchanged = [topic_row(t, states) for t in topics if t not in moving]
        unlocked = _unlocked(catalog, store, topics, states, new_states)
    touched = {t.roadmap for t in topics}
    if target == "done":
        from mlpath.selfcheck import open_count

        changed = [
            c._replace(open_checks=open_count(store, c.topic.id, catalog.topics[c.topic.id].checks))
            for c in changed
        ]
    return MarkResult(
        action=action,
        changed=[
            Change(
                topic_row(catalog.topics[c.topic.id], new_states),
                c.before,
                c.after,
                c.unmet,
                c.open_checks,
            )
            for c in changed
        ],
        unchanged=unchanged,
        unlocked=unlocked,
        roadmaps=[
            roadmap_progress(r, new_states) for r in catalog.roadmaps.values() if r.id in touched
        ],
    )


def _planned(states: States, moving: Sequence[Topic], target: str) -> States:
    """The states after a batch: prerequisites are judged by them, so `done a b`, where b
    requires a, has nothing to warn about."""
    planned = dict(states)
    for t in moving:
        if target == "reset":
            planned.pop(t.full_id, None)
        else:
            planned[t.full_id] = (target, "", None)
    return planned


def _unlocked(
    catalog: Catalog, store: Store, topics: Sequence[Topic], states: States, new_states: States
) -> list[TopicRow]:
    """Topics on the path (the followed track's, else the followed roadmaps') or in the
    roadmaps of ``topics`` that the change made ready."""
    path = on_path(catalog, store)
    touched = {t.roadmap for t in topics}
    if path.track is None:
        touched |= {r.id for r in path.roadmaps}
    near = [t for r in path.roadmaps for t in r.topics] if path.track else []
    near += [t for rid, r in catalog.roadmaps.items() if rid in touched for t in r.topics]
    # Only a topic moved, or one that requires one, can have become ready.
    moved = {t.full_id for t in topics}
    near = [
        t for t in {t.full_id: t for t in near}.values()
        if t.full_id in moved or not moved.isdisjoint(t.requires)
    ]  # fmt: skip
    was_ready = {t.full_id for t in _ready(near, states)}
    return [
        topic_row(t, new_states)
        for t in _ready(near, new_states)
        if t.full_id not in was_ready and state_of(new_states, t.full_id) == "not-started"
    ]


def show(catalog: Catalog, store: Store, ref: str) -> TopicDetail:
    from mlpath import selfcheck
    from mlpath.journal import topic_notes  # off the path of status, which never needs it

    topic = catalog.resolve(ref)
    text = catalog.text(topic)
    states = topic_store.states(store)
    roadmap = catalog.roadmaps[topic.roadmap]
    stage = next(s for s in roadmap.stages if s.id == topic.stage)
    state, since, day = states.get(topic.full_id, _NOT_STARTED)

    def link(topic_id: str) -> Link:
        return Link(topic_id, catalog.topics[topic_id].title, state_of(states, topic_id))

    return TopicDetail(
        id=topic.full_id,
        title=topic.title,
        roadmap=roadmap.id,
        roadmap_title=roadmap.title,
        stage=stage.id,
        stage_title=stage.title,
        summary=text.summary,
        hours=topic.hours,
        state=state,
        since=since,
        day=day,
        resources=[{"title": r.title, "url": r.url, "kind": r.kind} for r in text.resources],
        checks=selfcheck.rows(catalog, store, topic.full_id),
        projects=list(text.projects),
        requires=[link(r) for r in topic.requires],
        unlocks=[link(u) for u in catalog.unlocks.get(topic.full_id, ())],
        history=topic_store.history(store, topic.full_id),
        notes=topic_notes(store, topic.full_id),
    )
