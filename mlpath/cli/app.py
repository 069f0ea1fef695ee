"""The root command and the one error boundary every command runs inside.

- ``MlpathError`` (anything the user can fix): one red line on stderr, exit 1.
- Usage errors (bad options, missing arguments): one line on stderr, exit 2.
- Ctrl-C: exit 130. Output cut short by its reader (``| head``): exit 141, quietly.
- Anything unexpected: a short message naming a crash file with the traceback, exit 70
  (the traceback itself goes to stderr only with ``MLPATH_DEBUG=1``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from mlpath.errors import MlpathError, RoadmapError, signal_beneath

EXIT_CRASH = 70  # EX_SOFTWARE
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that went away
EXIT_INTERRUPTED = 130  # 128 + SIGINT


def _err(*segments: str | tuple[str, str]) -> None:
    from mlpath.render.output import Out

    Out(sys.stderr).line(*segments)


def report_error(exc: MlpathError) -> None:
    from mlpath.render.output import brief

    if isinstance(exc, RoadmapError):  # FILE:LINE:COL first, as editors and CI parse it
        _err(brief(exc.message))
    else:
        _err(("error: ", "bold red"), brief(exc.message))


# The "code" of a --json error document, by the kind of error (the first one in its MRO).
ERROR_CODES = {
    "RoadmapError": "roadmap", "NotFoundError": "not-found", "AmbiguousError": "ambiguous",
    "StoreBusyError": "store-busy", "StoreError": "store", "EmptyEntryError": "empty",
    "InvalidInputError": "invalid-input", "ScaffoldError": "scaffold", "UpdateError": "update",
    "MlpathError": "error",
}  # fmt: skip
GROUPS = ("roadmap", "track", "journal", "config", "sync", "projects")  # commands with subcommands
# Other names of a command: one command, found under both (`mlpath project update`), listed
# under its own name only.
ALIASES = {"project": "projects"}
_RUNNING: list[list[str]] = []  # the arguments of the run going on (tests run several)


def _asked_for_json(argv: Sequence[str]) -> bool:
    return "--json" in argv[: argv.index("--")] if "--" in argv else "--json" in argv


def _after_root_options(argv: Sequence[str]) -> Sequence[str]:
    """``argv`` without the root's own options before the command (--color X, --no-pager)."""
    while argv and (argv[0].startswith("--color") or argv[0] == "--no-pager"):
        argv = argv[1:] if argv[0] == "--no-pager" or "=" in argv[0] else argv[2:]
    return argv


def _command_words(argv: Sequence[str]) -> str:
    """The command as the JSON documents name it: "status", "journal edit"."""
    argv = _after_root_options(argv)
    words = [a for a in argv if not a.startswith("-")][:2]
    if words:
        words[0] = ALIASES.get(words[0], words[0])
    if len(words) == 2 and words[0] not in GROUPS and words != ["backup", "restore"]:
        words = words[:1]  # `backup PATH` names a file, `backup restore` a command
    return " ".join(words) or "mlpath"


def json_error(code: str, message: str, exit_code: int) -> None:
    """With --json, an error is a JSON document on stdout too, so that a script always has one
    to read: {"schema", "command", "error": {"code", "message", "exit_code"}}."""
    import json

    from mlpath.render.output import JSON_SCHEMA
    from mlpath.safetext import json_safe

    argv = _RUNNING[-1] if _RUNNING else sys.argv[1:]
    if not _asked_for_json(argv):
        return
    document = {"schema": JSON_SCHEMA, "command": _command_words(argv),
                "error": {"code": code, "message": message, "exit_code": exit_code}}  # fmt: skip
    sys.stdout.write(json_safe(json.dumps(document, ensure_ascii=False, indent=2)) + "\n")


def _code(exc: MlpathError) -> str:
    return next(ERROR_CODES[k.__name__] for k in type(exc).__mro__ if k.__name__ in ERROR_CODES)


def write_crash_report(exc: BaseException) -> Path:
    import datetime as dt
    import tempfile
    import traceback

    from mlpath import paths, version

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    body = (
        f"mlpath {version()} on Python {sys.version.split()[0]} ({sys.platform})\n"
        f"command: {' '.join(sys.argv)}\n\n" + "".join(traceback.format_exception(exc))
    )
    for folder in (paths.crash_dir(), Path(tempfile.gettempdir())):
        target = folder / f"mlpath-crash-{stamp}.txt"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # Whatever the command line held (bytes that are not UTF-8, say) is written.
            target.write_text(body, encoding="utf-8", errors="backslashreplace")
            return target
        except OSError:
            continue
    return Path("(could not write a crash file)")


class MlpathGroup(TyperGroup):
    """The root group: every command's exceptions pass through ``invoke``."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """A command by its name, or by another name of it (``project`` for ``projects``)."""
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in ALIASES:
            found = super().get_command(ctx, ALIASES[cmd_name])
        return found

    def invoke(self, ctx: Any) -> Any:
        try:
            from mlpath import welcome

            if welcome.wanted(_RUNNING[-1] if _RUNNING else sys.argv[1:]):
                welcome.welcome()
            result = super().invoke(ctx)
            sys.stdout.flush()  # a reader that went away is found here, not at exit
            return result
        except MlpathError as exc:
            report_error(exc)
            json_error(_code(exc), exc.message, exc.exit_code)
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:  # `mlpath ... | head`: the reader left; nothing to report
            # Output still buffered would fail again at exit, with a message: send it nowhere.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(EXIT_BROKEN_PIPE) from None
        except KeyboardInterrupt:  # Ctrl-C: every `finally` and rollback ran on the way here
            _err("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as exc:
            signalled = signal_beneath(exc)
            if isinstance(signalled, KeyboardInterrupt):  # a Ctrl-C in disguise
                _err("interrupted")
                raise typer.Exit(EXIT_INTERRUPTED) from None
            if signalled is not None:  # SIGTERM: `main` ends the run
                raise signalled from None
            crash = write_crash_report(exc)
            if os.environ.get("MLPATH_DEBUG") == "1":
                import traceback

                traceback.print_exception(exc, file=sys.stderr)
            from mlpath.render.output import brief

            _err(
                ("error: ", "bold red"),
                brief(
                    f"mlpath failed unexpectedly ({type(exc).__name__}: {exc}). "
                    f"Details: {crash} (please include it in a bug report)"
                ),
            )
            raise typer.Exit(EXIT_CRASH) from None

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        _RUNNING.append(list(sys.argv[1:] if args is None else args))
        try:
            self._run(args, prog_name, complete_var, **extra)
        finally:
            _RUNNING.pop()
            shown = sys.modules.get("mlpath.render.output")
            if shown is not None:  # --color holds for this run only
                shown.COLOR_MODE = "auto"  # type: ignore[attr-defined]
            paging = sys.modules.get("mlpath.pager")
            if paging is not None:  # and so does --no-pager
                paging.DISABLED = False  # type: ignore[attr-defined]

    def _run(
        self, args: Sequence[str] | None, prog_name: str | None, complete_var: str | None,
        **extra: Any,
    ) -> None:  # fmt: skip
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except typer.TyperException as exc:  # usage errors: one line, exit 2
            from mlpath.render.output import brief

            command = getattr(getattr(exc, "ctx", None), "command_path", None) or "mlpath"
            _err(("error: ", "bold red"), brief(f"{exc.format_message()} (see `{command} --help`)"))
            json_error("usage", exc.format_message(), getattr(exc, "exit_code", 2))
            sys.exit(getattr(exc, "exit_code", 2))
        except typer.Abort as exc:  # a prompt answered with Ctrl-C, or with end of input
            cause = exc.__cause__ or exc.__context__
            _err("interrupted" if isinstance(cause, KeyboardInterrupt) else "aborted")
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(code if isinstance(code, int) else 0)


def _print_version(value: bool) -> None:
    if value:
        from mlpath import version

        sys.stdout.write(f"mlpath {version()}\n")
        raise typer.Exit()


def _set_color(value: str | None) -> None:
    if value is None:
        return
    from mlpath.render import output

    if value not in ("auto", "always", "never"):
        raise typer.BadParameter(f"'{value}' is not one of auto, always, never")
    output.COLOR_MODE = value


def _set_no_pager(value: bool) -> None:
    if value:
        from mlpath import pager

        pager.DISABLED = True


def root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    _color: Annotated[
        str | None,
        typer.Option(
            "--color",
            metavar="auto|always|never",
            callback=_set_color,
            is_eager=True,
            help="Colour: on a terminal (auto, the default; NO_COLOR and FORCE_COLOR count), "
            "always or never.",
        ),
    ] = None,
    _no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager",
            callback=_set_no_pager,
            is_eager=True,
            help="Print long output straight to the terminal, never through a pager "
            "($MLPATH_PAGER, else $PAGER, else less -FRX).",
        ),
    ] = False,
) -> None:
    """Your path to ML engineering: roadmaps, progress, journal and portfolio projects.

    Data lives in $MLPATH_HOME (default: your user data folder).
    """


# Each command module's Typer apps: (attribute, group name or None to merge, help panel).
MODULES: dict[str, list[tuple[str, str | None, str | None]]] = {
    "progress": [("app", None, None)],
    "projects": [("app", None, None), ("projects_app", "projects", "Projects")],
    "roadmap": [("app", "roadmap", "Roadmaps")],
    "track": [("app", "track", "Roadmaps")],
    "journal": [("app", None, None), ("journal_app", "journal", "Journal")],
    "data": [("app", None, None), ("config_app", "config", "Your data")],
    "maintenance": [("app", None, None), ("backup_app", "backup", "Your data")],
    "history": [("app", None, None)],
    "sync": [("sync_app", "sync", "Your data")],
    "plan": [("app", None, None)],
    "recall": [("app", None, None)],
    "report": [("app", None, None)],
}
# Which module provides each top-level command, so that a run imports only that module
# (a test keeps this in step with the modules).
COMMANDS = {
    **dict.fromkeys(
        ("status", "next", "start", "done", "skip", "reset", "show", "check"), "progress"
    ),
    **dict.fromkeys(("new-project", "projects"), "projects"),
    "roadmap": "roadmap",
    "track": "track",
    **dict.fromkeys(("log", "note", "journal", "review"), "journal"),
    **dict.fromkeys(("export", "import", "config"), "data"),
    **dict.fromkeys(("backup", "doctor"), "maintenance"),
    **dict.fromkeys(("undo", "redo"), "history"),
    "sync": "sync",
    "plan": "plan",
    "recall": "recall",
    "report": "report",
}


def build_app(modules: Sequence[str] = tuple(MODULES), only: str | None = None) -> typer.Typer:
    """The root app with the commands of ``modules`` (default: all of them), or with just the
    command ``only`` of them."""
    import importlib

    built = typer.Typer(
        cls=MlpathGroup,
        name="mlpath",
        help="Your path to ML engineering: roadmaps, progress, journal and portfolio projects.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    built.callback()(root)
    for module in modules:
        loaded = importlib.import_module(f"mlpath.cli.{module}")
        for attribute, name, panel in MODULES[module]:
            sub = getattr(loaded, attribute)
            if name is not None:
                if only in (None, name):
                    built.add_typer(sub, name=name, rich_help_panel=panel)
            elif only is None:
                built.add_typer(sub)
            else:
                built.registered_commands += [
                    info for info in sub.registered_commands if _name(info) == only
                ]
    return built


def _name(info: Any) -> str:
    return str(info.name or info.callback.__name__.replace("_", "-"))


def _app_for(argv: Sequence[str]) -> typer.Typer:
    """Typer turns every registered command into a click command on each run, which costs
    more than most commands take to do their work; so a run builds only the command it runs.
    Help, completion and unknown commands get the whole app; --version gets none."""
    if argv and argv[0] in ("--version", "-V"):
        return build_app([])
    argv = _after_root_options(argv)  # the root's own options before the command
    name = ALIASES.get(argv[0], argv[0]) if argv else ""
    if os.environ.get("_MLPATH_COMPLETE") or name not in COMMANDS:
        return build_app()
    return build_app([COMMANDS[name]], only=name)


def __getattr__(name: str) -> typer.Typer:
    # `app` (the whole command line, for tests and tools) is built only when asked for.
    if name == "app":
        return build_app()
    raise AttributeError(name)


def _not_utf8(argv: Sequence[str]) -> str | None:
    """What is wrong with a command line holding bytes that are not UTF-8 (Python keeps each
    such byte as a lone surrogate), or None. mlpath stores and prints text, so such an
    argument is refused before any command sees it."""
    for number, arg in enumerate(argv, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError as exc:
            code = ord(arg[exc.start])
            byte = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else "a character"
            after = f" (after {argv[number - 2]})" if number > 1 else ""
            return f"argument {number}{after} is not UTF-8 text: {byte} at position {exc.start}"
    return None


def run() -> None:
    argv = sys.argv[1:]
    if problem := _not_utf8(argv):
        _err(("error: ", "bold red"), f"{problem}; mlpath takes UTF-8 text")
        sys.exit(2)
    if not argv:  # `mlpath` alone: the help, as a question answered (exit 0), not an error
        _app_for(argv)(args=["--help"])
    _app_for(argv)()
