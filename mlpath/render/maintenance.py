"""Text for backup and doctor."""

from __future__ import annotations

from mlpath.maintenance import BackupResult, DoctorResult
from mlpath.render.output import Out, Segment, warn

_MARK = {"ok": ("ok", "green"), "warn": ("warn", "yellow"), "fail": ("FAIL", "bold red")}


def render_backup(result: BackupResult, out: Out) -> None:
    out.line(("Backed up ", "bold green"), f"{result.records} records to {result.path}")
    if result.removed:
        out.line(("Removed older backups: ", "grey50"), ", ".join(result.removed))
    if result.warning:
        warn(result.warning)


def render_doctor(result: DoctorResult, out: Out) -> None:
    rows: list[list[Segment]] = [
        [_MARK[c.status], (c.name, "bold"), c.detail] for c in result.checks
    ]
    out.table(rows, indent=0)
