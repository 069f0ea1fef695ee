"""Text for backup, backup --list, backup restore and doctor."""

from __future__ import annotations

from pathlib import Path

from mlpath.maintenance import BackupList, BackupResult, DoctorResult, RestoreResult
from mlpath.render.output import Out, Segment, local_time, plural, warn

_MARK = {"ok": ("ok", "green"), "warn": ("warn", "yellow"), "fail": ("FAIL", "bold red")}


def render_backup(result: BackupResult, out: Out) -> None:
    out.line(("Backed up ", "bold green"), f"{result.records} records to {result.path}")
    if result.removed:
        out.line(("Removed older backups: ", "grey50"), ", ".join(result.removed))
    if result.warning:
        warn(result.warning)


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KiB"
    return f"{count / (1024 * 1024):.1f} MiB"


def render_backup_list(result: BackupList, out: Out) -> None:
    if not result.backups:
        out.line(f"No backups in {result.folder} yet: `mlpath backup` makes one.")
        return
    rows: list[list[Segment]] = []
    for item in result.backups:
        when = (local_time(item.taken), "grey50") if item.taken else ""
        if item.problem is None:
            what: Segment = f"{plural(item.records or 0, 'record')}, schema {item.schema}"
        else:
            what = (f"cannot be restored: {item.problem}", "bold red")
        rows.append([when, item.name, _size(item.bytes), what])
    out.table(rows, indent=0)
    out.line(("Restore one with `mlpath backup restore NAME`.", "grey50"))


def render_restore(result: RestoreResult, out: Out) -> None:
    latest = f"; its latest change {local_time(result.latest)}" if result.latest else ""
    out.line(
        ("Restored ", "bold green"),
        f"{plural(result.records, 'record')} from {result.restored} "
        f"(made {local_time(result.taken)}{latest})",
    )
    if result.upgraded:
        out.line(("  upgraded from store schema ", "grey50"), f"{result.schema} to this mlpath's")
    if result.previous is None:
        out.line(("There was no store before: nothing else was kept.", "grey50"))
    else:
        held = (
            "could not be opened and is kept byte for byte"
            if result.previous_damaged
            else f"({plural(result.previous_records or 0, 'record')}) is kept"
        )
        out.line(f"Your previous store {held} as {result.previous}")
        if not result.previous_damaged:
            out.line(
                ("To go back: ", "grey50"), f"mlpath backup restore {Path(result.previous).name}"
            )
    if result.syncs:
        out.line(
            ("This machine syncs: ", "yellow"),
            "the next `mlpath sync` brings back the changes the repository holds, "
            "from this machine too.",
        )


def render_doctor(result: DoctorResult, out: Out) -> None:
    rows: list[list[Segment]] = [
        [_MARK[c.status], (c.name, "bold"), c.detail] for c in result.checks
    ]
    out.table(rows, indent=0)
