"""The one way mlpath runs git: on one folder's repository, in a clean environment, running
nothing that a repository, a template or an inherited variable configured.

Every call gets the same hardening, given on the command line so that it outranks the
repository's own config and the learner's:

- hooks are disabled (``core.hooksPath`` is the null device);
- no fsmonitor, no signing or signature checking (so no ``gpg.program``), no external diff,
  no pager, no editor, no terminal prompt, no automatic gc or maintenance;
- the environment is a new dict: inherited variables that point git at another repository
  (``GIT_DIR``, ``GIT_INDEX_FILE``...) or add config (``GIT_CONFIG_COUNT``...) are dropped,
  and git never looks for a repository above the folder it is given;
- the learner's identity still applies: system and global config are read as usual, and
  ``GIT_AUTHOR_*``/``GIT_COMMITTER_*`` are kept.

Callers pass values with ``=`` (``--since=...``) and put ``--`` before paths, so that user
input is never read as an option. This module imports only the standard library.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from mlpath.errors import MlpathError

# Settings on every call. Values are constants: nothing here comes from the user.
HARDENING: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", os.devnull),
    ("core.fsmonitor", "false"),
    ("core.pager", "cat"),
    ("core.editor", ":"),
    ("sequence.editor", ":"),
    ("commit.gpgSign", "false"),
    ("tag.gpgSign", "false"),
    ("push.gpgSign", "false"),
    ("log.showSignature", "false"),
    ("gpg.program", os.devnull),
    ("gpg.openpgp.program", os.devnull),
    ("gpg.ssh.program", os.devnull),
    ("gpg.x509.program", os.devnull),
    ("diff.external", os.devnull),  # fails closed; a caller that wants diffs passes --no-ext-diff
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("protocol.ext.allow", "never"),  # "ext::" URLs run a command of the URL's choosing
    ("core.autocrlf", "false"),  # the bytes committed are the bytes written
)

# Inherited GIT_* variables worth keeping: who the learner is, where their config lives, and
# how they reach remotes (for sync). Every other GIT_* variable is dropped.
_KEPT = frozenset({
    "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE",
    "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE",
    "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM",
    "GIT_EXEC_PATH", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSH_VARIANT", "GIT_ASKPASS",
    "GIT_SSL_CAINFO", "GIT_SSL_NO_VERIFY", "GIT_HTTP_PROXY_AUTHMETHOD", "GIT_ALLOW_PROTOCOL",
})  # fmt: skip

# Variables that would point git at another repository than the folder's own; dropped like
# every GIT_* variable not kept, and named here for the tests and for readers.
REDIRECTS = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX",
)  # fmt: skip


class GitError(MlpathError):
    """git ran and failed (or could not be started)."""

    def __init__(self, message: str, returncode: int | None = None, output: str = "") -> None:
        super().__init__(message)
        self.returncode = returncode
        self.output = output  # git's whole stderr, for callers that tell failures apart


def available() -> bool:
    return shutil.which("git") is not None


def environment(folder: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A new environment for git in ``folder``: the inherited one without git's steering
    variables, with no pager, editor or prompt, English messages, and no repository looked
    for above it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in _KEPT}
    # git's messages in English, whatever the learner's language: callers tell failures
    # apart by git's words, and quote them in mlpath's own (English) messages.
    env.pop("LANGUAGE", None)
    env.update({
        "LC_ALL": "C.UTF-8",
        "GIT_CEILING_DIRECTORIES": str(folder.parent),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "GIT_EDITOR": ":",
        "GIT_SEQUENCE_EDITOR": ":",
        "GIT_OPTIONAL_LOCKS": "0",
    })  # fmt: skip
    env.update(extra or {})
    return env


def command(*args: str) -> list[str]:
    """The argument list for ``git ARGS...`` with the hardening in front."""
    options = [part for key, value in HARDENING for part in ("-c", f"{key}={value}")]
    return ["git", "--no-pager", *options, *args]


def run(
    folder: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    ok: tuple[int, ...] = (0,),
    shielded: bool = False,
    input: str | None = None,
) -> str:
    """Run ``git ARGS...`` on ``folder``'s own repository; its stdout, or GitError when the
    exit status is not in ``ok``. git reads ``input`` on stdin (paths for ``--stdin-paths``,
    ``--index-info`` lines), else nothing.

    ``shielded``: for a command that writes somewhere else (a push). git runs in a session
    of its own, so a Ctrl-C or a kill meant for mlpath and its process group does not reach
    it (or the ``receive-pack`` it starts for a remote at a path), and a remote is never
    left holding a lock file a killed git could not remove. When mlpath is interrupted
    meanwhile, git is given ``SHIELD_GRACE`` seconds to finish, then asked to stop
    (SIGTERM, which git cleans up after), and the interruption goes on."""
    proc = _start(folder, args, env, shielded, input is not None)
    try:
        stdout, stderr = proc.communicate(input)
    except BaseException:
        _wind_down(proc, SHIELD_GRACE if shielded else 0.0)
        raise
    return _result(proc, args, stdout, stderr, ok)


def run_each(
    jobs: Sequence[tuple[Path, Sequence[str]]], ok: tuple[int, ...] = (0,)
) -> list[str | GitError]:
    """``run`` of several read-only commands (each a folder and its git arguments) side by
    side, ``AT_ONCE`` at a time: each batch of gits starts before the first is waited for,
    so that their start-up times overlap. In the order of ``jobs``, each one's stdout or
    the GitError ``run`` would have raised; an interruption stops the ones still running
    and goes on."""
    results: list[str | GitError] = []
    for first in range(0, len(jobs), AT_ONCE):
        results += _run_batch(jobs[first : first + AT_ONCE], ok)
    return results


AT_ONCE = 8  # gits running at the same time for run_each


def _run_batch(
    jobs: Sequence[tuple[Path, Sequence[str]]], ok: tuple[int, ...]
) -> list[str | GitError]:
    started: list[tuple[subprocess.Popen[str] | GitError, Sequence[str]]] = []
    try:
        for folder, args in jobs:
            try:
                started.append((_start(folder, args, None, False, False), args))
            except GitError as error:
                started.append((error, args))
        results: list[str | GitError] = []
        for proc, args in started:
            if isinstance(proc, GitError):
                results.append(proc)
                continue
            stdout, stderr = proc.communicate()
            try:
                results.append(_result(proc, args, stdout, stderr, ok))
            except GitError as error:
                results.append(error)
        return results
    except BaseException:
        for proc, _ in started:
            if not isinstance(proc, GitError) and proc.returncode is None:
                _wind_down(proc, 0.0)
        raise


def _start(
    folder: Path,
    args: Sequence[str],
    env: Mapping[str, str] | None,
    shielded: bool,
    reads_input: bool,
) -> subprocess.Popen[str]:
    try:
        return subprocess.Popen(
            command(*args), cwd=folder, env=environment(folder, env),
            stdin=subprocess.PIPE if reads_input else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", errors="replace", start_new_session=shielded,
        )  # fmt: skip
    except FileNotFoundError:
        if not os.path.isdir(folder):  # the folder, not git, is what is missing
            raise GitError(f"could not run git in {folder}: no such folder") from None
        raise GitError("git is not installed") from None
    except OSError as exc:
        raise GitError(f"could not run git: {exc.strerror or exc}") from None


def _result(
    proc: subprocess.Popen[str], args: Sequence[str], stdout: str, stderr: str,
    ok: tuple[int, ...],
) -> str:  # fmt: skip
    if proc.returncode not in ok:
        raise GitError(f"git {args[0]} failed: {_reason(stderr, proc.returncode)}",
                       proc.returncode, stderr)  # fmt: skip
    return stdout


SHIELD_GRACE = 10.0


def _wind_down(proc: subprocess.Popen[str], grace: float) -> None:
    """After an interruption: let ``proc`` finish within ``grace`` seconds, else stop it
    (SIGTERM, then SIGKILL); a further interruption leaves it to finish by itself."""
    try:
        if grace:
            try:
                proc.communicate(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                pass
        proc.terminate()
        try:
            proc.communicate(timeout=2.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    except BaseException:  # interrupted again: git goes on alone (a shielded one finishes)
        pass


def _reason(stderr: str, returncode: int) -> str:
    """git's own one-line reason: its first fatal or error line, else its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[-1] if lines else f"exit status {returncode}"


def user_config(folder: Path) -> dict[str, str]:
    """user.name and user.email as a repository in ``folder`` sees them (system, global and
    the repository's own settings; no repository above ``folder`` is looked into)."""
    if not available():
        return {}
    try:
        listing = run(folder, "config", "--get-regexp", r"^user\.(name|email)$", ok=(0, 1))
    except GitError:
        return {}
    pairs = (line.split(" ", 1) for line in listing.splitlines() if " " in line)
    return {key: value for key, value in pairs}


def has_identity(config: Mapping[str, str]) -> bool:
    """Whether git knows who the learner is without guessing user@hostname."""
    return all(
        os.environ.get(f"GIT_{role}_{part}") or config.get(key)
        for role in ("AUTHOR", "COMMITTER")
        for part, key in (("NAME", "user.name"), ("EMAIL", "user.email"))
    )


def identity_env(name: str, email: str) -> dict[str, str]:
    """The environment that makes git sign a commit as ``name <email>``."""
    return {f"GIT_{role}_{part}": value for role in ("AUTHOR", "COMMITTER")
            for part, value in (("NAME", name), ("EMAIL", email))}  # fmt: skip
