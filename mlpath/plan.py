"""The week-by-week plan: the topics left, packed into weeks at a pace. Pure functions of the
topics, the pace and the calendar, so every rule is a table test.

- Order: a topic comes after every prerequisite that is still to learn (prerequisites outside
  the plan are not waited for); among the topics whose prerequisites are placed, those in
  progress come first, then path order.
- Weeks: each is filled to the pace, one topic after another; a topic longer than what is
  left of a week goes on into the next ones. This week holds the pace minus the hours already
  logged in it. A planned break week holds nothing and is skipped.
- Dates: a week runs Monday to Sunday; a topic (or a roadmap, or the whole plan) is finished
  on the Sunday of the week its last hour falls in. ``status`` takes its finish dates from
  here, so the two always agree.
"""

import datetime as dt
import heapq
import math
from collections.abc import Collection, Iterator, Sequence

from mlpath import dates
from mlpath.tuples import NamedTuple

# Hours below this are rounding left over from subtracting floats, not work.
_EPSILON = 1e-9
# The last week a plan may reach: its Sunday must be a date Python can write (before 9999).
LAST_WEEK = dates.week_index("9998-W52")
# The longest plan worth working out, in weeks (about 100 years): at a pace so slow that the
# plan runs longer, it has no finish date, and no command spends time or memory building it.
MAX_WEEKS = 5200
HOURS_IN_WEEK = 168.0


class Task(NamedTuple):
    id: str  # full topic id
    title: str
    roadmap: str
    hours: float
    started: bool
    requires: tuple[str, ...]


class Slot(NamedTuple):
    """Part of a topic planned in one week."""

    topic: str
    title: str
    roadmap: str
    hours: float  # planned in this week
    part: int  # 1, 2, ...: which week of the topic this is
    parts: int  # how many weeks the topic takes
    last: bool  # the topic's last part: it is finished this week


class Week(NamedTuple):
    week: str  # YYYY-Www
    start: str  # its Monday
    end: str  # its Sunday
    hours: float  # planned in it
    topics: list[Slot]


class Plan(NamedTuple):
    weeks: list[Week]  # the weeks with work in them, in order
    breaks: list[str]  # break weeks the plan goes around (YYYY-Www)
    complete: bool  # every topic fits before the end of the calendar (and there is a pace)

    @property
    def finish(self) -> str | None:
        """The Sunday of the last week with work, or None when there is no date to give."""
        if not self.complete:
            return None
        return self.weeks[-1].end if self.weeks else None

    def finish_of(self, topics: Collection[str]) -> str | None:
        """The Sunday of the week the last of ``topics`` is finished in."""
        if not self.complete:
            return None
        found = None
        for week in self.weeks:
            if any(s.last and s.topic in topics for s in week.topics):
                found = week.end
        return found


def order(tasks: Sequence[Task]) -> list[Task]:
    """Prerequisites first; then in-progress topics; then path order (``tasks``' order)."""
    position = {t.id: i for i, t in enumerate(tasks)}
    waiting = {t.id: {r for r in t.requires if r in position and r != t.id} for t in tasks}
    unlocks: dict[str, list[str]] = {}
    for topic, needs in waiting.items():
        for need in needs:
            unlocks.setdefault(need, []).append(topic)
    ready = [(not t.started, position[t.id]) for t in tasks if not waiting[t.id]]
    heapq.heapify(ready)
    placed: list[Task] = []
    while ready:
        _, index = heapq.heappop(ready)
        task = tasks[index]
        placed.append(task)
        for later in unlocks.get(task.id, ()):
            waiting[later].discard(task.id)
            if not waiting[later]:
                heapq.heappush(ready, (not tasks[position[later]].started, position[later]))
    if len(placed) < len(tasks):  # a cycle, which validation refuses: keep path order for it
        seen = {t.id for t in placed}
        placed += [t for t in tasks if t.id not in seen]
    return placed


class _Packing(NamedTuple):
    """Where the packing put each part of a topic: one (week index, task, hours, last part)
    a part, in order; the break weeks it went around; and whether every topic fitted."""

    parts: list[tuple[int, Task, float, bool]]
    skipped: list[int]
    complete: bool


def _pack(
    tasks: Sequence[Task],
    per_week: float,
    current: int,
    logged_this_week: float,
    breaks: Collection[int],
) -> _Packing:
    """The packing rules of the module's docstring, shared by ``schedule`` (which lays out
    every week) and ``finish_weeks`` (which only wants the weeks topics end in), so that the
    two cannot disagree on a single week."""
    queue = [(t, t.hours) for t in order(tasks) if t.hours > _EPSILON]
    parts: list[tuple[int, Task, float, bool]] = []
    skipped: list[int] = []
    if per_week <= _EPSILON:
        return _Packing(parts, skipped, not queue)
    index = current
    at = 0  # the task being planned
    left = queue[0][1] if queue else 0.0
    while at < len(queue):
        if index > LAST_WEEK or index - current >= MAX_WEEKS:
            return _Packing(parts, skipped, False)
        if index in breaks:
            skipped.append(index)
            index += 1
            continue
        room = per_week - logged_this_week if index == current else per_week
        while room > _EPSILON and at < len(queue):
            task = queue[at][0]
            used = min(room, left)
            room -= used
            left -= used
            done = left <= _EPSILON
            parts.append((index, task, used, done))
            if done:
                at += 1
                left = queue[at][1] if at < len(queue) else 0.0
        index += 1
    return _Packing(parts, skipped, True)


def schedule(
    tasks: Sequence[Task],
    per_week: float,
    current: int,
    logged_this_week: float,
    breaks: Collection[int],
) -> Plan:
    """Pack ``tasks`` into weeks from the week ``current`` at ``per_week`` hours a week."""
    return _laid_out(_pack(tasks, per_week, current, logged_this_week, breaks))


def _laid_out(packing: _Packing) -> Plan:
    count: dict[str, int] = {}  # parts of each topic so far, then in all
    by_week: dict[int, list[Slot]] = {}
    for index, task, used, done in packing.parts:
        count[task.id] = count.get(task.id, 0) + 1
        slot = Slot(task.id, task.title, task.roadmap, _hours(used), count[task.id], 0, done)
        by_week.setdefault(index, []).append(slot)
    weeks = [
        _week(index, [s._replace(parts=count[s.topic]) for s in slots])
        for index, slots in by_week.items()
    ]
    return Plan(weeks, [dates.week_at(i) for i in packing.skipped], packing.complete)


class Finishes(NamedTuple):
    """When the topics of a plan are finished, without the plan's weeks."""

    complete: bool  # as Plan.complete: False, and there are no dates to give
    last: int | None  # the week index the last topic is finished in
    of: dict[str, int]  # each topic's id: the week index it is finished in

    def finish(self, topics: Collection[str] | None = None) -> str | None:
        """The Sunday of the week the last of ``topics`` (default: all) is finished in, as
        ``Plan.finish`` and ``Plan.finish_of`` give it."""
        if not self.complete:
            return None
        if topics is None:
            week = self.last
        else:
            week = max((self.of[t] for t in topics if t in self.of), default=None)
        return None if week is None else sunday(week)


def finish_weeks(
    tasks: Sequence[Task],
    per_week: float,
    current: int,
    logged_this_week: float,
    breaks: Collection[int],
) -> Finishes:
    """The finish weeks ``schedule`` would give, at a fraction of its cost (``status`` needs
    only these, for every topic left on the path)."""
    return _ends(_pack(tasks, per_week, current, logged_this_week, breaks))


def schedule_and_finishes(
    tasks: Sequence[Task],
    per_week: float,
    current: int,
    logged_this_week: float,
    breaks: Collection[int],
) -> tuple[Plan, Finishes]:
    """``schedule`` and ``finish_weeks`` from one packing."""
    packing = _pack(tasks, per_week, current, logged_this_week, breaks)
    return _laid_out(packing), _ends(packing)


def _ends(packing: _Packing) -> Finishes:
    of = {task.id: index for index, task, _, done in packing.parts if done}
    last = packing.parts[-1][0] if packing.parts else None
    return Finishes(packing.complete, last, of)


def sunday(index: int) -> str:
    """The Sunday of the week with this index, as ``YYYY-MM-DD``."""
    return dt.date.fromordinal(index * 7 + 7).isoformat()


def _week(index: int, slots: list[Slot]) -> Week:
    week = dates.week_at(index)
    monday = dates.monday(week)
    return Week(week, monday.isoformat(), (monday + dt.timedelta(days=6)).isoformat(),
                _hours(sum(s.hours for s in slots)), slots)  # fmt: skip


def _hours(value: float) -> float:
    return round(value, 2)


def working_weeks(first: int, last: int, breaks: Collection[int]) -> Iterator[int]:
    """The weeks from ``first`` to ``last`` (both included) that are not breaks."""
    return (w for w in range(first, last + 1) if w not in breaks)


class Needed(NamedTuple):
    goal: str  # the goal date
    last_week: str | None  # the last week that ends by the goal date
    weeks: int  # weeks to learn in before it (break weeks left out)
    hours_per_week: float | None  # the pace that makes it; None when no week is left


def needed(
    hours_left: float, goal: dt.date, today: dt.date, logged_this_week: float,
    breaks: Collection[int],
) -> Needed:  # fmt: skip
    """The smallest pace, in tenths of an hour, at which the plan ends on or before ``goal``:
    only weeks whose Sunday is on or before it count."""
    current = dates.week_index(dates.week_of(today))
    sunday = goal - dt.timedelta(days=(goal.weekday() + 1) % 7)  # the last Sunday by the goal
    last = dates.week_index(dates.week_of(sunday))
    usable = list(working_weeks(current, last, breaks))
    last_week = dates.week_at(last) if last >= current else None
    if hours_left <= _EPSILON:
        return Needed(goal.isoformat(), last_week, len(usable), 0.0)
    if not usable:
        return Needed(goal.isoformat(), last_week, 0, None)
    # This week holds the pace minus what is logged in it: h·n − min(h, logged) ≥ left.
    logged = logged_this_week if usable[0] == current else 0.0
    count = len(usable)
    pace = (hours_left + logged) / count
    if pace < logged:  # this week is full already at that pace: only the others count
        pace = hours_left / (count - 1)  # count > 1 here: with one week, pace >= logged
    return Needed(goal.isoformat(), last_week, count, math.ceil(round(pace * 10, 6)) / 10)
