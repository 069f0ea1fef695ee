"""Running mlpath on a real pseudo-terminal, as a learner's shell would: a terminal of a given
size, the process in a session of its own (the group a terminal sends Ctrl-C to), answers
typed once their prompt shows, and everything it wrote read back until it ends."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from collections.abc import Sequence


def start(
    args: Sequence[str], env: dict[str, str], columns: int = 80, rows: int = 24
) -> tuple[int, subprocess.Popen[bytes]]:
    """``args`` on a new pseudo-terminal ``columns`` by ``rows``: its controlling side and the
    process."""
    main, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    proc = subprocess.Popen(list(args), stdin=side, stdout=side, stderr=side, env=env,
                            start_new_session=True)  # fmt: skip
    os.close(side)
    return main, proc


def read_all(
    main: int, proc: subprocess.Popen[bytes], answers: Sequence[tuple[bytes, bytes]] = ()
) -> bytes:
    """All the process writes to the terminal until it ends, each answer typed once its prompt
    has shown; the terminal is closed after."""
    seen = b""
    pending = list(answers)
    deadline = time.monotonic() + 60
    while True:
        if pending and pending[0][0] in seen:
            os.write(main, pending.pop(0)[1])
        ready, _, _ = select.select([main], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # every holder of the terminal is gone
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
        assert time.monotonic() < deadline, seen.decode(errors="replace")
    os.close(main)
    return seen


def run(
    args: Sequence[str], env: dict[str, str], columns: int = 80, rows: int = 24,
    answers: Sequence[tuple[bytes, bytes]] = (),
) -> tuple[int, bytes]:  # fmt: skip
    """Run ``args`` to its end on a pseudo-terminal: its exit status and what it showed."""
    main, proc = start(args, env, columns, rows)
    shown = read_all(main, proc, answers)
    return proc.wait(timeout=30), shown
