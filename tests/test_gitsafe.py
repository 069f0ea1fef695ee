"""mlpath.gitsafe, the one way mlpath runs git: on a real repository whose own config and
hooks try to run a program, and with an environment that tries to steer git elsewhere."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mlpath import gitsafe

MARKER_SCRIPT = "#!/bin/sh\ntouch '{marker}'\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    return folder


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "program.sh"
    path.write_text(MARKER_SCRIPT.format(marker=tmp_path / "program-ran"))
    path.chmod(0o755)
    return path


def ran(tmp_path: Path) -> bool:
    return (tmp_path / "program-ran").exists()


def test_repository_hooks_and_fsmonitor_do_not_run(
    repo: Path, script: Path, tmp_path: Path
) -> None:
    for hook in ("pre-commit", "commit-msg", "post-commit", "reference-transaction"):
        (repo / ".git" / "hooks" / hook).write_text(script.read_text())
        (repo / ".git" / "hooks" / hook).chmod(0o755)
    subprocess.run(["git", "-C", str(repo), "config", "core.fsmonitor", str(script)], check=True)
    (repo / "a.txt").write_text("a\n")
    gitsafe.run(repo, "add", "--all", "--", ".")
    gitsafe.run(repo, "commit", "--quiet", "--message=first")
    assert gitsafe.run(repo, "rev-list", "--count", "HEAD").strip() == "1"
    assert not ran(tmp_path)


def test_signing_configured_in_the_repository_does_not_run(
    repo: Path, script: Path, tmp_path: Path
) -> None:
    for key, value in [("commit.gpgSign", "true"), ("gpg.program", str(script)),
                       ("user.signingKey", "ABC"), ("tag.gpgSign", "true")]:  # fmt: skip
        subprocess.run(["git", "-C", str(repo), "config", key, value], check=True)
    gitsafe.run(repo, "commit", "--quiet", "--allow-empty", "--message=unsigned")
    gitsafe.run(repo, "tag", "--annotate", "--message=t", "v1")
    assert not ran(tmp_path)


def test_environment_is_a_new_dict_without_git_steering(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    subprocess.run(["git", "init", "-q", str(elsewhere)], check=True)
    for name in gitsafe.REDIRECTS:
        monkeypatch.setenv(name, str(elsewhere / ".git"))
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "core.hooksPath")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.hooksPath'='/tmp'")
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", "/bin/false")
    env = gitsafe.environment(repo)
    assert not {*gitsafe.REDIRECTS, "GIT_CONFIG_COUNT", "GIT_EXTERNAL_DIFF"} & set(env)
    assert env["GIT_AUTHOR_NAME"] == "Test Learner"  # the identity is kept
    assert (env["GIT_TERMINAL_PROMPT"], env["GIT_PAGER"], env["GIT_EDITOR"]) == ("0", "cat", ":")
    assert env["GIT_CEILING_DIRECTORIES"] == str(repo.parent)
    assert "GIT_DIR" in os.environ, "the process environment itself is left alone"
    top = gitsafe.run(repo, "rev-parse", "--show-toplevel").strip()
    assert Path(top) == repo


def test_no_repository_above_the_folder_is_used(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    subprocess.run(["git", "init", "-q", str(outer)], check=True)
    inner = outer / "inner"
    inner.mkdir()
    with pytest.raises(gitsafe.GitError, match="not a git repository"):
        gitsafe.run(inner, "rev-parse", "--git-dir")


def test_every_call_carries_the_hardening() -> None:
    argv = gitsafe.command("log", "--format=%H")
    assert argv[:2] == ["git", "--no-pager"]
    assert argv[-2:] == ["log", "--format=%H"]
    settings = dict(argv[i + 1].split("=", 1) for i, a in enumerate(argv) if a == "-c")
    assert settings["core.hooksPath"] == os.devnull
    assert settings["core.fsmonitor"] == "false"
    assert settings["commit.gpgSign"] == settings["tag.gpgSign"] == "false"
    assert settings["log.showSignature"] == "false"
    assert settings["gpg.program"] == settings["gpg.ssh.program"] == os.devnull


def test_failure_is_one_line_and_git_missing_is_an_error(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(gitsafe.GitError) as failed:
        gitsafe.run(repo, "rev-parse", "--verify", "no-such-ref")
    assert failed.value.message.startswith("git rev-parse failed: fatal: ")
    assert "\n" not in failed.value.message
    assert failed.value.returncode == 128
    assert gitsafe.run(repo, "config", "--get", "no.such", ok=(0, 1)) == ""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert not gitsafe.available()
    with pytest.raises(gitsafe.GitError, match="git is not installed"):
        gitsafe.run(repo, "status")


def test_run_each_gives_every_result_in_order_each_failure_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Side by side, in batches: twenty repositories (more than one batch), every third one
    asked for a ref it does not have; a folder that is gone fails alone."""
    monkeypatch.setattr(gitsafe, "AT_ONCE", 3)
    folders = []
    for i in range(20):
        folder = tmp_path / f"r{i}"
        subprocess.run(["git", "init", "-q", "-b", f"branch-{i}", str(folder)], check=True)
        folders.append(folder)
    jobs: list[tuple[Path, tuple[str, ...]]] = [
        (f, ("rev-parse", "--verify", "--quiet", "nothing") if i % 3 == 0 else
            ("symbolic-ref", "--short", "HEAD"))
        for i, f in enumerate(folders)
    ]  # fmt: skip
    jobs.append((tmp_path / "gone", ("status",)))
    results = gitsafe.run_each(jobs)
    for i, result in enumerate(results[:20]):
        if i % 3 == 0:
            assert isinstance(result, gitsafe.GitError) and result.returncode == 1
        else:
            assert result == f"branch-{i}\n"
    assert isinstance(results[20], gitsafe.GitError) and "could not run git" in results[20].message
    assert gitsafe.run_each([(folders[0], ("rev-parse", "--verify", "--quiet", "x"))],
                            ok=(0, 1)) == [""]  # fmt: skip
