"""The learner's scaffolded projects, as the store records them, and their git history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mlpath.store import Store


@dataclass(frozen=True)
class Commit:
    project: str
    sha: str
    at: str  # UTC ISO-8601
    summary: str


def commits_between(store: Store, since: dt.datetime, until: dt.datetime) -> list[Commit]:
    """Commits made in [since, until) in the learner's scaffolded projects, oldest first.

    `mlpath new-project` is not built yet, so there are no projects to read.
    """
    del store, since, until
    return []
