"""Text for report: what was written."""

from __future__ import annotations

from mlpath.render.output import Out, plural
from mlpath.tuples import NamedTuple


class ReportResult(NamedTuple):
    file: str
    badge: str | None
    public: bool
    journal: bool  # the journal is in the page
    hours_left: float
    weeks: int  # of history in the charts
    topics_done: int
    projects: int


def render_report(result: ReportResult, out: Out) -> None:
    kind = "public report" if result.public else "report"
    with_journal = ", with your journal" if result.journal else ""
    out.line(("Wrote ", "bold"), f"your {kind} to {result.file}{with_journal}: "
             f"{plural(result.weeks, 'week')}, {plural(result.topics_done, 'topic')} done, "
             f"{plural(result.projects, 'project')}.")  # fmt: skip
    if result.badge:
        out.line(("Badge: ", "bold"), result.badge)
    out.line(("Open it in any browser; it needs no network.", "grey50"))
