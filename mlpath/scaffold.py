"""`mlpath new-project`: render a cookiecutter template into place, all or nothing, with git.

The order of work is what makes it safe:
1. the template is checked before anything reads it: no ``.git`` (git would run its hooks and
   config), no symbolic links (cookiecutter would copy what they point at), no hooks or
   Jinja extensions without ``--trust``, since those are programs;
2. everything is rendered into a staging folder inside PARENT (same file system, so the final
   move is a rename), with cookiecutter's replay files, caches and temp files inside it too.
   While cookiecutter runs (see ``_confined``): an untrusted template's Jinja runs in
   Jinja's sandbox; the name of everything it holds is rendered and checked to stay inside
   the project before the first file is written; and this process may not write outside the
   staging folder at all;
3. the rendered tree is checked again (no link leading out of it), the provenance file is
   written and git initialised there, through ``mlpath.gitsafe``;
4. inside one store transaction the project is recorded and renamed over an empty folder
   claimed with ``mkdir`` (which fails if anything exists); if the commit then fails, the
   project is moved back, so the store and the disk agree;
5. the staging folder is removed whatever happened, including Ctrl-C and SIGTERM; one left
   by a killed process is removed by the next run in that PARENT an hour later.

cookiecutter and Jinja are imported only here, inside the functions that use them.
"""

import contextlib
import hashlib
import json
import os
import shutil
import stat
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mlpath import confine, gitsafe, paths, version
from mlpath.errors import InvalidInputError, NotFoundError, ScaffoldError
from mlpath.names import check_name, check_package, check_slug, package_name, slugify
from mlpath.paths import PROVENANCE_FILE
from mlpath.projects import TEMPLATE_BRANCH, this_host
from mlpath.store import Store, utc_now
from mlpath.tuples import NamedTuple

TEMPLATE_META = "template.json"
STAGING_PREFIX = ".mlpath-new-"
HOOKS = ("pre_prompt", "pre_gen_project", "post_gen_project")
NAME_KEYS = ("project_name", "project_slug", "package_name")
MAX_ZIP_BYTES = 200 * 1024 * 1024
MAX_SHOWN = 200  # characters of a path the learner gave that an error message repeats
PLACEHOLDER = ("mlpath placeholder", "placeholder@mlpath.invalid")
AUTHOR_KEYS = ("author_name", "author_email")
MAX_LABEL = 200  # characters of a template's own prompt text that mlpath shows


class Question(NamedTuple):
    """One template variable to ask for, in the template's own words where it has them
    (cookiecutter's ``__prompts__``), else by its name."""

    key: str
    label: str
    default: Any  # the value offered, or the list of choices (the first is the default)
    choices: dict[str, str] = {}  # noqa: RUF012 - never mutated: each choice's label


Asker = Callable[[Question], Any]
"""Asks the learner one question on the terminal; the answer."""


class TemplateInfo(NamedTuple):
    id: str
    title: str
    description: str
    difficulty: str
    topics: list[str]
    path: str


class TemplateChoice(NamedTuple):
    """A built-in template as the picker offers it, with how far the learner is."""

    template: TemplateInfo
    finished: int  # of its topics, done or skipped
    ready: bool  # every topic it exercises is finished


class GitResult(NamedTuple):
    status: str  # committed | initialised | skipped | unavailable | failed
    branch: str | None = None
    commit: str | None = None
    identity: str | None = None  # configured | answers | placeholder
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


def _shown(text: str) -> str:
    """``text`` as an error message repeats it: whole unless it is very long."""
    return text if len(text) <= MAX_SHOWN else f"{text[: MAX_SHOWN - 1]}…"


def _expand(path: Path) -> Path:
    try:
        return path.expanduser()
    except RuntimeError:  # ~someone who does not exist: the path is taken as written
        return path


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


def template_choices() -> list[TemplateChoice]:
    """The built-in templates, each with how many of its topics the learner has finished
    (done or skipped, as progress counts them)."""
    from mlpath.progress import FINISHED
    from mlpath.store import topics as topic_store

    with Store.open() as store:
        states = topic_store.states(store)
    choices = []
    for info in builtin_templates():
        finished = sum(states.get(t, ("",))[0] in FINISHED for t in info.topics)
        choices.append(TemplateChoice(info, finished, finished == len(info.topics)))
    return choices


def _resolve_template(spec: str, staging: Path) -> _Template:
    builtin = {t.id: t for t in builtin_templates()}
    if spec in builtin:
        info = builtin[spec]
        return _Template(spec, Path(info.path), info)
    if "://" in spec or spec.startswith(("gh:", "gl:", "bb:", "git@")):
        raise InvalidInputError(
            f"'{_shown(spec)}' looks like a remote template; mlpath works offline: use a "
            "built-in id or a local folder or .zip"
        )
    path = _expand(Path(spec))
    try:
        is_zip = path.is_file() and path.suffix.lower() == ".zip"
        is_dir = not is_zip and path.is_dir()
        if is_dir and not (path / "cookiecutter.json").is_file():
            raise InvalidInputError(
                f"{_shown(spec)} is not a cookiecutter template (no cookiecutter.json)"
            )
        if is_zip:
            return _Template(str(path.resolve()), _unzip(path, staging / "template"), None)
        if is_dir:
            return _Template(str(path.resolve()), path.resolve(), None)
    except OSError as exc:  # a name too long for the file system, a folder we may not read
        raise InvalidInputError(
            f"cannot use the template {_shown(spec)}: {exc.strerror or exc}"
        ) from None
    from mlpath.roadmaps import suggest

    raise NotFoundError(
        f"no template '{_shown(spec)}'{suggest(spec, builtin)}; see `mlpath new-project "
        "--list`, or give a template folder or .zip"
    )


def _unzip(archive: Path, target: Path) -> Path:
    """Extract a template archive, refusing links and members that would land outside."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
                raise InvalidInputError(f"{archive} unpacks to more than 200 MiB")
            root = target.resolve()
            for member in members:
                if stat.S_ISLNK(member.external_attr >> 16):
                    raise ScaffoldError(
                        f"{archive} contains a symbolic link, {member.filename}; "
                        "templates may not contain links"
                    )
                dest = (root / member.filename).resolve()
                if not dest.is_relative_to(root):
                    raise InvalidInputError(
                        f"{archive} contains {member.filename!r}, which points outside the archive"
                    )
            zf.extractall(root)
    except zipfile.BadZipFile as exc:
        raise InvalidInputError(f"{archive} is not a valid zip file ({exc})") from None
    except OSError as exc:
        raise ScaffoldError(f"could not unpack {archive}: {exc.strerror or exc}") from None
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


def _hook_files(folder: Path) -> list[str]:
    hooks = folder / "hooks"
    return sorted(
        str(p.relative_to(folder))
        for p in (hooks.iterdir() if hooks.is_dir() else ())
        if p.is_file() and p.stem in HOOKS and not p.name.endswith("~")
    )


def _refuse_programs(template: _Template, variables: Mapping[str, Any]) -> None:
    """Without --trust, refuse a template that would run programs: hooks, own extensions."""
    if hooks := _hook_files(template.folder):
        raise confine.needs_trust(template.label, "has hooks", hooks)
    if extensions := confine.foreign_extensions(variables.get("_extensions")):
        raise confine.needs_trust(template.label, "loads Jinja extensions", extensions)


def template_hash(folder: Path) -> str:
    """A digest of every file in the template, so a project can say exactly what made it."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if "__pycache__" in rel.parts or rel.parts[0] == ".git":
            continue
        digest.update(rel.as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


# ------------------------------------------------------------------------------------ answers


def _labels(variables: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, str]]]:
    """Each variable's prompt and its choices' labels, from ``__prompts__`` (cookiecutter
    2.2): a text, or for a choice variable an object with ``__prompt__`` and a label for
    each choice. Anything else in it is ignored: a template's words are never required."""
    prompts = variables.get("__prompts__")
    found: dict[str, tuple[str, dict[str, str]]] = {}
    if not isinstance(prompts, dict):
        return found
    for key, given in prompts.items():
        if isinstance(given, str) and given.strip():
            found[key] = (given.strip()[:MAX_LABEL], {})
        elif isinstance(given, dict):
            label = given.get("__prompt__")
            label = label.strip()[:MAX_LABEL] if isinstance(label, str) and label.strip() else key
            choices = {str(k): v.strip()[:MAX_LABEL] for k, v in given.items()
                       if k != "__prompt__" and isinstance(v, str) and v.strip()}  # fmt: skip
            found[key] = (label, choices)
    return found


def _question(key: str, default: Any, labels: Mapping[str, tuple[str, dict[str, str]]]) -> Question:
    label, choices = labels.get(key, (key, {}))
    if isinstance(default, list):
        choices = {str(c): choices.get(str(c), str(c)) for c in default}
    else:
        choices = {}
    return Question(key, label, default, choices)


def _is_derived(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _check_known(variables: Mapping[str, Any], overrides: Mapping[str, str]) -> None:
    public = [k for k in variables if not k.startswith("_")]
    unknown = sorted(set(overrides) - set(public))
    if unknown:
        names = ", ".join(k for k in public if k not in NAME_KEYS)
        raise InvalidInputError(
            f"unknown template variable '{unknown[0]}'; this template has: {names}"
        )


def _names(
    name: str | None,
    variables: Mapping[str, Any],
    overrides: Mapping[str, str],
    ask: Asker | None,
) -> tuple[str, str, str]:
    """The project's name, slug and package: from NAME or --set, checked, else derived."""
    given = overrides.get("project_name")
    if given is not None:
        if name is not None and given.strip() != name.strip():
            raise InvalidInputError(
                "give the project's name once: as NAME or --set project_name, not both"
            )
        name = given
    if name is None:
        default = variables.get("project_name")
        if not isinstance(default, str) or _is_derived(default):
            raise InvalidInputError("give the project a NAME")
        name = str(ask(_question("project_name", default, _labels(variables)))) if ask else default
    name = check_name(name)
    slug = check_slug(overrides["project_slug"]) if "project_slug" in overrides else slugify(name)
    package = (
        check_package(overrides["package_name"])
        if "package_name" in overrides
        else package_name(slug)
    )
    return name, slug, package


def _collect_answers(
    variables: Mapping[str, Any],
    overrides: Mapping[str, str],
    ask: Asker | None,
    suggested: Mapping[str, str],
) -> dict[str, Any]:
    """Answers for the template's public variables other than the names: --set values, then
    the learner's answers (on a terminal), then ``suggested`` defaults; the rest is left to
    the template."""
    public = {k: v for k, v in variables.items() if not k.startswith("_")}
    labels = _labels(variables)
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
            answers[key] = ask(_question(key, suggested.get(key, default), labels))
        elif key in suggested:
            answers[key] = suggested[key]
    return answers


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


def _given_author(
    variables: Mapping[str, Any], answers: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    """The author name and email the learner gave (typed, or with --set; their git config
    offered as a default counts too), for a first commit git has no identity for. The
    template's own default (``Your Name``) is not an answer, and neither is a value git
    could not take as an identity (angle brackets, control characters, no ``@``)."""
    found: list[str | None] = []
    for key in AUTHOR_KEYS:
        value = answers.get(key)
        text = value.strip() if isinstance(value, str) else ""
        usable = (
            text and text != variables.get(key) and len(text) <= MAX_LABEL
            and not any(c in "<>" or not c.isprintable() for c in text)
            and (key != "author_email" or "@" in text)
        )  # fmt: skip
        found.append(text if usable else None)
    return found[0], found[1]


def _parse_sets(pairs: Sequence[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"--set wants KEY=VALUE, got {_shown(pair)!r}")
        result[key.strip()] = value
    return result


# ------------------------------------------------------------------------------------ the work


def stale_staging(parent: Path, older_than_s: float = 3600) -> list[Path]:
    """Staging folders that a killed ``new-project`` (kill -9, a power cut) left in
    ``parent``: named like ours, and nothing in them changed for ``older_than_s`` seconds."""
    cutoff = time.time() - older_than_s
    found = []
    try:
        candidates = sorted(parent.glob(f"{STAGING_PREFIX}*"))
    except OSError:
        return []
    for path in candidates:
        try:
            if path.is_symlink() or not path.is_dir():
                continue
            newest = max([path.lstat().st_mtime, *(p.lstat().st_mtime for p in path.iterdir())])
        except OSError:
            continue
        if newest < cutoff:
            found.append(path)
    return found


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
    parent = _expand(parent)
    try:
        if not parent.is_dir():
            raise InvalidInputError(
                f"no folder {_shown(str(parent))}; create it first or choose another --dir"
            )
        parent = parent.resolve()
    except OSError as exc:
        raise InvalidInputError(
            f"cannot use --dir {_shown(str(parent))}: {exc.strerror or exc}"
        ) from None
    for stale in stale_staging(parent):
        shutil.rmtree(stale, ignore_errors=True)
    try:
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
    except OSError as exc:
        raise ScaffoldError(f"cannot create a folder in {parent}: {exc.strerror or exc}") from None
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
    confine.check_template_tree(template.folder, template.label)
    variables = _variables(template)
    if not trust:
        _refuse_programs(template, variables)
    _check_known(variables, overrides)
    name, slug, package = _names(name, variables, overrides, ask)
    destination = parent / slug
    if os.path.lexists(destination):
        raise ScaffoldError(f"{destination} already exists; choose another name or --dir")

    user = gitsafe.user_config(staging)
    answers = _collect_answers(variables, overrides, ask, _git_identity(variables, user))
    context = {"project_name": name, "project_slug": slug, "package_name": package}
    context = {k: v for k, v in context.items() if k in variables} | answers
    rendered, final_answers = _render(template, context, staging, trust)
    confine.check_rendered(rendered, template.label, trust)

    created = utc_now()
    _write_provenance(rendered, template, final_answers, created)
    author = _given_author(variables, answers)
    git = (
        _init_git(rendered, template.label, destination, user, author)
        if use_git
        else GitResult("skipped")
    )
    topics = template.info.topics if template.info else []
    record = {"name": name, "template": template.label, "path": str(destination),
              "created_at": created, "topics": topics, "host": this_host()}  # fmt: skip
    _record_and_move(rendered, destination, record)
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


def _write_provenance(
    rendered: Path, template: _Template, answers: dict[str, Any], created: str
) -> None:
    write_provenance(rendered, template.label, template_hash(template.folder), answers, created)


def write_provenance(
    rendered: Path, label: str, sha256: str, answers: dict[str, Any], created: str | None,
    updated: str | None = None,
) -> None:  # fmt: skip
    """``.mlpath-project.json`` in ``rendered``: what made the project, with which answers,
    when (and when an update last brought a newer version of its template)."""
    provenance: dict[str, Any] = {
        "template": label,
        "template_version": {"mlpath": version(), "sha256": sha256},
        "answers": answers,
        "created_at": created,
    }
    if updated is not None:
        provenance["updated_at"] = updated
    text = json.dumps(provenance, indent=2, ensure_ascii=False) + "\n"
    try:
        (rendered / PROVENANCE_FILE).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ScaffoldError(f"could not write the project: {exc.strerror or exc}") from None


def _record_and_move(rendered: Path, destination: Path, record: dict[str, Any]) -> None:
    """Record the project and move it into place, both or neither: the rename happens inside
    the store transaction, so a failed rename rolls the record back; and when the commit
    itself fails (a full disk), the project is moved back into staging, which is removed.

    The store is opened only now, so that a refused name or a failed render creates nothing.
    """
    try:
        with (
            Store.open(create=True) as store,
            store.change(f"new-project {record['name']!r}") as change,
        ):
            # A project's folder stays where it is: undo cannot take it back.
            change.undoable = False
            change.record("project", os.urandom(16).hex(), record)
            _move_into_place(rendered, destination)
    except BaseException:
        # Read from the disk, not from a flag: an interrupt can fall just after the rename.
        if not os.path.lexists(rendered) and os.path.isdir(destination):
            try:
                os.rename(destination, rendered)
            except OSError:
                shutil.rmtree(destination, ignore_errors=True)
        raise


def _move_into_place(rendered: Path, destination: Path) -> None:
    try:
        destination.mkdir()  # claims the name: fails if anything, even a dangling link, is there
    except FileExistsError:
        raise ScaffoldError(f"{destination} already exists; choose another name or --dir") from None
    except OSError as exc:
        raise ScaffoldError(
            f"could not move the project into {destination}: {exc.strerror or exc}"
        ) from None
    try:
        os.replace(rendered, destination)  # over our own empty folder: atomic on POSIX
    except OSError:
        try:
            destination.rmdir()  # where a folder cannot be replaced (Windows): free the name
            os.rename(rendered, destination)
        except OSError as exc:
            with contextlib.suppress(OSError):
                destination.rmdir()
            raise ScaffoldError(
                f"could not move the project into {destination}: {exc.strerror or exc}"
            ) from None


# ---------------------------------------------------------------------------------- rendering


def _render(
    template: _Template, context: dict[str, Any], staging: Path, trust: bool
) -> tuple[Path, dict[str, Any]]:
    from cookiecutter import exceptions as cc_errors
    from cookiecutter.main import cookiecutter
    from jinja2 import TemplateError
    from jinja2.exceptions import SecurityError

    out = staging / "out"
    settings = staging / "cookiecutter"
    out.mkdir()
    try:
        with confine.confined(staging, template.folder, template.label, trust):
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
    except SecurityError as exc:
        raise ScaffoldError(
            f"template {template.label} runs code that Jinja's sandbox refuses "
            f"({_first_line(exc)}); read the template, then pass --trust to run it"
        ) from None
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


class Source(NamedTuple):
    """A template found again for a project made from it: checked, read, and its digest."""

    template: _Template
    variables: dict[str, Any]
    sha256: str


def open_template(spec: str, staging: Path) -> Source:
    """The template ``spec`` names (a built-in id, or the folder or .zip a project was made
    from), checked as new-project checks it before reading it."""
    template = _resolve_template(spec, staging)
    confine.check_template_tree(template.folder, template.label)
    return Source(template, _variables(template), template_hash(template.folder))


def render_again(
    source: Source, answers: Mapping[str, Any], staging: Path, trust: bool
) -> tuple[Path, dict[str, Any]]:
    """``source`` rendered into ``staging`` with the answers a project recorded, as
    new-project renders (nothing asked, hooks and extensions only with ``trust``, the same
    confinement and checks); the rendered folder and the answers cookiecutter used."""
    if not trust:
        _refuse_programs(source.template, source.variables)
    rendered, final = _render(source.template, dict(answers), staging, trust)
    confine.check_rendered(rendered, source.template.label, trust)
    return rendered, final


# ---------------------------------------------------------------------------------------- git


def _commit_identity(
    user: Mapping[str, str], author: tuple[str | None, str | None]
) -> tuple[str, dict[str, str], str]:
    """Who signs the first commit: git's own identity when it has one; else the author the
    learner gave (with the placeholder email when they gave a name alone, since a made-up
    address would look real); else the visible placeholder. Given through the environment
    of that one commit only, so nothing is saved in the repository's config. Returns the
    kind (configured | answers | placeholder), the environment and the author as shown."""
    if gitsafe.has_identity(user):
        return "configured", {}, ""
    name, email = author
    kind = "answers" if name else "placeholder"
    chosen = (name or PLACEHOLDER[0], (email if name else None) or PLACEHOLDER[1])
    return kind, gitsafe.identity_env(*chosen), f"{chosen[0]} <{chosen[1]}>"


def commit_identity(
    folder: Path, variables: Mapping[str, Any], answers: Mapping[str, Any]
) -> tuple[str, dict[str, str], str]:
    """Who signs a commit mlpath makes in the project at ``folder``: see ``_commit_identity``."""
    return _commit_identity(gitsafe.user_config(folder), _given_author(variables, answers))


def initial_message(template: str) -> str:
    """The message of the first commit, which is the template's pristine render."""
    return f"Initial commit from mlpath template {template}"


def _init_git(
    path: Path, template: str, destination: Path, user: Mapping[str, str],
    author: tuple[str | None, str | None] = (None, None),
) -> GitResult:  # fmt: skip
    message = initial_message(template)
    later = [
        f"cd {destination}",
        "git init && git symbolic-ref HEAD refs/heads/main",
        f'git add --all && git commit -m "{message}"',
    ]
    if not gitsafe.available():
        return GitResult(
            "unavailable", advice=["git is not installed; to version it later:", *later]
        )
    try:
        try:
            gitsafe.run(path, "init", "--quiet", "--initial-branch=main")
        except gitsafe.GitError:  # git before 2.28 has no --initial-branch
            gitsafe.run(path, "init", "--quiet")
            gitsafe.run(path, "symbolic-ref", "HEAD", "refs/heads/main")
        gitsafe.run(path, "add", "--all", "--", ".")
    except gitsafe.GitError as exc:
        return GitResult("failed", advice=[exc.message, *later])
    identity, env, shown = _commit_identity(user, author)
    try:
        gitsafe.run(path, "commit", "--quiet", "--no-verify", "--no-gpg-sign",
                    f"--message={message}", env=env)  # fmt: skip
        sha = gitsafe.run(path, "rev-parse", "--verify", "--quiet", "HEAD").strip()
    except gitsafe.GitError as exc:
        return GitResult(
            "initialised", "main", identity=identity,
            advice=[exc.message, f'cd {destination} && git commit -m "{message}"'],
        )  # fmt: skip
    advice = []
    try:  # the first commit is the pristine render: the base of every `project update`
        gitsafe.run(path, "update-ref", f"refs/heads/{TEMPLATE_BRANCH}", sha, "")
    except gitsafe.GitError as exc:
        advice = [exc.message, f"cd {destination} && git branch {TEMPLATE_BRANCH} {sha}"]
    if identity != "configured":
        advice += identity_advice(identity, shown, "the first commit", destination)
    return GitResult("committed", "main", sha, identity, advice)


def identity_advice(identity: str, shown: str, what: str, project: Path) -> list[str]:
    """What to say when ``what`` (a commit mlpath made) is signed by someone other than the
    learner's own git identity: how to set it and fix that commit."""
    who = "a placeholder author" if identity == "placeholder" else "the author you gave"
    return [
        f"git has no name and email for you, so {what} uses {who} "
        f"({shown}), for this commit only. Set yours, then fix the commit:",
        'git config --global user.name "Your Name" && '
        'git config --global user.email "you@example.com"',
        f"cd {project} && git commit --amend --reset-author --no-edit",
    ]
