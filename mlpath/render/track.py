"""Text for the `mlpath track` commands."""

from __future__ import annotations

from mlpath.pace import Finish, RoadmapFinish
from mlpath.render import activity
from mlpath.render.output import Out, Segment, hours, plural
from mlpath.render.progress import state
from mlpath.render.roadmap import followed_legend, followed_mark
from mlpath.tracks import FollowResult, PathSize, TrackDetail, TrackSummary


def render_list(items: list[TrackSummary], out: Out) -> None:
    if not items:
        out.line("No track is installed. Put a track file in $MLPATH_HOME/tracks/ "
                 "(see `mlpath track validate`).")  # fmt: skip
        return
    rows: list[list[Segment]] = []
    for t in items:
        rows.append(
            [
                followed_mark(out, t.followed),
                (t.id, "bold"),
                t.title,
                plural(t.topics, "topic"),
                hours(t.hours),
                f"{t.finished}/{t.topics}",
                f"{t.percent:.0f}%",
                ("" if t.builtin else "custom", "grey50"),
            ]
        )
    out.table(rows, indent=0, shrink=2)
    followed_legend(out, "track")


def render_detail(detail: TrackDetail, out: Out) -> None:
    follow = "followed" if detail.followed else "not followed"
    out.line((detail.title, "bold"), "  ", (detail.id, "grey50"))
    out.line(
        f"{detail.finished}/{detail.topics} topics · {detail.percent:.1f}% done · "
        f"{hours(detail.hours_total)} · {hours(detail.hours_left)} left · {follow}"
    )
    out.blank()
    out.line(detail.summary)
    out.blank()
    activity.labelled(out, "Pace", activity.pace_text(detail.pace))
    activity.labelled(out, "Finish", _finish(detail))
    out.blank()
    if detail.next:
        out.line(("Next up", "bold"))
        out.table([[(r.id, "bold"), r.title, (hours(r.hours), "grey50")] for r in detail.next],
                  shrink=1)  # fmt: skip
    elif not detail.hours_left:
        out.line(("Every topic of this track is finished. Well done!", "bold green"))
    else:
        out.line("No topic is ready: each waits on a prerequisite not finished yet.")
    for part in detail.roadmaps:
        out.blank()
        counts = f"  {part.finished}/{part.total} · {hours(part.hours_left)} left"
        out.line((part.title, "bold underline"), (counts, "grey50"))
        out.table(
            [[(r.id, "bold"), r.title, (hours(r.hours), "grey50"), state(r.state)]
             for r in part.topics],
            shrink=1,
        )  # fmt: skip
    if not detail.followed:
        out.blank()
        out.line((f"Make it your path with `mlpath track follow {detail.id}`.", "grey50"))


def _finish(detail: TrackDetail) -> str:
    # finish_text's word for nothing left is about the path, which this track may not be.
    if not detail.hours_left:
        return "nothing left in this track"
    left = [RoadmapFinish(detail.id, detail.hours_left, detail.finish)]
    return activity.finish_text(Finish(detail.finish, left), detail.pace)


def _covers(size: PathSize) -> str:
    what = f"track {size.track}" if size.track else plural(len(size.roadmaps), "roadmap")
    return f"{what} ({plural(size.topics, 'topic')}, {hours(size.hours_left)} left)"


def render_follow(result: FollowResult, out: Out) -> None:
    after = result.after
    if not result.changed:
        if result.track:
            out.line(f"Already following track {result.track}; nothing to change.")
        else:
            out.line("No track is followed; nothing to change.")
        return
    if result.track:
        out.line(("Following track ", "bold"), (result.track, "bold"),
                 f": status, next and plan now cover its {plural(after.topics, 'topic')}, "
                 f"{hours(after.hours_left)} left.")  # fmt: skip
        if result.was and not result.before.track:
            instead = f"track {result.was} (its file is gone)"
        else:
            instead = _covers(result.before)
        out.line((f"Instead of {instead}; `mlpath track unfollow` goes back.", "grey50"))
        return
    gone = "" if result.before.track else " (its file is gone)"
    out.line(("Stopped following track ", "bold"), (result.was or "", "bold"), gone)
    out.line(f"status, next and plan cover your {_covers(after)} again: "
             f"{', '.join(after.roadmaps) or 'nothing'}.")  # fmt: skip
