"""Where results become text: rich on a terminal, plain when piped or with NO_COLOR, or JSON.

Renderers describe lines as segments of (text, style) and never build markup strings, so a
topic title containing ``[brackets]`` prints as written. Rich is imported only for a terminal.

Text from the learner or from files (entries, notes, titles, answers, file names) never
drives the terminal: every segment passes through ``terminal_safe``, which shows control and
escape characters as visible escapes (``\\x1b``) instead of writing them. The store and JSON
keep the text exactly; JSON writes those characters as ``\\u`` escapes, which read back the
same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from mlpath.safetext import brief, json_safe, terminal_safe

__all__ = ["brief", "json_safe", "terminal_safe"]

JSON_SCHEMA = 1

Segment = str | tuple[str, str]


def to_data(value: Any) -> Any:
    """Plain JSON-ready data from result objects (named tuples, lists, dicts, scalars)."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {name: to_data(v) for name, v in zip(value._fields, value, strict=True)}
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(v) for v in value]
    return value


def emit_json(command: str, data: Any, stream: TextIO | None = None) -> None:
    """The one JSON document a ``--json`` command prints: a small versioned envelope."""
    import json  # here: a command printing text has no use for it

    envelope = {"schema": JSON_SCHEMA, "command": command, "data": to_data(data)}
    out = stream or sys.stdout
    # On a stream that is not UTF-8 (PYTHONIOENCODING=ascii), \u escapes: the same JSON.
    plain = not _can_encode(out, "\u00b7\u2026\U0001f600")
    out.write(json_safe(json.dumps(envelope, ensure_ascii=plain, indent=2)) + "\n")


# --color: "auto" (on a terminal, unless NO_COLOR; FORCE_COLOR forces it), "always", "never".
COLOR_MODE = "auto"


def use_color(stream: TextIO) -> bool:
    if COLOR_MODE != "auto":
        return COLOR_MODE == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


DEFAULT_COLUMNS = 80  # a terminal that does not say how wide it is
UNLIMITED = 10_000  # off a terminal, without COLUMNS: nothing is narrowed
# Whether a bar or a calendar may use block and box characters: what a UTF-8 terminal shows.
_BLOCKS = "━─░▒▓█·✓…"


class Out:
    """Line-oriented output with optional styling, fitted to the terminal.

    ``like`` is the stream whose nature decides colour, width and characters (default: the
    stream written to): output rendered into a buffer for a pager is laid out as for the
    terminal it will reach. On a terminal, lines wider than it wrap at word boundaries with
    a hanging indent; off a terminal nothing is wrapped, so every row stays one line for
    scripts, and the layout is the widest one unless COLUMNS says otherwise."""

    def __init__(self, stream: TextIO | None = None, like: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        nature = like or self.stream
        self.rich = use_color(nature)
        isatty = getattr(nature, "isatty", None)
        self.terminal = bool(isatty and isatty())
        self.columns = _columns(nature, self.terminal)
        self.wrap_at: int | None = self.columns if self.terminal else None
        encodable = _can_encode(nature, _BLOCKS)
        if not encodable:  # an ASCII or Latin-1 terminal: a character it lacks shows as ?
            _tolerant(self.stream)
        # Blocks and box characters where they can be shown, even without colour (NO_COLOR
        # takes colour away, nothing else); plain ASCII when piped or on a dumb terminal.
        dumb = os.environ.get("TERM") == "dumb"
        self.blocks = encodable and (self.rich or (self.terminal and not dumb))
        self._console: Any = None

    def line(self, *segments: Segment, hang: int | None = None) -> None:
        """One line of ``segments``; on a terminal, wrapped at word boundaries when wider
        than it, continuation lines indented by ``hang`` columns (default: the line's own
        leading spaces)."""
        pieces = [(_shown(s), "") if isinstance(s, str) else (_shown(s[0]), s[1])
                  for s in segments]  # fmt: skip
        rows = [pieces] if self.wrap_at is None else wrap(pieces, self.wrap_at, hang)
        for row in rows:
            self._write(row)

    def _write(self, pieces: list[tuple[str, str]]) -> None:
        if not self.rich:
            self.stream.write("".join(text for text, _ in pieces).rstrip() + "\n")
            return
        from rich.text import Text

        text_obj = Text()
        for text, style in pieces:
            text_obj.append(text, style=style or None)
        text_obj.rstrip()
        self.console.print(text_obj)

    def blank(self) -> None:
        self._write([])

    @property
    def console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            # Colour was decided above (use_color): rich is told, not left to guess again.
            # The width is mlpath's (lines are fitted already): rich would read COLUMNS=0 as
            # a terminal no column wide and print nothing.
            self._console = Console(
                file=self.stream, highlight=False, soft_wrap=True, force_terminal=True,
                no_color=False, width=self.columns,
            )  # fmt: skip
        return self._console

    def bar(self, fraction: float, width: int = 24) -> list[Segment]:
        fraction = min(max(fraction, 0.0), 1.0)
        filled = round(fraction * width)
        if self.rich and self.blocks:
            return [("━" * filled, "green"), ("━" * (width - filled), "grey35")]
        if self.blocks:  # no colour: a heavy line for what is done, a light one for the rest
            return ["━" * filled + "─" * (width - filled)]
        return ["[" + "#" * filled + "-" * (width - filled) + "]"]

    def link(self, text: str, url: str) -> Segment:
        return (text, f"link {url}") if self.rich else f"{text} <{url}>"

    def table(
        self, rows: Sequence[Sequence[Segment]], indent: int = 2, gap: int = 2,
        shrink: int | None = None,
    ) -> None:  # fmt: skip
        """Rows of cells, columns padded to the widest cell (the last column is not padded).

        On a terminal a row wider than it wraps its last column under that column's start;
        with ``shrink``, that column is first cut (with an ellipsis) to make the rows fit."""
        if not rows:
            return
        width = [0] * max(len(r) for r in rows)
        for row in rows:
            for i, cell in enumerate(row):
                width[i] = max(width[i], display_width(_text(cell)))
        if self.wrap_at is not None and shrink is not None and shrink < len(width):
            total = indent + sum(width) + gap * (len(width) - 1)
            if total > self.wrap_at:
                width[shrink] = max(width[shrink] - (total - self.wrap_at), 8)
        for row in rows:
            segments: list[Segment] = [" " * indent]
            column = indent
            for i, given in enumerate(row):
                cell = given
                if i == shrink:
                    cell = cut(given, width[i]) if isinstance(given, str) else (
                        cut(given[0], width[i]), given[1])  # fmt: skip
                segments.append(cell)
                if i < len(row) - 1:
                    segments.append(" " * (width[i] - display_width(_text(cell)) + gap))
                    column += width[i] + gap
            self.line(*segments, hang=min(column, (self.wrap_at or column) // 2))


def _columns(stream: TextIO, terminal: bool) -> int:
    """The width to lay out for: COLUMNS when set (as every terminal tool reads it), else the
    terminal's own; off a terminal, no limit."""
    text = os.environ.get("COLUMNS", "")
    if text.isdigit() and 0 < int(text) < UNLIMITED:
        return int(text)
    if not terminal:
        return UNLIMITED
    try:
        return os.get_terminal_size(stream.fileno()).columns or DEFAULT_COLUMNS
    except (OSError, ValueError, AttributeError):
        return DEFAULT_COLUMNS


def _shown(text: str) -> str:
    """``text`` as it is printed: escapes made visible, a tab as four spaces (so that its width
    is known)."""
    return terminal_safe(text).replace("\t", "    ")


def _tolerant(stream: TextIO) -> None:
    """Let ``stream`` write a character its encoding lacks as ``?`` instead of failing."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None and getattr(stream, "errors", "strict") == "strict":
        with contextlib.suppress(ValueError, OSError):
            reconfigure(errors="replace")


def _can_encode(stream: TextIO, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def wrap(
    pieces: list[tuple[str, str]], width: int, hang: int | None = None
) -> list[list[tuple[str, str]]]:
    """``pieces`` (text, style) as rows no wider than ``width`` columns, broken between words.

    Continuation rows start with ``hang`` spaces (default: the leading spaces of the first
    row). Only a word longer than a whole row is broken inside, to keep within the width."""
    text = "".join(t for t, _ in pieces)
    if display_width(text) <= width:
        return [pieces]
    if hang is None:
        hang = len(text) - len(text.lstrip(" "))
    hang = min(hang, width // 2)
    chars = [(c, style) for t, style in pieces for c in t]
    words: list[tuple[int, int]] = []  # (start, end) of each run of non-space characters
    i = 0
    while i < len(chars):
        if chars[i][0] == " ":
            i += 1
            continue
        start = i
        while i < len(chars) and chars[i][0] != " ":
            i += 1
        words.append((start, i))
    rows: list[list[tuple[str, str]]] = []
    row: list[tuple[str, str]] = []
    used = 0
    previous_end = 0
    for start, end in words:
        word = chars[start:end]
        size = sum(_char_width(c) for c, _ in word)
        gap = chars[previous_end:start] if row else []
        gap_size = len(gap)
        if not row and not rows:  # the first word keeps the line's own indent
            gap = chars[:start]
            gap_size = len(gap)
        if row and used + gap_size + size > width:
            rows.append(row)
            row, used, gap, gap_size = [(" ", "")] * hang, hang, [], 0
        if used + gap_size + size > width:  # a word longer than a row: cut it where it must
            row.extend(gap)
            used += gap_size
            for char in word:
                w = _char_width(char[0])
                if used + w > width and used > hang:
                    rows.append(row)
                    row, used = [(" ", "")] * hang, hang
                row.append(char)
                used += w
        else:
            row.extend(gap)
            row.extend(word)
            used += gap_size + size
        previous_end = end
    if row:
        rows.append(row)
    return [_runs(r) for r in rows]


def _runs(chars: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Characters of one row joined back into runs of one style."""
    runs: list[tuple[str, str]] = []
    for char, style in chars:
        if runs and runs[-1][1] == style:
            runs[-1] = (runs[-1][0] + char, style)
        else:
            runs.append((char, style))
    return runs


def cut(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, an ellipsis marking the cut (as it is when it fits),
    measured as printed (escapes made visible)."""
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for char in _shown(text):
        size = _char_width(char)
        if used + size > width - 1:
            break
        kept.append(char)
        used += size
    return "".join(kept).rstrip() + "…"


def _text(segment: Segment) -> str:
    return segment if isinstance(segment, str) else segment[0]


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal, as printed (escapes made visible): a wide
    character (CJK, most emoji) takes two, a combining mark or a format character none."""
    shown = _shown(text)
    if shown.isascii():
        return len(shown)
    return sum(_char_width(c) for c in shown)


def _char_width(char: str) -> int:
    if char.isascii():
        return 1
    import unicodedata

    if unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def warn(message: str) -> None:
    err = Out(sys.stderr)
    err.line(("warning: ", "yellow bold"), message)


def hours(value: float) -> str:
    """Hours as a learner reads them: 0.5 h, 7 h, 42 h, 1,329 h."""
    return f"{value:g} h" if value < 10 else f"{value:,.0f} h"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def join(items: Iterable[str]) -> str:
    return ", ".join(items)


def local_date(stamp: str | None) -> str:
    if not stamp:
        return ""
    return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d")


def local_time(stamp: str) -> str:
    return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
