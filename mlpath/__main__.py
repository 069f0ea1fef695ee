"""Entry point for ``mlpath`` and ``python -m mlpath``."""

# Before anything else can be interrupted: a Ctrl-C or SIGTERM while Python is still loading
# mlpath ends the run quietly (there is nothing to undo yet). `_signal` is built into Python,
# so setting this costs no import; `main` hands the signals to the usual unwinding.
import _signal  # type: ignore[import-not-found]  # no stubs: the C half of `signal`
import os


def _stop_early(signum: int, frame: object) -> None:
    os.write(2, b"interrupted\n" if signum == _signal.SIGINT else b"terminated\n")
    os._exit(128 + signum)


_signal.signal(_signal.SIGINT, _stop_early)
_signal.signal(_signal.SIGTERM, _stop_early)

import _thread  # noqa: E402 - after the handlers, on purpose
import gc  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from typing import NoReturn  # noqa: E402

from mlpath.errors import Terminated, signal_beneath  # noqa: E402

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def _signal_again(unraisable: "sys.UnraisableHookArgs") -> None:
    """Deliver again a Ctrl-C or SIGTERM that landed where Python cannot raise it.

    A signal's exception raised inside a callback Python runs on its own (the weakref
    callback that frees an import's module lock after every import, a `__del__`, a gc
    callback) is swallowed: Python prints "Exception ignored in ... KeyboardInterrupt" and
    carries on as if no key was pressed. Instead the signal is sent again from a thread, so
    it arrives a moment later in ordinary code and unwinds as usual. Anything else that
    Python could not raise is reported as Python reports it."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        _thread.start_new_thread(_thread.interrupt_main, (signal.SIGINT,))
    elif isinstance(unraisable.exc_value, Terminated):
        _thread.start_new_thread(_thread.interrupt_main, (signal.SIGTERM,))
    else:
        sys.__unraisablehook__(unraisable)


def main() -> None:
    # From here Ctrl-C and SIGTERM unwind the stack: open transactions roll back, `finally`
    # blocks remove staging folders and temp files, and the exit status says what happened.
    try:
        sys.unraisablehook = _signal_again
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _on_sigterm)
        # A run lives for a fraction of a second but allocates hundreds of thousands of
        # objects (Typer's import, a large roadmap catalogue, cookiecutter and Jinja for
        # new-project), and at the default threshold the cyclic collector would walk them
        # again and again, so it runs a hundred times less often here, as in mypy. It still
        # runs: an import of a big export stays bounded.
        gc.set_threshold(70_000, 10, 10)
        from mlpath.cli.app import run

        run()
    except SystemExit as exc:
        status = exc.code
    except KeyboardInterrupt:  # Ctrl-C outside a command (while importing Typer, say)
        _quiet_exit(EXIT_INTERRUPTED)
    except Terminated:
        _quiet_exit(EXIT_TERMINATED)
    except Exception as exc:
        # Python 3.11 wraps what a `__set_name__` raises in a RuntimeError, so a Ctrl-C that
        # lands while an imported module builds a class (platform's `uname_result`, say)
        # arrives here disguised. It is still a Ctrl-C.
        signalled = signal_beneath(exc)
        if signalled is None:
            raise
        _quiet_exit(EXIT_TERMINATED if isinstance(signalled, Terminated) else EXIT_INTERRUPTED)
    else:
        status = 0
    finally:
        # From here a signal ends the process at once: nothing is half-done.
        signal.signal(signal.SIGINT, _stop_early)
        signal.signal(signal.SIGTERM, _stop_early)
    _leave(status)


def _leave(status: object) -> None:
    """End the process with ``status`` (as SystemExit reads it), output flushed, without
    the interpreter's shutdown: everything mlpath writes is closed, flushed and synced by
    now, the shutdown would only walk every object once more (a tenth of a second after
    new-project), and it puts the default signal handlers back first, so that a Ctrl-C in
    its last moments would kill the process with no word and a misleading status."""
    if status is None:
        code = 0
    elif isinstance(status, int):
        code = status
    else:  # sys.exit("message")
        sys.stderr.write(f"{status}\n")
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # the reader went away, or the stream was closed
        code = code or 120  # what Python itself exits with when the last flush fails
    if sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(code)  # a debugger, profiler or coverage run: let it see the usual ending
    os._exit(code)


def _quiet_exit(code: int) -> NoReturn:
    """Exit with ``code`` and a word on stderr, no traceback, whatever arrives meanwhile."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.write(2, b"interrupted\n" if code == EXIT_INTERRUPTED else b"terminated\n")
    os._exit(code)


if __name__ == "__main__":
    main()
