"""The root command and the one error boundary every command runs inside.

- ``MlpathError`` (anything the user can fix): one red line on stderr, exit 1.
- Usage errors (bad options, missing arguments): one line on stderr, exit 2.
- Ctrl-C: exit 130. Output cut short by its reader (``| head``): exit 141, quietly.
- Anything unexpected: a short message naming a crash file with the traceback, exit 70
  (the traceback itself goes to stderr only with ``MLPATH_DEBUG=1``).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from mlpath.errors import MlpathError, RoadmapError

EXIT_CRASH = 70  # EX_SOFTWARE
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that went away


def _err(*segments: str | tuple[str, str]) -> None:
    from mlpath.render.output import Out

    Out(sys.stderr).line(*segments)


def report_error(exc: MlpathError) -> None:
    if isinstance(exc, RoadmapError):  # FILE:LINE:COL first, as editors and CI parse it
        _err(exc.message)
    else:
        _err(("error: ", "bold red"), exc.message)


def write_crash_report(exc: BaseException) -> Path:
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
            target.write_text(body, encoding="utf-8")
            return target
        except OSError:
            continue
    return Path("(could not write a crash file)")


class MlpathGroup(TyperGroup):
    """The root group: every command's exceptions pass through ``invoke``."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except MlpathError as exc:
            report_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, typer.TyperException, KeyboardInterrupt, BrokenPipeError):
            raise
        except Exception as exc:
            crash = write_crash_report(exc)
            if os.environ.get("MLPATH_DEBUG") == "1":
                traceback.print_exception(exc, file=sys.stderr)
            _err(
                ("error: ", "bold red"),
                f"mlpath failed unexpectedly ({type(exc).__name__}: {exc}). "
                f"Details: {crash} (please include it in a bug report)",
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
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except BrokenPipeError:  # `mlpath ... | head`: the reader left; nothing to report
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_BROKEN_PIPE)
        except typer.TyperException as exc:  # usage errors: one line, exit 2
            command = getattr(getattr(exc, "ctx", None), "command_path", None) or "mlpath"
            _err(
                ("error: ", "bold red"),
                f"{exc.format_message()} (see `{command} --help`)",
            )
            sys.exit(getattr(exc, "exit_code", 2))
        except typer.Abort:
            _err("aborted")
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=MlpathGroup,
    name="mlpath",
    help="Your path to ML engineering: roadmaps, progress, journal and portfolio projects.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from mlpath import version

        sys.stdout.write(f"mlpath {version()}\n")
        raise typer.Exit()


@app.callback()
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
) -> None:
    """Your path to ML engineering: roadmaps, progress, journal and portfolio projects.

    Data lives in $MLPATH_HOME (default: your user data folder).
    """


def _compose() -> None:
    from mlpath.cli import data, journal, maintenance, progress, projects, roadmap

    app.add_typer(progress.app)
    app.add_typer(projects.app)
    app.add_typer(roadmap.app, name="roadmap", rich_help_panel="Roadmaps")
    app.add_typer(journal.app)
    app.add_typer(journal.journal_app, name="journal", rich_help_panel="Journal")
    app.add_typer(data.app)
    app.add_typer(data.config_app, name="config", rich_help_panel="Your data")
    app.add_typer(maintenance.app)


_compose()


def run() -> None:
    app()
