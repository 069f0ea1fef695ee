"""Files: written so that a crash, a full disk or Ctrl-C never leaves half of one behind, and
read as exactly the text they hold."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from mlpath.errors import InvalidInputError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path``, flush it to disk, then rename it over
    ``path``. Readers see the old file or the new one, never a mix.

    A link is followed, so the file it points to is replaced rather than the link. A device
    or pipe (``/dev/stdout``, a FIFO) is written to directly: renaming over it would replace
    the device itself.
    """
    try:
        regular = stat.S_ISREG(path.stat().st_mode)
    except FileNotFoundError:
        regular = True
    if not regular:
        # A pipe with no reader would block forever: without O_NONBLOCK the open waits.
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
        return
    if path.is_symlink():
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # here: the commands that only read import this module too

    # The temp file's name must fit where the file's own does (255 bytes on most systems).
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:64]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            # mkstemp makes the file private (0600): give it the mode the file had, or the
            # one a new file gets, so that replacing a file does not change who may read it.
            os.fchmod(fh.fileno(), _mode_for(path))
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def open_to_read(path: Path) -> BinaryIO:
    """Open a file the learner named for reading, without waiting for a writer that may never
    come: a named pipe nobody writes to reads as empty instead of blocking forever, while a
    pipe that has a writer (``<(jrnl --export json)``) reads as usual. A folder raises
    IsADirectoryError, as ``open`` would."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_named_file(path: Path, data: bytes) -> None:
    """``atomic_write_bytes`` to a file the learner named, a failure said in one line. The
    folder it goes in must exist already (through a link too): a mistyped folder is said,
    not made."""
    from mlpath import paths

    try:
        target = path.resolve() if path.is_symlink() else path
        if not target.parent.is_dir():
            raise InvalidInputError(
                f"cannot write {paths.display(path)} (no folder "
                f"{paths.display(target.parent)}); nothing was changed"
            )
        atomic_write_bytes(path, data)
    except RuntimeError:  # a loop of links (Python 3.11 raises this from resolve)
        raise InvalidInputError(
            f"cannot write {paths.display(path)} (a loop of links); nothing was changed"
        ) from None
    except OSError as exc:
        why = "nothing is reading from it" if exc.errno == errno.ENXIO else exc.strerror
        raise InvalidInputError(
            f"cannot write {paths.display(path)} ({why}); nothing was changed"
        ) from None


def decode_utf8(data: bytes, source: str) -> str:
    """Bytes read from a file or a pipe as text, exactly: no newline translation, so CRLF stays
    CRLF. A UTF-8 byte order mark (as some editors write) is not part of the text."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{source} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
