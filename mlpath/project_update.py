"""`mlpath project check` and `mlpath project update`: a template's improvements merged into a
project made from it, through git, without losing the learner's work.

cruft applies a diff (``git apply -3``, then ``.rej`` files); copier merges file by file. mlpath
lets git make a real three-way merge with a true merge base:

- the branch ``mlpath/template`` holds the template's pristine render. new-project points it
  at the first commit, which is that render; an update renders the template as mlpath has it
  now, with the answers the project recorded, commits that render on the branch and merges
  the branch. The merge base is the render the project last took, so the learner's changes
  and the template's combine, a file the template renamed takes the learner's edits to its
  new name, a file it removed goes (a modify/delete conflict when the learner changed it),
  and a collision is an ordinary git conflict that ``git merge --abort`` backs out of;
- the render's commit is built with git's plumbing in a temporary index (``ls-files``,
  ``hash-object``, ``update-index``, ``write-tree``, ``commit-tree``), so the learner's index
  and files are untouched until ``git merge``. ``check`` and ``--diff`` even write its
  objects into a temporary object folder: they change nothing in the project;
- a project made before the branch existed finds its base in its root commit, which mlpath
  made from the pristine render, when that can be trusted (``_root_base``).

git runs through ``mlpath.gitsafe``. Building the render's tree runs nothing from the
project's config: files are hashed as they are, with no filters, and the only ignore rules
are the template's own ``.gitignore`` files, so that the project's ``info/exclude`` can never
make a template file look removed. The merge is git's own, with rename detection always on.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlpath import gitsafe, scaffold, version
from mlpath.errors import NotFoundError, UpdateError
from mlpath.paths import PROVENANCE_FILE
from mlpath.projects import TEMPLATE_BRANCH
from mlpath.store import utc_now
from mlpath.tuples import NamedTuple

BRANCH_REF = f"refs/heads/{TEMPLATE_BRANCH}"
SHORT = 12  # hex digits of a digest shown in messages
SHOWN_FILES = 5  # file names an error message lists before "and N more"
# States a repository can be left in halfway, by the files git keeps for them.
HALFWAY = (
    ("MERGE_HEAD", "a merge"), ("rebase-merge", "a rebase"), ("rebase-apply", "a rebase"),
    ("CHERRY_PICK_HEAD", "a cherry-pick"), ("REVERT_HEAD", "a revert"),
    ("BISECT_LOG", "a bisect"),
)  # fmt: skip


class Version(NamedTuple):
    """A version of a template: the mlpath that had it, and the digest of its files."""

    mlpath: str | None
    sha256: str


class Base(NamedTuple):
    """The template's render that the project last took: the merge base of an update."""

    commit: str
    found_by: str  # branch | root-commit (a project made before the template branch)


class FileChange(NamedTuple):
    change: str  # added | changed | removed | renamed
    path: str
    old_path: str | None  # a renamed file's name before


class CheckResult(NamedTuple):
    project: str
    template: str
    behind: bool
    recorded: Version  # what the project was made (or last updated) from
    available: Version  # what mlpath has now
    base: Base | None  # None when up to date: nothing was compared
    files: list[FileChange]  # what the template changed since the base


class UpdateResult(NamedTuple):
    project: str
    template: str
    status: str  # up-to-date | preview (--diff) | merged | conflicts
    recorded: Version
    available: Version
    base: Base | None
    files: list[FileChange]
    template_commit: str | None  # the new render, on the template branch
    commit: str | None  # the merge commit (None until conflicts are resolved)
    conflicts: list[str]
    identity: str | None  # who signed the commits: configured | answers | placeholder
    advice: list[str]
    diff: str | None  # --diff: the template's own change, as a patch


class _Project(NamedTuple):
    root: Path
    template: str
    recorded: Version
    answers: dict[str, Any]
    created_at: str | None


class _Repo(NamedTuple):
    root: Path
    git_dir: Path  # this work tree's own (where MERGE_HEAD is)
    objects: Path  # the object folder (shared with any linked work trees)

    def git(
        self, *args: str, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,),
        shielded: bool = False,
    ) -> str:  # fmt: skip
        return gitsafe.run(self.root, *args, env=env, ok=ok, shielded=shielded)


class _Render(NamedTuple):
    """The template's new render: its files, as a git tree, and how to reach its objects."""

    folder: Path
    paths: list[str]  # what the tree holds: every file the render's .gitignore files keep
    env: dict[str, str]
    tree: str = ""  # until written

    def git(self, *args: str, extra: dict[str, str] | None = None, input: str | None = None) -> str:
        return gitsafe.run(self.folder, *args, env=self.env | (extra or {}), input=input)


# ----------------------------------------------------------------------------- the commands


def check(path: Path, *, trust: bool = False) -> CheckResult:
    """Whether the project at (or above) ``path`` is behind its template, and the files an
    update would bring; nothing in the project changes."""
    with _scratch() as scratch:
        project, source = _open(path, scratch)
        available = Version(version(), source.sha256)
        if source.sha256 == project.recorded.sha256:
            return CheckResult(str(project.root), source.template.label, False,
                               project.recorded, available, None, [])  # fmt: skip
        repo = _open_repo(project)
        base, _parent = _base(repo, project, _head(repo, project))
        render = _tree(_render(repo, project, source, scratch, trust, read_only=True))
        return CheckResult(str(project.root), source.template.label, True, project.recorded,
                           available, base, _changes(render, base.commit))  # fmt: skip


def update(path: Path, *, diff: bool = False, trust: bool = False) -> UpdateResult:
    """Merge the template's current version into the project at (or above) ``path``; with
    ``diff``, only show the template's own change, changing nothing."""
    with _scratch() as scratch:
        project, source = _open(path, scratch)
        result = UpdateResult(
            str(project.root), source.template.label, "up-to-date", project.recorded,
            Version(version(), source.sha256), None, [], None, None, [], None, [], None,
        )  # fmt: skip
        if source.sha256 == project.recorded.sha256:
            return result
        repo = _open_repo(project)
        if not diff:
            _refuse_unready(repo, project)
        head = _head(repo, project)
        base, parent = _base(repo, project, head)
        render = _render(repo, project, source, scratch, trust, read_only=diff)
        if not diff:  # before anything is written, even an object
            _refuse_in_the_way(repo, project, render, head)
        render = _tree(render)
        result = result._replace(base=base, files=_changes(render, base.commit))
        if diff:
            return result._replace(status="preview", diff=_patch(render, base.commit))
        return _merge(repo, project, source, render, parent, result)


# ------------------------------------------------------------------------- the project found


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    """A temporary folder for the render, its index and (read-only runs) its objects."""
    folder = Path(tempfile.mkdtemp(prefix="mlpath-update-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _open(path: Path, scratch: Path) -> tuple[_Project, scaffold.Source]:
    project = _committed(_find_project(path))
    staging = scratch / "staging"
    staging.mkdir()
    try:
        return project, scaffold.open_template(project.template, staging)
    except NotFoundError:
        raise _cannot(
            project, f"the template it was made from, {project.template}, is not there any more",
            "an update renders it again: put it back where it was",
        ) from None  # fmt: skip


def _find_project(path: Path) -> _Project:
    """The project holding ``path``: the nearest folder, from ``path`` up to the top of its
    repository, with a provenance file."""
    try:
        start = path.expanduser().resolve(strict=True)
    except (OSError, RuntimeError):
        raise NotFoundError(f"no folder {path}") from None
    if not start.is_dir():
        raise NotFoundError(f"{path} is not a folder; give the project's folder")
    for folder in (start, *start.parents):
        if (folder / PROVENANCE_FILE).is_file():
            return _read_project(folder)
        if os.path.lexists(folder / ".git"):
            break
    raise NotFoundError(
        f"{start} is not in a project mlpath made: no {PROVENANCE_FILE} in it or above it"
    )


def _read_project(root: Path) -> _Project:
    file = root / PROVENANCE_FILE
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UpdateError(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from None
    found = _parse_provenance(text)
    if found is None:
        raise UpdateError(f"{file} is not a record mlpath can read (it has been edited?)")
    return _Project(root, *found)


def _committed(project: _Project) -> _Project:
    """The project as its last commit records it, when it has one: in the middle of a merge
    (an update that stopped at a conflict) the file already names the new version, but the
    project has not taken it until the merge is committed."""
    if not os.path.lexists(project.root / ".git") or not gitsafe.available():
        return project
    try:
        text = gitsafe.run(project.root, "cat-file", "-p", f"HEAD:{PROVENANCE_FILE}", ok=(0, 128))
    except gitsafe.GitError:
        return project
    found = _parse_provenance(text) if text else None
    return project if found is None else _Project(project.root, *found)


def _parse_provenance(text: str) -> tuple[str, Version, dict[str, Any], str | None] | None:
    try:
        data = json.loads(text)
        template, answers = data["template"], data["answers"]
        sha, made_by = data["template_version"]["sha256"], data["template_version"].get("mlpath")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not (isinstance(template, str) and isinstance(sha, str) and isinstance(answers, dict)):
        return None
    created = data.get("created_at")
    return template, Version(made_by, sha), answers, created if isinstance(created, str) else None


def _cannot(project: _Project, why: str, what_to_do: str) -> UpdateError:
    return UpdateError(f"cannot update {project.root}: {why}; {what_to_do}")


def _open_repo(project: _Project) -> _Repo:
    root = project.root
    if not os.path.lexists(root / ".git"):
        raise _cannot(
            project, "it is not a git repository, so nothing records its files as the template "
            "made them", "mlpath merges updates through git: make a new project and carry your "
            "work over",
        )  # fmt: skip
    if not gitsafe.available():
        raise _cannot(project, "git is not installed", "mlpath merges updates through git")
    try:
        git_dir, common = gitsafe.run(
            root, "rev-parse", "--absolute-git-dir", "--git-common-dir"
        ).splitlines()
    except (gitsafe.GitError, ValueError) as exc:
        raise _cannot(
            project, f"git cannot read its repository ({exc})", "see `git status`"
        ) from None
    return _Repo(root, Path(git_dir), (root / common).resolve() / "objects")


def _head(repo: _Repo, project: _Project) -> str:
    head = _commit(repo, "HEAD")
    if head is None:
        raise _cannot(
            project, "its repository has no commits yet",
            "if its files are still as mlpath made them, commit them "
            f"(`git add --all && git commit -m \"{scaffold.initial_message(project.template)}\"`) "
            "and run this again",
        )  # fmt: skip
    return head


def _commit(repo: _Repo, name: str) -> str | None:
    found = repo.git("rev-parse", "--verify", "--quiet", f"{name}^{{commit}}", ok=(0, 1))
    return found.strip() or None


def _refuse_unready(repo: _Repo, project: _Project) -> None:
    """Refuse a repository halfway through something, with no branch checked out, or with
    changes not committed: the merge would mix with them. Untracked files are fine."""
    for name, what in HALFWAY:
        if os.path.lexists(repo.git_dir / name):
            todo = "finish it or abort it (`git status` says how), then run this again"
            raise _cannot(project, f"{what} is in progress", todo)
    branch = repo.git("symbolic-ref", "--quiet", "HEAD", ok=(0, 1)).strip()
    if branch in ("", BRANCH_REF):
        why = "no branch is checked out" if not branch else f"{TEMPLATE_BRANCH} is checked out"
        todo = "check out your own branch (`git switch main`), then run this again"
        raise _cannot(project, why, todo)
    if repo.git("status", "--porcelain", "-z", "--untracked-files=no"):
        todo = "commit or stash them (`git status` lists them), then run this again"
        raise _cannot(project, "it has changes that are not committed", todo)


# ---------------------------------------------------------------------------------- the base


def _base(repo: _Repo, project: _Project, head: str) -> tuple[Base, str]:
    """The render the project last took (the merge base), and the commit the next render
    goes on top of (the template branch's tip)."""
    tip = _commit(repo, BRANCH_REF)
    if tip is None:
        root = _root_base(repo, project, head)
        return Base(root, "root-commit"), root
    # Not simply the tip: an update whose merge was aborted left the tip ahead of HEAD.
    merged = repo.git("merge-base", head, tip, ok=(0, 1)).strip()
    if not merged:
        raise _cannot(project, f"the branch {TEMPLATE_BRANCH} shares no history with HEAD",
                      _POINT_THE_BRANCH)  # fmt: skip
    return Base(merged, "branch"), tip


_POINT_THE_BRANCH = (
    f"if a commit is the project exactly as the template made it, point the branch at it "
    f"(`git branch --force {TEMPLATE_BRANCH} <commit>`) and run this again"
)


def _root_base(repo: _Repo, project: _Project, head: str) -> str:
    """For a project made before the template branch existed: its root commit, which mlpath
    made from the pristine render, taken as the base only when it can be trusted to be that
    render of the version the project records. That is: one root; in it, a provenance file
    naming the same template and digest as the project's now (so it was never updated); and
    the message mlpath gives a first commit."""
    roots = repo.git("rev-list", "--max-parents=0", head, "--").split()
    missing = f"it has no branch {TEMPLATE_BRANCH}, and "
    if len(roots) != 1:
        raise _cannot(project, f"{missing}its history has {len(roots)} root commits, so mlpath "
                      "cannot tell which is the project as the template made it",
                      _POINT_THE_BRANCH)  # fmt: skip
    root = roots[0]
    text = repo.git("cat-file", "-p", f"{root}:{PROVENANCE_FILE}", ok=(0, 128))
    found = _parse_provenance(text) if text else None
    if found is None:
        raise _cannot(project, f"{missing}its first commit ({root[:SHORT]}) holds no "
                      f"{PROVENANCE_FILE} mlpath can read: the history was rewritten",
                      _POINT_THE_BRANCH)  # fmt: skip
    template, recorded = found[0], found[1]
    if (template, recorded.sha256) != (project.template, project.recorded.sha256):
        raise _cannot(
            project, f"{missing}its first commit records template {template} at sha256 "
            f"{recorded.sha256[:SHORT]} while the project records {project.template} at "
            f"{project.recorded.sha256[:SHORT]}: the record changed since", _POINT_THE_BRANCH,
        )  # fmt: skip
    subject = repo.git("log", "-1", "--no-show-signature", "--format=%s", root, "--").strip()
    if subject != scaffold.initial_message(project.template):
        raise _cannot(project, f"{missing}its first commit ({root[:SHORT]}) is not the one "
                      f"mlpath made (its message is not \"{scaffold.initial_message(template)}\")",
                      _POINT_THE_BRANCH)  # fmt: skip
    return root


# -------------------------------------------------------------------------------- the render


def _render(
    repo: _Repo, project: _Project, source: scaffold.Source, scratch: Path, trust: bool,
    *, read_only: bool,
) -> _Render:  # fmt: skip
    """The template rendered again with the project's answers and its provenance updated,
    with git set to write its tree into the project's repository (or, ``read_only``, into a
    temporary object folder that borrows the project's objects)."""
    folder, answers = scaffold.render_again(source, project.answers, scratch / "staging", trust)
    scaffold.write_provenance(folder, source.template.label, source.sha256, answers,
                              project.created_at, updated=utc_now())  # fmt: skip
    env = {"GIT_DIR": str(repo.git_dir), "GIT_WORK_TREE": str(folder),
           "GIT_INDEX_FILE": str(scratch / "index")}  # fmt: skip
    if read_only:
        objects = scratch / "objects"
        objects.mkdir()
        env |= {"GIT_OBJECT_DIRECTORY": str(objects),
                "GIT_ALTERNATE_OBJECT_DIRECTORIES": _quoted(str(repo.objects))}  # fmt: skip
    listed = gitsafe.run(folder, "ls-files", "-z", "--others", "--exclude-per-directory=.gitignore",
                         env=env).split("\0")  # fmt: skip
    # A folder git keeps apart (ending in /) is a repository a trusted hook made. The record
    # is in the tree even when the template's .gitignore would leave it out.
    paths = [rel for rel in listed if rel and not rel.endswith("/") and rel != PROVENANCE_FILE]
    return _Render(folder, [*paths, PROVENANCE_FILE], env)


def _quoted(path: str) -> str:
    """A path as GIT_ALTERNATE_OBJECT_DIRECTORIES takes it: C-quoted when it holds the list's
    separator or a quote."""
    if os.pathsep not in path and '"' not in path and "\\" not in path:
        return path
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _tree(render: _Render) -> _Render:
    """The render's files, hashed as they are (no filters), in a temporary index; with the
    tree of that index written."""
    entries: list[tuple[str, str, str]] = []
    files: list[tuple[str, str]] = []
    for rel in render.paths:
        path = render.folder / rel
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            blob = render.git("hash-object", "-w", "--stdin", input=os.readlink(path)).strip()
            entries.append(("120000", blob, rel))
        else:
            files.append(("100755" if mode & stat.S_IXUSR else "100644", rel))
    blobs = _hash_files(render, [render.folder / rel for _, rel in files])
    entries += [(mode, blob, rel) for (mode, rel), blob in zip(files, blobs, strict=True)]
    lines = "".join(f"{mode} {blob}\t{rel}\0" for mode, blob, rel in entries)
    render.git("update-index", "-z", "--index-info", input=lines)
    return render._replace(tree=render.git("write-tree").strip())


def _hash_files(render: _Render, paths: list[Path]) -> list[str]:
    """The blobs of ``paths``, written: in one git process, one path a line (absolute, so no
    line starts with the quote git would unquote), except a name holding a newline."""
    plain = [p for p in paths if "\n" not in str(p)]
    blobs = dict(zip(plain, render.git("hash-object", "-w", "--no-filters", "--stdin-paths",
                                       input="".join(f"{p}\n" for p in plain)).split(),
                     strict=True))  # fmt: skip
    for odd in (p for p in paths if "\n" in str(p)):
        blobs[odd] = render.git("hash-object", "-w", "--no-filters", "--", str(odd)).strip()
    return [blobs[p] for p in paths]


_CHANGES = {"A": "added", "M": "changed", "T": "changed", "D": "removed", "R": "renamed"}


def _changes(render: _Render, base: str) -> list[FileChange]:
    """What the template changed between the base and the new render (its record aside)."""
    out = render.git("diff-tree", "-r", "-z", "-M", "--name-status", "--no-commit-id",
                     base, render.tree).split("\0")  # fmt: skip
    found: list[FileChange] = []
    at = 0
    while at < len(out) - 1:
        kind = _CHANGES.get(out[at][:1], "changed")
        if kind == "renamed":
            change = FileChange(kind, out[at + 2], out[at + 1])
            at += 3
        else:
            change = FileChange(kind, out[at + 1], None)
            at += 2
        if change.path != PROVENANCE_FILE:
            found.append(change)
    return found


def _patch(render: _Render, base: str) -> str:
    return render.git("diff-tree", "-r", "-p", "-M", "--no-color", "--no-ext-diff",
                      "--no-textconv", "--no-commit-id", base, render.tree)  # fmt: skip


# --------------------------------------------------------------------------------- the merge


def _refuse_in_the_way(repo: _Repo, project: _Project, render: _Render, head: str) -> None:
    """Refuse when a file the render brings is already on disk without git tracking it: git
    refuses an untracked one, but overwrites an ignored one (a learner's data, a .env).

    An ignored file that is byte for byte the template's is no loss: one the learner's own
    ignore rules kept out of the first commit, which `git add --all` made."""
    ours = set(repo.git("ls-tree", "-r", "-z", "--name-only", head).split("\0"))
    occupied = [rel for rel in render.paths if rel not in ours and rel != PROVENANCE_FILE
                and _occupied(repo.root, rel)]  # fmt: skip
    blocked = sorted(set(occupied) - _ignored_copies(repo, render, occupied))
    if blocked:
        shown = ", ".join(blocked[:SHOWN_FILES])
        more = f" and {len(blocked) - SHOWN_FILES} more" if len(blocked) > SHOWN_FILES else ""
        raise _cannot(project, f"files git does not track are where the template now has files: "
                      f"{shown}{more}", "move them away, then run this again")  # fmt: skip


def _ignored_copies(repo: _Repo, render: _Render, paths: list[str]) -> set[str]:
    """Those of ``paths`` that are, in the project, an ignored file with the render's bytes."""
    same = [rel for rel in paths if _same_file(repo.root / rel, render.folder / rel)]
    if not same:
        return set()
    ignored = gitsafe.run(repo.root, "check-ignore", "-z", "--stdin", ok=(0, 1),
                          input="".join(f"{rel}\0" for rel in same))  # fmt: skip
    return set(ignored.split("\0")) - {""}


def _same_file(mine: Path, theirs: Path) -> bool:
    try:
        return (
            not mine.is_symlink() and mine.is_file() and not theirs.is_symlink()
            and mine.read_bytes() == theirs.read_bytes()
        )  # fmt: skip
    except OSError:
        return False


def _occupied(root: Path, rel: str) -> bool:
    """Whether something is at ``root/rel``, or a file (or link) where a folder above it
    would go: the merge would replace it."""
    *folders, _name = rel.split("/")
    above = [root.joinpath(*folders[: i + 1]) for i in range(len(folders))]
    return os.path.lexists(root / rel) or any(
        os.path.lexists(p) and (p.is_symlink() or not p.is_dir()) for p in above
    )


def _merge(
    repo: _Repo, project: _Project, source: scaffold.Source, render: _Render, parent: str,
    result: UpdateResult,
) -> UpdateResult:  # fmt: skip
    """Commit the render on the template branch and merge it; a conflict is left as git
    leaves it, for the learner to resolve or abort."""
    identity, signer, shown = scaffold.commit_identity(repo.root, source.variables, project.answers)
    label, old, new = source.template.label, project.recorded, result.available
    message = (
        f"mlpath template {label} at sha256 {new.sha256[:SHORT]} (mlpath {new.mlpath})\n\n"
        "The template rendered with this project's answers, for `mlpath project update`.\n"
    )
    rendered = render.git("commit-tree", "--no-gpg-sign", render.tree, "-p", parent,
                          extra=signer, input=message).strip()  # fmt: skip
    summary = (
        f"Update from mlpath template {label}: sha256 {old.sha256[:SHORT]} -> "
        f"{new.sha256[:SHORT]} (mlpath {old.mlpath or 'unknown'} -> {new.mlpath})"
    )
    # The branch moves first: the base is where it meets HEAD, so a merge that never happens
    # (refused, interrupted) leaves nothing to get wrong, and a merge that happens is never
    # left without its render on the branch.
    had_branch = result.base is not None and result.base.found_by == "branch"
    repo.git("update-ref", "--no-deref", BRANCH_REF, rendered, parent if had_branch else "")
    status, conflicts = _run_merge(repo, project, rendered, summary, signer)
    advice = []
    if identity != "configured":
        advice = scaffold.identity_advice(identity, shown, "the update's commits", repo.root)
    return result._replace(
        status=status, template_commit=rendered, conflicts=conflicts, identity=identity,
        advice=advice, commit=_commit(repo, "HEAD") if status == "merged" else None,
    )  # fmt: skip


def _run_merge(
    repo: _Repo, project: _Project, commit: str, message: str, signer: dict[str, str]
) -> tuple[str, list[str]]:
    try:
        # Every setting that would stop, steer or hide the merge is given on the command
        # line; and a Ctrl-C lets git finish rather than leave it half done.
        repo.git(
            "merge", "--no-ff", "--commit", "--no-edit", "--no-verify", "--no-gpg-sign",
            "--no-verify-signatures", "--no-autostash", "--no-log", "--no-stat",
            "--no-rerere-autoupdate", "--strategy-option=find-renames", f"--message={message}",
            commit, env=signer, shielded=True,
        )  # fmt: skip
    except gitsafe.GitError as exc:
        if not os.path.lexists(repo.git_dir / "MERGE_HEAD"):
            raise _cannot(project, f"git refused the merge ({exc.message})",
                          "your files were not changed; see `git status`") from None  # fmt: skip
        unmerged = repo.git("ls-files", "-u", "-z").split("\0")
        return "conflicts", sorted({line.split("\t", 1)[1] for line in unmerged if "\t" in line})
    return "merged", []
