"""The learner's scaffolded projects, as the store records them, and their git history.

History is read with git through ``mlpath.gitsafe``, so that reading a project's log runs
nothing from the project's config (no signature checks, no fsmonitor, no pager).
"""

import datetime as dt
import os
from pathlib import Path

from mlpath import gitsafe
from mlpath.dates import utc_stamp
from mlpath.store import Store
from mlpath.store import projects as project_store
from mlpath.tuples import NamedTuple


class ProjectRow(NamedTuple):
    name: str
    template: str
    path: str
    exists: bool
    commits: int
    last_commit: str | None
    topics: list[str]
    created_at: str
    host: str | None  # the machine it was made on (None: before mlpath kept it)
    here: bool  # made on this machine: its path means something here


def this_host() -> str:
    """This machine's name, as ``socket.gethostname`` gives it (which reads the same
    ``uname``) but without loading socket, which costs more than a status's own work."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


class Commit(NamedTuple):
    project: str
    sha: str
    at: str  # UTC ISO-8601
    summary: str


def _has_repo(folder: Path) -> bool:
    return (folder / ".git").exists() and gitsafe.available()


# The branch holding the template's pristine render: a project's first commit, then the
# render each `project update` merges (see mlpath.project_update). Those renders are
# mlpath's commits, not the learner's work: they are not counted as theirs.
TEMPLATE_BRANCH = "mlpath/template"
_RENDERS_ARGS = ("rev-list", "--min-parents=1", f"refs/heads/{TEMPLATE_BRANCH}", "--")


def _renders(folder: Path) -> set[str]:
    """The template's renders that updates committed: the template branch's commits but its
    first, which is the project's own first commit."""
    try:
        found = gitsafe.run(folder, *_RENDERS_ARGS, ok=(0, 128))
    except gitsafe.GitError:
        return set()
    return set(found.split())


def _git_summary(folder: Path) -> tuple[int, str | None]:
    if not _has_repo(folder):
        return 0, None
    try:
        renders = _renders(folder)
        if renders:
            history = gitsafe.run(folder, "rev-list", "HEAD", "--").split()
            count = sum(sha not in renders for sha in history)
        else:
            count = int(gitsafe.run(folder, "rev-list", "--count", "HEAD", "--"))
        last = gitsafe.run(folder, "log", "-1", "--no-show-signature", "--format=%cI", "HEAD", "--")
        return count, utc_stamp(dt.datetime.fromisoformat(last.strip()))
    except (gitsafe.GitError, ValueError):
        return 0, None


def list_projects(store: Store) -> list[ProjectRow]:
    host = this_host()
    result = []
    for record in project_store.every(store):
        here = record.host in (None, host)
        folder = Path(record.path)
        exists = here and folder.is_dir()
        commits, last = _git_summary(folder) if exists else (0, None)
        result.append(
            ProjectRow(
                name=record.name,
                template=record.template,
                path=record.path,
                exists=exists,
                commits=commits,
                last_commit=last,
                topics=record.topics,
                created_at=record.created_at,
                host=record.host,
                here=here,
            )
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
    """Commits made in [since, until) in the learner's scaffolded projects, oldest first.
    The projects' git commands run side by side (see ``gitsafe.run_each``)."""
    host = this_host()
    candidates = []
    for name, path, made_on in project_store.places(store):
        if made_on not in (None, host):
            continue  # made on another machine: its path is not here
        folder = Path(path)
        if folder.is_dir() and _has_repo(folder) and not _untouched_since(folder, since):
            candidates.append((name, folder))
    logs = gitsafe.run_each([
        (folder, ("log", "--all", "--no-show-signature", f"--since={since.isoformat()}",
                  f"--until={until.isoformat()}", "--format=%H%x00%cI%x00%s", "--"))
        for _, folder in candidates
    ])  # fmt: skip
    active = [(c, log) for c, log in zip(candidates, logs, strict=True) if isinstance(log, str)]
    active = [(c, log) for c, log in active if log]
    renders = gitsafe.run_each([(folder, _RENDERS_ARGS) for (_, folder), _ in active], ok=(0, 128))
    found: list[Commit] = []
    for ((name, _), log), rendered in zip(active, renders, strict=True):
        ours = set(rendered.split()) if isinstance(rendered, str) else set()
        for line in log.splitlines():
            sha, stamp, summary = line.split("\0", 2)
            moment = dt.datetime.fromisoformat(stamp)
            if since <= moment < until and sha not in ours:
                found.append(Commit(name, sha, utc_stamp(moment), summary))
    found.sort(key=lambda c: c.at)
    return found


def commit_times(folder: Path) -> list[str]:
    """The commit times (ISO-8601) of a project's history, newest first; none without git
    or before the first commit."""
    if not _has_repo(folder):
        return []
    try:
        out = gitsafe.run(folder, "log", "--no-show-signature", "--format=%H %cI", "HEAD", "--")
        renders = _renders(folder)
    except gitsafe.GitError:
        return []
    pairs = (line.split(" ", 1) for line in out.splitlines() if " " in line)
    return [stamp for sha, stamp in pairs if sha not in renders]


class Forgotten(NamedTuple):
    name: str
    template: str
    path: str
    exists: bool  # its folder is still there: left as it is, like everything on disk
    host: str | None
    here: bool


class ForgetResult(NamedTuple):
    forgotten: list[Forgotten]


def forget(store: Store, ref: str) -> ForgetResult:
    """Take the project named (or at the path) ``ref`` off the learner's list, as one change
    that `mlpath undo` reverses. Nothing on disk is touched.

    A name shared by several projects is refused (the path tells them apart); a folder
    recorded more than once (made again where a deleted one was) is forgotten whole."""
    host = this_host()
    records = project_store.every(store)
    chosen = _named(records, ref) or _at_path(records, ref, host)
    if not chosen:
        from mlpath.errors import NotFoundError
        from mlpath.roadmaps import suggest

        hint = suggest(ref, [r.name for r in records])
        raise NotFoundError(f"no project '{ref}' in your list (`mlpath projects` shows it){hint}")
    with store.change(f"projects forget {ref!r}") as change:
        for record in chosen:
            project_store.forget(change, record)
    return ForgetResult([_forgotten(r, host) for r in chosen])


def _named(
    records: list[project_store.ProjectRecord], ref: str
) -> list[project_store.ProjectRecord]:
    named = [r for r in records if r.name == ref.strip()]
    if len(named) > 1:
        from mlpath.errors import AmbiguousError

        where = ", ".join(r.path if r.host in (None, this_host()) else f"{r.path} on {r.host}"
                          for r in named)  # fmt: skip
        raise AmbiguousError(
            f"{len(named)} projects are named '{ref}'; forget one by its path: {where}"
        )
    return named


def _at_path(
    records: list[project_store.ProjectRecord], ref: str, host: str
) -> list[project_store.ProjectRecord]:
    """The projects of this machine recorded at the folder ``ref`` (which may be gone)."""
    import os

    expanded = os.path.expanduser(ref)
    wanted = {os.path.abspath(expanded), os.path.realpath(expanded)}
    return [
        r for r in records
        if r.host in (None, host) and {r.path, os.path.realpath(r.path)} & wanted
    ]  # fmt: skip


def _forgotten(record: project_store.ProjectRecord, host: str) -> Forgotten:
    here = record.host in (None, host)
    return Forgotten(record.name, record.template, record.path,
                     here and Path(record.path).is_dir(), record.host, here)  # fmt: skip
