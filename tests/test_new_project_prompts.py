"""`mlpath new-project` on a terminal: a picker of the built-in templates with the learner's
progress, questions in the template's own words (``__prompts__``), and the author typed used
for the first commit when git knows no one."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlpath import scaffold
from tests.conftest import Result
from tests.test_cli import data

SENTIMENT_TOPICS = next(t.topics for t in scaffold.builtin_templates() if t.id == "sentiment")
IDENTITY = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL")


class Terminal:
    """``mlpath ARGS`` in a pseudo-terminal, answered as a learner types."""

    def __init__(self, exe: str, args: list[str], env: dict[str, str]) -> None:
        self.main, side = pty.openpty()
        self.proc = subprocess.Popen([exe, *args], stdin=side, stdout=side, stderr=side,
                                     env={**env, "TERM": "dumb"})  # fmt: skip
        os.close(side)
        self.seen = b""
        self.read_up_to = 0  # what was answered already is not matched again

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.main], [], [], timeout)
        if not ready:
            return self.proc.poll() is None
        try:
            chunk = os.read(self.main, 4096)
        except OSError:  # the child closed the terminal
            return False
        self.seen += chunk
        return bool(chunk)

    def answer(self, prompt: bytes, typed: bytes) -> None:
        deadline = time.monotonic() + 60
        while prompt not in self.seen[self.read_up_to :]:
            assert time.monotonic() < deadline, self.seen.decode(errors="replace")
            assert self._read(0.5), self.seen.decode(errors="replace")
        self.read_up_to = self.seen.index(prompt, self.read_up_to) + len(prompt)
        os.write(self.main, typed)

    def finish(self) -> int:
        deadline = time.monotonic() + 60
        while self._read(0.5):
            assert time.monotonic() < deadline, self.seen.decode(errors="replace")
        code = self.proc.wait(timeout=30)
        os.close(self.main)
        return code


@pytest.fixture
def store(mlpath_exe: str) -> None:
    """A store already there, so that the first-run welcome does not come first."""
    subprocess.run([mlpath_exe, "config", "set", "weekly-hours", "10"], check=True,
                   capture_output=True)  # fmt: skip


def no_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment in which git knows no name and no email (and that tests use too)."""
    for var in IDENTITY:
        monkeypatch.delenv(var, raising=False)
    empty = tmp_path / "gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return dict(os.environ)


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=check)  # fmt: skip


def test_the_picker_marks_ready_templates_and_the_answers_sign_the_commit(
    mlpath_exe: str, parent: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = no_identity(tmp_path, monkeypatch)
    subprocess.run([mlpath_exe, "done", *SENTIMENT_TOPICS], check=True, capture_output=True)
    term = Terminal(mlpath_exe, ["new-project", "--dir", str(parent)], env)
    term.answer(b"Template (1-4) [4]: ", b"9\r")  # the ready one is offered
    term.answer(b"choose a number from 1 to 4", b"\r")
    term.answer(b"Project name [Sentiment Classifier]: ", b"Picked Project\r")
    term.answer(b"One-line description [Classify the sentiment of short reviews]: ", b"\r")
    term.answer(b"Your name, as the author [Your Name]: ", b"Ann Lee\r")
    term.answer(b"Your email [you@example.com]: ", b"ann@example.org\r")
    term.answer(b"Licence (1-3) [1]: ", b"2\r")
    term.answer(b"Python version [3.11]: ", b"\r")
    assert term.finish() == 0, term.seen.decode(errors="replace")

    shown = term.seen.decode(errors="replace")
    picker = shown[: shown.index("Template (1-4)")]
    numbered = ("1.", "2.", "3.", "4.")
    rows = [line.split() for line in picker.splitlines() if line.strip()[:2] in numbered]
    assert [r[:3] for r in rows] == [
        ["1.", "housing-prices", "beginner"],
        ["2.", "image-classifier", "intermediate"],
        ["3.", "recommender", "intermediate"],
        ["4.", "sentiment", "beginner"],
    ]
    assert "ready" in " ".join(rows[3]) and "ready" not in " ".join(rows[0] + rows[1] + rows[2])
    assert "topics done" in " ".join(rows[0])
    assert "  2. BSD 3-Clause (permissive, no endorsement)" in shown
    assert "author_name" not in shown and "license" not in shown  # the labels, not the keys

    project = parent / "picked-project"
    answers = json.loads((project / ".mlpath-project.json").read_text())["answers"]
    assert (answers["license"], answers["author_name"]) == ("BSD-3-Clause", "Ann Lee")
    assert json.loads((project / ".mlpath-project.json").read_text())["template"] == "sentiment"
    author = git(project, "log", "-1", "--format=%an <%ae>|%cn <%ce>").stdout.strip()
    assert author == "Ann Lee <ann@example.org>|Ann Lee <ann@example.org>"
    words = " ".join(shown.split())  # as read, whatever the terminal's width wrapped
    assert "the first commit uses the author you gave (Ann Lee <ann@example.org>)" in words
    assert "git config --global user.name" in words  # the same advice as for the placeholder
    assert git(project, "config", "--local", "--get", "user.name", check=False).returncode == 1
    assert git(project, "config", "--local", "--get", "user.email", check=False).returncode == 1


@pytest.mark.usefixtures("store")
def test_enter_takes_the_first_template_when_none_is_ready(mlpath_exe: str, parent: Path) -> None:
    term = Terminal(mlpath_exe, ["new-project", "--dir", str(parent), "--no-git"], dict(os.environ))
    term.answer(b"Template (1-4) [1]: ", b"recommender\r")  # its id does too
    term.answer(b"Project name [Movie Recommender]: ", b"\r")
    for _ in range(3):  # description, author name and email: the defaults
        term.answer(b"]: ", b"\r")
    term.answer(b"Licence (1-3) [1]: ", b"\r")
    term.answer(b"Python version [3.11]: ", b"\r")
    assert term.finish() == 0, term.seen.decode(errors="replace")
    assert b"ready" not in term.seen
    assert b"0 of 9 topics done" in term.seen
    assert (parent / "movie-recommender" / ".mlpath-project.json").is_file()


def test_without_a_terminal_a_template_is_still_required(
    mlpath: Callable[..., Result], parent: Path
) -> None:
    for extra in ([], ["--no-input"], ["--json"]):
        result = mlpath("new-project", "--dir", str(parent), *extra)
        assert result.exit_code == 2
        assert "name a TEMPLATE, or use --list" in result.stderr
    assert list(parent.iterdir()) == []


def test_template_choices_count_done_and_skipped_topics(mlpath: Callable[..., Result]) -> None:
    assert mlpath("done", *SENTIMENT_TOPICS[:-1]).exit_code == 0
    assert mlpath("skip", SENTIMENT_TOPICS[-1]).exit_code == 0
    chosen = {c.template.id: c for c in scaffold.template_choices()}
    assert chosen["sentiment"].ready and chosen["sentiment"].finished == len(SENTIMENT_TOPICS)
    assert not chosen["recommender"].ready
    assert chosen["recommender"].finished == 6  # the six it shares with sentiment


def _asked(template: str, parent: Path, sets: tuple[str, ...] = ()) -> list[scaffold.Question]:
    questions: list[scaffold.Question] = []

    def ask(question: scaffold.Question) -> Any:
        questions.append(question)
        return question.default[0] if isinstance(question.default, list) else question.default

    scaffold.new_project(template, None, parent, sets, ask=ask, use_git=False)
    return questions


def test_questions_carry_the_templates_labels(parent: Path) -> None:
    questions = {q.key: q for q in _asked("housing-prices", parent)}
    assert list(questions) == [
        "project_name", "description", "author_name", "author_email", "license",
        "python_version",
    ]  # fmt: skip
    assert questions["author_email"].label == "Your email"
    assert questions["license"].label == "Licence"
    assert (
        questions["license"].choices["Apache-2.0"] == "Apache 2.0 (permissive, with a patent grant)"
    )
    assert questions["author_name"].default == "Test Learner"  # git's name is still offered


def test_a_template_without_prompts_is_asked_by_its_variable_names(
    parent: Path, tmp_path: Path
) -> None:
    template = tmp_path / "tpl"
    (template / "{{cookiecutter.project_slug}}").mkdir(parents=True)
    (template / "{{cookiecutter.project_slug}}" / "README.md").write_text(
        "{{ cookiecutter.flavour }}"
    )
    variables = {
        "project_name": "Demo",
        "project_slug": "{{ cookiecutter.project_name.lower() }}",
        "flavour": ["vanilla", "chocolate"],
        "size": "big",
        "__prompts__": {"flavour": {"vanilla": "Plain vanilla"}, "size": 3},  # half-written
    }
    (template / "cookiecutter.json").write_text(json.dumps(variables))
    questions = {q.key: q for q in _asked(str(template), parent)}
    assert (questions["flavour"].label, questions["size"].label) == ("flavour", "size")
    assert questions["flavour"].choices == {"vanilla": "Plain vanilla", "chocolate": "chocolate"}
    assert questions["project_name"].label == "project_name"


@pytest.mark.usefixtures("store")
def test_a_templates_label_reaches_the_terminal_made_safe(
    mlpath_exe: str, parent: Path, tmp_path: Path
) -> None:
    template = tmp_path / "tpl"
    (template / "{{cookiecutter.project_slug}}").mkdir(parents=True)
    (template / "{{cookiecutter.project_slug}}" / "README.md").write_text("x")
    variables = {
        "project_name": "Demo",
        "project_slug": "{{ cookiecutter.project_name.lower() }}",
        "__prompts__": {"project_name": "\x1b]0;owned\x07Name it"},
    }
    (template / "cookiecutter.json").write_text(json.dumps(variables))
    term = Terminal(mlpath_exe, ["new-project", str(template), "--dir", str(parent), "--no-git"],
                    dict(os.environ))  # fmt: skip
    term.answer(b"Name it [Demo]: ", b"\r")
    assert term.finish() == 0, term.seen.decode(errors="replace")
    assert b"\x1b" not in term.seen and b"\x07" not in term.seen


@pytest.mark.parametrize(
    ("sets", "author"),
    [
        (("author_name=Ann Lee", "author_email=ann@example.org"), "Ann Lee <ann@example.org>"),
        # A name alone keeps the placeholder's address, which can never reach anyone.
        (("author_name=Ann Lee",), "Ann Lee <placeholder@mlpath.invalid>"),
        (("author_name=Ann Lee", "author_email=not an address"),
         "Ann Lee <placeholder@mlpath.invalid>"),
        # What git could not take as a name, and the template's own default, are no answers.
        (("author_name=Ann <x@y>", "author_email=ann@example.org"),
         "mlpath placeholder <placeholder@mlpath.invalid>"),
        ((), "mlpath placeholder <placeholder@mlpath.invalid>"),
    ],
)  # fmt: skip
def test_the_author_given_signs_the_first_commit_without_a_git_identity(
    mlpath: Callable[..., Result], parent: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, sets: tuple[str, ...], author: str,
) -> None:  # fmt: skip
    no_identity(tmp_path, monkeypatch)
    options = [part for pair in sets for part in ("--set", pair)]
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input",
                    *options, "--json")  # fmt: skip
    made = data(result, "new-project")
    project = parent / "demo"
    assert git(project, "log", "-1", "--format=%an <%ae>").stdout.strip() == author
    placeholder = author.startswith("mlpath placeholder")
    assert made["git"]["identity"] == ("placeholder" if placeholder else "answers")
    assert f"({author})" in made["git"]["advice"][0]
    assert (
        made["git"]["advice"][-1] == f"cd {project} && git commit --amend --reset-author --no-edit"
    )
    assert git(project, "config", "--local", "--get", "user.name", check=False).returncode == 1


def test_git_identity_still_wins_over_the_answers(
    mlpath: Callable[..., Result], parent: Path
) -> None:
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input",
                    "--set", "author_name=Ann Lee", "--json")  # fmt: skip
    made = data(result, "new-project")
    assert (made["git"]["identity"], made["git"]["advice"]) == ("configured", [])
    author = git(parent / "demo", "log", "-1", "--format=%an <%ae>").stdout.strip()
    assert author == "Test Learner <learner@example.com>"
