"""Errors a user can fix. The CLI turns each into one line on stderr and exit code 1."""

from collections.abc import Collection, Sequence

from mlpath.tuples import NamedTuple


class MlpathError(Exception):
    """Base class for every error whose message is meant for the user."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def lines(self) -> list[str]:
        """The lines to print on stderr (one, unless a subclass has more to say)."""
        return [self.message]


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C, so transactions roll back and temp files go."""


def signal_beneath(exc: BaseException) -> BaseException | None:
    """The KeyboardInterrupt or Terminated that ``exc`` was raised from, if there is one.

    Python 3.11 wraps whatever a ``__set_name__`` raises in a RuntimeError, so a signal that
    lands while a module being imported builds a class arrives disguised."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, (KeyboardInterrupt, Terminated)):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


class Problem(NamedTuple):
    """One problem in a file, located the way editors and compilers do: FILE:LINE:COL."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class RoadmapError(MlpathError):
    """One or more roadmap (or track) files are invalid."""

    def __init__(self, problems: Sequence[Problem], tracks: Collection[str] = ()) -> None:
        """``tracks``: the names of the track files, whose problems `track validate` lists."""
        self.problems = sorted(problems)
        first = str(self.problems[0])
        more = len(self.problems) - 1
        if more:
            kind = "track" if self.problems[0].file in tracks else "roadmap"
            first += f" (and {more} more; run `mlpath {kind} validate` on the file)"
        super().__init__(first)

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class NotFoundError(MlpathError):
    """A roadmap, topic or file the user named does not exist."""


class AmbiguousError(MlpathError):
    """A bare topic id matches topics in several roadmaps."""


class StoreError(MlpathError):
    """The progress store cannot be opened or used."""


class StoreBusyError(StoreError):
    """Another mlpath process held the store for longer than the busy timeout."""


class InvalidInputError(MlpathError):
    """A value on the command line is not acceptable."""


class ScaffoldError(MlpathError):
    """A project could not be created from a template; nothing was left behind."""


class UpdateError(MlpathError):
    """A project cannot be checked against or updated to its template; nothing was changed."""


class EmptyEntryError(InvalidInputError):
    """A journal entry with no text: nothing is saved."""


MAX_COUNT = 1_000_000


def check_count(value: int, option: str = "-n") -> int:
    """A count the learner asked for (``-n``), or an error naming the range allowed."""
    if not 1 <= value <= MAX_COUNT:
        raise InvalidInputError(
            f"{option} must be a whole number from 1 to {MAX_COUNT:,}, not {value}"
        )
    return value
