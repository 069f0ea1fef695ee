"""`mlpath new-project`: render a cookiecutter template into place, all or nothing, with git.

The order of work is what makes it safe:
1. everything is rendered into a staging folder inside PARENT (same file system, so the final
   move is a rename), with cookiecutter's replay files and caches inside it too;
2. the provenance file is written and git initialised there;
3. the destination is claimed with ``mkdir`` (which fails if anything exists) and the rendered
   folder renamed over that empty folder, inside the store transaction that records it;
4. the staging folder is removed whatever happened, including Ctrl-C.

cookiecutter and GitPython are imported only here, inside the functions that use them.
"""

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mlpath import paths, version
from mlpath.errors import InvalidInputError, MlpathError, NotFoundError
from mlpath.names import check_name, package_name, slugify
from mlpath.projects import git_environment
from mlpath.store import Store, utc_now

TEMPLATE_META = "template.json"
PROVENANCE_FILE = ".mlpath-project.json"
HOOKS = ("pre_prompt", "pre_gen_project", "post_gen_project")
NAME_KEYS = ("project_name", "project_slug", "package_name")
MAX_ZIP_BYTES = 200 * 1024 * 1024
PLACEHOLDER = ("mlpath placeholder", "placeholder@mlpath.invalid")
Asker = Callable[[str, Any], Any]
"""Asks the learner for one template variable: (name, default or list of choices) -> answer."""


class ScaffoldError(MlpathError):
    """The project could not be created; nothing was left behind."""


class TemplateInfo(NamedTuple):
    id: str
    title: str
    description: str
    difficulty: str
    topics: list[str]
    path: str


class GitResult(NamedTuple):
    status: str  # committed | initialised | skipped | unavailable | failed
    branch: str | None = None
    commit: str | None = None
    identity: str | None = None  # configured | placeholder
    advice: Sequence[str] = ()


class NewProjectResult(NamedTuple):
    name: str
    slug: str
    package: str
    template: str
    path: str
    topics: list[str]
    answers: dict[str, Any]
    provenance: str
    git: GitResult


class _Template(NamedTuple):
    label: str  # the id of a built-in template, else the path the learner gave
    folder: Path
    info: TemplateInfo | None


# ---------------------------------------------------------------------------------- templates


def builtin_templates() -> list[TemplateInfo]:
    """Built-in templates, from each one's ``template.json``."""
    found = []
    root = paths.builtin_templates_dir()
    for meta in sorted(root.glob(f"*/{TEMPLATE_META}")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        found.append(
            TemplateInfo(
                id=data["id"],
                title=data["title"],
                description=data["description"],
                difficulty=data["difficulty"],
                topics=list(data["topics"]),
                path=str(meta.parent),
            )
        )
    return found


def _resolve_template(spec: str, staging: Path) -> _Template:
    builtin = {t.id: t for t in builtin_templates()}
    if spec in builtin:
        info = builtin[spec]
        return _Template(spec, Path(info.path), info)
    if "://" in spec or spec.startswith(("gh:", "gl:", "bb:", "git@")):
        raise InvalidInputError(
            f"'{spec}' looks like a remote template; mlpath works offline: use a built-in id "
            "or a local folder or .zip"
        )
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix.lower() == ".zip":
        return _Template(str(path.resolve()), _unzip(path, staging / "template"), None)
    if path.is_dir():
        if not (path / "cookiecutter.json").is_file():
            raise InvalidInputError(f"{spec} is not a cookiecutter template (no cookiecutter.json)")
        return _Template(str(path.resolve()), path.resolve(), None)
    from mlpath.roadmaps import suggest

    raise NotFoundError(
        f"no template '{spec}'{suggest(spec, builtin)}; see `mlpath new-project --list`, "
        "or give a template folder or .zip"
    )


def _unzip(archive: Path, target: Path) -> Path:
    """Extract a template archive, refusing members that would land outside ``target``."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
                raise InvalidInputError(f"{archive} unpacks to more than 200 MiB")
            root = target.resolve()
            for member in members:
                dest = (root / member.filename).resolve()
                if not dest.is_relative_to(root):
                    raise InvalidInputError(
                        f"{archive} contains {member.filename!r}, which points outside the archive"
                    )
            zf.extractall(root)
    except zipfile.BadZipFile as exc:
        raise InvalidInputError(f"{archive} is not a valid zip file ({exc})") from None
    candidates = [target, *[p for p in target.iterdir() if p.is_dir()]]
    for candidate in candidates:
        if (candidate / "cookiecutter.json").is_file():
            return candidate
    raise InvalidInputError(f"{archive} holds no cookiecutter template (no cookiecutter.json)")


def _variables(template: _Template) -> dict[str, Any]:
    try:
        data = json.loads((template.folder / "cookiecutter.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ScaffoldError(f"cannot read {template.label}/cookiecutter.json: {exc}") from None
    if not isinstance(data, dict):
        raise ScaffoldError(f"{template.label}/cookiecutter.json must hold a JSON object")
    return data


def _hook_files(template: _Template) -> list[str]:
    hooks = template.folder / "hooks"
    if not hooks.is_dir():
        return []
    return sorted(
        str(p.relative_to(template.folder))
        for p in hooks.iterdir()
        if p.is_file() and p.stem in HOOKS and not p.name.endswith("~")
    )


def template_hash(folder: Path) -> str:
    """A digest of every file in the template, so a project can say exactly what made it."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


# ------------------------------------------------------------------------------------ answers


def _is_derived(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _collect_answers(
    variables: Mapping[str, Any],
    overrides: Mapping[str, str],
    ask: Asker | None,
    suggested: Mapping[str, str],
) -> dict[str, Any]:
    """Answers for the template's public variables: --set values, then the learner's answers
    (on a terminal), then ``suggested`` defaults; the rest is left to the template."""
    public = {k: v for k, v in variables.items() if not k.startswith("_")}
    unknown = sorted(set(overrides) - set(public))
    if unknown:
        names = ", ".join(k for k in public if k not in NAME_KEYS)
        raise InvalidInputError(
            f"unknown template variable '{unknown[0]}'; this template has: {names}"
        )
    answers: dict[str, Any] = {}
    for key, default in public.items():
        if key in NAME_KEYS:
            continue
        if key in overrides:
            value: Any = overrides[key]
            if isinstance(default, list) and value not in default:
                choices = ", ".join(map(str, default))
                raise InvalidInputError(f"--set {key}={value}: choose one of {choices}")
            answers[key] = value
        elif ask is not None and not _is_derived(default) and not isinstance(default, dict):
            answers[key] = ask(key, suggested.get(key, default))
        elif key in suggested:
            answers[key] = suggested[key]
    return answers


def _user_config(staging: Path) -> dict[str, str]:
    """user.name and user.email as a new repository in ``staging`` will see them (system and
    global settings: git is kept from looking up into a repository that holds PARENT)."""
    if shutil.which("git") is None:
        return {}
    with git_environment():
        import git

        try:
            listing = git.Git(str(staging)).config(
                "--get-regexp", r"^user\.(name|email)$",
                env={"GIT_CEILING_DIRECTORIES": str(staging.parent)},
            )  # fmt: skip
        except git.GitCommandError:  # exit 1: neither is set
            return {}
    pairs = (line.split(" ", 1) for line in listing.splitlines() if " " in line)
    return {key: value for key, value in pairs}


def _git_identity(variables: Mapping[str, Any], config: Mapping[str, str]) -> dict[str, str]:
    """The learner's git name and email as defaults for author_name and author_email."""
    sources = {"author_name": ("GIT_AUTHOR_NAME", "user.name"),
               "author_email": ("GIT_AUTHOR_EMAIL", "user.email")}  # fmt: skip
    found = {
        k: os.environ.get(env) or config.get(key, "")
        for k, (env, key) in sources.items()
        if k in variables
    }
    return {k: v for k, v in found.items() if v}


def _parse_sets(pairs: Sequence[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"--set wants KEY=VALUE, got {pair!r}")
        result[key.strip()] = value
    return result


# ------------------------------------------------------------------------------------ the work


def new_project(
    template: str,
    name: str | None,
    parent: Path,
    sets: Sequence[str] = (),
    *,
    ask: Asker | None = None,
    use_git: bool = True,
    trust: bool = False,
) -> NewProjectResult:
    """Create a project from ``template`` in ``parent``; see the module docstring."""
    overrides = _parse_sets(sets)
    parent = parent.expanduser()
    if not parent.is_dir():
        raise InvalidInputError(f"no folder {parent}; create it first or choose another --dir")
    parent = parent.resolve()
    staging = Path(tempfile.mkdtemp(prefix=".mlpath-new-", dir=parent))
    try:
        return _create(template, name, parent, staging, overrides, ask, use_git, trust)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _create(
    spec: str,
    name: str | None,
    parent: Path,
    staging: Path,
    overrides: dict[str, str],
    ask: Asker | None,
    use_git: bool,
    trust: bool,
) -> NewProjectResult:
    template = _resolve_template(spec, staging)
    variables = _variables(template)
    hooks = _hook_files(template)
    if hooks and not trust:
        raise ScaffoldError(
            f"template {template.label} has hooks, which are programs that would run on your "
            f"machine: {', '.join(hooks)}; read them, then pass --trust to run them"
        )
    if name is None:
        default = variables.get("project_name")
        if not isinstance(default, str) or _is_derived(default):
            raise InvalidInputError("give the project a NAME")
        name = str(ask("project_name", default)) if ask else default
    name = check_name(name)
    slug = slugify(name)
    package = package_name(slug)
    destination = parent / slug
    if os.path.lexists(destination):
        raise ScaffoldError(f"{destination} already exists; choose another name or --dir")

    user = _user_config(staging)
    answers = _collect_answers(variables, overrides, ask, _git_identity(variables, user))
    context = {"project_name": name, "project_slug": slug, "package_name": package}
    context = {k: v for k, v in context.items() if k in variables} | answers
    rendered, final_answers = _render(template, context, staging, trust)

    created = utc_now()
    provenance = {
        "template": template.label,
        "template_version": {"mlpath": version(), "sha256": template_hash(template.folder)},
        "answers": final_answers,
        "created_at": created,
    }
    (rendered / PROVENANCE_FILE).write_text(
        json.dumps(provenance, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    git = (
        _init_git(rendered, template.label, destination, user) if use_git else GitResult("skipped")
    )
    topics = template.info.topics if template.info else []

    # The store is opened only now, so that a refused name or a failed render creates nothing.
    with Store.open(create=True) as store, store.write() as conn:
        conn.execute(
            "INSERT INTO projects (name, template, path, created_at, topics)"
            " VALUES (?, ?, ?, ?, ?)",
            (name, template.label, str(destination), created, json.dumps(topics)),
        )
        _move_into_place(rendered, destination)
    return NewProjectResult(
        name=name,
        slug=slug,
        package=package,
        template=template.label,
        path=str(destination),
        topics=topics,
        answers=final_answers,
        provenance=str(destination / PROVENANCE_FILE),
        git=git,
    )


def _render(
    template: _Template, context: dict[str, Any], staging: Path, trust: bool
) -> tuple[Path, dict[str, Any]]:
    from cookiecutter import exceptions as cc_errors
    from cookiecutter.main import cookiecutter
    from jinja2 import TemplateError

    out = staging / "out"
    settings = staging / "cookiecutter"
    out.mkdir()
    try:
        project = cookiecutter(
            str(template.folder),
            no_input=True,
            extra_context=context,
            output_dir=str(out),
            # Not the learner's ~/.cookiecutterrc, and no replay files or caches in their home.
            default_config={
                "replay_dir": str(settings / "replay"),
                "cookiecutters_dir": str(settings / "cache"),
            },
            accept_hooks=trust,
        )
    except cc_errors.UndefinedVariableInTemplate as exc:
        raise ScaffoldError(f"template {template.label}: {exc.message}: {exc.error}") from None
    except cc_errors.FailedHookException as exc:
        raise ScaffoldError(f"template {template.label}: a hook failed: {exc}") from None
    except (cc_errors.CookiecutterException, TemplateError, ValueError) as exc:
        raise ScaffoldError(f"template {template.label}: {_first_line(exc)}") from None
    except OSError as exc:
        raise ScaffoldError(f"could not write the project: {exc.strerror or exc}") from None
    produced = list(out.iterdir())
    project_path = Path(project).resolve()
    if len(produced) != 1 or project_path != produced[0].resolve() or not project_path.is_dir():
        raise ScaffoldError(f"template {template.label} did not produce exactly one project folder")
    return project_path, _final_answers(settings / "replay")


def _final_answers(replay_dir: Path) -> dict[str, Any]:
    """The answers cookiecutter actually used, derived values included (from its replay file)."""
    for replay in replay_dir.glob("*.json"):
        context = json.loads(replay.read_text(encoding="utf-8")).get("cookiecutter", {})
        return {k: v for k, v in context.items() if not k.startswith("_")}
    return {}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _move_into_place(rendered: Path, destination: Path) -> None:
    try:
        destination.mkdir()  # claims the name: fails if anything, even a dangling link, is there
    except FileExistsError:
        raise ScaffoldError(f"{destination} already exists; choose another name or --dir") from None
    try:
        os.replace(rendered, destination)  # over our own empty folder: atomic on POSIX
    except OSError:
        destination.rmdir()
        os.rename(rendered, destination)


# ---------------------------------------------------------------------------------------- git


def _has_identity(config: Mapping[str, str]) -> bool:
    """Whether git knows who the learner is without guessing user@hostname."""
    return all(
        os.environ.get(f"GIT_{role}_{part}") or config.get(key)
        for role in ("AUTHOR", "COMMITTER")
        for part, key in (("NAME", "user.name"), ("EMAIL", "user.email"))
    )


def _init_git(path: Path, template: str, destination: Path, user: Mapping[str, str]) -> GitResult:
    later = [
        f"cd {destination}",
        "git init && git symbolic-ref HEAD refs/heads/main",
        f'git add --all && git commit -m "Initial commit from mlpath template {template}"',
    ]
    if shutil.which("git") is None:
        return GitResult(
            "unavailable", advice=["git is not installed; to version it later:", *later]
        )
    with git_environment():
        import git

        try:
            try:
                repo = git.Repo.init(path, initial_branch="main")
            except git.GitCommandError:  # git before 2.28 has no --initial-branch
                repo = git.Repo.init(path)
                repo.git.symbolic_ref("HEAD", "refs/heads/main")
            repo.git.add("--all")
        except git.GitCommandError as exc:
            return GitResult("failed", advice=[f"git failed: {_first_line(exc)}", *later])
        identity = "configured" if _has_identity(user) else "placeholder"
        env = {}
        if identity == "placeholder":
            env = {
                f"GIT_{r}_{p}": v
                for r in ("AUTHOR", "COMMITTER")
                for p, v in zip(("NAME", "EMAIL"), PLACEHOLDER, strict=True)
            }
        try:
            repo.git.commit("-m", f"Initial commit from mlpath template {template}", env=env)
        except git.GitCommandError as exc:
            return GitResult(
                "initialised", "main", identity=identity,
                advice=[f"git commit failed: {_first_line(exc)}",
                        f"cd {destination} && git commit -m 'Initial commit'"],
            )  # fmt: skip
        advice = []
        if identity == "placeholder":
            advice = [
                "git has no name and email for you, so the first commit uses a placeholder "
                f"author ({PLACEHOLDER[0]} <{PLACEHOLDER[1]}>). Set yours, then fix the commit:",
                'git config --global user.name "Your Name" && '
                'git config --global user.email "you@example.com"',
                f"cd {destination} && git commit --amend --reset-author --no-edit",
            ]
        # Read from the ref files: repo.head.commit would start a `git cat-file` process.
        sha = git.SymbolicReference.dereference_recursive(repo, "HEAD")
        return GitResult("committed", "main", sha, identity, advice)
