"""Self-checks: each topic lists two to five concrete outcomes; `mlpath check TOPIC N...`
ticks them (with evidence, such as a link to a notebook or a commit) and ``--undo`` unticks
them. Each (topic, number) is its own register, so ticks made on two machines both hold."""

import datetime as dt
from collections.abc import Sequence

from mlpath.errors import InvalidInputError
from mlpath.roadmaps import Catalog
from mlpath.store import Store
from mlpath.store import checks as check_store
from mlpath.tuples import NamedTuple


class CheckRow(NamedTuple):
    number: int
    text: str
    ticked: bool
    note: str | None  # the evidence given with the tick
    day: str | None  # the day it was ticked


class CheckResult(NamedTuple):
    topic: str
    title: str
    action: str  # tick | untick
    changed: list[int]  # the numbers this run ticked or unticked
    unchanged: list[int]  # already as asked
    checks: list[CheckRow]
    open: int  # not ticked


def rows(catalog: Catalog, store: Store, topic_id: str) -> list[CheckRow]:
    topic = catalog.topics[topic_id]
    ticks = check_store.ticks(store, topic_id)
    return [
        CheckRow(n, text, n in ticks, ticks[n].note if n in ticks else None,
                 ticks[n].day if n in ticks else None)
        for n, text in enumerate(catalog.text(topic).checks, 1)
    ]  # fmt: skip


def open_count(store: Store, topic_id: str, checks: int) -> int:
    return checks - sum(1 for n in check_store.ticks(store, topic_id) if n <= checks)


def check(
    catalog: Catalog,
    store: Store,
    ref: str,
    numbers: Sequence[int],
    *,
    undo: bool = False,
    note: str | None = None,
    today: dt.date | None = None,
) -> CheckResult:
    topic = catalog.resolve(ref)
    listed = catalog.text(topic).checks
    if not listed:
        raise InvalidInputError(f"{topic.full_id} lists no self-checks")
    for number in numbers:
        if not 1 <= number <= len(listed):
            raise InvalidInputError(
                f"{topic.full_id} has {len(listed)} self-checks, numbered 1 to {len(listed)}: "
                f"there is no check {number} (see them with `mlpath show {topic.full_id}`)"
            )
    if note is not None:
        note = note.strip()
        if undo:
            raise InvalidInputError("--note is evidence for a tick: leave it out with --undo")
        if not note:
            raise InvalidInputError("--note is empty: leave it out, or say what shows it")
    chosen = sorted(set(numbers))
    day = (today or dt.date.today()).isoformat()
    verb = "check --undo" if undo else "check"
    changed: list[int] = []
    with store.change(f"{verb} {topic.full_id} {' '.join(map(str, chosen))}") as change:
        ticks = check_store.ticks(store, topic.full_id)
        for number in chosen:
            was = ticks.get(number)
            if undo and was is None:
                continue
            if not undo and was is not None and (note is None or note == was.note):
                continue
            change.record("check", check_store.target(topic.full_id, number),
                          {"on": not undo, "note": note}, day)  # fmt: skip
            changed.append(number)
    after = rows(catalog, store, topic.full_id)
    return CheckResult(
        topic=topic.full_id,
        title=topic.title,
        action="untick" if undo else "tick",
        changed=changed,
        unchanged=[n for n in chosen if n not in changed],
        checks=after,
        open=sum(1 for r in after if not r.ticked),
    )
