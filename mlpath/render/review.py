"""Text for review: the week against the goal, topic changes, commits, the rhythm, entries."""

from __future__ import annotations

import datetime as dt

from mlpath.render import activity
from mlpath.render import journal as journal_text
from mlpath.render.output import Out, hours, join, plural
from mlpath.review import ReviewResult


def render_review(result: ReviewResult, out: Out) -> None:
    start = dt.date.fromisoformat(result.start)
    out.line(
        ("Week ", "bold"),
        (journal_text.week_span(result.week, start), "bold"),
        (" · planned break" if result.on_break else "", "grey50"),
    )
    out.blank()
    activity.labelled(
        out,
        "Hours",
        *out.bar(min(result.hours / result.goal, 1.0), 16),
        f"  {hours(result.hours)} of {hours(result.goal)} goal",
    )
    moved = result.topics.described()
    activity.labelled(out, "Topics", " · ".join(moved) if moved else ("no changes", "grey50"))
    per_project: dict[str, int] = {}
    for commit in result.commits:
        per_project[commit.project] = per_project.get(commit.project, 0) + 1
    commits = [f"{plural(n, 'commit')} in {name}" for name, n in per_project.items()]
    activity.labelled(out, "Commits", join(commits) if commits else ("none", "grey50"))
    activity.rhythm(out, result.streak, result.pace, result.finish)
    activity.goal_line(out, result.goal_date)
    for row in result.finish.roadmaps:
        if row.date:
            out.line(" " * activity.LABEL, f"{row.id} by {row.date}")
    out.blank()
    out.line((plural(len(result.entries), "entry", "entries"), "bold"))
    for item in result.entries:
        journal_text.entry(out, item)
