"""`mlpath project check` and `mlpath project update`: a template's improvements merged into a
project made from it through git, the learner's work kept.

Two versions of one small template are built in tmp_path: v2 changes a file, adds one (with a
new variable), removes one, renames one, adds an executable script and changes a variable's
default. A project is made from v1, the learner works on it, the template becomes v2 in the
same folder, and the project is checked and updated with the real commands and real git.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpath.cli.app import _app_for
from tests.conftest import Result, installing
from tests.test_cli import data
from tests.test_templates import OFFLINE, _run

BRANCH = "mlpath/template"
PROVENANCE = ".mlpath-project.json"
CHECK_KEYS = ["project", "template", "behind", "recorded", "available", "base", "files"]
UPDATE_KEYS = [
    "project", "template", "status", "recorded", "available", "base", "files",
    "template_commit", "commit", "conflicts", "identity", "advice", "diff",
]  # fmt: skip
V2_FILES: list[dict[str, str | None]] = [
    {"change": "changed", "path": "README.md", "old_path": None},
    {"change": "changed", "path": "changed.txt", "old_path": None},
    {"change": "added", "path": "new.txt", "old_path": None},
    {"change": "renamed", "path": "new_name.py", "old_path": "old_name.py"},
    {"change": "removed", "path": "obsolete.txt", "old_path": None},
    {"change": "added", "path": "run.sh", "old_path": None},
]


def git(repo: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert not check or done.returncode == 0, done.stderr
    return done.stdout


def write_template(root: Path, version: int, ignore: str = "") -> Path:
    """The fixture template at ``root``, as version 1 or 2 (replacing what is there); its
    .gitignore ignores ``ignore`` too."""
    if root.exists():
        shutil.rmtree(root)
    project = root / "{{cookiecutter.project_slug}}"
    project.mkdir(parents=True)
    variables = {
        "project_name": "Demo",
        "project_slug": "{{ cookiecutter.project_name.lower().replace(' ', '-') }}",
        "greeting": "Hello" if version == 1 else "Howdy",  # a changed default
    }
    lines = [f"line {i}" for i in range(1, 11)]
    files = {
        "README.md": "# {{ cookiecutter.project_name }}\n\nAn example project.\n\n"
        "## Usage\n\nRun it.\n",
        "app.py": "GREETING = '{{ cookiecutter.greeting }}'\n",
        "old_name.py": "def helper():\n    return 1\n",
        "obsolete.txt": "soon gone\n",
        ".gitignore": f"data/*\n!data/.gitkeep\n{ignore}",
        "data/.gitkeep": "",
        "data/sample.csv": "a,b\n",  # rendered, ignored by the template's own .gitignore
    }
    if version == 2:
        variables["colour"] = "blue"  # a new variable: its default is used
        lines[1] = "line 2, improved by the template"
        files["README.md"] = files["README.md"].replace("example project.", "example project, "
                                                        "now with more.")  # fmt: skip
        files["new_name.py"] = files.pop("old_name.py")
        del files["obsolete.txt"]
        files["new.txt"] = "colour: {{ cookiecutter.colour }}\n"
        files["run.sh"] = "#!/bin/sh\necho hi\n"
    files["changed.txt"] = "\n".join(lines) + "\n"
    (root / "cookiecutter.json").write_text(json.dumps(variables))
    for rel, body in files.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        if rel.endswith(".sh"):
            path.chmod(0o755)
    return root


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return write_template(tmp_path / "template", 1)


@pytest.fixture
def project(mlpath: Callable[..., Result], template: Path, parent: Path) -> Path:
    """A project made from v1; nothing else done to it."""
    made = mlpath("new-project", str(template), "demo", "--dir", str(parent), "--no-input",
                  "--json")  # fmt: skip
    return Path(data(made, "new-project")["path"])


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def commit_all(repo: Path, message: str = "my work") -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", message)


def learner_works(project: Path) -> None:
    """Edits that touch no line the template changes, a file of their own, and an untracked
    file."""
    edit(project / "README.md", "Run it.", "Run it with care.")
    edit(project / "changed.txt", "line 8\n", "line 8, mine\n")
    with (project / "old_name.py").open("a") as f:
        f.write("\n\ndef mine():\n    return 2\n")
    (project / "notes.md").write_text("my notes\n")
    commit_all(project)
    (project / "scratch.txt").write_text("not committed\n")


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder``, .git included, with its digest."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def leftovers(folder: Path) -> list[str]:
    return sorted(
        p.name for p in folder.rglob("*") if p.suffix in (".rej", ".orig") and ".git" not in p.parts
    )


def update(mlpath: Callable[..., Result], project: Path, *extra: str) -> Result:
    return mlpath("project", "update", str(project), *extra)


def collide(project: Path, template: Path) -> None:
    """The learner changes the line v2 changes, differently; the template becomes v2."""
    edit(project / "changed.txt", "line 2\n", "line 2, mine\n")
    commit_all(project)
    write_template(template, 2)


def refused(mlpath: Callable[..., Result], project: Path, template: Path, reason: str) -> None:
    """With the template at v2, the update is refused for ``reason``, in one line, and not a
    byte of the project (its .git included) changes."""
    write_template(template, 2)
    before = snapshot(project)
    result = update(mlpath, project)
    assert result.exit_code == 1
    assert result.stderr == f"error: cannot update {project}: {reason}\n"
    assert snapshot(project) == before


# ------------------------------------------------------------------------ creation and check


def test_a_new_project_has_the_template_branch_at_its_one_commit(project: Path) -> None:
    assert git(project, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(project, "rev-parse", BRANCH) == git(project, "rev-parse", "HEAD")
    assert git(project, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(project, "status", "--porcelain") == ""


def test_check_says_up_to_date_then_behind_with_the_files(
    mlpath: Callable[..., Result], project: Path, template: Path
) -> None:
    fresh = mlpath("project", "check", str(project), "--json")
    checked = data(fresh, "projects check")
    assert list(checked) == CHECK_KEYS
    assert (checked["behind"], checked["base"], checked["files"]) == (False, None, [])
    assert checked["recorded"] == checked["available"]
    assert "Up to date: " in mlpath("project", "check", str(project)).stdout

    write_template(template, 2)
    behind = mlpath("project", "check", str(project), "--json")
    assert behind.exit_code == 1
    document = json.loads(behind.stdout)
    assert document["command"] == "projects check"
    checked = document["data"]
    assert checked["behind"] is True
    assert checked["recorded"]["sha256"] != checked["available"]["sha256"]
    assert list(checked["recorded"]) == ["mlpath", "sha256"]
    assert checked["base"] == {"commit": git(project, "rev-parse", "HEAD").strip(),
                               "found_by": "branch"}  # fmt: skip
    assert checked["files"] == V2_FILES
    text = mlpath("project", "check", str(project))
    assert text.exit_code == 1
    assert "Behind: " in text.stdout and "renamed  old_name.py -> new_name.py" in text.stdout


def test_check_and_diff_change_nothing_and_run_nothing_from_the_project_config(
    mlpath: Callable[..., Result], project: Path, template: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "program-ran"
    script = tmp_path / "program.sh"
    script.write_text(f"#!/bin/sh\ntouch '{marker}'\ncat\n")
    script.chmod(0o755)
    for key in ("filter.evil.clean", "filter.evil.smudge", "filter.evil.process",
                "diff.evil.textconv", "core.fsmonitor"):  # fmt: skip
        git(project, "config", key, str(script))
    (project / ".git" / "info" / "attributes").write_text("* filter=evil diff=evil\n")
    write_template(template, 2)
    before = snapshot(project)

    assert mlpath("project", "check", str(project)).exit_code == 1
    previewed = data(update(mlpath, project, "--diff", "--json"), "projects update")
    assert previewed["status"] == "preview"
    assert "+line 2, improved by the template" in previewed["diff"]
    assert "diff --git a/old_name.py b/new_name.py" in previewed["diff"]
    assert "rename from old_name.py" in previewed["diff"]
    shown = update(mlpath, project, "--diff")
    assert shown.exit_code == 0 and "Not changed: " in shown.stdout
    assert "-line 2\n+line 2, improved by the template\n" in shown.stdout

    assert snapshot(project) == before, "check and --diff must leave refs, index and objects"
    assert not marker.exists(), "a filter, textconv or fsmonitor of the project ran"


# ---------------------------------------------------------------------------- clean updates


def test_learner_changes_and_template_changes_merge(
    mlpath: Callable[..., Result], project: Path, template: Path
) -> None:
    learner_works(project)
    mine = git(project, "rev-parse", "HEAD").strip()
    write_template(template, 2)
    result = update(mlpath, project, "--json")
    merged = data(result, "projects update")
    assert list(merged) == UPDATE_KEYS
    assert (merged["status"], merged["conflicts"], merged["identity"]) == ("merged", [],
                                                                          "configured")  # fmt: skip
    assert merged["files"] == V2_FILES
    assert merged["commit"] == git(project, "rev-parse", "HEAD").strip()
    assert merged["template_commit"] == git(project, "rev-parse", BRANCH).strip()

    # the merge commit has the learner's work and the template's render as its parents
    assert git(project, "rev-parse", "HEAD^1", "HEAD^2").split() == [
        mine, merged["template_commit"],
    ]  # fmt: skip
    subject = git(project, "log", "-1", "--format=%s").strip()
    assert subject.startswith(f"Update from mlpath template {template}: sha256 ")
    assert git(project, "status", "--porcelain") == "?? scratch.txt\n"

    readme = (project / "README.md").read_text()
    assert "now with more." in readme and "Run it with care." in readme
    changed = (project / "changed.txt").read_text()
    assert "line 2, improved by the template\n" in changed and "line 8, mine\n" in changed
    assert not (project / "old_name.py").exists()
    assert "def mine():" in (project / "new_name.py").read_text(), "the rename kept the edit"
    assert not (project / "obsolete.txt").exists()
    assert (project / "new.txt").read_text() == "colour: blue\n"
    assert os.access(project / "run.sh", os.X_OK)
    assert (project / "notes.md").read_text() == "my notes\n"
    assert (project / "scratch.txt").read_text() == "not committed\n"
    # the recorded answer wins over the template's new default
    assert (project / "app.py").read_text() == "GREETING = 'Hello'\n"
    assert (project / "data" / "sample.csv").is_file()  # still there, still untracked
    assert "data/sample.csv" not in git(project, "ls-files")
    assert leftovers(project) == []

    provenance = json.loads((project / PROVENANCE).read_text())
    assert provenance["template_version"]["sha256"] == merged["available"]["sha256"]
    assert provenance["answers"]["greeting"] == "Hello"
    assert provenance["answers"]["colour"] == "blue"
    assert list(provenance) == ["template", "template_version", "answers", "created_at",
                                "updated_at"]  # fmt: skip

    again = update(mlpath, project)
    assert again.exit_code == 0 and "Up to date: " in again.stdout
    assert git(project, "rev-parse", "HEAD").strip() == merged["commit"]


def test_the_template_renders_are_not_counted_as_the_learners_commits(
    mlpath: Callable[..., Result], project: Path, template: Path
) -> None:
    import datetime as dt

    from mlpath.projects import commit_times, commits_between
    from mlpath.store import Store

    learner_works(project)
    write_template(template, 2)
    assert update(mlpath, project).exit_code == 0
    assert git(project, "rev-list", "--count", "HEAD").strip() == "4"  # with the render
    listed = data(mlpath("projects", "--json"), "projects")
    assert listed[0]["commits"] == 3  # the first commit, the learner's, the merge
    now = dt.datetime.now(dt.UTC)
    with Store.open() as store:
        week = commits_between(store, now - dt.timedelta(days=7), now + dt.timedelta(minutes=1))
    assert sorted(c.summary.split(":")[0] for c in week) == [
        f"Initial commit from mlpath template {template}",
        f"Update from mlpath template {template}",
        "my work",
    ]
    assert len(commit_times(project)) == 3


def test_git_settings_that_would_stop_or_steer_the_merge_do_not(
    mlpath: Callable[..., Result], project: Path, template: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "program-ran"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in ("pre-merge-commit", "commit-msg", "post-merge", "prepare-commit-msg"):
        (hooks / name).write_text(f"#!/bin/sh\ntouch '{marker}'\n")
        (hooks / name).chmod(0o755)
    settings = {
        "merge.ff": "only", "merge.verifySignatures": "true", "merge.renames": "false",
        "diff.renames": "false", "merge.autoStash": "true", "rerere.enabled": "true",
        "rerere.autoUpdate": "true", "merge.log": "true", "core.hooksPath": str(hooks),
        "commit.gpgSign": "true", "gpg.program": str(hooks / "commit-msg"),
    }  # fmt: skip
    learner_works(project)
    for key, value in settings.items():
        git(project, "config", key, value)
    write_template(template, 2)
    merged = data(update(mlpath, project, "--json"), "projects update")
    assert merged["status"] == "merged"
    assert "def mine():" in (project / "new_name.py").read_text(), "renames were detected"
    assert git(project, "log", "-1", "--format=%B").count("\n") == 2, "no shortlog added"
    assert not marker.exists(), "a hook or signing program ran"


def test_a_second_update_merges_from_the_first_one(
    mlpath: Callable[..., Result], project: Path, template: Path
) -> None:
    write_template(template, 2)
    assert update(mlpath, project).exit_code == 0
    edit(project / "new.txt", "colour: blue\n", "colour: blue\nmine too\n")
    commit_all(project)
    edit(template / "{{cookiecutter.project_slug}}" / "README.md", "Run it.", "Run it twice.")
    third = data(update(mlpath, project, "--json"), "projects update")
    assert [f["path"] for f in third["files"]] == ["README.md"]
    assert "Run it twice." in (project / "README.md").read_text()
    assert (project / "new.txt").read_text() == "colour: blue\nmine too\n"
    assert git(project, "rev-list", "--count", BRANCH).strip() == "3"


# -------------------------------------------------------------------------------- conflicts


def test_a_collision_is_a_git_conflict_that_merge_abort_backs_out(
    mlpath: Callable[..., Result], project: Path, template: Path
) -> None:
    collide(project, template)
    head = git(project, "rev-parse", "HEAD").strip()
    before = {p: (project / p).read_bytes() for p in ("changed.txt", "README.md", PROVENANCE)}

    result = update(mlpath, project, "--json")
    assert result.exit_code == 1
    stopped = json.loads(result.stdout)["data"]
    assert (stopped["status"], stopped["conflicts"], stopped["commit"]) == (
        "conflicts", ["changed.txt"], None,
    )  # fmt: skip
    text = (project / "changed.txt").read_text()
    assert "<<<<<<< " in text and "line 2, mine" in text and "line 2, improved" in text
    assert "UU changed.txt" in git(project, "status", "--porcelain")
    assert leftovers(project) == []

    git(project, "merge", "--abort")
    assert git(project, "rev-parse", "HEAD").strip() == head
    assert git(project, "status", "--porcelain") == ""
    assert {p: (project / p).read_bytes() for p in before} == before


def test_conflict_text_names_the_files_and_what_to_do(
    mlpath: Callable[..., Result], project: Path, template: Path
) -> None:
    collide(project, template)
    result = update(mlpath, project)
    assert result.exit_code == 1
    assert "stopped at 1 conflict:" in result.stdout and "conflict  changed.txt" in result.stdout
    assert result.stderr == (
        "error: the update conflicts with your changes in 1 file; in "
        f"{project}, resolve them (`git status` lists them), `git add` them and "
        "`git commit`, or back out with `git merge --abort`\n"
    )
    # resolved and committed as git users do: the update is done
    (project / "changed.txt").write_text("line 2, both\n")
    git(project, "add", "changed.txt")
    git(project, "commit", "--quiet", "--no-edit")
    assert "Up to date: " in mlpath("project", "check", str(project)).stdout
    again = update(mlpath, project)
    assert "in progress" not in again.stderr and again.exit_code == 0


def test_a_removed_file_the_learner_changed_is_kept_as_a_conflict(
    mlpath: Callable[..., Result], project: Path, template: Path
) -> None:
    (project / "obsolete.txt").write_text("soon gone, but I use it\n")
    commit_all(project)
    write_template(template, 2)
    stopped = update(mlpath, project, "--json")
    assert stopped.exit_code == 1
    assert json.loads(stopped.stdout)["data"]["conflicts"] == ["obsolete.txt"]
    assert (project / "obsolete.txt").read_text() == "soon gone, but I use it\n"
    assert "UD obsolete.txt" in git(project, "status", "--porcelain")
    assert leftovers(project) == []


def test_an_update_in_progress_is_refused(
    mlpath: Callable[..., Result], project: Path, template: Path
) -> None:
    collide(project, template)
    assert update(mlpath, project).exit_code == 1
    again = update(mlpath, project)
    assert again.exit_code == 1
    assert again.stderr == (
        f"error: cannot update {project}: a merge is in progress; finish it or abort it "
        "(`git status` says how), then run this again\n"
    )
    git(project, "merge", "--abort")
    # aborted, the template branch is ahead of the project: the next update still merges
    # against the render the project really took
    checked = json.loads(mlpath("project", "check", str(project), "--json").stdout)["data"]
    assert checked["base"]["commit"] == git(project, "rev-parse", "HEAD~1").strip()
    assert [f["path"] for f in checked["files"]] == [f["path"] for f in V2_FILES]
    assert update(mlpath, project).exit_code == 1  # the same conflict, not a silent overwrite
    assert "<<<<<<< " in (project / "changed.txt").read_text()


# ------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("dirt", ["modified", "staged"])
def test_a_dirty_tree_is_refused_and_left_as_it_is(
    mlpath: Callable[..., Result], project: Path, template: Path, dirt: str
) -> None:
    edit(project / "README.md", "Run it.", "Run it now.")
    if dirt == "staged":
        git(project, "add", "README.md")
    refused(mlpath, project, template, "it has changes that are not committed; commit or "
            "stash them (`git status` lists them), then run this again")  # fmt: skip


@pytest.mark.parametrize("ignored", [False, True])
def test_a_file_in_the_way_of_a_new_template_file_is_refused(
    mlpath: Callable[..., Result], project: Path, template: Path, ignored: bool
) -> None:
    (project / "new.txt").write_text("my own new.txt\n")
    if ignored:  # git itself would overwrite an ignored file without a word
        with (project / ".git" / "info" / "exclude").open("a") as f:
            f.write("new.txt\n")
    refused(mlpath, project, template, "files git does not track are where the template now "
            "has files: new.txt; move them away, then run this again")  # fmt: skip
    assert (project / "new.txt").read_text() == "my own new.txt\n"


def test_an_ignored_copy_of_the_new_template_file_is_no_obstacle(
    mlpath: Callable[..., Result], project: Path, template: Path, tmp_path: Path
) -> None:
    # The learner's own ignore rules kept the file out of the first commit (`git add --all`),
    # and it is byte for byte what the template brings: overwriting it loses nothing.
    excludes = tmp_path / "global-ignore"
    excludes.write_text("new.txt\n")
    git(project, "config", "core.excludesFile", str(excludes))
    (project / "new.txt").write_text("colour: blue\n")
    write_template(template, 2)
    assert data(update(mlpath, project, "--json"), "projects update")["status"] == "merged"
    assert "new.txt" in git(project, "ls-files").split()


def test_a_record_the_template_ignores_is_still_updated(
    mlpath: Callable[..., Result], template: Path, parent: Path
) -> None:
    write_template(template, 1, ignore="*.json\n")
    made = mlpath("new-project", str(template), "demo", "--dir", str(parent), "--no-input",
                  "--json")  # fmt: skip
    project = Path(data(made, "new-project")["path"])
    assert PROVENANCE not in git(project, "ls-files")  # `git add --all` left it out
    write_template(template, 2, ignore="*.json\n")
    assert data(update(mlpath, project, "--json"), "projects update")["status"] == "merged"
    assert PROVENANCE in git(project, "ls-files")
    assert "Up to date: " in mlpath("project", "check", str(project)).stdout


def test_detached_head_and_template_branch_are_refused(
    mlpath: Callable[..., Result], project: Path, template: Path
) -> None:
    write_template(template, 2)
    git(project, "checkout", "--quiet", "--detach")
    detached = update(mlpath, project)
    assert detached.exit_code == 1
    assert "no branch is checked out; check out your own branch" in detached.stderr
    git(project, "checkout", "--quiet", BRANCH)
    on_branch = update(mlpath, project)
    assert f"{BRANCH} is checked out; check out your own branch" in on_branch.stderr


def test_hooks_run_only_with_trust(
    mlpath: Callable[..., Result], template: Path, parent: Path
) -> None:
    hooks = template / "hooks"
    hooks.mkdir()
    (hooks / "post_gen_project.py").write_text("open('hook-ran', 'a').write('ran\\n')\n")
    made = mlpath("new-project", str(template), "demo", "--dir", str(parent), "--no-input",
                  "--trust", "--json")  # fmt: skip
    project = Path(data(made, "new-project")["path"])
    write_template(template, 2)
    (template / "hooks").mkdir()
    (template / "hooks" / "post_gen_project.py").write_text(
        "open('hook-ran', 'a').write('ran again\\n')\n"
    )
    before = snapshot(project)
    for command in (["check"], ["update"], ["update", "--diff"]):
        refused = mlpath("project", *command, str(project))
        assert refused.exit_code == 1
        assert "has hooks, which are programs" in refused.stderr
        assert "pass --trust to run them" in refused.stderr
    assert snapshot(project) == before
    assert update(mlpath, project, "--trust").exit_code == 0
    assert (project / "hook-ran").read_text() == "ran again\n"  # in the render, then merged


def test_a_local_template_that_is_gone_is_named(
    mlpath: Callable[..., Result], project: Path, template: Path
) -> None:
    shutil.rmtree(template)
    result = mlpath("project", "check", str(project))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: cannot update {project}: the template it was made from, {template}, is not "
        "there any more; an update renders it again: put it back where it was\n"
    )


def test_not_a_project(mlpath: Callable[..., Result], tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    result = mlpath("project", "check", str(plain), "--json")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {plain} is not in a project mlpath made: no {PROVENANCE} in it or above it\n"
    )
    assert json.loads(result.stdout)["error"]["code"] == "not-found"
    assert json.loads(result.stdout)["command"] == "projects check"


def test_a_folder_inside_the_project_finds_it(
    mlpath: Callable[..., Result], project: Path, template: Path
) -> None:
    write_template(template, 2)
    inside = mlpath("project", "check", str(project / "data"), "--json")
    assert json.loads(inside.stdout)["data"]["project"] == str(project)


def test_a_project_without_git_cannot_be_updated(
    mlpath: Callable[..., Result], template: Path, parent: Path
) -> None:
    made = mlpath("new-project", str(template), "plain", "--dir", str(parent), "--no-input",
                  "--no-git", "--json")  # fmt: skip
    project = Path(data(made, "new-project")["path"])
    assert mlpath("project", "check", str(project)).exit_code == 0  # up to date needs no git
    write_template(template, 2)
    result = update(mlpath, project, "--json")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot update {project}: it is not a git repository")
    assert json.loads(result.stdout)["error"]["code"] == "update"


# ------------------------------------------------------------- projects from before the branch


def test_a_project_made_before_the_branch_updates_from_its_root_commit(
    mlpath: Callable[..., Result], project: Path, template: Path
) -> None:
    git(project, "branch", "--delete", "--force", BRANCH)  # exactly what new-project made before
    root = git(project, "rev-parse", "HEAD").strip()
    learner_works(project)
    write_template(template, 2)
    checked = json.loads(mlpath("project", "check", str(project), "--json").stdout)["data"]
    assert checked["base"] == {"commit": root, "found_by": "root-commit"}
    assert git(project, "branch", "--list", BRANCH) == "", "check creates nothing"
    assert "Its base is its first commit" in mlpath("project", "check", str(project)).stdout

    merged = data(update(mlpath, project, "--json"), "projects update")
    assert merged["status"] == "merged" and merged["files"] == V2_FILES
    assert git(project, "rev-parse", f"{BRANCH}^").strip() == root
    assert "def mine():" in (project / "new_name.py").read_text()
    assert not (project / "obsolete.txt").exists()
    assert leftovers(project) == []


def _amend_message(project: Path) -> str:
    git(project, "commit", "--quiet", "--amend", "-m", "my first commit")
    return (
        "its first commit ({root}) is not the one mlpath made (its message is not "
        '"Initial commit from mlpath template {template}")'
    )


def _record_changed(project: Path) -> str:
    edit(project / PROVENANCE, '"sha256": "', '"sha256": "00')  # an update made another way
    commit_all(project, "updated by hand")
    return "its first commit records template {template} at sha256 "


def _second_root(project: Path) -> str:
    other = project.parent / "other"
    git(project.parent, "init", "--quiet", str(other))
    (other / "x.txt").write_text("x\n")
    commit_all(other, "another history")
    git(project, "fetch", "--quiet", str(other), "HEAD")
    git(project, "merge", "--quiet", "--allow-unrelated-histories", "--no-edit", "FETCH_HEAD")
    return (
        "its history has 2 root commits, so mlpath cannot tell which is the project as the "
        "template made it"
    )


def _drop_provenance(project: Path) -> str:
    git(project, "rm", "--quiet", "--cached", PROVENANCE)
    git(project, "commit", "--quiet", "--amend", "--no-edit")
    git(project, "add", PROVENANCE)
    commit_all(project, "record")
    return f"its first commit ({{root}}) holds no {PROVENANCE} mlpath can read"


@pytest.mark.parametrize(
    "rewrite", [_amend_message, _record_changed, _second_root, _drop_provenance]
)
def test_a_root_commit_that_does_not_match_is_refused_with_the_reason(
    mlpath: Callable[..., Result], project: Path, template: Path,
    rewrite: Callable[[Path], str],
) -> None:  # fmt: skip
    git(project, "branch", "--delete", "--force", BRANCH)
    reason = rewrite(project)
    write_template(template, 2)
    roots = git(project, "rev-list", "--max-parents=0", "HEAD").split()
    before = snapshot(project)
    for command in ("check", "update"):
        result = mlpath("project", command, str(project))
        assert result.exit_code == 1
        expected = reason.format(root=roots[0][:12], template=template)
        assert result.stderr.startswith(
            f"error: cannot update {project}: it has no branch {BRANCH}, and {expected}"
        ), result.stderr
        assert result.stderr.endswith(
            f"point the branch at it (`git branch --force {BRANCH} <commit>`) and run this again\n"
        )
    assert snapshot(project) == before


# -------------------------------------------------------------------------- the command line


def test_project_and_projects_are_one_group(
    mlpath: Callable[..., Result], project: Path, template: Path
) -> None:
    write_template(template, 2)
    plural = mlpath("projects", "check", str(project), "--json")
    assert plural.exit_code == 1 and json.loads(plural.stdout)["command"] == "projects check"
    runner = CliRunner()
    for argv in (["project", "check", str(project)], ["project", "update", str(project)]):
        # the installed script's route: only this command's module is built
        result = runner.invoke(_app_for(argv), argv)
        assert result.exit_code == (1 if argv[1] == "check" else 0), result.output
    assert git(project, "log", "-1", "--format=%s").startswith("Update from mlpath template")
    listed = runner.invoke(_app_for(["project", "--json"]), ["project", "--json"])
    assert json.loads(listed.stdout)["data"][0]["path"] == str(project)
    helped = runner.invoke(_app_for(["project", "--help"]), ["project", "--help"])
    assert "update" in helped.stdout and "check" in helped.stdout


def test_status_does_not_import_the_update_code(isolated_home: Path) -> None:
    env = {**os.environ, "MLPATH_HOME": str(isolated_home)}
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mlpath", "status"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if "|" in line}
    assert imported, "no import times were printed"
    for module in ("mlpath.project_update", "mlpath.render.project_update", "mlpath.scaffold",
                   "mlpath.cli.projects"):  # fmt: skip
        assert module not in imported


# ------------------------------------------------------------------------ end to end (slow)

# The previous release: mlpath as it was before the template branch existed. A project it
# generates is exactly what a learner made last month.
PREVIOUS_RELEASE = "628b85b"
REPO = Path(__file__).resolve().parents[1]


def _previous_release(folder: Path) -> Path:
    """The previous release's tree, extracted from the repository the tests run from."""
    found = subprocess.run(
        ["git", "-C", str(REPO), "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],
        capture_output=True, check=False,
    )  # fmt: skip
    if found.returncode != 0:
        pytest.fail(
            f"commit {PREVIOUS_RELEASE} (the previous release) is not in {REPO}: a shallow "
            "clone? fetch the full history (git fetch --unshallow) to run this test"
        )
    archive = subprocess.run(["git", "-C", str(REPO), "archive", PREVIOUS_RELEASE],
                             capture_output=True, check=True).stdout  # fmt: skip
    tar = folder / "previous.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as bundle:
        bundle.extractall(folder / "previous", filter="data")
    return folder / "previous"


def _untouched_text_file(tracked: list[str], touched: set[str]) -> str:
    """A file the update does not change where a learner's line can go without breaking it."""
    kept = [p for p in sorted(tracked) if p not in touched]
    hashed = (".py", ".yaml", ".yml", ".toml", ".dockerignore", ".gitignore")
    for path in [p for p in kept if p.endswith(".md")] + [p for p in kept if p.endswith(hashed)]:
        return path
    raise AssertionError(f"every text file changes in this update: {sorted(touched)}")


@pytest.mark.slow  # installs the project from the package index
def test_a_project_from_the_previous_release_updates_and_its_tests_pass(
    mlpath: Callable[..., Result], tmp_path: Path, venv: Path
) -> None:
    previous = _previous_release(tmp_path)
    parent = tmp_path / "projects"
    parent.mkdir()
    started = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(previous)}
    made = subprocess.run(
        [sys.executable, "-m", "mlpath", "new-project", "housing-prices", "Old House",
         "--dir", str(parent), "--no-input", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    project = Path(json.loads(made.stdout)["data"]["path"])
    assert git(project, "branch", "--list", BRANCH) == "", "the previous release made no branch"
    generated = time.monotonic() - started

    checked = mlpath("project", "check", str(project), "--json")
    assert checked.exit_code == 1, "the template has not changed since the previous release"
    touched = {f["path"] for f in json.loads(checked.stdout)["data"]["files"]}
    # the learner's work: a file of their own, and a line in a file the update leaves alone
    # (a note under a Markdown file, else a comment in a file whose comments start with #)
    kept = _untouched_text_file(git(project, "ls-files").split(), touched)
    note = (
        "\nMy notes on this project.\n"
        if kept.endswith(".md")
        else "\n# My notes on this project.\n"
    )
    with (project / kept).open("a") as f:
        f.write(note)
    (project / "notes").mkdir()
    (project / "notes" / "journal.md").write_text("Week 1: baseline.\n")
    commit_all(project)

    started_update = time.monotonic()
    result = update(mlpath, project, "--json")
    updated = time.monotonic() - started_update
    assert result.exit_code == 0, f"{result.stdout}\n{result.stderr}"
    merged = json.loads(result.stdout)["data"]
    assert merged["status"] == "merged" and merged["files"]
    assert merged["base"]["found_by"] == "root-commit"
    assert (project / kept).read_text().endswith(note)
    assert (project / "notes" / "journal.md").is_file()
    assert git(project, "status", "--porcelain") == ""
    assert leftovers(project) == []

    python = venv / "bin" / "python"
    venv_env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    venv_env.pop("PYTHONPATH", None)
    # as the learner installs it: the versions the updated project's lock pins (which is also
    # what the template tests install into this environment, so it is installed once)
    with installing(venv):
        _run(["make", f"PYTHON={python}", "install"], project, venv_env, 1200)
    out = _run(["make", f"PYTHON={python}", "test"], project, {**venv_env, **OFFLINE})
    assert " passed" in out and " failed" not in out
    print(f"\ngenerated with {PREVIOUS_RELEASE} in {generated:.1f} s, updated in {updated:.1f} s "
          f"({len(merged['files'])} files from the template), installed and tested in "
          f"{time.monotonic() - started_update - updated:.1f} s")  # fmt: skip
