"""Text for sync, sync init and sync status."""

from __future__ import annotations

import sys

from mlpath.render.output import Out, join, local_time, plural
from mlpath.sync import SyncResult, SyncStatus

_WHAT = {
    "events": ("topic change", "topic changes"),
    "entries": ("journal change", "journal changes"),
    "settings": ("setting", "settings"),
    "breaks": ("break week", "break weeks"),
    "projects": ("project", "projects"),
}


def render_synced(result: SyncResult, out: Out) -> None:
    out.line(("Synced ", "bold green"), f"with {result.remote}")
    out.line(f"  sent {plural(result.sent, 'event')}")
    if result.received:
        arrived = join(plural(n, *_WHAT[k]) for k, n in result.received.items())
        out.line(f"  received {arrived}", (f" from {join(result.replicas)}", "grey50"))
    else:
        out.line("  received nothing new")
    roadmaps = result.roadmaps
    if roadmaps.taken:
        out.line(f"  roadmaps from your other machines: {join(roadmaps.taken)}")
    if roadmaps.sent:
        out.line(f"  roadmaps sent: {join(roadmaps.sent)}")


def render_problems(result: SyncResult) -> None:
    """Roadmap conflicts and what was refused, one line each on stderr, with --json too."""
    err = Out(sys.stderr)
    for name in result.roadmaps.conflicts:
        err.line(
            ("warning: ", "yellow bold"),
            f"roadmaps/{name} changed here and on another machine since the last sync; both "
            "are left as they are (the other is in $MLPATH_HOME/sync/conflicts): make them "
            "the same, then sync again",
        )
    for line in result.roadmaps.refused:
        err.line(("warning: ", "yellow bold"), line)
    for problem in result.problems:
        err.line(("error: ", "bold red"), problem)


def render_status(result: SyncStatus, out: Out) -> None:
    if result.remote is None:
        out.line("Sync is not set up on this machine: mlpath sync init REMOTE")
        return
    out.line(("Syncs with ", "bold"), result.remote)
    last = local_time(result.last_sync) if result.last_sync else "never"
    out.line(f"  last sync: {last}")
    out.line(f"  not sent yet: {plural(result.unsent, 'event')}")
    out.line(f"  this machine: {result.replica}")
    for replica in result.replicas:
        if not replica.this:
            out.line(f"  {replica.id}: {plural(replica.events, 'event')}")
    for name in result.conflicts:
        out.line(("  in conflict: ", "yellow"), f"roadmaps/{name}")
