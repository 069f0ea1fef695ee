"""Records from before events had ids, as events: from a store of schema 5 or older (the
migration to events) and from an export of version 1 (``mlpath import``).

The conversion is deterministic: the same old data gives the same events, ids included, on
every machine and every time, so that two copies of one old store migrate to the same events
and importing an old export into the store it came from adds nothing.

- A topic change keeps its time; its id comes from its content and how many identical
  changes came before it (an old history could hold the same change twice), its hlc from its
  time and its rank among the changes of the same second (the old order within a second was
  the order of recording). The day it is about is its UTC day: the old store did not keep it.
- An entry's event comes from its uid, at the time it was written.
- Settings, breaks and followed roadmaps had no time: they are placed before everything, so
  any later change wins over them.
"""

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from mlpath import dates
from mlpath.digest import sha256
from mlpath.store.events import BEFORE_ALL, LEGACY_REPLICA, Event, derived_id

FOLLOWED_KEY = "followed"  # the old setting: the followed roadmap ids as a JSON list
DEFAULT_PATH = ("foundations", "machine-learning", "deep-learning", "mlops")
_EPOCH = "1970-01-01T00:00:00Z"


def _micros(stamp: str) -> int:
    moment = dt.datetime.fromisoformat(stamp)
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def _event(kind: str, target: str, key: str, stamp: str, hlc: int, data: dict[str, Any],
           day: str | None = None) -> Event:  # fmt: skip
    millis = hlc // 1000 if hlc > BEFORE_ALL else 0
    return Event(derived_id(millis, key), LEGACY_REPLICA, hlc, stamp, kind, target, day, data)


def topic_events(rows: Iterable[tuple[str, str, str, str | None]]) -> Iterator[Event]:
    """Old topic changes (topic, state, at, note), in their old order."""
    same: Counter[tuple[str, str, str, str | None]] = Counter()
    in_second: Counter[str] = Counter()
    for topic, state, at, note in rows:
        occurrence = same[(topic, state, at, note)]
        same[(topic, state, at, note)] += 1
        rank = in_second[at]
        in_second[at] += 1
        key = "\0".join(("topic", topic, state, at, note or "", str(occurrence)))
        day = dt.datetime.fromisoformat(at).date().isoformat()
        data = {"state": state, "note": note}
        yield _event("topic", topic, key, at, _micros(at) + rank, data, day)


def entry_event(entry: Mapping[str, Any]) -> Event:
    """An old journal entry: uid, kind, at, day, hours, tags, topics, text."""
    day = entry["day"]
    data = {
        "kind": entry["kind"],
        "at": entry["at"],
        "day": day,
        "week": dates.week_of(dt.date.fromisoformat(day)),
        "hours": entry["hours"],
        "tags": sorted(entry["tags"]),
        "topics": sorted(entry["topics"]),
        "text": entry["text"],
    }
    key = "\0".join(("entry", entry["uid"]))
    return _event("entry", entry["uid"], key, entry["at"], _micros(entry["at"]), data)


def setting_events(settings: Mapping[str, str]) -> Iterator[Event]:
    """Old settings; the old ``followed`` list becomes one followed roadmap each."""
    for key, value in sorted(settings.items()):
        if key == FOLLOWED_KEY:
            yield from follow_events(json.loads(value))
            continue
        ident = "\0".join(("setting", key, value))
        yield _event("setting", key, ident, _EPOCH, BEFORE_ALL, {"value": value})


def follow_events(followed: Iterable[str]) -> Iterator[Event]:
    chosen = list(dict.fromkeys(followed))
    choices = {rid: True for rid in chosen}
    choices.update({rid: False for rid in DEFAULT_PATH if rid not in chosen})
    for roadmap, on in sorted(choices.items()):
        key = "\0".join(("follow", roadmap, str(on)))
        yield _event("follow", roadmap, key, _EPOCH, BEFORE_ALL, {"on": on})


def break_event(week: str) -> Event:
    key = "\0".join(("break", week))
    return _event("break", week, key, _EPOCH, BEFORE_ALL, {"on": True})


def project_event(project: Mapping[str, Any]) -> Event:
    """An old project record: name, template, path, created_at, topics."""
    identity = (project["name"], project["template"], project["path"], project["created_at"])
    key = "\0".join(("project", *identity))
    uid = sha256(key.encode("utf-8")).hex()[:32]
    data = {
        "name": project["name"],
        "template": project["template"],
        "path": project["path"],
        "created_at": project["created_at"],
        "topics": list(project["topics"]),
        "host": None,
    }
    stamp = project["created_at"]
    return _event("project", uid, key, stamp, _micros(stamp), data)
