"""`mlpath undo` and `mlpath redo`: reversing the learner's own recent changes by recording
new events, never by removing any.

The undo history is rebuilt from this store's changes, oldest first, as an editor's is: a
change goes on the undo stack; undoing it moves it to the redo stack; a new change empties
the redo stack. Undoing a change gives each register it touched the value it had just before
the change. Everything this store did after the change on the top of the undo stack has been
undone already (that is what makes it the top), so a register is left as it is only when an
event from another machine came after the change in it; the result says so.
"""

from typing import Any

from mlpath.errors import MlpathError
from mlpath.store import Store
from mlpath.store import changes as change_store
from mlpath.store import events as event_store
from mlpath.store.changes import ChangeRecord
from mlpath.store.events import Event, cancelled
from mlpath.store.registers import TRACK_KEY
from mlpath.tuples import NamedTuple

__all__ = ["cancelled", "history", "redo", "undo"]


class Item(NamedTuple):
    kind: str
    target: str
    description: str


class UndoResult(NamedTuple):
    action: str  # undo | redo
    change: ChangeRecord  # the change undone (or redone)
    reversed: list[Item]
    skipped: list[Item]  # changed again since: left as they are


class ChangeRow(NamedTuple):
    id: str
    at: str  # UTC instant it was recorded
    command: str
    action: str  # do | undo | redo
    undone: bool  # a change undone (and not redone)
    events: int


class ChangesResult(NamedTuple):
    changes: list[ChangeRow]  # newest first
    undo: str | None  # what `mlpath undo` would undo
    redo: str | None  # what `mlpath redo` would redo


# A register's value before anything was recorded in it.
_EMPTY: dict[str, dict[str, Any]] = {
    "topic": {"state": "reset", "note": None},
    "entry.hidden": {"hidden": False},
    "setting": {"value": None},
    "break": {"on": False},
    "follow": {"on": None},
    "check": {"on": False, "note": None},
}


def _stacks(store: Store) -> tuple[list[str], list[str], dict[str, ChangeRecord]]:
    every = change_store.every(store)
    undo: list[str] = []
    redo: list[str] = []
    for change in every:
        if change.action == "do":
            undo.append(change.id)
            redo.clear()
        elif change.action == "undo" and change.target in undo:
            undo.remove(change.target)
            redo.append(change.target)
        elif change.action == "redo" and change.target in redo:
            redo.remove(change.target)
            undo.append(change.target)
    return undo, redo, {c.id: c for c in every}


def undo(store: Store) -> UndoResult:
    """Reverse the most recent change made on this store that is not undone yet."""
    stack, _, known = _stacks(store)
    if not stack:
        raise MlpathError("nothing to undo: no change made on this store is left to reverse")
    return _reverse(store, known[stack[-1]], "undo")


def redo(store: Store) -> UndoResult:
    """Make again the change the last undo reversed (unless a new change came since)."""
    _, stack, known = _stacks(store)
    if not stack:
        raise MlpathError("nothing to redo: no undo since your last change")
    return _reverse(store, known[stack[-1]], "redo")


def history(store: Store, limit: int = 20) -> ChangesResult:
    undo_stack, redo_stack, _ = _stacks(store)
    undone = set(redo_stack)
    do_changes = {c.id for c in change_store.every(store) if c.action == "do"}
    undone |= do_changes - set(undo_stack)
    rows = [
        ChangeRow(c.id, c.recorded, c.command, c.action, c.id in undone, c.events)
        for c in change_store.recent(store, limit)
    ]
    return ChangesResult(rows, undo_stack[-1] if undo_stack else None,
                         redo_stack[-1] if redo_stack else None)  # fmt: skip


def _reverse(store: Store, target: ChangeRecord, action: str) -> UndoResult:
    """Record the events that give every register ``target`` changed its value from before
    it. To redo is to reverse what the undo recorded."""
    reversed_: list[Item] = []
    skipped: list[Item] = []
    with store.change(f"{action} {target.command}") as change:
        change.action = action
        change.target = target.id
        source = target.id if action == "undo" else _undo_of(store, target.id)
        made: list[Event] = []
        # Each register's reversal reads only that register's events, so they are all made
        # first and applied together (an undo of a big import is one batch, not 20,000).
        for first, last in _registers(store, source):
            if change_store.foreign_after(store, last.kind, last.target, last.hlc, last.id):
                skipped.append(Item(last.kind, last.target, f"{_name(store, last)}: changed since"))
                continue
            kind, data, day = _previous(store, first, last)
            new = change.event(kind, last.target, {**data, "undoes": last.id}, day)
            made.append(new)
            reversed_.append(_described(store, last, new))
        change.add(made)
    return UndoResult(action, target, reversed_, skipped)


def _undo_of(store: Store, change: str) -> str:
    """The undo change that reversed ``change`` last (what a redo reverses in turn)."""
    undos = [c for c in change_store.every(store) if c.action == "undo" and c.target == change]
    return undos[-1].id


def _registers(store: Store, change: str) -> list[tuple[Event, Event]]:
    """(first, last) event of each register a change touched, latest register first."""
    events = event_store.by_ids(store.conn, change_store.events_of(store, change))
    spans: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        spans.setdefault((event.kind, event.target), []).append(event)
    return sorted(((s[0], s[-1]) for s in spans.values()), key=lambda p: (p[1].hlc, p[1].id),
                  reverse=True)  # fmt: skip


def _previous(store: Store, first: Event, last: Event) -> tuple[str, dict[str, Any], str | None]:
    """The kind, value and day that undo records: the register's value before ``first``
    (with the day it was about, so a topic finished last month is finished last month
    again), or its empty value. An entry that the change wrote is hidden again rather than
    emptied."""
    before = event_store.before(store.conn, first)
    if before is not None:
        return first.kind, {k: v for k, v in before.data.items() if k != "undoes"}, before.day
    if first.kind == "entry":
        return "entry.hidden", {"hidden": True}, last.day
    if first.kind == "recall":  # a rating taken back
        return "recall", {"rating": None, "at": first.data["at"]}, last.day
    return first.kind, dict(_EMPTY[first.kind]), last.day


def _name(store: Store, event: Event) -> str:
    if event.kind in ("entry", "entry.hidden"):
        from mlpath.store import entries

        ref = entries.ref_of(event.target)
        return f"entry {entries.short_ids(store, [ref])[ref]}"
    if event.kind == "break":
        return f"break week {event.target}"
    if event.kind == "check":
        topic, _, number = event.target.rpartition("#")
        return f"{topic} self-check {number}"
    if event.kind == "recall":
        return f"{event.target.rpartition('#')[0]} recall"
    if event.kind == "project":
        return f"project {event.data['name']}"
    if event.kind == "setting" and event.target == TRACK_KEY:
        return "followed track"
    return event.target


def _described(store: Store, old: Event, new: Event) -> Item:
    """What one reversal did, in words: e.g. "foundations/sql: done → not started"."""
    name = _name(store, old)
    if new.kind == "topic":
        text = f"{name}: {_state(old.data['state'])} → {_state(new.data['state'])}"
    elif new.kind == "entry.hidden":
        text = f"{name}: {'deleted' if new.data['hidden'] else 'shown again'}"
    elif new.kind == "entry":
        text = f"{name}: back to its earlier text and details"
    elif new.kind == "setting":
        unset = "none" if new.target == TRACK_KEY else "its default"
        before, after = (v or unset for v in (old.data["value"], new.data["value"]))
        text = f"{name}: {before} → {after}"
    elif new.kind == "break":
        text = f"{name}: {'a planned break' if new.data['on'] else 'no longer a break'}"
    elif new.kind == "check":
        text = f"{name}: {'ticked' if new.data['on'] else 'not ticked'}"
    elif new.kind == "project":
        text = f"{name}: {'forgotten' if new.data.get('forgotten') else 'listed again'}"
    elif new.kind == "recall":
        rating = new.data["rating"]
        text = f"{name}: {'rated ' + rating if rating else 'rating taken back'}"
    else:
        chosen = {True: "followed", False: "not followed", None: "as by default"}
        text = f"{name}: {chosen[new.data['on']]}"
    return Item(new.kind, new.target, text)


def _state(state: str) -> str:
    return "not started" if state == "reset" else state
