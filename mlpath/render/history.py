"""Text for undo and redo."""

from __future__ import annotations

from mlpath.history import ChangesResult, UndoResult
from mlpath.render.output import Out, Segment, local_time

SHOWN = 12  # lines of what an undo did; an import's undo can touch a million things


def render_undone(result: UndoResult, out: Out) -> None:
    verb = "Undid" if result.action == "undo" else "Redid"
    out.line(
        (f"{verb} ", "bold"),
        result.change.command,
        (f"  ({local_time(result.change.recorded)})", "grey50"),
    )
    for item in result.reversed[:SHOWN]:
        out.line("  ", item.description)
    if len(result.reversed) > SHOWN:
        more = len(result.reversed) - SHOWN
        out.line(
            (f"  and {more:,} more (`mlpath {result.action} --json` lists them all)", "grey50")
        )
    for item in result.skipped[:SHOWN]:
        out.line(("  left as it is: ", "yellow"), item.description)
    if len(result.skipped) > SHOWN:
        out.line((f"  and {len(result.skipped) - SHOWN:,} more left as they are", "grey50"))
    if not result.reversed:
        out.line(("  nothing left to reverse: all of it had changed since", "grey50"))
    other = "redo" if result.action == "undo" else "undo"
    out.line((f"`mlpath {other}` reverses this.", "grey50"))


def render_changes(result: ChangesResult, out: Out) -> None:
    if not result.changes:
        out.line("No changes recorded on this store yet.")
        return
    rows: list[list[Segment]] = []
    for change in result.changes:
        mark = ""
        if change.id == result.undo:
            mark = "<- next undo"
        elif change.id == result.redo:
            mark = "<- next redo"
        state: Segment = ("undone", "grey50") if change.undone else ""
        rows.append([(local_time(change.at), "grey50"), change.command, state, (mark, "yellow")])
    out.table(rows, indent=0, shrink=1)
