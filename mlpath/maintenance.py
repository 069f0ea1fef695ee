"""Looking after the learner's data: `mlpath backup` (with `--list` and `restore`) and
`mlpath doctor`."""

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mlpath import paths
from mlpath.errors import MlpathError, NotFoundError, StoreBusyError, StoreError
from mlpath.store import (
    Store,
    copy_to,
    facts,
    fsync_path,
    inspect,
    remove_stale_temp_files,
    schema_version,
    stale_temp_files,
    verify,
)
from mlpath.tuples import NamedTuple

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
        return _backup_of(store, target)


def _backup_of(store: Store, target: Path | None = None) -> BackupResult:
    """The copy `mlpath backup` makes of an open store, and its rotation."""
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
    from mlpath.roadmaps import build_catalog, roadmap_files, track_files

    catalog, problems = build_catalog(roadmap_files(), tracks=track_files())
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Check("roadmaps", "fail", f"{first}{more}")
    topics = len(catalog.topics)
    tracks = f"{len(catalog.tracks)} track{'' if len(catalog.tracks) == 1 else 's'}"
    return Check(
        "roadmaps", "ok", f"{len(catalog.roadmaps)} roadmaps, {topics} topics, {tracks}, all valid"
    )


# ------------------------------------------------------------------ listing and restoring


class BackupInfo(NamedTuple):
    name: str
    path: str
    taken: str  # UTC: the time in its name, else the file's modification time
    bytes: int
    records: int | None  # None when it cannot be read
    schema: int | None
    problem: str | None  # why it cannot be restored, or None


class BackupList(NamedTuple):
    folder: str
    backups: list[BackupInfo]  # newest first


class RestoreResult(NamedTuple):
    restored: str  # the backup restored from
    taken: str  # when that backup was made (UTC)
    latest: str | None  # when its latest change was recorded (UTC)
    records: int
    schema: int  # the backup's store schema (upgraded when older than this mlpath's)
    upgraded: bool
    store: str
    previous: str | None  # where the store as it was is kept (None: there was none)
    previous_records: int | None  # None when it was damaged or there was none
    previous_damaged: bool
    syncs: bool  # this store is set up for sync


def list_backups() -> BackupList:
    """The backups in the backups folder, newest first, each read read-only (never
    upgraded) for its record count and schema, or for why it cannot be restored."""
    from mlpath.store import restore as restore_store

    folder = backups_dir()
    found = []
    files = sorted(folder.glob("*.db")) if folder.is_dir() else []
    for path in files:
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            size = path.stat().st_size
            examined = restore_store.examine(path, thorough=False)
        except StoreError as exc:
            found.append(BackupInfo(path.name, str(path), _taken(path), size, None, None,
                                    exc.message))  # fmt: skip
            continue
        except OSError as exc:
            found.append(BackupInfo(path.name, str(path), "", 0, None, None, exc.strerror))
            continue
        found.append(BackupInfo(path.name, str(path), _taken(path), size, examined.records,
                                examined.version, None))  # fmt: skip
    found.sort(key=lambda b: (b.taken, b.name), reverse=True)
    return BackupList(str(folder), found)


def _taken(path: Path) -> str:
    from mlpath.dates import utc_stamp

    stem = path.stem.removeprefix(BACKUP_PREFIX)
    try:
        when = dt.datetime.strptime(stem, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        try:
            when = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        except OSError:
            return ""
    return utc_stamp(when)


def restore(file: Path) -> RestoreResult:
    """Put a backup back as the store: checked first (read-only), copied and upgraded beside
    the store, the current store kept as a backup, then the store replaced in one write
    transaction. Until that commits, the store is as it was."""
    from mlpath.store import restore as restore_store

    source = _find_backup(file)
    db = paths.db_path()
    if db.exists() and _same_file(source, db):
        raise MlpathError(f"{source} is the store itself: name a backup (mlpath backup --list)")
    try:
        examined = restore_store.examine(source)
    except StoreError as exc:
        raise MlpathError(f"cannot restore {source}: {exc.message}; nothing was changed") from None
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MlpathError(f"cannot write in {db.parent} ({exc.strerror})") from None
    remove_stale_temp_files(db.parent)  # copies a killed restore left
    staged, records = restore_store.stage(source, db.parent)
    try:
        previous, previous_records, damaged, syncs = _install(staged, db, examined)
    finally:
        restore_store.discard(staged)
    return RestoreResult(
        str(source), _taken(source), examined.latest, records, examined.version,
        examined.version < schema_version(), str(db), previous, previous_records, damaged, syncs,
    )  # fmt: skip


def _find_backup(file: Path) -> Path:
    """A path as given, else a name in the backups folder (with or without ``.db``)."""
    path = file.expanduser()
    try:
        if path.is_file():
            return path
        named = len(file.parts) == 1 and file.name not in (".", "..")
        if named:
            for candidate in (backups_dir() / file.name, backups_dir() / f"{file.name}.db"):
                if candidate.is_file():
                    return candidate
        exists = path.exists()
    except OSError as exc:
        raise MlpathError(f"cannot use {file} as a backup ({exc.strerror})") from None
    if exists:
        raise MlpathError(f"{file} is not a file: name a backup file")
    where = f" nor a backup in {backups_dir()}" if named else ""
    raise NotFoundError(f"no backup {file}: it is not a file{where}; see `mlpath backup --list`")


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.samefile(other)
    except OSError:
        return False


def _install(staged: Path, db: Path, examined: Any) -> tuple[str | None, int | None, bool, bool]:
    """Replace the store with ``staged``: (where the previous store is kept, its records,
    whether it was damaged, whether the store syncs)."""
    from mlpath.store import StoreReadOnlyError
    from mlpath.store import restore as restore_store
    from mlpath.store import sync as sync_store

    if not db.exists():
        restore_store.new_identity(staged)
        _link_into_place(staged, db)
        return None, None, False, examined.remote is not None
    if restore_store.newer_than_known(db):
        raise MlpathError(
            f"{db} was written by a newer mlpath (store schema newer than {schema_version()}): "
            "restore with that mlpath; nothing was changed"
        )
    try:
        store = Store.open()
    except (StoreBusyError, StoreReadOnlyError) as exc:
        raise MlpathError(f"{exc.message}; nothing was changed") from None
    except StoreError:  # damaged or foreign: kept aside byte for byte, then replaced
        aside = _set_aside(db)
        restore_store.new_identity(staged)
        _replace_file(staged, db)
        return str(aside), None, True, examined.remote is not None
    with store:
        if store.read_only:
            raise MlpathError(f"{store.read_only}; nothing was changed")
        syncs = sync_store.remote(store) is not None
        kept = restore_store.replace_contents(store, staged, _keep_current)
    return kept.path, kept.records, False, syncs


def _keep_current() -> BackupResult:
    """`mlpath backup` of the store, run while the restore holds its write lock: through a
    connection of its own, since SQLite copies nothing from a connection that is writing.
    With the lock held, what it copies is what the restore replaces."""
    with Store.open() as store:
        return _backup_of(store)


def _set_aside(db: Path) -> Path:
    """A store mlpath cannot open, moved into the backups folder as it is (its log too)."""
    folder = backups_dir()
    stamp = _stamp()
    aside = folder / f"damaged-{stamp}.db"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".damaged-{stamp}.db.tmp"
        shutil.copyfile(db, tmp)
        fsync_path(tmp)
        os.replace(tmp, aside)
        for suffix in ("-wal", "-shm"):
            beside = db.with_name(db.name + suffix)
            if beside.exists():
                if suffix == "-wal":
                    os.replace(beside, aside.with_name(aside.name + suffix))
                else:
                    beside.unlink()
        fsync_path(folder)
    except OSError as exc:
        raise MlpathError(
            f"cannot keep {db} aside in {folder} ({exc.strerror}); nothing was restored"
        ) from None
    return aside


def _replace_file(staged: Path, db: Path) -> None:
    try:
        os.replace(staged, db)
    except OSError as exc:
        raise MlpathError(f"cannot write {db} ({exc.strerror}); nothing was restored") from None
    fsync_path(db.parent)


def _link_into_place(staged: Path, db: Path) -> None:
    for suffix in ("-wal", "-shm"):
        if db.with_name(db.name + suffix).exists():
            raise MlpathError(
                f"{db.name}{suffix} is in {db.parent} without a store: move it aside first; "
                "nothing was changed"
            )
    try:
        os.link(staged, db)
    except FileExistsError:
        raise MlpathError(f"{db} appeared while restoring: run the restore again") from None
    except OSError:  # a file system without hard links
        if db.exists():
            raise MlpathError(f"{db} appeared while restoring: run the restore again") from None
        os.replace(staged, db)
    fsync_path(db.parent)
