"""Scaffolded projects: one register each, keyed by a uid. A project lives on the machine
that made it (its path means nothing elsewhere), so each record names its host."""

import json
import sqlite3
from typing import TYPE_CHECKING, NamedTuple

from mlpath.store.events import Event, upsert_register

if TYPE_CHECKING:
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


def every(store: "Store") -> list[ProjectRecord]:
    rows = store.query(
        "SELECT uid, name, template, path, created_at, topics, host, replica FROM projects "
        "ORDER BY created_at, uid"
    )
    return [
        ProjectRecord(uid, name, template, path, created, json.loads(topics), host, replica)
        for uid, name, template, path, created, topics, host, replica in rows
    ]
