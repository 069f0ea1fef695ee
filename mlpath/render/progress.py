"""Text for status, next, start/done/skip/reset and show."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlpath.progress import MarkResult, NextResult, StatusResult, TopicDetail, TopicRow
from mlpath.render import activity
from mlpath.render.output import (
    Out,
    Segment,
    cut,
    display_width,
    hours,
    local_date,
    plural,
    warn,
)

if TYPE_CHECKING:
    from mlpath.selfcheck import CheckResult, CheckRow

STATE_STYLE = {
    "not-started": ("not started", "grey50"),
    "started": ("in progress", "yellow"),
    "done": ("done", "green"),
    "skipped": ("skipped", "cyan"),
    "reset": ("reset", "grey50"),
}
STATUS_IN_PROGRESS = 8  # a dashboard row each; the JSON keeps them all
VERB = {"start": "Started", "done": "Done", "skip": "Skipped", "reset": "Reset"}


def state(value: str) -> Segment:
    return STATE_STYLE.get(value, (value, ""))


def _topic_rows(rows: list[TopicRow], extra: str) -> list[list[Segment]]:
    table: list[list[Segment]] = []
    for row in rows:
        last = f"since {row.day or local_date(row.since)}" if extra == "since" else hours(row.hours)
        table.append([(row.id, "bold"), row.title, (last, "grey50")])
    return table


def render_status(result: StatusResult, out: Out) -> None:
    if result.track_missing:
        activity.labelled(
            out,
            "Track",
            (result.track_missing, "bold"),
            " is gone (no track file has that id): showing your roadmaps instead; "
            "`mlpath track unfollow` forgets it.",
        )
    if not result.roadmaps:
        out.line("You follow no roadmap yet. See them with `mlpath roadmap list`, then "
                 "`mlpath roadmap follow ID`.")  # fmt: skip
        return
    out.line(
        ("Your path", "bold"),
        " · a track across " if result.track else " · ",
        f"{plural(len(result.roadmaps), 'roadmap')} · {hours(result.hours_left)} left",
    )
    if result.track:
        t = result.track
        activity.labelled(out, "Track", t.title, (f"  {t.id}", "grey50"),
                          f" · {t.finished}/{t.topics} topics · {t.percent:.1f}% · "
                          f"{hours(t.hours_left)} left")  # fmt: skip
    out.blank()
    _roadmap_rows(result, out)
    out.blank()
    activity.week_line(out, result.this_week)
    activity.rhythm(out, result.streak, result.pace, result.finish)
    activity.goal_line(out, result.goal_date)
    activity.recall_line(out, result.recall_due)
    out.blank()
    weeks = min(activity.calendar_weeks(out.columns), -(-len(result.calendar) // 7))
    span = f"  the last {plural(weeks, 'week')}, to {result.this_week.week}"
    out.line(("Activity", "bold"), (span, "grey50"))
    activity.calendar(result.calendar, result.this_week.goal, out)
    if result.in_progress:
        out.blank()
        out.line(("In progress", "bold yellow"))
        shown = result.in_progress[:STATUS_IN_PROGRESS]
        out.table(_topic_rows(shown, "since"), shrink=1)
        if hidden := len(result.in_progress) - len(shown):
            out.line(
                (f"  and {hidden} more in progress (`mlpath status --json` lists all)", "grey50")
            )
    out.blank()
    if result.next:
        out.line(("Next up", "bold"))
        out.table(_topic_rows(result.next, "hours"), shrink=1)
    elif not result.in_progress:
        out.line(("Nothing left to learn on this path. Well done!", "bold green"))
    out.blank()
    out.line(
        (
            "Mark progress with `mlpath start|done|skip TOPIC`; see a topic with "
            "`mlpath show TOPIC`.",
            "grey50",
        )
    )


# The columns of a roadmap's row on the dashboard, widest first: the bar's width, then whether
# the hours left and the finish date are shown. The first that fits the terminal is used.
ROW_LAYOUTS = ((24, True, True), (16, True, True), (16, True, False), (10, True, False),
               (10, False, False), (6, False, False))  # fmt: skip
SHORTEST_TITLE = 20  # a title is cut to no less before a column is dropped


def _roadmap_rows(result: StatusResult, out: Out) -> None:
    """A row a roadmap: title, bar, count, percent, hours left, finish date. On a narrow
    terminal a long title is cut, the bar shrinks and the last columns drop, in that order,
    rather than break the row."""
    titles = max(display_width(p.title) for p in result.roadmaps)
    finish = {r.id: r.date for r in result.finish.roadmaps}
    left = max(len(f"  {hours(p.hours_left)} left") for p in result.roadmaps)
    by = 15 if any(finish.get(p.id) for p in result.roadmaps) else 0  # "  by YYYY-MM-DD"
    brackets = 0 if out.blocks else 2  # a plain bar is [##--]
    for bar, with_left, with_by in ROW_LAYOUTS:
        # indent, gap, bar, "  nnn/nnn ", " 12.5%", then what this layout keeps
        fixed = 2 + 2 + bar + brackets + 10 + 6 + left * with_left + by * with_by
        width = min(titles, out.columns - fixed)
        if width >= min(titles, SHORTEST_TITLE):
            break
    width = max(width, 8)
    for p in result.roadmaps:
        finished = p.done + p.skipped
        date = finish.get(p.id)
        title = cut(p.title, width)
        out.line(
            "  ",
            (title + " " * (width - display_width(title)), "bold"),
            "  ",
            *out.bar(finished / p.total if p.total else 1.0, bar),
            f"  {finished:>3}/{p.total:<3} ",
            (f"{p.percent:>5.1f}%", "green" if p.percent >= 100 else ""),
            (f"  {hours(p.hours_left)} left" if with_left else "", "grey50"),
            (f"  by {date}" if date and with_by else "", "grey50"),
        )


def render_next(result: NextResult, out: Out) -> None:
    if not result.topics:
        if not result.blocked:
            out.line(("Nothing left to learn on this path. Well done!", "bold green"))
            return
        out.line("No topic is ready: each waits on a prerequisite not finished yet.")
        for b in result.blocked:
            out.line("  ", (b.id, "bold"), " waits on ", ", ".join(b.waits_on))
        return
    rows: list[list[Segment]] = []
    for i, row in enumerate(result.topics, 1):
        flag: Segment = ("in progress", "yellow") if row.state == "started" else ""
        rows.append([f"{i}.", (row.id, "bold"), row.title, (hours(row.hours), "grey50"), flag])
    out.table(rows, indent=0, shrink=2)


def render_mark(result: MarkResult, out: Out) -> None:
    for change in result.changed:
        out.line(
            (f"{VERB[result.action]} ", "bold"),
            (change.topic.id, "bold"),
            f" · {change.topic.title}  ",
            state(change.before),
            " → ",
            state(change.after),
        )
        if change.unmet:
            warn(f"{change.topic.id} has unfinished prerequisites: {', '.join(change.unmet)}")
        if change.open_checks:
            out.line(
                (f"  {plural(change.open_checks, 'self-check')} still open: tick what you can "
                 f"do with `mlpath check {change.topic.id} N`", "grey50")
            )  # fmt: skip
    for row in result.unchanged:
        out.line((row.id, "bold"), " is already ", state(row.state), "; nothing to change")
    for p in result.roadmaps:
        finished = p.done + p.skipped
        out.line(
            ("  " + p.title, ""),
            "  ",
            *out.bar(finished / p.total if p.total else 1.0, 16),
            f"  {finished}/{p.total}  {p.percent:.1f}%",
        )
    if result.unlocked:
        names = ", ".join(r.id for r in result.unlocked)
        out.line(("Unlocked: ", "bold green"), names)


def render_show(detail: TopicDetail, out: Out) -> None:
    out.line((detail.title, "bold"), "  ", (detail.id, "grey50"))
    out.line(
        f"{detail.roadmap_title} › {detail.stage_title} · {hours(detail.hours)} · ",
        state(detail.state),
        (f" since {detail.day or local_date(detail.since)}" if detail.since else "", "grey50"),
    )
    out.blank()
    out.line(detail.summary)
    if detail.resources:
        out.blank()
        out.line(("Resources", "bold"))
        for res in detail.resources:
            out.line("  • ", out.link(res["title"], res["url"]), (f"  ({res['kind']})", "grey50"),
                     hang=4)  # fmt: skip
    if detail.checks:
        out.blank()
        ticked = sum(1 for c in detail.checks if c.ticked)
        out.line(("Check yourself", "bold"), (f"  {ticked}/{len(detail.checks)} ticked", "grey50"))
        for check in detail.checks:
            checks_line(out, check)
        if ticked < len(detail.checks):
            out.line((f"  Tick one with `mlpath check {detail.id} N`.", "grey50"))
    for heading, links in (("Requires", detail.requires), ("Unlocks", detail.unlocks)):
        if links:
            out.blank()
            out.line((heading, "bold"))
            out.table([[(lk.id, "bold"), lk.title, state(lk.state)] for lk in links], shrink=1)
    if detail.projects:
        out.blank()
        out.line(("Projects", "bold"), "  ", ", ".join(detail.projects))
    out.blank()
    out.line(("History", "bold"))
    if not detail.history:
        out.line(("  nothing recorded yet", "grey50"))
    rows: list[list[Segment]] = []
    for e in detail.history:
        recorded = local_date(e.at)
        when = e.day or recorded
        later = f"(recorded {recorded})" if e.day and e.day != recorded else ""
        rows.append([(when, "grey50"), state(e.state), e.note or "", (later, "grey50")])
    out.table(rows)
    if detail.notes:
        from mlpath.render.journal import entry  # kept off the import path of status

        out.blank()
        out.line(("Notes", "bold"))
        for note in detail.notes:
            entry(out, note)


def checks_line(out: Out, check: CheckRow) -> None:
    """One self-check with its box: ticked only by `mlpath check`."""
    box = ("[x]", "green") if check.ticked else "[ ]"
    out.line(f"  {check.number}. ", box, " ", check.text)
    if check.ticked:
        evidence = f" · {check.note}" if check.note else ""
        out.line((f"        ticked {check.day or ''}{evidence}", "grey50"))


def render_check(result: CheckResult, out: Out) -> None:
    verb = "Ticked" if result.action == "tick" else "Unticked"
    if result.changed:
        numbers = ", ".join(map(str, result.changed))
        out.line((f"{verb} ", "bold"), f"{numbers} of ", (result.topic, "bold"),
                 f" · {result.title}")  # fmt: skip
    if result.unchanged:
        already = "ticked" if result.action == "tick" else "not ticked"
        out.line(f"Already {already}: {', '.join(map(str, result.unchanged))}; nothing to change")
    for row in result.checks:
        checks_line(out, row)
    if result.open:
        out.line((f"{plural(result.open, 'self-check')} open.", "grey50"))
    else:
        out.line(("Every self-check ticked.", "green"))
