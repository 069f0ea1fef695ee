"""Long output through a pager, as git does it.

On a terminal, a command's text is first rendered into memory (coloured exactly as the
terminal would get it); when it is taller than the screen it goes to the pager, else it is
printed. The pager is ``$MLPATH_PAGER``, else ``$PAGER``, else ``less -FRX``; an empty value
or ``cat`` means none, and ``mlpath --no-pager`` turns it off for one run. ``LESS=FRX`` (and
``LV=-c``) are set for the pager when unset, as git sets them.

A pager that cannot be started is no reason to lose the output: it is printed instead. The
user quitting the pager before reading everything is an ordinary end (exit 0). While the
pager runs it owns the terminal, so Ctrl-C is the pager's to handle: mlpath ignores it until
the pager is gone, rather than exiting under it and leaving the terminal in its raw mode.

Imported only by commands whose output is long (never by ``status``).
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from mlpath.render.output import Out, display_width, warn

DEFAULT = "less -FRX"
# Set by `mlpath --no-pager` for one run (the root command resets it).
DISABLED = False

# What the terminal acts on and does not show: CSI sequences (colour) and OSC 8 (links).
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def command() -> tuple[list[str], bool] | None:
    """The pager to run and whether the learner chose it (in the environment), or None for
    no pager."""
    for name in ("MLPATH_PAGER", "PAGER"):
        chosen = os.environ.get(name)
        if chosen is not None:
            break
    else:
        return shlex.split(DEFAULT), False
    if not chosen.strip() or chosen.strip() == "cat":
        return None
    try:
        words = shlex.split(chosen)
    except ValueError:  # unbalanced quotes: taken whole, it fails to start and is named
        words = [chosen]
    return words, True


def rows(text: str, columns: int) -> int:
    """Lines ``text`` takes on a terminal ``columns`` wide, long lines wrapping."""
    columns = max(columns, 1)
    return sum(
        max(1, -(-display_width(_ESCAPES.sub("", line).expandtabs()) // columns))
        for line in text.splitlines()
    )


def page(render: Callable[[Out], Any]) -> None:
    """Render through ``Out``, then show it: through the pager when taller than the screen."""
    screen = io.StringIO()
    render(Out(screen, like=sys.stdout))  # colour, width and characters: the terminal's
    text = screen.getvalue()
    size = shutil.get_terminal_size()
    # A screen that is filled whole scrolls its first line away when the prompt comes back.
    pager = None if DISABLED or rows(text, size.columns) < size.lines else command()
    if pager is None or not _through(pager, text):
        sys.stdout.write(text)


def _through(pager: tuple[list[str], bool], text: str) -> bool:
    """Show ``text`` in the pager and wait for it to end; False when it could not start."""
    words, chosen = pager
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        proc = subprocess.Popen(words, stdin=subprocess.PIPE, env=env)
    except OSError as exc:
        if chosen:  # the learner's own choice: say why it is not used
            reason = exc.strerror or str(exc)
            warn(f"cannot run the pager {shlex.join(words)} ({reason}); printing instead")
        return False
    # Only once the pager runs: a program started while Ctrl-C is ignored would ignore it too.
    restore = _ignore_interrupts()
    try:
        encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
        # Quitting before the end (a broken pipe) is not an error: communicate lets it be.
        proc.communicate(text.encode(encoding, errors="replace"))
    finally:
        restore()
    return True


def _ignore_interrupts() -> Callable[[], None]:
    """Ignore Ctrl-C (and Ctrl-\\) until the returned function is called."""
    try:
        saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGQUIT)}
    except ValueError:  # not the main thread: signals cannot be changed here
        return lambda: None

    def restore() -> None:
        for sig, handler in saved.items():
            signal.signal(sig, handler)

    return restore
