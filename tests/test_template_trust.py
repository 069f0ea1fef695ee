"""The template trust model: what a template from outside mlpath may and may not do.

A template is data unless the learner passes --trust: without it nothing it contains runs (no
hooks, no Jinja code outside the sandbox, no extensions, no git hooks or config), and with or
without it nothing it renders lands outside the project. Each test builds a hostile template,
runs the real command and checks the files on disk, not only the message.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import signal
import stat
import subprocess
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlpath import confine, scaffold
from mlpath.errors import ScaffoldError, StoreError
from mlpath.store import Store
from tests.conftest import Result
from tests.test_cli import data

MARKER_HOOK = "#!/bin/sh\ntouch '{marker}'\n"


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], input=stdin, capture_output=True, text=True, check=True
    ).stdout


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def snapshot(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` with what it is: a link's target, a file's digest."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[rel] = f"link {os.readlink(path)}"
        elif path.is_dir():
            found[rel] = "dir"
        else:
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def write_template(
    root: Path, files: dict[str, str] | None = None, variables: dict[str, Any] | None = None
) -> Path:
    """A small cookiecutter template at ``root`` with ``files`` added (paths relative to it)."""
    context = {"project_name": "Demo", "project_slug": "{{ cookiecutter.project_name.lower() }}"}
    (root / "{{cookiecutter.project_slug}}").mkdir(parents=True)
    (root / "cookiecutter.json").write_text(json.dumps(context | (variables or {})))
    (root / "{{cookiecutter.project_slug}}" / "README.md").write_text(
        "{{ cookiecutter.project_name }}\n"
    )
    for rel, body in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        if rel.startswith("hooks/") or "/hooks/" in rel or rel.endswith(".sh"):
            path.chmod(0o755)
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside PARENT holding a file a template would love to overwrite."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "victim.txt").write_text("mine\n")
    return folder


def assert_refused(result: Result, message: str, before: dict[str, str], root: Path) -> None:
    """Exit 1, one ``error:`` line, no traceback, and not one file changed anywhere under root."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    assert message in result.stderr, result.stderr
    assert snapshot(root) == before


def new(mlpath: Callable[..., Result], template: Path, parent: Path, *extra: str) -> Result:
    return mlpath(
        "new-project", "--dir", str(parent), "--no-input", *extra, "--", str(template), "demo"
    )


def env_for_subprocess() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1"}


# ------------------------------------------------------------------ 1. rendered paths escape


@pytest.mark.parametrize(
    ("rel", "variables", "sets"),
    [
        # a file whose name is an answer: absolute, from --set
        ("{{cookiecutter.project_slug}}/{{cookiecutter.target}}", {"target": "notes.md"},
         ["--set", "target={outside}/victim.txt"]),
        # the same from the template's own default, relative
        ("{{cookiecutter.project_slug}}/{{cookiecutter.target}}",
         {"target": "../../../outside/victim.txt"}, []),
        # a folder whose name is an answer
        ("{{cookiecutter.project_slug}}/{{cookiecutter.where}}/victim.txt", {"where": "docs"},
         ["--set", "where={outside}"]),
        # a file copied without rendering still has its name rendered
        ("{{cookiecutter.project_slug}}/{{cookiecutter.target}}",
         {"target": "{outside}/victim.txt", "_copy_without_render": ["*"]}, []),
    ],
)  # fmt: skip
def test_rendered_path_outside_the_project_is_refused_before_writing(
    mlpath: Callable[..., Result],
    tmp_path: Path,
    parent: Path,
    outside: Path,
    rel: str,
    variables: dict[str, Any],
    sets: list[str],
) -> None:
    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{outside}", str(outside))
        return value

    template = write_template(
        tmp_path / "tpl", {rel: "gotcha\n"}, {k: fill(v) for k, v in variables.items()}
    )
    before = snapshot(tmp_path)
    result = new(mlpath, template, parent, *[fill(s) for s in sets])
    assert_refused(result, "outside the project; nothing was written", before, tmp_path)
    assert f"error: template {template}: {Path(rel).parent.as_posix()}/" in result.stderr
    assert (outside / "victim.txt").read_text() == "mine\n"


def test_project_folder_rendering_to_a_path_is_refused(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path, outside: Path
) -> None:
    template = tmp_path / "tpl"
    (template / "{{cookiecutter.where}}").mkdir(parents=True)
    (template / "{{cookiecutter.where}}" / "planted.txt").write_text("gotcha\n")
    where = str(outside / "planted")
    (template / "cookiecutter.json").write_text(json.dumps({"project_name": "x", "where": where}))
    before = snapshot(tmp_path)
    result = new(mlpath, template, parent)
    assert_refused(
        result,
        f"the project folder {{{{cookiecutter.where}}}} renders to {where!r}, which is not a "
        "folder name",
        before,
        tmp_path,
    )


def test_rendered_git_folder_is_refused(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path
) -> None:
    marker = tmp_path / "hook-ran"
    template = write_template(
        tmp_path / "tpl",
        {"{{cookiecutter.project_slug}}/{{cookiecutter.vcs}}/hooks/post-commit":
         MARKER_HOOK.format(marker=marker)},
        {"vcs": ".git"},
    )  # fmt: skip
    before = snapshot(tmp_path)
    result = new(mlpath, template, parent)
    assert_refused(
        result,
        f"template {template}: {{{{cookiecutter.project_slug}}}}/{{{{cookiecutter.vcs}}}} renders "
        "to '.git': a template may not contain .git",
        before,
        tmp_path,
    )
    assert not marker.exists()


def test_writes_outside_staging_are_refused_while_rendering(tmp_path: Path) -> None:
    """The safety net under the checks above: while cookiecutter runs, this process cannot
    write outside the staging folder at all, whatever path it computed."""
    staging = tmp_path / "staging"
    staging.mkdir()
    victim = tmp_path / "victim.txt"
    with (
        pytest.raises(ScaffoldError, match="outside the project"),
        confine.confined_writes(staging, "tpl"),
    ):
        (staging / "inside.txt").write_text("fine")
        (staging / "sub").mkdir()
        victim.write_text("gotcha")
    assert not victim.exists()
    assert (staging / "inside.txt").read_text() == "fine"
    victim.write_text("after")  # and the guard is off again
    assert victim.read_text() == "after"


# -------------------------------------------------------------------- template code (Jinja)

ESCAPE = "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.system('touch %s') }}"


@pytest.mark.parametrize("where", ["file", "variable"])
def test_jinja_code_outside_the_sandbox_needs_trust(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path, where: str
) -> None:
    marker = tmp_path / "code-ran"
    code = ESCAPE % marker
    if where == "file":
        template = write_template(tmp_path / "tpl", {"{{cookiecutter.project_slug}}/x.txt": code})
    else:
        template = write_template(tmp_path / "tpl", variables={"derived": code})
    before = snapshot(tmp_path)
    result = new(mlpath, template, parent)
    assert_refused(result, "pass --trust", before, tmp_path)
    assert not marker.exists()
    trusted = new(mlpath, template, parent, "--trust", "--no-git")
    assert trusted.exit_code == 0, trusted.stderr
    assert marker.exists()


def test_local_jinja_extensions_need_trust(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path
) -> None:
    marker = tmp_path / "extension-ran"
    template = write_template(
        tmp_path / "tpl",
        {"local_ext.py": f"from pathlib import Path\nPath({str(marker)!r}).touch()\n"
                         "from jinja2.ext import Extension\n"
                         "class Ext(Extension):\n    pass\n"},
        {"_extensions": ["local_ext.Ext"]},
    )  # fmt: skip
    before = snapshot(tmp_path)
    result = new(mlpath, template, parent)
    assert_refused(
        result,
        "loads Jinja extensions, which are programs that would run on your machine: "
        "local_ext.Ext; read them, then pass --trust",
        before,
        tmp_path,
    )
    assert not marker.exists()


def test_extensions_of_a_nested_template_need_trust(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path
) -> None:
    """The sandboxed environment itself refuses them: a template can pick another one."""
    marker = tmp_path / "extension-ran"
    outer = tmp_path / "outer"
    inner = outer / "inner"
    write_template(
        inner,
        {"local_ext.py": f"from pathlib import Path\nPath({str(marker)!r}).touch()\n"},
        {"_extensions": ["local_ext.Ext"]},
    )
    (outer / "cookiecutter.json").write_text(
        json.dumps({"templates": {"inner": {"path": "./inner", "title": "I", "description": "d"}}})
    )
    before = snapshot(tmp_path)
    result = new(mlpath, outer, parent)
    assert_refused(
        result, f"template {outer} loads Jinja extensions, which are programs", before, tmp_path
    )
    assert not marker.exists()


# ------------------------------------------------------------------------------ 2. .git


P = "{{cookiecutter.project_slug}}"


@pytest.mark.parametrize(
    ("rel", "body", "refused"),
    [
        (f"{P}/.git/hooks/pre-commit", MARKER_HOOK, f"{P}/.git"),
        (f"{P}/.git/hooks/post-commit", MARKER_HOOK, f"{P}/.git"),
        (f"{P}/.git/config", "[core]\n\tfsmonitor = {script}\n\trepositoryformatversion = 0\n",
         f"{P}/.git"),
        (f"{P}/.git", "gitdir: /somewhere/else\n", f"{P}/.git"),
        (f"{P}/src/vendored/.git/hooks/post-commit", MARKER_HOOK, f"{P}/src/vendored/.git"),
        (f"{P}/.GIT/hooks/post-commit", MARKER_HOOK, f"{P}/.GIT"),
        ("hooks/.git/config", "[core]\n\tfsmonitor = {script}\n", "hooks/.git"),
    ],
)  # fmt: skip
def test_template_containing_git_is_refused_before_rendering(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path, rel: str, body: str, refused: str
) -> None:
    marker = tmp_path / "git-code-ran"
    script = tmp_path / "fsmonitor.sh"
    script.write_text(MARKER_HOOK.format(marker=marker))
    script.chmod(0o755)
    template = write_template(tmp_path / "tpl", {rel: body.format(marker=marker, script=script)})
    before = snapshot(tmp_path)
    result = new(mlpath, template, parent)
    assert_refused(
        result,
        f"template {template} contains {refused}: a template may not contain .git",
        before,
        tmp_path,
    )
    assert not marker.exists()


def test_a_template_that_is_a_git_clone_still_works(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path
) -> None:
    """Its own .git, beside cookiecutter.json, is never rendered or copied: it is allowed."""
    template = write_template(tmp_path / "tpl")
    subprocess.run(["git", "init", "-q", str(template)], check=True)
    git(template, "add", "--all")
    git(template, "commit", "-qm", "the template")
    created = data(new(mlpath, template, parent, "--json"), "new-project")
    assert git(parent / "demo", "rev-list", "--count", "HEAD").strip() == "1"
    assert created["path"] == str(parent / "demo")


# ---------------------------------------------------------------------------- 3. symlinks


@pytest.mark.parametrize(
    "link", ["{{cookiecutter.project_slug}}/innocent.txt", "{{cookiecutter.project_slug}}/docs",
             "hooks"],
)  # fmt: skip
def test_symlinks_in_a_template_are_refused(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path, link: str
) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key").write_text("hunter2\n")
    template = write_template(tmp_path / "tpl")
    target = secret / "key" if link.endswith(".txt") else secret
    (template / link).symlink_to(target)
    before = snapshot(tmp_path)
    result = new(mlpath, template, parent)
    assert_refused(
        result,
        f"template {template} contains a symbolic link, {link} -> {target}; "
        "templates may not contain links",
        before,
        tmp_path,
    )


def test_zip_with_a_symlink_member_is_refused(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path
) -> None:
    archive = tmp_path / "linked.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("tpl/cookiecutter.json", json.dumps({"project_name": "x"}))
        zf.writestr("tpl/{{cookiecutter.project_name}}/README.md", "hi\n")
        link = zipfile.ZipInfo("tpl/{{cookiecutter.project_name}}/innocent.txt")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    before = snapshot(tmp_path)
    result = new(mlpath, archive, parent)
    assert_refused(
        result,
        f"{archive} contains a symbolic link, tpl/{{{{cookiecutter.project_name}}}}/innocent.txt;"
        " templates may not contain links",
        before,
        tmp_path,
    )


@pytest.mark.parametrize("kind", ["folder", "file", "rendered"])
def test_template_may_not_bring_its_own_provenance_file(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path, kind: str
) -> None:
    template = write_template(tmp_path / "tpl", variables={"record": ".mlpath-project.json"})
    project = template / "{{cookiecutter.project_slug}}"
    if kind == "folder":
        (project / ".mlpath-project.json").mkdir()
        (project / ".mlpath-project.json" / "x").write_text("x")
    elif kind == "file":
        (project / ".mlpath-project.json").write_text('{"template": "forged"}')
    else:
        (project / "{{cookiecutter.record}}").write_text('{"template": "forged"}')
    before = snapshot(tmp_path)
    result = new(mlpath, template, parent)
    shown = (
        f"{template}: {{{{cookiecutter.project_slug}}}}/{{{{cookiecutter.record}}}} would "
        "become .mlpath-project.json"
        if kind == "rendered"
        else f"{template} contains {{{{cookiecutter.project_slug}}}}/.mlpath-project.json"
    )
    assert_refused(
        result, f"{shown}, which is reserved for mlpath's record of the project", before, tmp_path
    )


def test_symlink_left_by_a_trusted_hook_pointing_outside_is_refused(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("hunter2\n")
    template = write_template(
        tmp_path / "tpl",
        {"hooks/post_gen_project.py":
         f"import os\nos.symlink({str(secret)!r}, 'innocent.txt')\n"},
    )  # fmt: skip
    result = new(mlpath, template, parent, "--trust")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: template {template} left a link pointing outside the project: "
        f"innocent.txt -> {secret}\n"
    )
    assert entries(parent) == []


# ------------------------------------------------------------------------------ 4. git


def test_global_hooks_path_does_not_run(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path
) -> None:
    marker = tmp_path / "global-hook-ran"
    hooks = tmp_path / "global-hooks"
    hooks.mkdir()
    for name in ("pre-commit", "commit-msg", "post-commit", "post-index-change"):
        (hooks / name).write_text(MARKER_HOOK.format(marker=marker))
        (hooks / name).chmod(0o755)
    gitconfig = Path(os.environ["HOME"]) / ".gitconfig"
    gitconfig.write_text(f"[core]\n\thooksPath = {hooks}\n")
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    assert result.exit_code == 0, result.stderr
    assert git(parent / "demo", "rev-list", "--count", "HEAD").strip() == "1"
    assert not marker.exists()


def test_git_config_from_the_environment_is_not_inherited(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "env-hook-ran"
    hooks = tmp_path / "env-hooks"
    hooks.mkdir()
    (hooks / "post-commit").write_text(MARKER_HOOK.format(marker=marker))
    (hooks / "post-commit").chmod(0o755)
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "core.hooksPath")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", str(hooks))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "elsewhere.index"))
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    assert result.exit_code == 0, result.stderr
    assert not marker.exists()
    assert not (tmp_path / "elsewhere.index").exists()
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert git(parent / "demo", "status", "--porcelain") == ""


def test_global_signing_is_not_run(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path
) -> None:
    marker = tmp_path / "gpg-ran"
    gpg = tmp_path / "gpg.sh"
    gpg.write_text(MARKER_HOOK.format(marker=marker) + "exit 1\n")
    gpg.chmod(0o755)
    (Path(os.environ["HOME"]) / ".gitconfig").write_text(
        f"[commit]\n\tgpgSign = true\n[gpg]\n\tprogram = {gpg}\n[user]\n\tsigningKey = ABC\n"
    )
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    assert result.exit_code == 0, result.stderr
    assert not marker.exists()
    assert git(parent / "demo", "rev-list", "--count", "HEAD").strip() == "1"


def test_global_identity_signs_the_commit(
    mlpath: Callable[..., Result], parent: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var)
    (Path(os.environ["HOME"]) / ".gitconfig").write_text(
        "[user]\n\tname = Ada Global\n\temail = ada@example.org\n"
    )
    created = data(
        mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input", "--json"),
        "new-project",
    )
    assert created["git"]["identity"] == "configured"
    assert git(parent / "demo", "log", "-1", "--format=%an <%ae>|%cn <%ce>").strip() == (
        "Ada Global <ada@example.org>|Ada Global <ada@example.org>"
    )
    assert created["answers"]["author_name"] == "Ada Global"


def _sign_head(repo: Path) -> None:
    """Give HEAD a signature header, as a signed commit has, so that showing it runs gpg."""
    raw = git(repo, "cat-file", "commit", "HEAD")
    header, _, message = raw.partition("\n\n")
    signature = (
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----"
    )
    sha = git(repo, "hash-object", "-t", "commit", "-w", "--stdin",
              stdin=f"{header}\n{signature}\n\n{message}").strip()  # fmt: skip
    git(repo, "update-ref", "HEAD", sha)


@pytest.mark.parametrize("command", ["review", "projects"])
def test_reading_history_runs_nothing_from_the_repository_config(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path, command: str
) -> None:
    assert mlpath("new-project", "sentiment", "demo", "--dir", str(parent)).exit_code == 0
    project = parent / "demo"
    marker = tmp_path / "repo-config-ran"
    script = tmp_path / "script.sh"
    script.write_text(MARKER_HOOK.format(marker=marker))
    script.chmod(0o755)
    _sign_head(project)
    for key, value in [
        ("log.showSignature", "true"), ("gpg.program", str(script)),
        ("gpg.ssh.program", str(script)), ("gpg.x509.program", str(script)),
        ("core.fsmonitor", str(script)), ("diff.external", str(script)),
        ("core.pager", str(script)), ("core.hooksPath", str(tmp_path)),
    ]:  # fmt: skip
        git(project, "config", key, value)
    result = mlpath(command, "--json")
    assert result.exit_code == 0, result.stderr
    if command == "review":
        assert data(result, "review")["commits"], "the commit is counted"
    else:
        assert data(result, "projects")[0]["commits"] == 1
    assert not marker.exists()


# --------------------------------------------------------------------------- 5. the truth


def test_json_stays_one_document_when_trusted_hooks_print(
    mlpath_exe: str, tmp_path: Path, parent: Path
) -> None:
    template = write_template(
        tmp_path / "tpl",
        {"hooks/pre_gen_project.py": "print('pre-gen says hi')\n",
         "hooks/post_gen_project.sh": "#!/bin/sh\necho post-gen says hi\n"},
    )  # fmt: skip
    run = subprocess.run(
        [mlpath_exe, "new-project", str(template), "demo", "--dir", str(parent), "--trust",
         "--json"],
        env=env_for_subprocess(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["data"]["path"] == str(parent / "demo")
    assert "pre-gen says hi" in run.stderr and "post-gen says hi" in run.stderr


def test_failing_hook_prints_one_error_line(mlpath_exe: str, tmp_path: Path, parent: Path) -> None:
    template = write_template(
        tmp_path / "tpl", {"hooks/post_gen_project.py": "raise SystemExit(3)\n"}
    )
    run = subprocess.run(
        [mlpath_exe, "new-project", str(template), "demo", "--dir", str(parent), "--trust"],
        env=env_for_subprocess(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 1
    assert run.stderr == (
        f"error: template {template}: a hook failed: Hook script failed (exit status: 3)\n"
    )
    assert entries(parent) == []


def test_set_names_are_honoured(mlpath: Callable[..., Result], parent: Path) -> None:
    created = data(
        mlpath(
            "new-project", "sentiment", "My Demo", "--dir", str(parent), "--no-input", "--no-git",
            "--set", "project_slug=reviews-2026", "--set", "package_name=reviewer", "--json",
        ),
        "new-project",
    )  # fmt: skip
    assert (created["slug"], created["package"]) == ("reviews-2026", "reviewer")
    assert entries(parent) == ["reviews-2026"]
    assert (parent / "reviews-2026" / "src" / "reviewer").is_dir()
    assert created["answers"]["project_name"] == "My Demo"
    assert created["answers"]["package_name"] == "reviewer"
    only_slug = data(
        mlpath("new-project", "sentiment", "x", "--dir", str(parent), "--no-input", "--no-git",
               "--set", "project_slug=second", "--json"),
        "new-project",
    )  # fmt: skip
    assert (only_slug["slug"], only_slug["package"]) == ("second", "second")
    by_set = data(
        mlpath("new-project", "sentiment", "--dir", str(parent), "--no-input", "--no-git",
               "--set", "project_name=Third One", "--json"),
        "new-project",
    )  # fmt: skip
    assert (by_set["name"], by_set["slug"]) == ("Third One", "third-one")


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["package_name=json"],
         "cannot use 'json' as the package name: it would shadow the standard library's json"),
        (["package_name=1st"], "cannot use '1st' as the package name: it is not a valid Python "
                               "identifier (ASCII letters, digits and underscores)"),
        (["package_name=class"], "cannot use 'class' as the package name: it is a Python keyword"),
        (["package_name=../../x"], "cannot use '../../x' as the package name: it is not a valid"),
        (["project_slug=My Slug"], "cannot use 'My Slug' as the project slug: use lowercase ASCII "
                                   "letters, digits and single dashes (like 'my-slug')"),
        (["project_slug=../escape"], "cannot use '../escape' as the project slug"),
        (["project_slug=con"], "cannot use 'con' as the project slug: CON is a reserved device"),
        (["project_name=Other"], "give the project's name once: as NAME or --set project_name"),
    ],
)  # fmt: skip
def test_set_names_are_validated(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path, sets: list[str], message: str
) -> None:
    args = [a for s in sets for a in ("--set", s)]
    before = snapshot(tmp_path)
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input", *args)
    assert_refused(result, message, before, tmp_path)


# ------------------------------------------------------------------ 6. all or nothing


def test_store_failure_after_the_rename_leaves_nothing(
    mlpath: Callable[..., Result], parent: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = Store.write

    @contextlib.contextmanager
    def commit_fails(self: Store) -> Iterator[Any]:
        with real_write(self) as conn:
            yield conn
            if (parent / "demo").exists():  # the COMMIT that follows the rename hits a full disk
                raise StoreError(f"{self.path}: database or disk is full")

    monkeypatch.setattr(Store, "write", commit_fails)
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "database or disk is full" in result.stderr
    assert entries(parent) == []
    monkeypatch.setattr(Store, "write", real_write)
    assert data(mlpath("projects", "--json"), "projects") == []
    retry = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    assert retry.exit_code == 0, retry.stderr
    assert [p["name"] for p in data(mlpath("projects", "--json"), "projects")] == ["demo"]


def test_unwritable_store_leaves_nothing(
    mlpath: Callable[..., Result], parent: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MLPATH_HOME", str(blocker / "mlpath"))
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert entries(parent) == []


def test_rename_failure_rolls_the_record_back(
    mlpath: Callable[..., Result], parent: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = {"replace": os.replace, "rename": os.rename}

    def cross_device(name: str) -> Callable[..., None]:
        def move(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
            if Path(dst) == parent / "demo":
                raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
            real[name](src, dst, *args, **kwargs)

        return move

    monkeypatch.setattr(os, "replace", cross_device("replace"))
    monkeypatch.setattr(os, "rename", cross_device("rename"))
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    monkeypatch.setattr(os, "replace", real["replace"])
    monkeypatch.setattr(os, "rename", real["rename"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: could not move the project into {parent / 'demo'}: Invalid cross-device link\n"
    )
    assert entries(parent) == []
    assert data(mlpath("projects", "--json"), "projects") == []
    retry = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    assert retry.exit_code == 0, retry.stderr


# ------------------------------------------------------------ 7. long inputs, leftovers


@pytest.mark.parametrize("where", ["template", "dir"])
def test_very_long_paths_give_one_line(
    mlpath: Callable[..., Result], parent: Path, where: str
) -> None:
    long = "x" * 100_000
    if where == "template":
        result = mlpath("new-project", long, "demo", "--dir", str(parent), "--no-input")
    else:
        result = mlpath("new-project", "sentiment", "demo", "--dir", long, "--no-input")
    assert result.exit_code == 1, result.stderr[:500]
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "File name too long" in result.stderr
    assert len(result.stderr) < 300
    assert entries(parent) == []


def test_stale_staging_folders_are_cleaned(mlpath: Callable[..., Result], parent: Path) -> None:
    old = parent / ".mlpath-new-killed"
    (old / "out" / "demo").mkdir(parents=True)
    (old / "out" / "demo" / "half.py").write_text("x = ")
    two_hours_ago = time.time() - 7200
    for path in (old / "out" / "demo" / "half.py", old / "out" / "demo", old / "out", old):
        os.utime(path, (two_hours_ago, two_hours_ago))
    fresh = parent / ".mlpath-new-running"
    fresh.mkdir()
    assert scaffold.stale_staging(parent) == [old]
    result = mlpath("new-project", "sentiment", "demo", "--dir", str(parent), "--no-input")
    assert result.exit_code == 0, result.stderr
    assert entries(parent) == [".mlpath-new-running", "demo"]
    assert scaffold.stale_staging(parent) == []


def test_sigterm_while_rendering_leaves_nothing(
    mlpath_exe: str, tmp_path: Path, parent: Path
) -> None:
    started = tmp_path / "hook-started"
    template = write_template(
        tmp_path / "tpl",
        {"hooks/pre_gen_project.py":
         "import os, pathlib, time\n"
         f"pathlib.Path({str(started)!r}).write_text(str(os.getpid()))\n"
         "time.sleep(30)\n"},
    )  # fmt: skip
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr_file:  # a file, not a pipe: the orphaned hook would hold a pipe
        proc = subprocess.Popen(
            [mlpath_exe, "new-project", str(template), "demo", "--dir", str(parent), "--trust"],
            env=env_for_subprocess(), stdout=subprocess.DEVNULL, stderr=stderr_file,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not (started.exists() and started.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the hook never started"
        assert [p for p in entries(parent) if p.startswith(".mlpath-new-")], "rendering began"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
        if started.exists() and started.read_text():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(started.read_text()), signal.SIGKILL)
    stderr = log.read_text()
    assert proc.returncode == 143, stderr
    assert "Traceback" not in stderr
    assert entries(parent) == []
