"""Text for new-project, projects and projects forget."""

from __future__ import annotations

import shlex
import sys
from collections import Counter
from collections.abc import Sequence

from mlpath.projects import ForgetResult, ProjectRow
from mlpath.render.output import Out, Segment, local_date, plural
from mlpath.scaffold import NewProjectResult, TemplateChoice, TemplateInfo


def render_templates(templates: list[TemplateInfo], out: Out) -> None:
    for t in templates:
        out.line((t.id, "bold"), "  ", t.title, (f"  ({t.difficulty})", "grey50"))
        out.line("  ", t.description)
        out.line(("  topics: ", "grey50"), ", ".join(t.topics))
        out.blank()
    out.line(("Start one with `mlpath new-project ID NAME`.", "grey50"))


def render_picker(choices: list[TemplateChoice], out: Out) -> None:
    """The built-in templates to choose from, numbered, with how far the learner is."""
    out.line(("Which template?", "bold"), (" (`mlpath new-project --list` describes them)",
                                          "grey50"))  # fmt: skip
    rows: list[list[Segment]] = []
    for number, choice in enumerate(choices, 1):
        t = choice.template
        total = len(t.topics)
        progress: Segment = (
            ("ready: all its topics done", "green")
            if choice.ready
            else (f"{choice.finished} of {plural(total, 'topic')} done", "grey50")
        )
        rows.append([f"{number}.", (t.id, "bold"), t.difficulty, progress])
    out.table(rows)


def render_created(result: NewProjectResult, out: Out) -> None:
    out.line(("Created ", "bold green"), (result.path, "bold"), f" from {result.template}")
    git = result.git
    if git.status == "committed":
        who = {"placeholder": " (placeholder author)", "answers": " (the author you gave)"}
        out.line(
            f"git: branch {git.branch}, first commit {git.commit[:10] if git.commit else ''}"
            + who.get(git.identity or "", "")
        )
    elif git.status == "skipped":
        out.line("git: not initialised (--no-git)")
    render_advice(git.advice)
    if result.topics:
        out.line(("Exercises: ", "grey50"), ", ".join(result.topics))
    out.line(("Next: ", "bold"), f"cd {result.path} and read README.md (make help lists the tasks)")


def render_advice(advice: Sequence[str]) -> None:
    """Advice on stderr: a warning, its first line marked, the others indented under it."""
    err = Out(sys.stderr)
    for i, line in enumerate(advice):
        err.line(("warning: ", "yellow bold") if i == 0 else "  ", line)


def render_projects(rows: list[ProjectRow], out: Out) -> None:
    if not rows:
        out.line("No projects in your list. Start one with `mlpath new-project --list`.")
        return
    for row in rows:
        if not row.here:  # made on another machine: its folder is there, not here
            out.line((row.name, "bold"), "  ", row.template, (f"  on {row.host}", "grey50"))
        else:
            last = f", last {local_date(row.last_commit)}" if row.last_commit else ""
            history = f"{plural(row.commits, 'commit')}{last}" if row.commits else "no commits"
            state: Segment = (history, "grey50") if row.exists else ("folder missing", "red")
            out.line((row.name, "bold"), "  ", row.template, "  ", state)
            where: Segment = row.path if row.exists else (f"{row.path} (missing)", "red")
            out.line("  ", where)
        if row.topics:
            out.line(("  topics: ", "grey50"), ", ".join(row.topics), hang=10)
    gone = [row for row in rows if row.here and not row.exists]
    if gone:
        out.blank()
        named = Counter(row.name for row in rows)
        out.line(("Folder gone? Take the project off this list (nothing on disk is touched):",
                  "grey50"))  # fmt: skip
        for row in gone:
            # A name two projects share would be refused: the path tells them apart.
            ref = row.name if named[row.name] == 1 else row.path
            out.line("  mlpath projects forget ", shlex.quote(ref))


def render_forgotten(result: ForgetResult, out: Out) -> None:
    for project in result.forgotten:
        if not project.here:
            kept = f"its folder on {project.host} is not touched"
        elif project.exists:
            kept = f"its folder {project.path} is left as it is"
        else:
            kept = f"its folder {project.path} was already gone"
        out.line(("Forgot ", "bold"), (project.name, "bold"), f" ({project.template}): ", kept)
    out.line(("`mlpath undo` lists it again.", "grey50"))
