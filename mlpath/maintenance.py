"""Looking after the learner's data: `mlpath backup` and `mlpath doctor`."""

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from mlpath import paths
from mlpath.errors import MlpathError, StoreError
from mlpath.store import Store, inspect, readonly_uri, schema_version

KEEP_BACKUPS = 10
BACKUP_PREFIX = "mlpath-"
# The learner's own records: what a backup must not lose.
_CONTENT_TABLES = ("topic_events", "journal_entries", "break_weeks", "projects", "settings")


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


def _records(conn: sqlite3.Connection) -> int:
    """How many of the learner's records a database holds (rows of the content tables)."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return sum(
        conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # table names are constants
        for table in _CONTENT_TABLES
        if table in present
    )


def _verify(path: Path) -> tuple[bool, int, str]:
    """(is it a sound mlpath store, its record count, what is wrong) for a backup file."""
    try:
        conn = sqlite3.connect(readonly_uri(path), uri=True)
    except sqlite3.Error as exc:
        return False, 0, str(exc)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            return False, 0, f"integrity check: {check}"
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if not 1 <= version <= schema_version():
            return False, 0, f"store schema {version}"
        return True, _records(conn), ""
    except sqlite3.Error as exc:
        return False, 0, str(exc)
    finally:
        conn.close()


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def backup(target: Path | None = None) -> BackupResult:
    """Copy the store with SQLite's online backup API, verify the copy, then rotate.

    The copy is written to a temp file beside its final name and renamed into place only once
    it has passed an integrity check, so an interrupted backup never replaces anything.
    Rotation keeps the newest KEEP_BACKUPS copies, and removes nothing at all when the new
    copy holds fewer records than the newest previous one: a good backup is never pushed out
    by a smaller or empty one.
    """
    source = paths.db_path()
    if not source.exists():
        raise MlpathError(f"nothing to back up yet: {source} does not exist")
    rotate = target is None
    folder = backups_dir() if target is None else target.expanduser()
    if target is None or folder.is_dir():
        final = folder / f"{BACKUP_PREFIX}{_stamp()}.db"
    else:
        final, folder = folder, folder.parent
    if final.exists() and not rotate:
        raise MlpathError(f"{final} already exists; choose another path")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise MlpathError(f"cannot write a backup in {folder}: {exc.strerror}") from None
    tmp = Path(tmp_name)
    try:
        with Store.open() as store:
            copy = sqlite3.connect(tmp)
            try:
                store.conn.backup(copy)
                # A backup is one self-contained file: no -wal or -shm beside it.
                copy.execute("PRAGMA journal_mode = DELETE")
            finally:
                copy.close()
        sound, records, why = _verify(tmp)
        if not sound:
            raise StoreError(
                f"the backup copy failed its check ({why}); {source} needs `mlpath doctor`"
            )
        os.replace(tmp, final)
    except OSError as exc:
        raise MlpathError(f"cannot write {final}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    kept, removed, warning = _rotate(final, records) if rotate else ([str(final)], [], None)
    return BackupResult(str(final), final.stat().st_size, records, kept, removed, warning)


def _rotate(newest: Path, records: int) -> tuple[list[str], list[str], str | None]:
    existing = sorted(newest.parent.glob(f"{BACKUP_PREFIX}*.db"))
    older = [p for p in existing if p != newest]
    if older:
        sound, previous, _ = _verify(older[-1])
        if sound and records < previous:
            warning = (
                f"this backup holds fewer records ({records}) than the previous one "
                f"({previous}, {older[-1].name}); no older backup was removed"
            )
            return [str(p) for p in existing], [], warning
    surplus = existing[:-KEEP_BACKUPS] if len(existing) > KEEP_BACKUPS else []
    for path in surplus:
        path.unlink()
    return [str(p) for p in existing if p not in surplus], [str(p) for p in surplus], None


def doctor() -> DoctorResult:
    """Check the store, its backups and the roadmaps, changing nothing."""
    home = paths.home()
    db = paths.db_path()
    checks = [Check("data folder", "ok" if home.is_dir() else "warn", _describe_home(home))]
    checks.extend(_store_checks(db))
    checks.append(_backup_check())
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
        conn = sqlite3.connect(readonly_uri(db), uri=True)
    except sqlite3.Error as exc:
        return [Check("store", "fail", f"{db} cannot be opened: {exc}")]
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        records = _records(conn) if integrity == "ok" else 0
    except sqlite3.DatabaseError as exc:
        return [Check("store", "fail", f"{db} is damaged or not an mlpath store: {exc}")]
    finally:
        conn.close()
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
    sound, records, why = _verify(found[-1])
    newest = found[-1].name
    if not sound:
        return Check("backups", "fail", f"newest backup {newest} is not sound ({why})")
    return Check(
        "backups", "ok", f"{len(found)} in {backups_dir()}; newest {newest} ({records} records)"
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
