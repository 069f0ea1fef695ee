"""`mlpath new-project` and `mlpath projects`: safe, transactional, offline scaffolding."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlpath import scaffold
from mlpath.roadmaps import load_catalog
from tests.conftest import Result
from tests.test_cli import data

BUILTIN = ["housing-prices", "image-classifier", "recommender", "sentiment"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def custom(tmp_path: Path) -> Path:
    """A small cookiecutter template from outside mlpath."""
    root = tmp_path / "custom-template"
    (root / "{{cookiecutter.project_slug}}").mkdir(parents=True)
    (root / "cookiecutter.json").write_text(
        json.dumps(
            {
                "project_name": "Demo",
                "project_slug": "{{ cookiecutter.project_name.lower().replace(' ', '-') }}",
                "flavour": ["vanilla", "chocolate"],
            }
        )
    )
    (root / "{{cookiecutter.project_slug}}" / "README.md").write_text(
        "{{ cookiecutter.project_name }} tastes of {{ cookiecutter.flavour }}\n"
    )
    return root


def add_hook(template: Path, body: str = "import sys\nsys.exit(0)\n") -> Path:
    hooks = template / "hooks"
    hooks.mkdir(exist_ok=True)
    hook = hooks / "post_gen_project.py"
    hook.write_text(body)
    return hook


def test_list_shows_builtin_templates_with_topics(mlpath: Callable[..., Result]) -> None:
    templates = data(mlpath("new-project", "--list", "--json"), "new-project --list")
    assert [t["id"] for t in templates] == BUILTIN
    assert list(templates[0]) == ["id", "title", "description", "difficulty", "topics", "path"]
    catalog = load_catalog()
    for template in templates:
        assert template["difficulty"] in ("beginner", "intermediate", "advanced")
        assert template["topics"] and all(t in catalog.topics for t in template["topics"])
        assert not (Path(template["path"]) / "hooks").exists(), "built-in templates need no hooks"


def test_roadmap_projects_name_existing_templates() -> None:
    ids = {t.id for t in scaffold.builtin_templates()}
    catalog = load_catalog()
    named = {p for topic in catalog.topics.values() for p in catalog.text(topic).projects}
    assert named and named <= ids


def test_builtin_template_becomes_a_committed_repo(
    mlpath: Callable[..., Result], parent: Path
) -> None:
    created = data(
        mlpath(
            "new-project", "housing-prices", "demo", "--dir", str(parent), "--no-input", "--json"
        ),
        "new-project",
    )
    project = parent / "demo"
    assert entries(parent) == ["demo"]
    assert created["path"] == str(project)
    assert (created["git"]["status"], created["git"]["branch"]) == ("committed", "main")
    assert git(project, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(project, "log", "-1", "--format=%s%n%an <%ae>").splitlines() == [
        "Initial commit from mlpath template housing-prices",
        "Test Learner <learner@example.com>",
    ]
    provenance = json.loads((project / ".mlpath-project.json").read_text())
    assert provenance["template"] == "housing-prices"
    assert provenance["answers"]["package_name"] == "demo"
    assert len(provenance["template_version"]["sha256"]) == 64
    assert (project / "src" / "demo").is_dir()

    listed = data(mlpath("projects", "--json"), "projects")
    assert list(listed[0]) == [
        "name", "template", "path", "exists", "commits", "last_commit", "topics", "created_at",
        "host", "here",
    ]  # fmt: skip
    assert (listed[0]["name"], listed[0]["exists"], listed[0]["commits"]) == ("demo", True, 1)
    assert "machine-learning/linear-regression" in listed[0]["topics"]


def test_cookiecutter_leaves_no_trace_in_home_and_ignores_user_config(
    mlpath: Callable[..., Result], parent: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Path(os.environ["HOME"])
    rc = tmp_path / "cookiecutterrc"
    rc.write_text('default_context:\n  author_name: "Someone Else"\n')
    monkeypatch.setenv("COOKIECUTTER_CONFIG", str(rc))
    (home / ".cookiecutterrc").write_text(rc.read_text())
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    assert result.exit_code == 0, result.stderr
    assert entries(home) == [".cookiecutterrc"]
    answers = json.loads((parent / "demo" / ".mlpath-project.json").read_text())["answers"]
    assert (answers["author_name"], answers["author_email"]) == (
        "Test Learner",
        "learner@example.com",
    )  # from git, not from the cookiecutter config


@pytest.mark.parametrize(
    ("name", "folder", "package"),
    [
        ("House Prices 2026!", "house-prices-2026", "house_prices_2026"),
        ("2026 houses", "2026-houses", "project_2026_houses"),
        ("class", "class", "class_project"),
        ("json", "json", "json_project"),
        ("Café Ünïcode", "cafe-unicode", "cafe_unicode"),
        ("  spaced  ", "spaced", "spaced"),
    ],
)
def test_names_are_slugified(
    mlpath: Callable[..., Result], parent: Path, name: str, folder: str, package: str
) -> None:
    result = mlpath(
        "new-project", "sentiment", name, "--dir", str(parent), "--no-input", "--no-git", "--json"
    )
    created = data(result, "new-project")
    assert (created["slug"], created["package"]) == (folder, package)
    assert entries(parent) == [folder]
    assert (parent / folder / "src" / package).is_dir()


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../escape", "it contains a path separator"),
        ("/etc/passwd", "it contains a path separator"),
        ("a\\b", "it contains a path separator"),
        ("..", "it contains '..'"),
        ("{{ cookiecutter.x }}", "it contains template syntax ({{, {% or {#)"),
        ("{% raw %}", "it contains template syntax ({{, {% or {#)"),
        ("{# note #}", "it contains template syntax ({{, {% or {#)"),
        ("bad\x00name", "it contains control characters"),
        ("new\nline", "it contains control characters"),
        (".hidden", "it starts with a dot or a dash"),
        ("-rf", "it starts with a dot or a dash"),
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("x" * 65, "it is longer than 64 characters"),
        ("CON", "CON is a reserved device name on Windows"),
        ("lpt1", "LPT1 is a reserved device name on Windows"),
        (
            "日本語",
            "it has no letters or digits that can name a folder (use ASCII letters or digits)",
        ),
    ],
)
def test_hostile_names_are_refused(
    mlpath: Callable[..., Result], parent: Path, name: str, why: str
) -> None:
    before = entries(parent.parent)
    result = mlpath("new-project", "--dir", str(parent), "--no-input", "--", "sentiment", name)
    assert result.exit_code == 1
    assert result.stderr == f"error: cannot use {name!r} as a project name: {why}\n"
    assert entries(parent) == []
    assert entries(parent.parent) == before


def test_existing_destination_is_never_touched(mlpath: Callable[..., Result], parent: Path) -> None:
    (parent / "demo").mkdir()
    (parent / "demo" / "notes.txt").write_text("mine")
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    assert result.exit_code == 1
    assert (
        result.stderr == f"error: {parent / 'demo'} already exists; choose another name or --dir\n"
    )
    assert entries(parent) == ["demo"]
    assert entries(parent / "demo") == ["notes.txt"]
    assert (parent / "demo" / "notes.txt").read_text() == "mine"


def test_destination_appearing_during_render_is_not_merged_into(
    mlpath: Callable[..., Result], parent: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_render = scaffold._render

    def render_then_race(*args: Any, **kwargs: Any) -> Any:
        result = real_render(*args, **kwargs)
        (parent / "demo").mkdir()  # another terminal got there first
        return result

    monkeypatch.setattr(scaffold, "_render", render_then_race)
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    assert result.exit_code == 1
    assert entries(parent) == ["demo"] and entries(parent / "demo") == []
    assert data(mlpath("projects", "--json"), "projects") == []


def test_custom_folder_and_set(mlpath: Callable[..., Result], parent: Path, custom: Path) -> None:
    result = mlpath(
        "new-project", str(custom), "My Demo", "--dir", str(parent), "--no-input",
        "--set", "flavour=chocolate", "--json",
    )  # fmt: skip
    created = data(result, "new-project")
    assert created["template"] == str(custom)
    assert (parent / "my-demo" / "README.md").read_text() == "My Demo tastes of chocolate\n"
    unknown = mlpath("new-project", str(custom), "x", "--dir", str(parent), "--set", "colour=red")
    assert (
        unknown.stderr == "error: unknown template variable 'colour'; this template has: flavour\n"
    )
    bad = mlpath("new-project", str(custom), "y", "--dir", str(parent), "--set", "flavour=mint")
    assert bad.stderr == "error: --set flavour=mint: choose one of vanilla, chocolate\n"
    assert entries(parent) == ["my-demo"]


def test_zip_template_renders(mlpath: Callable[..., Result], parent: Path, custom: Path) -> None:
    archive = custom.parent / "template.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in custom.rglob("*"):
            zf.write(path, Path("custom-template") / path.relative_to(custom))
    result = mlpath("new-project", str(archive), "zipped", "--dir", str(parent), "--no-input")
    assert result.exit_code == 0, result.stderr
    assert (parent / "zipped" / "README.md").read_text() == "zipped tastes of vanilla\n"


def test_zip_with_escaping_member_is_refused(
    mlpath: Callable[..., Result], parent: Path, custom: Path
) -> None:
    archive = custom.parent / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("cookiecutter.json", "{}")
        zf.writestr("../../outside.txt", "gotcha")
    result = mlpath("new-project", str(archive), "evil", "--dir", str(parent), "--no-input")
    assert result.exit_code == 1
    assert "points outside the archive" in result.stderr
    assert entries(parent) == []
    assert not (parent.parent / "outside.txt").exists()


def test_hooks_need_trust(mlpath: Callable[..., Result], parent: Path, custom: Path) -> None:
    add_hook(custom, "from pathlib import Path\nPath('hook-ran').write_text('yes')\n")
    refused = mlpath("new-project", str(custom), "hooked", "--dir", str(parent), "--no-input")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"error: template {custom} has hooks, which are programs that would run on your machine: "
        "hooks/post_gen_project.py; read them, then pass --trust to run them\n"
    )
    assert entries(parent) == []
    trusted = mlpath(
        "new-project", str(custom), "hooked", "--dir", str(parent), "--no-input", "--trust"
    )
    assert trusted.exit_code == 0, trusted.stderr
    assert (parent / "hooked" / "hook-ran").read_text() == "yes"
    assert git(parent / "hooked", "status", "--porcelain") == ""


def _break(custom: Path, case: str) -> None:
    readme = custom / "{{cookiecutter.project_slug}}" / "README.md"
    if case == "template syntax error":
        readme.write_text("{% if %}\n")
    elif case == "undefined variable":
        readme.write_text("{{ cookiecutter.nowhere }}\n")
    else:
        add_hook(custom, "import sys\nsys.exit(3)\n")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("template syntax error", "Expected an expression, got 'end of statement block'"),
        ("undefined variable", "Unable to create file"),
        ("failing hook", "a hook failed"),
    ],
)
def test_template_failures_leave_nothing_behind(
    mlpath: Callable[..., Result], parent: Path, custom: Path, case: str, message: str
) -> None:
    (parent / "keep.txt").write_text("untouched")
    _break(custom, case)
    result = mlpath(
        "new-project", str(custom), "broken", "--dir", str(parent), "--no-input", "--trust"
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: template {custom}")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert entries(parent) == ["keep.txt"]
    assert (parent / "keep.txt").read_text() == "untouched"
    assert data(mlpath("projects", "--json"), "projects") == []


@pytest.mark.parametrize(
    ("exc", "code", "message"),
    [
        (KeyboardInterrupt(), 130, ""),
        (OSError(28, "No space left on device"), 1, "error: could not write the project: No space"),
    ],
)
def test_interrupt_and_full_disk_leave_nothing_behind(
    mlpath: Callable[..., Result],
    parent: Path,
    monkeypatch: pytest.MonkeyPatch,
    exc: BaseException,
    code: int,
    message: str,
) -> None:
    import cookiecutter.main

    real = cookiecutter.main.generate_files

    def half_then_fail(*args: Any, **kwargs: Any) -> Any:
        out = Path(kwargs["output_dir"])
        (out / "demo").mkdir()
        (out / "demo" / "half-written.py").write_text("x = ")
        raise exc

    monkeypatch.setattr(cookiecutter.main, "generate_files", half_then_fail)
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    assert result.exit_code == code
    assert result.stderr.startswith(message)
    assert entries(parent) == []
    monkeypatch.setattr(cookiecutter.main, "generate_files", real)


def test_no_git_on_path(
    mlpath: Callable[..., Result], parent: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: git is not installed; to version it later:\n")
    assert "git init" in result.stderr
    assert (parent / "demo" / "README.md").is_file()
    assert not (parent / "demo" / ".git").exists()


def test_git_without_identity_uses_a_visible_placeholder(
    mlpath: Callable[..., Result], parent: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var)
    empty_home = tmp_path / "empty-home"
    empty_home.mkdir()
    monkeypatch.setenv("HOME", str(empty_home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(empty_home / ".config"))
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    assert result.exit_code == 0, result.stderr
    project = parent / "demo"
    assert "placeholder author" in result.stdout
    assert "git config --global user.name" in result.stderr
    assert f"cd {project} && git commit --amend --reset-author --no-edit" in result.stderr
    author = git(project, "log", "-1", "--format=%an <%ae>").strip()
    assert author == "mlpath placeholder <placeholder@mlpath.invalid>"
    local = subprocess.run(
        ["git", "-C", str(project), "config", "--local", "--get", "user.name"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert local.returncode == 1, "the placeholder must not be saved for future commits"


def test_no_git_flag_and_outer_git_dir_ignored(
    mlpath: Callable[..., Result], parent: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert (
        mlpath("new-project", "sentiment", "plain", "--dir", str(parent), "--no-git").exit_code == 0
    )
    assert not (parent / "plain" / ".git").exists()
    outer = tmp_path / "outer"
    subprocess.run(["git", "init", "-q", str(outer)], check=True)
    monkeypatch.setenv("GIT_DIR", str(outer / ".git"))
    assert mlpath("new-project", "sentiment", "inner", "--dir", str(parent)).exit_code == 0
    monkeypatch.delenv("GIT_DIR")
    assert git(parent / "inner", "rev-list", "--count", "HEAD").strip() == "1"
    assert (
        subprocess.run(
            ["git", "-C", str(outer), "rev-parse", "HEAD"], capture_output=True, check=False
        ).returncode
        != 0
    ), "the outer repository must not get the commit"


def test_unknown_and_remote_templates(mlpath: Callable[..., Result], parent: Path) -> None:
    typo = mlpath("new-project", "sentimnt", "x", "--dir", str(parent))
    assert typo.stderr.startswith("error: no template 'sentimnt'; did you mean 'sentiment'?")
    remote = mlpath("new-project", "gh:someone/template", "x", "--dir", str(parent))
    assert "mlpath works offline" in remote.stderr
    missing_dir = mlpath("new-project", "sentiment", "x", "--dir", str(parent / "nope"))
    assert missing_dir.stderr.startswith(f"error: no folder {parent / 'nope'}")
    assert mlpath("new-project").exit_code == 2
    assert entries(parent) == []


def test_projects_reports_a_moved_project(mlpath: Callable[..., Result], parent: Path) -> None:
    assert mlpath("new-project", "sentiment", "demo", "--dir", str(parent)).exit_code == 0
    (parent / "demo").rename(parent / "moved")
    listed = data(mlpath("projects", "--json"), "projects")
    assert (listed[0]["exists"], listed[0]["commits"], listed[0]["last_commit"]) == (False, 0, None)
    assert "(missing)" in mlpath("projects").stdout


def test_commits_between_counts_commits_in_the_window(
    mlpath: Callable[..., Result], parent: Path
) -> None:
    import datetime as dt

    from mlpath.projects import commits_between
    from mlpath.store import Store

    assert mlpath("new-project", "sentiment", "demo", "--dir", str(parent)).exit_code == 0
    now = dt.datetime.now(dt.UTC)
    with Store.open() as store:
        this_week = commits_between(
            store, now - dt.timedelta(days=7), now + dt.timedelta(minutes=1)
        )
        last_year = commits_between(
            store, now - dt.timedelta(days=400), now - dt.timedelta(days=300)
        )
    assert [c.summary for c in this_week] == ["Initial commit from mlpath template sentiment"]
    assert last_year == []


@pytest.mark.parametrize("template", BUILTIN)
def test_quotes_in_answers_keep_code_and_toml_valid(
    mlpath: Callable[..., Result], parent: Path, template: str
) -> None:
    import py_compile
    import tomllib

    description = 'Say "hi" \\ it\'s <ok> é'
    result = mlpath(
        "new-project", "--dir", str(parent), "--no-input", "--no-git",
        "--set", f"description={description}", "--set", "author_name=Ann \"A\" O'Neil",
        "--", template, 'Joe\'s "Best" Project',
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    project = parent / "joe-s-best-project"
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert meta["description"] == description
    assert meta["authors"][0]["name"] == 'Ann "A" O\'Neil'
    for source in project.rglob("*.py"):
        py_compile.compile(str(source), doraise=True)


def test_identity_of_an_enclosing_repository_is_not_borrowed(
    mlpath: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var)
    outer = tmp_path / "outer"
    subprocess.run(["git", "init", "-q", str(outer)], check=True)
    git(outer, "config", "user.name", "Someone Else")
    git(outer, "config", "user.email", "else@example.com")
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(outer), "--no-input")
    assert result.exit_code == 0, result.stderr
    author = git(outer / "demo", "log", "-1", "--format=%an <%ae>").strip()
    assert author == "mlpath placeholder <placeholder@mlpath.invalid>"
    answers = json.loads((outer / "demo" / ".mlpath-project.json").read_text())["answers"]
    assert answers["author_name"] == "Your Name"
