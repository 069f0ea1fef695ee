"""Topic progress: where the learner stands, what to learn next, and recording changes."""

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from mlpath.activity import WeekHours, WeekTotal, outlook
from mlpath.errors import InvalidInputError, check_count
from mlpath.pace import Finish, Pace, Streak
from mlpath.roadmaps import DEFAULT_PATH, Catalog, Roadmap, Topic
from mlpath.store import Store, TopicEvent, utc_now

FOLLOWED_KEY = "followed"
FINISHED = frozenset({"done", "skipped"})
ACTIONS = {"start": "started", "done": "done", "skip": "skipped", "reset": "reset"}
STATUS_NEXT = 5

States = dict[str, tuple[str, str]]

if TYPE_CHECKING:
    from mlpath.journal import Entry


class TopicRow(NamedTuple):
    id: str
    title: str
    roadmap: str
    hours: float
    state: str  # not-started | started | done | skipped
    since: str | None


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


class StatusResult(NamedTuple):
    roadmaps: list[RoadmapProgress]
    in_progress: list[TopicRow]
    next: list[TopicRow]
    hours_left: float
    store: str
    activity: list[WeekHours]  # the last 26 weeks, oldest first, this week last
    this_week: WeekTotal
    streak: Streak
    pace: Pace
    finish: Finish


class NextResult(NamedTuple):
    topics: list[TopicRow]
    roadmaps: list[str]


class Change(NamedTuple):
    topic: TopicRow
    before: str
    after: str
    unmet: Sequence[str] = ()  # prerequisites not finished (a warning)


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
    resources: list[dict[str, str]]
    checks: list[str]
    projects: list[str]
    requires: list[Link]
    unlocks: list[Link]
    history: list[TopicEvent]
    notes: "list[Entry]"


# ------------------------------------------------------------------------------- helpers


def state_of(states: States, topic_id: str) -> str:
    return states[topic_id][0] if topic_id in states else "not-started"


def _row(topic: Topic, states: States) -> TopicRow:
    state, since = states.get(topic.full_id, ("not-started", None))
    return TopicRow(topic.full_id, topic.title, topic.roadmap, topic.hours, state, since)


def roadmap_progress(roadmap: Roadmap, states: States) -> RoadmapProgress:
    """How far the learner is through ``roadmap``: (done + skipped) / topics, and hours."""
    counts = {"done": 0, "skipped": 0, "started": 0}
    hours = left = 0.0
    topics = roadmap.topics
    for topic in topics:
        state = state_of(states, topic.full_id)
        if state in counts:
            counts[state] += 1
        hours += topic.hours
        if state not in FINISHED:
            left += topic.hours
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
    )


def _unmet(topic: Topic, states: States) -> list[str]:
    return [r for r in topic.requires if state_of(states, r) not in FINISHED]


def _ready(topics: Iterable[Topic], states: States) -> list[Topic]:
    return [
        t for t in topics if state_of(states, t.full_id) not in FINISHED and not _unmet(t, states)
    ]


# ------------------------------------------------------------------------------ followed


def followed(catalog: Catalog, store: Store) -> list[str]:
    """Followed roadmap ids in path order; the default path until the learner changes it."""
    raw = store.get_setting(FOLLOWED_KEY)
    chosen = json.loads(raw) if raw else list(DEFAULT_PATH)
    return [rid for rid in catalog.roadmaps if rid in chosen]


def set_followed(catalog: Catalog, store: Store, roadmap_id: str, follow: bool) -> list[str]:
    catalog.roadmap(roadmap_id)  # raises with suggestions when unknown
    current = followed(catalog, store)
    if follow and roadmap_id not in current:
        current.append(roadmap_id)
    elif not follow and roadmap_id in current:
        current.remove(roadmap_id)
    store.set_setting(FOLLOWED_KEY, json.dumps(current))
    return followed(catalog, store)


def _scope(catalog: Catalog, store: Store, roadmap_id: str | None) -> list[Roadmap]:
    if roadmap_id is not None:
        return [catalog.roadmap(roadmap_id)]
    return [catalog.roadmaps[rid] for rid in followed(catalog, store)]


# ------------------------------------------------------------------------------ commands


def status(catalog: Catalog, store: Store, roadmap_id: str | None = None) -> StatusResult:
    roadmaps = _scope(catalog, store, roadmap_id)
    states = store.latest_states()
    topics = [t for r in roadmaps for t in r.topics]
    progress = [roadmap_progress(r, states) for r in roadmaps]
    in_progress = [_row(t, states) for t in topics if state_of(states, t.full_id) == "started"]
    fresh = [t for t in _ready(topics, states) if state_of(states, t.full_id) == "not-started"]
    ahead = outlook(store, [(p.id, p.hours_left) for p in progress])
    return StatusResult(
        roadmaps=progress,
        in_progress=in_progress,
        next=[_row(t, states) for t in fresh[:STATUS_NEXT]],
        hours_left=sum(p.hours_left for p in progress),
        store=store.label,
        activity=ahead.activity,
        this_week=ahead.this_week,
        streak=ahead.streak,
        pace=ahead.pace,
        finish=ahead.finish,
    )


def next_topics(
    catalog: Catalog, store: Store, limit: int = 5, roadmap_id: str | None = None
) -> NextResult:
    check_count(limit)
    roadmaps = _scope(catalog, store, roadmap_id)
    states = store.latest_states()
    ready = _ready((t for r in roadmaps for t in r.topics), states)
    # Stable sort: in-progress first, each group in roadmap order.
    ready.sort(key=lambda t: state_of(states, t.full_id) != "started")
    return NextResult([_row(t, states) for t in ready[:limit]], [r.id for r in roadmaps])


def mark(
    catalog: Catalog, store: Store, refs: Sequence[str], action: str, note: str | None = None
) -> MarkResult:
    """Move topics to the state ``action`` names, in one transaction; unchanged ones are left."""
    target = ACTIONS[action]
    topics = list({t.full_id: t for t in (catalog.resolve(r) for r in refs)}.values())
    if note is not None:
        note = note.strip()
        if not note:
            raise InvalidInputError("--note is empty: leave it out, or say something")
    states = store.latest_states()
    after = "not-started" if target == "reset" else target
    moving = [t for t in topics if state_of(states, t.full_id) != after]
    # Prerequisites are judged by the states after the whole batch: `done a b`, where b
    # requires a, has nothing to warn about.
    planned = dict(states)
    for t in moving:
        if target == "reset":
            planned.pop(t.full_id, None)
        else:
            planned[t.full_id] = (target, "")
    changed = [
        Change(
            _row(t, states),
            state_of(states, t.full_id),
            after,
            _unmet(t, planned) if target in ("started", "done") else [],
        )
        for t in moving
    ]
    unchanged = [_row(t, states) for t in topics if t not in moving]
    if changed:
        store.append_events([(c.topic.id, target, note) for c in changed], utc_now())
    new_states = store.latest_states()
    touched = {t.roadmap for t in topics}
    on_path_ids = touched | set(followed(catalog, store))
    path = [r for rid, r in catalog.roadmaps.items() if rid in on_path_ids]
    on_path = [t for r in path for t in r.topics]
    was_ready = {t.full_id for t in _ready(on_path, states)}
    unlocked = [
        _row(t, new_states)
        for t in _ready(on_path, new_states)
        if t.full_id not in was_ready and state_of(new_states, t.full_id) == "not-started"
    ]
    return MarkResult(
        action=action,
        changed=[
            Change(_row(catalog.topics[c.topic.id], new_states), c.before, c.after, c.unmet)
            for c in changed
        ],
        unchanged=unchanged,
        unlocked=unlocked,
        roadmaps=[
            roadmap_progress(r, new_states) for r in catalog.roadmaps.values() if r.id in touched
        ],
    )


def show(catalog: Catalog, store: Store, ref: str) -> TopicDetail:
    from mlpath.journal import topic_notes  # off the path of status, which never needs it

    topic = catalog.resolve(ref)
    text = catalog.text(topic)
    states = store.latest_states()
    roadmap = catalog.roadmaps[topic.roadmap]
    stage = next(s for s in roadmap.stages if s.id == topic.stage)
    state, since = states.get(topic.full_id, ("not-started", None))

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
        resources=[{"title": r.title, "url": r.url, "kind": r.kind} for r in text.resources],
        checks=list(text.checks),
        projects=list(text.projects),
        requires=[link(r) for r in topic.requires],
        unlocks=[link(u) for u in catalog.unlocks.get(topic.full_id, ())],
        history=store.history(topic.full_id),
        notes=topic_notes(store, topic.full_id),
    )
