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

import datetime as dt
import json
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
    envelope = {"schema": JSON_SCHEMA, "command": command, "data": to_data(data)}
    out = stream or sys.stdout
    out.write(json_safe(json.dumps(envelope, ensure_ascii=False, indent=2)) + "\n")


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


class Out:
    """Line-oriented output with optional styling."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.rich = use_color(self.stream)
        self._console: Any = None

    def line(self, *segments: Segment) -> None:
        if not self.rich:
            text = "".join(s if isinstance(s, str) else s[0] for s in segments)
            self.stream.write(terminal_safe(text).rstrip() + "\n")
            return
        from rich.text import Text

        text_obj = Text()
        for seg in segments:
            if isinstance(seg, str):
                text_obj.append(terminal_safe(seg))
            else:
                text_obj.append(terminal_safe(seg[0]), style=seg[1] or None)
        self.console.print(text_obj)

    def blank(self) -> None:
        self.line("")

    @property
    def console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            # Colour was decided above (use_color): rich is told, not left to guess again.
            self._console = Console(
                file=self.stream, highlight=False, soft_wrap=True, force_terminal=True,
                no_color=False,
            )  # fmt: skip
        return self._console

    def bar(self, fraction: float, width: int = 24) -> list[Segment]:
        fraction = min(max(fraction, 0.0), 1.0)
        filled = round(fraction * width)
        if not self.rich:
            return ["[" + "#" * filled + "-" * (width - filled) + "]"]
        return [("━" * filled, "green"), ("━" * (width - filled), "grey35")]

    def link(self, text: str, url: str) -> Segment:
        return (text, f"link {url}") if self.rich else f"{text} <{url}>"

    def table(self, rows: Sequence[Sequence[Segment]], indent: int = 2, gap: int = 2) -> None:
        """Rows of cells, columns padded to the widest cell (the last column is not padded)."""
        if not rows:
            return
        width = [0] * max(len(r) for r in rows)
        for row in rows:
            for i, cell in enumerate(row[:-1]):
                width[i] = max(width[i], display_width(_text(cell)))
        for row in rows:
            segments: list[Segment] = [" " * indent]
            for i, cell in enumerate(row):
                segments.append(cell)
                if i < len(row) - 1:
                    segments.append(" " * (width[i] - display_width(_text(cell)) + gap))
            self.line(*segments)


def _text(segment: Segment) -> str:
    return segment if isinstance(segment, str) else segment[0]


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal, as printed (escapes made visible): a wide
    character (CJK, most emoji) takes two, a combining mark or a format character none."""
    shown = terminal_safe(text)
    if shown.isascii():
        return len(shown)
    import unicodedata

    return sum(
        0 if unicodedata.category(c) in ("Mn", "Me", "Cf")
        else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
        for c in shown
    )  # fmt: skip


def warn(message: str) -> None:
    err = Out(sys.stderr)
    err.line(("warning: ", "yellow bold"), message)


def hours(value: float) -> str:
    return f"{value:g} h" if value < 10 else f"{value:.0f} h"


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
