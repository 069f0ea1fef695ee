"""How a template from outside mlpath is kept in its box while cookiecutter renders it.

A template is data unless the learner passes ``--trust``. What enforces that:

- ``check_template_tree``: no ``.git`` in the template (git would run the hooks and settings
  in it) and no symbolic links (cookiecutter copies what a link points at, secrets included);
- ``confined``, the conditions cookiecutter runs under: an untrusted template's Jinja in
  Jinja's immutable sandbox (plain Jinja can reach Python's ``os`` module); the name of
  everything it will write rendered and checked before the first file is written
  (``_check_plan``); no write of this process outside the staging folder
  (``confined_writes``, an audit hook); hook output on stderr; cookiecutter's log silenced;
- ``check_rendered``: the rendered tree has no link leading out of it.

It depends on two cookiecutter internals, ``cookiecutter.utils.StrictEnvironment`` and
``cookiecutter.main.generate_files``: if either is missing, mlpath refuses to render rather
than render unguarded. cookiecutter and Jinja are imported only inside the functions here.
"""

import contextlib
import errno
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mlpath.errors import ScaffoldError
from mlpath.paths import PROVENANCE_FILE

# Jinja extensions that are installed code, not the template's: any other is a program.
KNOWN_EXTENSIONS = ("cookiecutter.", "jinja2.", "jinja2_time.")


def foreign_extensions(wanted: Any) -> list[str]:
    """The Jinja extensions in ``wanted`` that are not installed code: cookiecutter imports
    them from the template's folder, so they are the template's programs."""
    names = wanted if isinstance(wanted, list | tuple) else [wanted] if wanted else []
    return [str(e) for e in names if not str(e).startswith(KNOWN_EXTENSIONS)]


def needs_trust(label: str, what: str, found: list[str] | tuple[str, ...]) -> ScaffoldError:
    return ScaffoldError(
        f"template {label} {what}, which are programs that would run on your machine: "
        f"{', '.join(found)}; read them, then pass --trust to run them"
    )


def check_template_tree(folder: Path, label: str) -> None:
    """Refuse a template holding a ``.git`` (git would run the hooks and config in it) or a
    symbolic link (cookiecutter copies what a link points at, secrets included). The
    template's own ``.git`` beside cookiecutter.json, as in a clone, is never rendered."""
    for here, dirs, files in os.walk(folder):
        names = sorted([*dirs, *files])
        if here == str(folder):
            names = [n for n in names if n != ".git"]
            dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            path = Path(here, name)
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                raise ScaffoldError(
                    f"template {label} contains a symbolic link, {rel} -> {os.readlink(path)}; "
                    "templates may not contain links"
                )
            if name.lower() == ".git":
                raise ScaffoldError(
                    f"template {label} contains {rel}: a template may not contain .git "
                    "(git would run the hooks and settings in it)"
                )


@contextlib.contextmanager
def confined(staging: Path, folder: Path, label: str, trust: bool) -> Iterator[None]:
    """The conditions cookiecutter runs under, all undone afterwards:

    - an untrusted template's Jinja runs in Jinja's immutable sandbox (plain Jinja lets a
      template reach Python's ``os`` module: it would be a hook by another name);
    - before generation writes anything, the name of everything it will write is rendered
      and checked (``_check_plan``);
    - this process may not write outside the staging folder (``confined_writes``), and temp
      files (rendered hooks, a pre_prompt copy) go inside it;
    - hooks' output goes to stderr, so that stdout keeps one JSON document under --json,
      and cookiecutter's log lines are silenced: mlpath reports its errors in one line.
    """
    import cookiecutter.main
    import cookiecutter.utils

    with contextlib.ExitStack() as stack:
        if not trust:
            sandboxed = _sandboxed_environment(label)
            stack.enter_context(
                _patched(cookiecutter.utils, "StrictEnvironment", lambda _: sandboxed)
            )
        stack.enter_context(
            _patched(
                cookiecutter.main, "generate_files",
                lambda real: _checked_generation(real, folder, label),
            )
        )  # fmt: skip
        stack.enter_context(_quiet_logger("cookiecutter"))
        stack.enter_context(_stdout_to_stderr())
        stack.enter_context(_temp_files_in(staging / "tmp"))
        stack.enter_context(confined_writes(staging, label))
        yield


def _sandboxed_environment(label: str) -> type:
    """cookiecutter's StrictEnvironment (its extensions, strict undefined), sandboxed, and
    refusing extensions of the template's own, wherever their names come from (a nested
    template's cookiecutter.json too)."""
    from cookiecutter.environment import ExtensionLoaderMixin
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Sandboxed(ExtensionLoaderMixin, ImmutableSandboxedEnvironment):  # type: ignore[misc]
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(undefined=StrictUndefined, **kwargs)

        def _read_extensions(self, context: dict[str, Any]) -> list[str]:
            wanted: list[str] = super()._read_extensions(context)
            if foreign := foreign_extensions(wanted):
                raise needs_trust(label, "loads Jinja extensions", foreign)
            return wanted

    return Sandboxed


@contextlib.contextmanager
def _patched(owner: Any, name: str, make: Callable[[Any], Any]) -> Iterator[None]:
    """``owner.name`` replaced by ``make(original)`` for the duration."""
    if not hasattr(owner, name):  # a cookiecutter mlpath does not know: refuse, never run bare
        raise ScaffoldError(
            f"this version of cookiecutter has no {owner.__name__}.{name}, which mlpath needs "
            "to render templates safely; install a cookiecutter version mlpath supports"
        )
    original = getattr(owner, name)
    setattr(owner, name, make(original))
    try:
        yield
    finally:
        setattr(owner, name, original)


@contextlib.contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    handler = logging.NullHandler()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send what is written to stdout, by this process or by the programs it starts (hooks),
    to stderr: at the file-descriptor level, since hooks are other processes."""
    sys.stdout.flush()
    saved: int | None = None
    with contextlib.suppress(OSError):  # no fd 1 or 2 to speak of: nothing to keep apart
        saved = os.dup(1)
        os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


@contextlib.contextmanager
def _temp_files_in(folder: Path) -> Iterator[None]:
    """Temp files in ``folder`` and no bytecode written, so that nothing lands elsewhere."""
    folder.mkdir(exist_ok=True)
    saved = tempfile.tempdir, sys.dont_write_bytecode
    tempfile.tempdir, sys.dont_write_bytecode = str(folder), True
    try:
        yield
    finally:
        tempfile.tempdir, sys.dont_write_bytecode = saved


# ------------------------------------------------------------------- where a template writes


def _checked_generation(real: Callable[..., str], template: Path, label: str) -> Callable[..., str]:
    """cookiecutter's generate_files, preceded by a check of everything it is about to write
    with the very context and template folder it was given (after any pre_prompt hook)."""

    def generate_files(repo_dir: Any, context: Any = None, output_dir: Any = ".", **kw: Any) -> str:
        folder = Path(repo_dir)
        if folder.resolve() != template.resolve():  # a pre_prompt hook's copy
            check_template_tree(folder, label)
        _check_plan(folder, context or {}, Path(output_dir), label)
        return real(repo_dir=repo_dir, context=context, output_dir=output_dir, **kw)

    return generate_files


def _check_plan(repo_dir: Path, context: dict[str, Any], output_dir: Path, label: str) -> None:
    """Render the name of every folder and file in the template as cookiecutter's
    generate_files will (same strings, same environment, same order) and refuse, before it
    writes anything, any that lands outside the project, in a .git or on the provenance file.

    At a name that does not render, the check stops: cookiecutter fails at the same name,
    before writing it or anything after it.
    """
    from cookiecutter.find import find_template
    from cookiecutter.generate import is_copy_only_path
    from cookiecutter.utils import create_env_with_context, work_in
    from jinja2 import TemplateError
    from jinja2.exceptions import SecurityError

    env = create_env_with_context(context)
    marks = (env.variable_start_string, env.block_start_string, env.comment_start_string)
    literal_ok = env.line_statement_prefix is None and env.line_comment_prefix is None

    def render(text: str) -> str:
        if literal_ok and not any(mark in text for mark in marks):
            return text
        return str(env.from_string(text).render(**context))

    template_dir = find_template(repo_dir, env)
    out = os.path.abspath(output_dir)
    try:
        root = render(template_dir.name)
    except SecurityError:
        raise
    except TemplateError:
        return
    if root in ("", ".", "..") or Path(root).name != root:
        raise ScaffoldError(
            f"template {label}: the project folder {template_dir.name} renders to {root!r}, "
            "which is not a folder name"
        )
    project = os.path.join(out, root)
    check = _PathCheck(label, template_dir.name, project)
    with work_in(template_dir):
        try:
            for here, dirs, files in os.walk("."):
                copied = [d for d in sorted(dirs) if is_copy_only_path(_norm(here, d), context)]
                rendered = [d for d in sorted(dirs) if d not in copied]
                for d in copied:  # copied whole, names and all, where its own name renders
                    check(
                        _norm(here, d),
                        render(os.path.normpath(os.path.join(project, _norm(here, d)))),
                    )
                for d in rendered:
                    check(_norm(here, d), str(Path(out, render(os.path.join(project, here, d)))))
                dirs[:] = rendered
                for f in sorted(files):
                    check(_norm(here, f), os.path.join(project, render(_norm(here, f))))
        except SecurityError:
            raise
        except TemplateError:
            return


def _norm(here: str, name: str) -> str:
    return os.path.normpath(os.path.join(here, name))


class _PathCheck:
    """Whether one rendered path may be written: inside the project, in no .git, and not on
    mlpath's provenance file."""

    def __init__(self, label: str, root_name: str, project: str) -> None:
        self.label = label
        self.root_name = root_name
        self.project = os.path.realpath(project)

    def __call__(self, source: str, target: str) -> None:
        shown = f"{self.root_name}/{Path(source).as_posix()}"
        real = os.path.realpath(target)
        if not _within(real, self.project, or_equal=True):
            raise ScaffoldError(
                f"template {self.label}: {shown} renders to {real!r}, outside the project; "
                "nothing was written"
            )
        rel = Path(os.path.relpath(real, self.project))
        if any(part.lower() == ".git" for part in rel.parts):
            raise ScaffoldError(
                f"template {self.label}: {shown} renders to {rel.as_posix()!r}: a template may "
                "not contain .git"
            )
        if rel == Path(PROVENANCE_FILE):
            raise _reserved(self.label, shown)


def _reserved(label: str, shown: str) -> ScaffoldError:
    """mlpath writes its record of the project last: a template may not bring one."""
    reserved = "which is reserved for mlpath's record of the project"
    if Path(shown).name == PROVENANCE_FILE:
        return ScaffoldError(f"template {label} contains {shown}, {reserved}")
    return ScaffoldError(f"template {label}: {shown} would become {PROVENANCE_FILE}, {reserved}")


def _within(path: str, folder: str, *, or_equal: bool = False) -> bool:
    return (or_equal and path == folder) or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_rendered(rendered: Path, label: str, trust: bool) -> None:
    """The rendered project, before anything else touches it: no link in it leads out of it
    (a trusted hook may have made some), mlpath's own record is not there yet, and, unless
    trusted hooks ran (some run ``git init``), no .git is in it."""
    if os.path.lexists(rendered / PROVENANCE_FILE):
        raise _reserved(label, PROVENANCE_FILE)
    root = os.path.realpath(rendered)
    for here, dirs, files in os.walk(rendered):
        for name in sorted([*dirs, *files]):
            path = os.path.join(here, name)
            rel = Path(path).relative_to(rendered).as_posix()
            if os.path.islink(path) and not _within(os.path.realpath(path), root):
                raise ScaffoldError(
                    f"template {label} left a link pointing outside the project: "
                    f"{rel} -> {os.readlink(path)}"
                )
            if not trust and name.lower() == ".git":
                raise ScaffoldError(f"template {label} made {rel}: a template may not contain .git")


# --------------------------------------------------------------- no writes outside staging

# Audit events that write, with the positions of the paths they write and of their dir_fd.
_WRITES: dict[str, tuple[tuple[int, ...], int | None]] = {
    "os.mkdir": ((0,), 2), "os.remove": ((0,), 1), "os.rmdir": ((0,), 1),
    "os.rename": ((0, 1), 2), "os.replace": ((0, 1), 2), "os.link": ((1,), 3),
    "os.symlink": ((1,), 2), "os.truncate": ((0,), None), "os.chmod": ((0,), 2),
    "os.chown": ((0,), 3), "os.utime": ((0,), 3), "shutil.copyfile": ((1,), None),
    "shutil.copymode": ((1,), None), "shutil.copystat": ((1,), None),
    "shutil.copytree": ((1,), None), "shutil.move": ((0, 1), None),
    "shutil.rmtree": ((0,), 1),
}  # fmt: skip
_OPEN_FOR_WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class _Guard:
    """The state of the audit hook: the one folder writes are allowed in, while active."""

    folder: str | None = None
    refused: list[str] = []  # noqa: RUF012 - one record for the process
    installed = False
    busy = False


def _write_targets(event: str, args: tuple[Any, ...]) -> list[Any]:
    if event == "open":
        path, mode, flags = (*args, None, None, None)[:3]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and bool(flags & _OPEN_FOR_WRITING)
        )
        return [path] if writing else []
    spec = _WRITES.get(event)
    if spec is None:
        return []
    positions, dir_fd = spec
    # Relative to an open folder: only shutil.rmtree works that way, and its top is checked.
    if dir_fd is not None and len(args) > dir_fd and args[dir_fd] is not None:
        return []
    return [args[i] for i in positions if i < len(args)]


def _audit(event: str, args: tuple[Any, ...]) -> None:
    folder = _Guard.folder
    if folder is None or _Guard.busy:
        return
    _Guard.busy = True
    try:
        for target in _write_targets(event, args):
            if not isinstance(target, str | bytes | os.PathLike):
                continue  # a file descriptor: opened, and so checked, earlier
            path = os.path.realpath(os.fsdecode(target))
            if not _within(path, folder, or_equal=True):
                _Guard.refused.append(path)
                raise PermissionError(errno.EACCES, "mlpath writes only inside the project", path)
    finally:
        _Guard.busy = False


@contextlib.contextmanager
def confined_writes(folder: Path, label: str) -> Iterator[None]:
    """While inside, this process cannot write outside ``folder`` (links resolved): every
    file, folder, rename, copy or permission change elsewhere fails before it happens, and
    the block ends in a ScaffoldError naming the first such path.

    The safety net under ``_check_plan``: it holds whatever path cookiecutter computes.
    Programs started meanwhile (trusted hooks) are not confined: they are trusted.
    """
    if not _Guard.installed:
        sys.addaudithook(_audit)
        _Guard.installed = True
    _Guard.refused = []
    _Guard.folder = os.path.realpath(folder)
    try:
        yield
    except BaseException:
        if not _Guard.refused:
            raise
    finally:
        _Guard.folder = None
    if _Guard.refused:
        raise ScaffoldError(
            f"template {label} tried to write outside the project, at {_Guard.refused[0]}; "
            "nothing was written there"
        ) from None
