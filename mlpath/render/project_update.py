"""Text for `project check` and `project update`."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from mlpath.project_update import SHORT, Base, CheckResult, FileChange, UpdateResult, Version
from mlpath.render.output import Out, Segment, plural
from mlpath.render.projects import render_advice

_STYLES = {"added": "green", "changed": "yellow", "removed": "red", "renamed": "cyan"}


def _version(v: Version) -> str:
    return f"sha256 {v.sha256[:SHORT]} (mlpath {v.mlpath or 'unknown'})"


def _here(project: str) -> str:
    """`` PATH`` for a command line naming the project, unless it is the current folder."""
    return "" if Path(project) == Path.cwd().resolve() else f" {shlex.quote(project)}"


def _files(files: list[FileChange], out: Out) -> None:
    rows: list[list[Segment]] = []
    for f in files:
        where = f"{f.old_path} -> {f.path}" if f.old_path else f.path
        rows.append([(f.change, _STYLES[f.change]), where])
    out.table(rows)


def _changes_line(files: list[FileChange], would: bool) -> str:
    verb = "would change" if would else "changed"
    if not files:
        return f"The template {verb} no file but the project's record (.mlpath-project.json)."
    return f"The template {verb} {plural(len(files), 'file')}:"


def _up_to_date(result: CheckResult | UpdateResult, out: Out, then: str = "") -> None:
    has = f" is from {result.template} as this mlpath has it, {_version(result.available)}"
    out.line(("Up to date: ", "bold green"), result.project, f"{has}{then}.")


def render_check(result: CheckResult, out: Out) -> None:
    if not result.behind:
        _up_to_date(result, out)
        return
    behind = f"at {_version(result.recorded)}; this mlpath has {_version(result.available)}."
    out.line(("Behind: ", "bold yellow"), result.project, f" is from {result.template} {behind}")
    _base_line(result.base, out)
    out.line(_changes_line(result.files, would=True))
    _files(result.files, out)
    command = f"mlpath project update{_here(result.project)}"
    out.line(("Next: ", "bold"), f"`{command} --diff` shows the changes, `{command}` merges "
             "them.")  # fmt: skip


def _base_line(base: Base | None, out: Out) -> None:
    if base is not None and base.found_by == "root-commit":
        out.line(("Its base is its first commit, as mlpath made it (the project is older "
                  "than mlpath's template branch).", "grey50"))  # fmt: skip


def render_update(result: UpdateResult, out: Out) -> None:
    if result.status == "up-to-date":
        _up_to_date(result, out, "; nothing to do")
        return
    versions = f"{_version(result.recorded)} -> {_version(result.available)}"
    if result.status == "preview":
        out.line(("Not changed: ", "bold"), f"what updating {result.project} ({versions}) would "
                 f"bring from {result.template}:")  # fmt: skip
        _patch(result.diff or "", out)
        return
    render_advice(result.advice)
    moved = f"{result.template}, {versions}"
    if result.status == "merged":
        commit = (result.commit or "")[:10]
        out.line(("Updated ", "bold green"), result.project, f" from {moved}: merge commit "
                 f"{commit}.")  # fmt: skip
        _base_line(result.base, out)
        out.line(_changes_line(result.files, would=False))
        _files(result.files, out)
        out.line(("To take it back: ", "grey50"), f"cd {shlex.quote(result.project)} && git "
                 "reset --keep HEAD~1")  # fmt: skip
        return
    out.line(("Merging ", "bold"), f"{moved} into ", result.project,
             f" stopped at {plural(len(result.conflicts), 'conflict')}:")  # fmt: skip
    out.table([[("conflict", "red bold"), path] for path in result.conflicts])
    err = Out(sys.stderr)
    err.line(
        ("error: ", "bold red"),
        f"the update conflicts with your changes in {plural(len(result.conflicts), 'file')}; "
        f"in {result.project}, resolve them (`git status` lists them), `git add` them and "
        "`git commit`, or back out with `git merge --abort`",
    )


_PATCH_STYLES = (("diff --git", "bold"), ("+++", "bold"), ("---", "bold"), ("@@", "cyan"),
                 ("+", "green"), ("-", "red"))  # fmt: skip


def _patch(diff: str, out: Out) -> None:
    for line in diff.splitlines():
        style = next((s for start, s in _PATCH_STYLES if line.startswith(start)), "")
        out.line((line, style) if style else line, hang=0)
