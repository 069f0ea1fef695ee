"""Text for the `mlpath roadmap` commands."""

from __future__ import annotations

from mlpath.render.output import Out, Segment, hours, plural
from mlpath.render.progress import state
from mlpath.roadmap_ops import AddResult, FollowResult, RoadmapDetail, RoadmapSummary


def followed_mark(out: Out, followed: bool) -> Segment:
    """The first column of `roadmap list` and `track list`."""
    if not out.rich:
        return "*" if followed else " "
    return ("●", "green") if followed else ("○", "grey50")


def followed_legend(out: Out, group: str) -> None:
    """What the mark means, under a list, and how to follow one (``group``: roadmap, track)."""
    out.blank()
    out.line(
        ("* followed" if not out.rich else "● followed", "grey50"),
        (f"  ·  follow one with `mlpath {group} follow ID`", "grey50"),
    )


def render_list(items: list[RoadmapSummary], out: Out) -> None:
    rows: list[list[Segment]] = []
    for r in items:
        origin = "" if r.builtin else "custom"
        rows.append(
            [
                followed_mark(out, r.followed),
                (r.id, "bold"),
                r.title,
                plural(r.topics, "topic"),
                hours(r.hours),
                f"{r.percent:.0f}%",
                (origin, "grey50"),
            ]
        )
    out.table(rows, indent=0, shrink=1)
    followed_legend(out, "roadmap")


def render_detail(detail: RoadmapDetail, out: Out) -> None:
    follow = "followed" if detail.followed else "not followed"
    out.line((detail.title, "bold"), "  ", (detail.id, "grey50"))
    out.line(
        f"{plural(detail.topics, 'topic')} · {hours(detail.hours)} · {detail.percent:.0f}% done · "
        f"{detail.checks_ticked}/{detail.checks} self-checks ticked · {follow}"
    )
    if detail.requires:
        out.line(("Best after: ", "grey50"), ", ".join(detail.requires))
    out.blank()
    out.line(detail.summary)
    for stage in detail.stages:
        out.blank()
        out.line((stage["title"], "bold underline"))
        if stage["summary"]:
            out.line((stage["summary"], "grey50"))
        out.table(
            [
                [
                    (t["id"], "bold"),
                    t["title"],
                    (hours(t["hours"]), "grey50"),
                    state(t["state"]),
                    (f"{len(t['checks_ticked'])}/{len(t['checks'])} checks", "grey50"),
                ]
                for t in stage["topics"]
            ],
            shrink=1,
        )


def render_added(result: AddResult, out: Out) -> None:
    out.line(("Added ", "bold"), (result.id, "bold"), f" ({result.title}) → {result.path}")
    out.line("Now following: ", ", ".join(result.followed))


def render_follow(result: FollowResult, out: Out) -> None:
    if not result.changed:
        already = "Already following" if result.id in result.followed else "Not following"
        out.line(f"{already} {result.id}; nothing to change")
    out.line("Now following: ", ", ".join(result.followed) or "nothing")
    if result.track:
        out.line(("While you follow the track ", "grey50"), (result.track, "bold"),
                 (", status, next and plan cover its topics, not these roadmaps; "
                  "`mlpath track unfollow` goes back to them.", "grey50"))  # fmt: skip
