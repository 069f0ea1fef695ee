"""The learner's scaffolded projects, as the store records them, and their git history.

History is read with git through ``mlpath.gitsafe``, so that reading a project's log runs
nothing from the project's config (no signature checks, no fsmonitor, no pager).
"""

import datetime as dt
import json
from pathlib import Path
from typing import NamedTuple

from mlpath import gitsafe
from mlpath.dates import utc_stamp
from mlpath.store import Store


class ProjectRow(NamedTuple):
    name: str
    template: str
    path: str
    exists: bool
    commits: int
    last_commit: str | None
    topics: list[str]
    created_at: str


class Commit(NamedTuple):
    project: str
    sha: str
    at: str  # UTC ISO-8601
    summary: str


def _has_repo(folder: Path) -> bool:
    return (folder / ".git").exists() and gitsafe.available()


def _git_summary(folder: Path) -> tuple[int, str | None]:
    if not _has_repo(folder):
        return 0, None
    try:
        count = int(gitsafe.run(folder, "rev-list", "--count", "HEAD", "--"))
        last = gitsafe.run(folder, "log", "-1", "--no-show-signature", "--format=%cI", "HEAD", "--")
        return count, utc_stamp(dt.datetime.fromisoformat(last.strip()))
    except (gitsafe.GitError, ValueError):
        return 0, None


def list_projects(store: Store) -> list[ProjectRow]:
    rows = store.query(
        "SELECT name, template, path, created_at, topics FROM projects ORDER BY created_at, id"
    )
    result = []
    for name, template, path, created_at, topics in rows:
        folder = Path(path)
        exists = folder.is_dir()
        commits, last = _git_summary(folder) if exists else (0, None)
        result.append(
            ProjectRow(name, template, path, exists, commits, last, json.loads(topics), created_at)
        )
    return result


def _untouched_since(folder: Path, since: dt.datetime) -> bool:
    """Whether git has recorded nothing in this repository since ``since``: every commit
    appends to the HEAD reflog, so an older reflog means no git process needs to be started."""
    try:
        changed = (folder / ".git" / "logs" / "HEAD").stat().st_mtime
    except OSError:
        return False
    return changed < since.timestamp()


def commits_between(store: Store, since: dt.datetime, until: dt.datetime) -> list[Commit]:
    """Commits made in [since, until) in the learner's scaffolded projects, oldest first."""
    found: list[Commit] = []
    for name, path in store.query("SELECT name, path FROM projects ORDER BY id"):
        folder = Path(path)
        if not folder.is_dir() or not _has_repo(folder) or _untouched_since(folder, since):
            continue
        try:
            log = gitsafe.run(
                folder, "log", "--all", "--no-show-signature",
                f"--since={since.isoformat()}", f"--until={until.isoformat()}",
                "--format=%H%x00%cI%x00%s", "--",
            )  # fmt: skip
        except gitsafe.GitError:
            continue
        for line in log.splitlines():
            sha, stamp, summary = line.split("\0", 2)
            moment = dt.datetime.fromisoformat(stamp)
            if since <= moment < until:
                found.append(Commit(name, sha, utc_stamp(moment), summary))
    found.sort(key=lambda c: c.at)
    return found
