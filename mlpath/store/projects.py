"""Scaffolded projects: one register each, keyed by a uid. A project lives on the machine
that made it (its path means nothing elsewhere), so each record names its host.

Forgetting a project (``mlpath projects forget``) is an event of the same register: the
project's whole record again, with ``forgotten: true``. The register keeps its winning event
as every register does, and a project whose winning event says it is forgotten is not
listed; undo records the value before (the project, listed again), so forgetting syncs,
converges and is undone like any other change, and no table needed a new column."""

import sqlite3
from typing import TYPE_CHECKING, Any

from mlpath.store.events import Event, upsert_register
from mlpath.tuples import NamedTuple

if TYPE_CHECKING:
    from mlpath.store.changes import Change
    from mlpath.store.db import Store


class ProjectRecord(NamedTuple):
    uid: str
    name: str
    template: str
    path: str
    created_at: str
    topics: list[str]
    host: str | None
    replica: str


def project(conn: sqlite3.Connection, events: list[Event]) -> None:
    import json

    rows = [
        {
            "uid": e.target,
            "name": e.data["name"],
            "template": e.data["template"],
            "path": e.data["path"],
            "created_at": e.data["created_at"],
            "topics": json.dumps(e.data["topics"]),
            "host": e.data.get("host"),
            "replica": e.replica,
            "hlc": e.hlc,
            "event": e.id,
        }
        for e in events
    ]
    upsert_register(conn, "projects", "uid", rows)


# The projects listed, oldest first: those whose register's winning event is no forgetting.
_LISTED = (
    "FROM projects AS p JOIN events AS e ON e.id = p.event "
    "WHERE coalesce(json_extract(e.data, '$.forgotten'), 0) = 0 "
    "ORDER BY p.created_at, p.uid"
)


def every(store: "Store") -> list[ProjectRecord]:
    """The projects listed: every one whose register does not hold a forgetting."""
    rows = store.query(
        "SELECT p.uid, p.name, p.template, p.path, p.created_at, p.topics, p.host, p.replica "
        + _LISTED
    )
    import json

    return [
        ProjectRecord(uid, name, template, path, created, json.loads(topics), host, replica)
        for uid, name, template, path, created, topics, host, replica in rows
    ]


def places(store: "Store") -> list[tuple[str, str, str | None]]:
    """(name, path, host) of every project listed, as ``every`` orders them: what looking
    into the projects' folders needs, without decoding the rest."""
    return [
        (name, path, host)
        for name, path, host in store.query("SELECT p.name, p.path, p.host " + _LISTED)
    ]


def forget(change: "Change", record: ProjectRecord) -> Event:
    """Take ``record`` off the list: its whole value again, marked forgotten."""
    data: dict[str, Any] = {
        "name": record.name,
        "template": record.template,
        "path": record.path,
        "created_at": record.created_at,
        "topics": list(record.topics),
        "host": record.host,
        "forgotten": True,
    }
    return change.record("project", record.uid, data)
