"""Writing a journal entry in the learner's own editor ($VISUAL, then $EDITOR)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from mlpath.errors import EmptyEntryError, InvalidInputError, MlpathError
from mlpath.fileio import decode_utf8

# Lines starting with this are the template's comments. Not "#" alone: a line that starts
# with a #tag, or a Markdown heading, is the learner's text and must stay.
COMMENT = "#~"


def strip_comments(text: str) -> str:
    # Split on "\n" only (not str.splitlines), so a CRLF line keeps its "\r".
    return "\n".join(line for line in text.split("\n") if not line.startswith(COMMENT))


@contextlib.contextmanager
def session(template: str, resume: str = "mlpath log --file") -> Iterator[str]:
    """Open the editor on a temp file holding ``template`` and give what the learner saved.

    The file is removed when the block succeeds or finds the entry empty. On any other
    failure (the editor fails, the store is busy, ...) it is kept, and the error names it
    and the command (``resume``, given the file) that saves it as it was meant, so that
    nothing the learner typed is lost.
    """
    command, variable = _command()
    import tempfile

    fd, name = tempfile.mkstemp(prefix="mlpath-entry-", suffix=".md")
    path = Path(name)
    with os.fdopen(fd, "wb") as fh:
        fh.write(template.encode("utf-8"))
    try:
        _run(command, variable, path)
        yield decode_utf8(path.read_bytes(), str(path))
    except EmptyEntryError:
        path.unlink(missing_ok=True)
        raise
    except MlpathError as exc:
        raise MlpathError(
            f"{exc.message}; what you wrote is kept in {path}: save it with `{resume} {path}`"
        ) from None
    path.unlink(missing_ok=True)


def _command() -> tuple[list[str], str]:
    import shlex
    import shutil

    for variable in ("VISUAL", "EDITOR"):
        value = os.environ.get(variable, "").strip()
        if not value:
            continue
        try:
            command = shlex.split(value)
        except ValueError as exc:
            raise InvalidInputError(f"${variable} is not a command line ({exc})") from None
        if not command or not shutil.which(command[0]):
            raise InvalidInputError(f"cannot find the editor ${variable} names: '{value}'")
        return command, variable
    raise InvalidInputError(
        "no editor to write the entry in: set $EDITOR (e.g. export EDITOR=nano), give the "
        "entry as TEXT, or pipe it on stdin"
    )


def _run(command: list[str], variable: str, path: Path) -> None:
    import subprocess

    try:
        code = subprocess.run([*command, str(path)], check=False).returncode
    except OSError as exc:
        raise InvalidInputError(
            f"cannot start the editor '{command[0]}' (from ${variable}): {exc.strerror}"
        ) from None
    if code != 0:
        raise InvalidInputError(f"the editor '{command[0]}' exited with status {code}")
