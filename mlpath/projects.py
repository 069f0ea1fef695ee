"""The learner's scaffolded projects, as the store records them, and their git history.

GitPython is imported only inside the functions that read a repository.
"""

import contextlib
import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from mlpath.dates import utc_stamp
from mlpath.store import Store

# Variables that would point git at another repository than the project's own.
_GIT_REDIRECTS = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX",
)  # fmt: skip


@contextlib.contextmanager
def git_environment() -> Iterator[None]:
    """Run git on the project's own repository: variables inherited from an outer one (when
    mlpath runs inside a git hook, say) are set aside, and GitPython may load without git."""
    saved = {k: os.environ.pop(k) for k in _GIT_REDIRECTS if k in os.environ}
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    try:
        yield
    finally:
        os.environ.update(saved)


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
    return (folder / ".git").exists() and shutil.which("git") is not None


def _git_summary(folder: Path) -> tuple[int, str | None]:
    if not _has_repo(folder):
        return 0, None
    with git_environment():
        import git

        try:
            repo = git.Repo(folder)
            count = int(repo.git.rev_list("--count", "HEAD"))
            last = repo.head.commit.committed_datetime
        except (git.GitCommandError, git.InvalidGitRepositoryError, ValueError):
            return 0, None
    return count, utc_stamp(last)


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
        with git_environment():
            import git

            try:
                log = git.Repo(folder).git.log(
                    "--all", f"--since={since.isoformat()}", f"--until={until.isoformat()}",
                    "--format=%H%x00%cI%x00%s",
                )  # fmt: skip
            except (git.GitCommandError, git.InvalidGitRepositoryError):
                continue
        for line in log.splitlines():
            sha, stamp, summary = line.split("\0", 2)
            moment = dt.datetime.fromisoformat(stamp)
            if since <= moment < until:
                found.append(Commit(name, sha, utc_stamp(moment), summary))
    found.sort(key=lambda c: c.at)
    return found
