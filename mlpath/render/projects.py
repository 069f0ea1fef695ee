"""Text for new-project and projects."""

from __future__ import annotations

import sys

from mlpath.projects import ProjectRow
from mlpath.render.output import Out, Segment, local_date, plural
from mlpath.scaffold import NewProjectResult, TemplateInfo


def render_templates(templates: list[TemplateInfo], out: Out) -> None:
    for t in templates:
        out.line((t.id, "bold"), "  ", t.title, (f"  ({t.difficulty})", "grey50"))
        out.line("  ", t.description)
        out.line(("  topics: ", "grey50"), ", ".join(t.topics))
        out.blank()
    out.line(("Start one with `mlpath new-project ID NAME`.", "grey50"))


def render_created(result: NewProjectResult, out: Out) -> None:
    out.line(("Created ", "bold green"), (result.path, "bold"), f" from {result.template}")
    git = result.git
    if git.status == "committed":
        who = " (placeholder author)" if git.identity == "placeholder" else ""
        out.line(
            f"git: branch {git.branch}, first commit {git.commit[:10] if git.commit else ''}{who}"
        )
    elif git.status == "skipped":
        out.line("git: not initialised (--no-git)")
    err = Out(sys.stderr)
    for i, line in enumerate(git.advice):
        err.line(("warning: ", "yellow bold") if i == 0 else "  ", line)
    if result.topics:
        out.line(("Exercises: ", "grey50"), ", ".join(result.topics))
    out.line(("Next: ", "bold"), f"cd {result.path} and read README.md (make help lists the tasks)")


def render_projects(rows: list[ProjectRow], out: Out) -> None:
    if not rows:
        out.line("No projects yet. Start one with `mlpath new-project --list`.")
        return
    table: list[list[Segment]] = []
    for row in rows:
        if not row.here:  # made on another machine: its folder is there, not here
            table.append([(row.name, "bold"), row.template, (f"on {row.host}", "grey50"), "", ""])
            continue
        where: Segment = row.path if row.exists else (f"{row.path} (missing)", "red")
        last = f"last {local_date(row.last_commit)}" if row.last_commit else "no commits"
        table.append([(row.name, "bold"), row.template, where, plural(row.commits, "commit"), last])
    out.table(table, indent=0)
