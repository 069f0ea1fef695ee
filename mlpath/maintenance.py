"""Looking after the learner's data: `mlpath backup` and `mlpath doctor`."""

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from mlpath import paths
from mlpath.errors import MlpathError, StoreError
from mlpath.store import (
    Store,
    copy_to,
    facts,
    inspect,
    remove_stale_temp_files,
    schema_version,
    stale_temp_files,
    verify,
)

KEEP_BACKUPS = 10
BACKUP_PREFIX = "mlpath-"


class BackupResult(NamedTuple):
    path: str
    bytes: int
    records: int
    kept: list[str]
    removed: list[str]
    warning: str | None = None


class Check(NamedTuple):
    name: str
    status: str  # ok | warn | fail
    detail: str


class DoctorResult(NamedTuple):
    home: str
    store: str
    checks: Sequence[Check] = ()

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)


def backups_dir() -> Path:
    return paths.home() / "backups"


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def backup(target: Path | None = None) -> BackupResult:
    """Copy the store with SQLite's online backup API, verify the copy, then rotate.

    The copy is written to a temp file beside its final name and renamed into place only once
    it has passed an integrity check, so an interrupted backup never replaces anything.
    Rotation keeps the newest KEEP_BACKUPS copies, and removes nothing at all when the new
    copy holds fewer records than the newest previous one: a good backup is never pushed out
    by a smaller or empty one. Backups running at once take turns at the rotation.
    """
    source = paths.db_path()
    if not source.exists():
        raise MlpathError(f"nothing to back up yet: {source} does not exist")
    with Store.open() as store:  # a file that is not a store is refused before anything
        rotate = target is None
        final = _backup_path(target)
        if rotate:
            remove_stale_temp_files(final.parent)
        try:
            records = copy_to(store.conn, final)
        except StoreError as exc:
            raise MlpathError(f"no backup was made: {exc.message}") from None
    kept, removed, warning = _rotate(final, records) if rotate else ([str(final)], [], None)
    return BackupResult(str(final), final.stat().st_size, records, kept, removed, warning)


def _backup_path(target: Path | None) -> Path:
    """Where a backup goes: a new stamped file in the backups folder or in the folder the
    learner named, or the new file they named. The folder is created when missing."""
    folder = backups_dir() if target is None else target.expanduser()
    try:
        into_folder = target is None or folder.is_dir()
    except OSError as exc:  # a name too long for the file system, say
        raise MlpathError(f"cannot use {target} as a backup path ({exc.strerror})") from None
    if into_folder:
        final = folder / f"{BACKUP_PREFIX}{_stamp()}.db"
    else:
        final, folder = folder, folder.parent
    if target is not None and os.path.lexists(final):
        raise MlpathError(f"{final} already exists; choose another path")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MlpathError(f"cannot write a backup in {folder}: {exc.strerror}") from None
    return final


@contextlib.contextmanager
def _rotation_lock(folder: Path) -> Iterator[None]:
    """Backups running at once take turns at rotating, so that none removes a file another
    is still looking at. The lock is on the folder itself, so no lock file is left in it."""
    try:
        import fcntl
    except ImportError:  # not POSIX: rotation is rare enough to go without
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _rotate(newest: Path, records: int) -> tuple[list[str], list[str], str | None]:
    with _rotation_lock(newest.parent):
        existing = sorted(newest.parent.glob(f"{BACKUP_PREFIX}*.db"))
        older = [p for p in existing if p != newest]
        if older:
            problem, previous = verify(older[-1])
            if problem is None and records < previous:
                warning = (
                    f"this backup holds fewer records ({records}) than the previous one "
                    f"({previous}, {older[-1].name}); no older backup was removed"
                )
                return [str(p) for p in existing], [], warning
        surplus = existing[:-KEEP_BACKUPS] if len(existing) > KEEP_BACKUPS else []
        for path in surplus:
            path.unlink(missing_ok=True)
    return [str(p) for p in existing if p not in surplus], [str(p) for p in surplus], None


def doctor() -> DoctorResult:
    """Check the store, its backups and the roadmaps, changing nothing."""
    home = paths.home()
    db = paths.db_path()
    checks = [Check("data folder", "ok" if home.is_dir() else "warn", _describe_home(home))]
    checks.extend(_store_checks(db))
    checks.append(_backup_check())
    checks.append(_leftovers_check(home))
    checks.append(_roadmap_check())
    git = shutil.which("git")
    checks.append(
        Check("git", "ok", git)
        if git
        else Check("git", "warn", "not found: new projects get no repository")
    )
    return DoctorResult(str(home), str(db), checks)


def _describe_home(home: Path) -> str:
    source = f"${paths.HOME_ENV}" if os.environ.get(paths.HOME_ENV) else "default"
    state = "" if home.is_dir() else " (not created yet)"
    return f"{home} ({source}){state}"


def _store_checks(db: Path) -> list[Check]:
    if not db.exists():
        return [Check("store", "ok", f"{db} not created yet: it appears with your first record")]
    if db.stat().st_size == 0:
        return [Check("store", "fail", f"{db} is empty (0 bytes); restore a backup")]
    try:
        integrity, version, mode, records = facts(db)
    except OSError as exc:
        return [Check("store", "fail", f"{db} cannot be opened: {exc}")]
    except sqlite3.DatabaseError as exc:
        return [Check("store", "fail", f"{db} is damaged or not an mlpath store: {exc}")]
    if integrity == "ok" and (foreign := inspect(db)):
        wal = db.with_name(db.name + "-wal")
        cause = f"; {wal.name} may be left from another copy of the store" if wal.exists() else ""
        return [Check("store", "fail", f"{db}: {foreign}{cause}")]
    size = db.stat().st_size
    checks = [
        Check(
            "store integrity",
            "ok" if integrity == "ok" else "fail",
            f"{db}: {records} records, {size:,} bytes, {mode} journal"
            if integrity == "ok"
            else f"{db}: {integrity}; restore a backup",
        )
    ]
    target = schema_version()
    if version > target:
        checks.append(
            Check(
                "store schema",
                "fail",
                f"version {version} is newer than this mlpath ({target}): upgrade mlpath",
            )
        )
    elif version < target:
        checks.append(
            Check(
                "store schema",
                "warn",
                f"version {version}; migrates to {target} (with a backup) on the next write",
            )
        )
    else:
        checks.append(Check("store schema", "ok", f"version {version}"))
    return checks


def _backup_check() -> Check:
    found = sorted(backups_dir().glob(f"{BACKUP_PREFIX}*.db"))
    if not found:
        return Check("backups", "warn", f"none yet in {backups_dir()}: run `mlpath backup`")
    why, records = verify(found[-1])
    newest = found[-1].name
    if why:
        return Check("backups", "fail", f"newest backup {newest} is not sound ({why})")
    return Check(
        "backups", "ok", f"{len(found)} in {backups_dir()}; newest {newest} ({records} records)"
    )


def _leftovers_check(home: Path) -> Check:
    """Temp files left by an mlpath that was killed mid-write: harmless, and removed by the
    next run of the command that left them."""
    from mlpath.scaffold import stale_staging

    found = [
        path
        for folder in (home, backups_dir(), paths.cache_dir())
        if folder.is_dir()
        for path in stale_temp_files(folder)
    ]
    found += stale_staging(Path.cwd())  # a new-project killed here left its staging folder
    if not found:
        return Check("leftovers", "ok", "no temp files left by an interrupted mlpath")
    listed = ", ".join(str(p) for p in found[:3]) + (" ..." if len(found) > 3 else "")
    return Check(
        "leftovers",
        "warn",
        f"{len(found)} temp files or folders older than an hour, left by an interrupted mlpath: "
        f"{listed}; the next run of the same command removes them (or delete them)",
    )


def _roadmap_check() -> Check:
    from mlpath.roadmaps import build_catalog, roadmap_files

    files = roadmap_files()
    catalog, problems = build_catalog(files)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Check("roadmaps", "fail", f"{first}{more}")
    topics = len(catalog.topics)
    return Check("roadmaps", "ok", f"{len(catalog.roadmaps)} roadmaps, {topics} topics, all valid")
