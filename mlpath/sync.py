"""`mlpath sync`: the learner's machines share their events through a git repository.

The repository (any git remote: a private repository on a host, a bare one over ssh, one on
a USB stick) holds one file a replica, ``replicas/<replica>.jsonl``, one event a line in the
order it was written; each machine only ever appends to its own file, so git never has two
changes of one file to merge, and events are applied by id, so reading one twice does
nothing. The clone under ``$MLPATH_HOME/sync/repo`` is derived data: each sync starts it
again from the remote's state, and everything this machine has that the remote lacks is
worked out from the store, so a sync killed at any point is completed by the next one.

A sync, with this machine's sync lock held:

1. fetch, and set the clone to the remote's branch (nothing of it is kept from before);
2. read every replica's file from where this machine stopped, checking that the part read
   before is still there unchanged (a file rewritten by someone is refused, never
   applied), check every new event whole, and apply them in one transaction, with the
   bookkeeping of what was read;
3. append the events the repository lacks to this machine's file, with the custom roadmaps
   (see ``_roadmaps``), commit, and push; a push that lost a race with another machine
   starts again from 1;
4. after the push, note what the repository now holds.

Credentials are git's own (ssh keys, credential helpers): mlpath asks for none, and git runs
through ``mlpath.gitsafe``, never with user input as an option.
"""

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from mlpath import dates, gitsafe, paths
from mlpath.digest import sha256
from mlpath.errors import InvalidInputError, MlpathError
from mlpath.store import Store
from mlpath.store import sync as sync_store
from mlpath.store.events import Event
from mlpath.store.sync import FileMark
from mlpath.tuples import NamedTuple

BRANCH = "main"
REPLICAS = "replicas"
ROADMAPS = "roadmaps"
MARKER = "mlpath-sync.json"  # says a repository is mlpath's, and in which layout
LAYOUT = 1
ATTEMPTS = 4  # pushes that lose a race with another machine before giving up
LOCK_WAIT = 60.0  # seconds to wait for another sync of this machine to finish
IDENTITY = ("mlpath sync", "sync@mlpath.invalid")  # when git knows no one: this repo only


class SyncError(MlpathError):
    """A sync could not be done; the store is as it was."""


class RoadmapSync(NamedTuple):
    taken: list[str]  # custom roadmap files another machine changed, now here
    sent: list[str]  # changed here, now in the repository
    conflicts: list[str]  # changed on both sides since the last sync: left as they are
    refused: list[str]  # what was not taken (not a valid roadmap, not a plain file), a line each


class SyncResult(NamedTuple):
    remote: str
    sent: int  # events
    received: dict[str, int]  # events that arrived, by what they are about
    replicas: list[str]  # the replicas they came from
    roadmaps: RoadmapSync
    problems: list[str]  # what was refused (a rewritten file, say), one line each


class ReplicaInfo(NamedTuple):
    id: str
    events: int
    this: bool


class SyncStatus(NamedTuple):
    remote: str | None
    last_sync: str | None  # UTC
    unsent: int  # events this machine has that the repository lacks
    replica: str | None  # this machine's (None: no store yet)
    replicas: list[ReplicaInfo]
    conflicts: list[str]


# ---------------------------------------------------------------------------------- commands


def init(store: Store, remote: str, create: bool = False) -> SyncResult:
    """Sync with ``remote`` from now on (with ``create``, first make a bare repository at
    that local path), then sync. A machine already syncing starts over with ``remote``:
    everything it has is sent again, and nothing is lost, since events are applied by id."""
    remote = _checked_remote(remote, create)
    with _locked():
        if create:
            _create_bare(Path(remote))
        # A clone made beside the one in use, and put in its place only once the remote is
        # known to be mlpath's: a refused init leaves a machine's sync as it was.
        folder = _repo()
        trial = folder.with_name(f".repo-{os.getpid()}")
        shutil.rmtree(trial, ignore_errors=True)
        try:
            _clone(remote, trial)
            _adopt(remote, trial)
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(trial, folder)
        finally:
            shutil.rmtree(trial, ignore_errors=True)
        with store.write() as conn:
            sync_store.start_over(conn)  # everything is sent again, into a new file
            sync_store.set_state(conn, "remote", remote)
        return _sync(store, remote)


def sync(store: Store) -> SyncResult:
    remote = sync_store.remote(store) if store.path is not None else None
    if remote is None:
        raise SyncError("sync is not set up on this machine: mlpath sync init REMOTE")
    with _locked():
        return _sync(store, remote)


def status(store: Store) -> SyncStatus:
    from mlpath.store.events import replica

    mine = replica(store.conn) if store.path is not None else None
    return SyncStatus(
        remote=sync_store.remote(store),
        last_sync=sync_store.last_sync(store),
        unsent=sync_store.count_unsent(store),
        replica=mine,
        replicas=[ReplicaInfo(r, n, r == mine) for r, n in sync_store.replicas(store)],
        conflicts=sync_store.conflicts(store),
    )


# --------------------------------------------------------------------------------- one sync


class _Outgoing(NamedTuple):
    events: list[str]  # ids appended to this machine's file
    own: FileMark | None  # this machine's file as pushed (None: left alone)
    roadmaps: dict[str, str | None]  # new bases of the roadmap files sent or taken
    changed: RoadmapSync


def _sync(store: Store, remote: str) -> SyncResult:
    folder = _usable_repo(remote)
    received: dict[str, int] = {}
    senders: set[str] = set()
    for _ in range(ATTEMPTS):
        _fetch(folder, remote)
        _reset(folder, remote)
        counts, replicas, problems = _receive(store, folder)
        for key, count in counts.items():
            received[key] = received.get(key, 0) + count
        senders |= replicas
        outgoing = _prepare(store, folder, problems)
        if _push(folder, remote, outgoing):
            break
    else:
        raise SyncError(
            f"{remote} kept changing while this machine sent its events ({ATTEMPTS} tries); "
            "nothing was lost: sync again in a moment"
        )
    with store.write() as conn:
        sync_store.mark_known(conn, outgoing.events)
        if outgoing.own is not None:
            sync_store.set_file_mark(conn, _own_name(store), outgoing.own)
        for name, digest in outgoing.roadmaps.items():
            sync_store.set_roadmap_base(conn, name, digest)
        sync_store.set_state(conn, "conflicts", json.dumps(outgoing.changed.conflicts))
        sync_store.set_state(conn, "last", dates.utc_stamp(dt.datetime.now(dt.UTC)))
    return SyncResult(remote, len(outgoing.events), received, sorted(senders),
                      outgoing.changed, problems)  # fmt: skip


def _receive(store: Store, folder: Path) -> tuple[dict[str, int], set[str], list[str]]:
    """Read what is new in every replica's file, check it all, and apply it in one go."""
    marks = sync_store.file_marks(store)
    if (folder / REPLICAS).is_symlink():
        own = f"{REPLICAS}/{_own_name(store)} "
        return {}, set(), [f"{own}and the others: {REPLICAS}/ is not a plain folder: not read"]
    arrived: list[Event] = []
    known: list[str] = []
    new_marks: dict[str, FileMark] = {}
    problems: list[str] = []
    present = sorted((folder / REPLICAS).glob("*.jsonl"))
    own = _own_name(store)
    if own in marks and marks[own].size and own not in {p.name for p in present}:
        problems.append(
            f"{REPLICAS}/{own} (this machine's) is gone from the remote: nothing was lost "
            "here; to send everything again: mlpath sync init REMOTE"
        )
    for path in present:
        if path.is_symlink() or not path.is_file():
            problems.append(f"{REPLICAS}/{path.name} is not a plain file: it was not read")
            continue
        try:
            events, mark = _read_new(store, path, marks.get(path.name))
        except SyncError as exc:
            problems.append(exc.message)
            continue
        arrived += events
        known += [e.id for e in events]
        new_marks[path.name] = mark
    added: list[Event] = []
    if known or any(new_marks.get(n) != marks.get(n) for n in new_marks):
        with store.change("sync") as change:
            change.undoable = False  # undo never reaches another machine's changes
            added = change.add(arrived)
            sync_store.mark_known(change.conn, known)
            for name, mark in new_marks.items():
                sync_store.set_file_mark(change.conn, name, mark)
    from mlpath.export import SECTION_OF  # counted as an import counts them

    counts: dict[str, int] = {}
    for event in added:
        counts[SECTION_OF[event.kind]] = counts.get(SECTION_OF[event.kind], 0) + 1
    return counts, {e.replica for e in added}, problems


def _read_new(store: Store, path: Path, mark: FileMark | None) -> tuple[list[Event], FileMark]:
    """The events a replica's file holds past ``mark``, each checked, and the new mark. A
    file whose part read before has changed is refused: its events are not applied."""
    from mlpath import records
    from mlpath.records import At

    shown = f"{REPLICAS}/{path.name}"
    data = path.read_bytes()
    mark = mark or FileMark(0, sha256(b"").hex())
    if len(data) < mark.size or sha256(data[: mark.size]).hex() != mark.digest:
        raise SyncError(
            f"{shown} was rewritten on the remote (it no longer begins with the {mark.size:,} "
            "bytes this machine read from it): its events were not applied"
        )
    end = data.rfind(b"\n") + 1
    end = max(end, mark.size)
    if data[end:]:
        raise SyncError(f"{shown} ends in the middle of a line: its new events were not applied")
    events: list[Event] = []
    line = data.count(b"\n", 0, mark.size)
    for raw in data[mark.size : end].split(b"\n")[:-1]:  # each line ends with a newline
        line += 1
        at = At(f"{shown}:{line}")
        try:
            item = json.loads(raw)
        except ValueError as exc:
            raise SyncError(
                f"{shown}:{line}: not an event ({exc}): its new events were not applied"
            ) from None
        try:
            events.append(records.event(at, item))
        except InvalidInputError as exc:
            raise SyncError(f"{exc.message}: its new events were not applied") from None
    if clash := sync_store.differing(store, events):
        raise SyncError(
            f"{shown} holds event {clash[0]} with other content than this machine has: its new "
            "events were not applied"
        )
    return events, FileMark(end, sha256(data[:end]).hex())


def _own_name(store: Store) -> str:
    """This machine's file: named by its replica, and by how many times it started over
    (`sync init` again), since the others may have read an earlier file of it."""
    from mlpath.store.events import replica

    generation = sync_store.generation(store)
    suffix = f".{generation}" if generation > 1 else ""
    return f"{replica(store.conn)}{suffix}.jsonl"


def _own_problem(store: Store, problems: list[str]) -> bool:
    """Whether this machine's own file on the remote is missing or rewritten: sending more
    onto it would leave the other machines without what it lost."""
    return any(p.startswith(f"{REPLICAS}/{_own_name(store)} ") for p in problems)


def _prepare(store: Store, folder: Path, problems: list[str]) -> _Outgoing:
    """Write what the repository lacks into the clone: the events (unless this machine's
    file on the remote is in doubt) and the custom roadmaps."""
    from mlpath.store.events import line as event_line

    roadmaps = _roadmaps(store, folder)
    if _own_problem(store, problems):
        return _Outgoing([], None, roadmaps.bases, roadmaps.changed)
    own = folder / REPLICAS / _own_name(store)
    ids: list[str] = []
    with contextlib.ExitStack() as opened:
        out = None
        for event in sync_store.unsent(store):  # streamed: a first sync may send years
            if out is None:
                own.parent.mkdir(exist_ok=True)
                out = opened.enter_context(own.open("ab"))
            out.write((event_line(event) + "\n").encode("utf-8"))
            ids.append(event.id)
        if out is not None:
            out.flush()
            os.fsync(out.fileno())
    data = own.read_bytes() if own.exists() else b""
    return _Outgoing(ids, FileMark(len(data), sha256(data).hex()), roadmaps.bases, roadmaps.changed)


# ------------------------------------------------------------------------------- roadmaps


class _RoadmapPlan(NamedTuple):
    bases: dict[str, str | None]
    changed: RoadmapSync


def _roadmaps(store: Store, folder: Path) -> _RoadmapPlan:
    """The custom roadmap files, merged three ways against their state at the last sync:
    a file changed on one side only goes to the other; a file changed on both is a conflict,
    reported and left as it is on both sides (the other version is kept in
    ``$MLPATH_HOME/sync/conflicts``), and it never stops the events."""
    local_dir = paths.user_roadmaps_dir()
    shared = folder / ROADMAPS
    if shared.is_symlink() or (shared.exists() and not shared.is_dir()):
        odd = f"{ROADMAPS}/ in the repository is not a plain folder: left alone"
        return _RoadmapPlan({}, RoadmapSync([], [], [], [odd]))
    bases = sync_store.roadmap_bases(store)
    names = {p.name for d in (local_dir, shared) if d.is_dir() for p in d.glob("*.y*ml")}
    names |= set(bases)
    plan: dict[str, str | None] = {}
    taken: list[str] = []
    sent: list[str] = []
    conflicts: list[str] = []
    refused: list[str] = []
    for name in sorted(names):
        if (shared / name).is_symlink() or (
            (shared / name).exists() and not (shared / name).is_file()
        ):
            refused.append(f"{ROADMAPS}/{name} in the repository is not a plain file: left alone")
            continue
        mine, theirs = _digest(local_dir / name), _digest(shared / name)
        base = bases.get(name)
        if mine == theirs:
            if base != mine:
                plan[name] = mine
        elif mine == base:
            if _take(shared / name, local_dir / name, refused):
                taken.append(name)
                plan[name] = theirs
        elif theirs == base:
            _send(local_dir / name, shared / name)
            sent.append(name)
            plan[name] = mine
        else:
            _keep_theirs(shared / name, name)
            conflicts.append(name)
    return _RoadmapPlan(plan, RoadmapSync(taken, sent, conflicts, refused))


def _digest(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes()).hex()
    except FileNotFoundError:
        return None


def _take(theirs: Path, mine: Path, refused: list[str]) -> bool:
    """Bring another machine's version of a roadmap here, if it is a valid roadmap."""
    from mlpath.fileio import atomic_write_bytes

    if not theirs.exists():
        mine.unlink(missing_ok=True)
        return True
    from mlpath.roadmap_ops import validate_files

    report = validate_files([theirs])
    if not report.ok:
        first = report.files[0].problems[0].split(": ", 1)[-1]
        refused.append(
            f"{ROADMAPS}/{theirs.name} from another machine is not a valid roadmap ({first}): "
            "it was not taken"
        )
        return False
    atomic_write_bytes(mine, theirs.read_bytes())
    return True


def _send(mine: Path, theirs: Path) -> None:
    if not mine.exists():
        theirs.unlink(missing_ok=True)
        return
    theirs.parent.mkdir(exist_ok=True)
    shutil.copyfile(mine, theirs)


def _keep_theirs(theirs: Path, name: str) -> None:
    folder = paths.home() / "sync" / "conflicts"
    folder.mkdir(parents=True, exist_ok=True)
    if theirs.exists():
        shutil.copyfile(theirs, folder / name)


# ------------------------------------------------------------------------------------- git


def _repo() -> Path:
    return paths.home() / "sync" / "repo"


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """One sync of this machine at a time: the clone is this machine's working copy."""
    folder = paths.home() / "sync"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        waited = 0.0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if waited >= LOCK_WAIT:
                    raise SyncError(
                        "another mlpath sync of this machine is still running"
                    ) from None
                time.sleep(0.2)
                waited += 0.2
        yield
    finally:
        os.close(fd)


def _checked_remote(remote: str, create: bool) -> str:
    text = remote.strip()
    if not text or not text.isprintable() or len(text) > 4096:
        raise InvalidInputError("REMOTE must be a git URL or a path")
    if text.startswith("-"):
        raise InvalidInputError(f"REMOTE {text!r} starts with '-': give a git URL or a path")
    if text.split("::", 1)[0].lower() in ("ext", "fd"):
        raise InvalidInputError(
            f"REMOTE {text!r}: mlpath does not run git's ext:: or fd:: transports"
        )
    looks_remote = "://" in text or (":" in text.split("/", 1)[0] and not Path(text).exists())
    if create and looks_remote:
        raise InvalidInputError("--create makes a repository at a local path, not at a URL")
    if not looks_remote:
        path = Path(text).expanduser().absolute()
        if not create and not path.exists():
            raise InvalidInputError(
                f"no repository at {path}; give a git URL, or --create to make one there"
            )
        return str(path)
    return text


def _create_bare(path: Path) -> None:
    if path.exists() and any(path.iterdir()):
        if (path / "HEAD").is_file() and (path / "objects").is_dir():
            return  # already a bare repository: use it
        raise SyncError(f"{path} exists and is not empty; --create makes a new repository")
    path.parent.mkdir(parents=True, exist_ok=True)
    gitsafe.run(
        path.parent, "init", "--quiet", "--bare", f"--initial-branch={BRANCH}", "--", str(path)
    )


def _clone(remote: str, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        gitsafe.run(folder.parent, "clone", "--quiet", "--origin=origin", "--", remote, str(folder))
    except gitsafe.GitError as exc:
        raise SyncError(f"cannot reach {remote} ({exc.message}); nothing was changed") from None


def _adopt(remote: str, folder: Path) -> None:
    """Make an empty repository mlpath's (a marker file and a first commit), or check that a
    repository with content is one mlpath made."""
    other = SyncError(
        f"{remote} holds other things than mlpath's sync data; use an empty repository, or "
        "one another machine set up with `mlpath sync init`"
    )
    if gitsafe.run(folder, "for-each-ref", "--format=%(refname)", "refs/remotes").strip():
        if not _has_remote_branch(folder):
            raise other  # branches, but not mlpath's
        gitsafe.run(
            folder, "checkout", "--quiet", "--force", "-B", BRANCH, f"refs/remotes/origin/{BRANCH}"
        )
        if not (folder / MARKER).is_file() or (folder / MARKER).is_symlink():
            raise other
        _check_layout(folder)
        return
    gitsafe.run(folder, "symbolic-ref", "HEAD", f"refs/heads/{BRANCH}")
    (folder / MARKER).write_text(json.dumps({"format": "mlpath-sync", "layout": LAYOUT}) + "\n")
    (folder / REPLICAS).mkdir(exist_ok=True)
    (folder / REPLICAS / ".keep").write_text("")
    gitsafe.run(folder, "add", "--", MARKER, f"{REPLICAS}/.keep")
    _commit(folder, "Start mlpath sync")
    try:
        gitsafe.run(folder, "push", "--quiet", "origin", f"{BRANCH}:{BRANCH}")
    except gitsafe.GitError as exc:
        raise SyncError(f"cannot write to {remote} ({exc.message}); nothing was changed") from None


def _check_layout(folder: Path) -> None:
    try:
        layout = json.loads((folder / MARKER).read_text(encoding="utf-8")).get("layout")
    except (OSError, ValueError, AttributeError):
        layout = None
    if not isinstance(layout, int) or layout > LAYOUT:
        raise SyncError(
            f"the sync repository was written by a newer mlpath (layout {layout}); "
            "upgrade mlpath: pip install --upgrade mlpath"
        )


def _usable_repo(remote: str) -> Path:
    """The clone, mended after an interrupted sync: stale git lock files removed (this
    machine's lock is held, so no git of ours runs there), or cloned again when it is
    broken or gone."""
    folder = _repo()
    for lock in ("index.lock", "HEAD.lock", "ORIG_HEAD.lock", "packed-refs.lock",
                 "config.lock", "shallow.lock", f"refs/heads/{BRANCH}.lock",
                 f"refs/remotes/origin/{BRANCH}.lock"):  # fmt: skip
        _remove_stale(folder / ".git" / lock)
    if (folder / ".git" / "HEAD").is_file() and (folder / ".git" / "config").is_file():
        return folder
    shutil.rmtree(folder, ignore_errors=True)  # gone, or a clone killed half-way
    _clone(remote, folder)
    return folder


def _remove_stale(lock: Path, settle: float = 10.0) -> None:
    """Delete a git lock file an interrupted sync left. A git started by a sync that was
    killed alone (kill -9 of mlpath, not of its group) may still be finishing and holding
    it: a lock younger than ``settle`` seconds is given until then to go by itself."""
    while True:
        try:
            age = time.time() - lock.stat().st_mtime
        except FileNotFoundError:
            return
        if age >= settle or age < -settle:  # old, or from a clock far ahead
            lock.unlink(missing_ok=True)
            return
        time.sleep(0.05)


def _fetch(folder: Path, remote: str) -> None:
    try:
        gitsafe.run(folder, "fetch", "--quiet", "--prune", "origin")
    except gitsafe.GitError as exc:
        raise SyncError(
            f"cannot reach {remote} ({exc.message}); nothing was sent or received, and your "
            "data here is untouched: the next `mlpath sync` sends everything"
        ) from None


def _has_remote_branch(folder: Path) -> bool:
    try:
        gitsafe.run(folder, "rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{BRANCH}")
        return True
    except gitsafe.GitError:
        return False


def _reset(folder: Path, remote: str) -> None:
    """The clone exactly as the remote's branch: whatever an interrupted sync left goes."""
    try:
        gitsafe.run(
            folder, "checkout", "--quiet", "--force", "-B", BRANCH, f"refs/remotes/origin/{BRANCH}"
        )
    except gitsafe.GitError:
        raise SyncError(
            f"{remote} has no {BRANCH} branch (was it emptied?); nothing was changed: "
            "`mlpath sync init REMOTE` starts it again"
        ) from None
    gitsafe.run(folder, "clean", "--quiet", "--force", "-d", "-x")
    _check_layout(folder)


def _commit(folder: Path, message: str) -> None:
    """Commit as the learner when git knows who they are, else as mlpath (this repository
    only: nothing is written to their git config)."""
    known = gitsafe.has_identity(gitsafe.user_config(folder))
    env = {} if known else gitsafe.identity_env(*IDENTITY)
    gitsafe.run(
        folder, "commit", "--quiet", "--no-verify", "--no-gpg-sign", f"--message={message}",
        env=env,
    )  # fmt: skip


def _push(folder: Path, remote: str, outgoing: _Outgoing) -> bool:
    """Commit what was prepared and push it (nothing, when nothing was written); False when
    another machine pushed first."""
    if not outgoing.events and not outgoing.changed.sent:
        return True
    gitsafe.run(folder, "add", "--all", "--", ".")
    if not gitsafe.run(folder, "status", "--porcelain").strip():
        return True
    from mlpath.projects import this_host

    _commit(folder, f"mlpath sync from {this_host()}: {len(outgoing.events)} events")
    for wait in _LOCK_WAITS:
        try:
            gitsafe.run(folder, "push", "--quiet", "origin", f"{BRANCH}:{BRANCH}", shielded=True)
            return True
        except gitsafe.GitError as exc:
            if _RACED.search(exc.output):
                return False  # another machine pushed first: fetch, merge, try again
            locked = _LOCKED.search(exc.output)
            if not locked:
                raise SyncError(
                    f"cannot send to {remote} ({exc.message}); nothing was lost: the next "
                    "`mlpath sync` sends everything"
                ) from None
            if wait is None:  # held all along: left by a git that was killed
                raise SyncError(
                    f"{remote} is locked by a file a killed git left: {locked[1]}; when no "
                    "sync is running, delete that file and sync again (nothing was lost)"
                ) from None
            time.sleep(wait)  # another push (another machine's) is updating the branch
    raise AssertionError("unreachable")


# git's words when another push got there first (refused before sending, or found while
# updating the branch), and when a ref it must update is locked; how long a push waits for
# a lock to go before saying it was left behind (a branch update holds one for milliseconds).
_RACED = re.compile(r"\((fetch first|non-fast-forward)\)|is at [0-9a-f]+ but expected [0-9a-f]+")
_LOCKED = re.compile(r"Unable to create '([^']+\.lock)': File exists")
_LOCK_WAITS = (0.2, 0.5, 1.0, 2.0, None)
