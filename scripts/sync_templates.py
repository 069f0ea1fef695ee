"""Keep the files the built-in templates share in step with their one source.

``templates/_common/files/`` holds the files every built-in template ships: the licence
texts, the pre-commit hooks, the Docker allow-list, the Python version, the API's serving
layer, the MLflow tracking module, the drift statistics (``drift.py``), the lock script, the
Makefile's shared targets (``common.mk``, which each template's own Makefile includes), the
Dockerfile, the CI workflow (``.github/workflows/ci.yml``), its smoke test
(``scripts/smoke.py``) and the tests that hold them (``tests/test_ci.py``,
``tests/test_drift.py``, ``tests/test_locks.py``, ...). Each template must stay a standalone
cookiecutter template (a learner can point cookiecutter at its folder alone), so each carries
its own copy, at the same place under its ``{{cookiecutter.project_slug}}/`` tree; this script
writes those copies byte for byte:

    python scripts/sync_templates.py           # copy the shared files into every template
    python scripts/sync_templates.py --check   # exit 1, naming each copy that differs

Edit the source, never a copy: a test runs the check, so a copy edited on its own fails CI.
What differs between templates inside a shared file is a private cookiecutter variable, set in
each ``cookiecutter.json`` and rendered when a project is generated: ``_model_file`` (the
trained artefact the image ships), ``_apt_packages`` and ``_apt_packages_why`` (Debian packages
the image needs, and why), ``_pip_extra_index`` and ``_pip_extra_index_why`` (an index pip
searches besides PyPI, in the image and in CI). What a template does its own way stays in its
own files: the Makefile (its variables and the data, train and evaluate targets) and
``scripts/smoke_request.py`` (the one request of the smoke test).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
SOURCE = "_common/files"
TREE = "{{cookiecutter.project_slug}}"


def templates(root: Path = TEMPLATES) -> list[Path]:
    """The built-in templates: the folders with a ``template.json``."""
    return sorted(meta.parent for meta in root.glob("*/template.json"))


def shared_files(root: Path = TEMPLATES) -> list[Path]:
    """The shared files, relative to the source folder."""
    source = root / SOURCE
    return sorted(
        p.relative_to(source)
        for p in source.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(("~", ".pyc"))
    )


def drift(root: Path = TEMPLATES) -> list[Path]:
    """The templates' copies of shared files that are missing or differ from the source,
    relative to ``root``."""
    found = []
    for template in templates(root):
        for rel in shared_files(root):
            copy = template / TREE / rel
            if not copy.is_file() or copy.read_bytes() != (root / SOURCE / rel).read_bytes():
                found.append(copy.relative_to(root))
    return found


def sync(root: Path = TEMPLATES) -> list[Path]:
    """Write every copy that drifted; return what was written, as :func:`drift` names it."""
    written = drift(root)
    for copy in written:
        source = root / SOURCE / Path(*copy.parts[2:])  # past "template/{{...slug}}/"
        (root / copy).parent.mkdir(parents=True, exist_ok=True)
        (root / copy).write_bytes(source.read_bytes())
    return written


def main(argv: list[str] | None = None, root: Path = TEMPLATES) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report drift, change nothing")
    args = parser.parse_args(argv)
    if args.check:
        drifted = drift(root)
        for copy in drifted:
            print(f"templates/{copy} differs from templates/{SOURCE}", file=sys.stderr)
        if drifted:
            print("run: python scripts/sync_templates.py", file=sys.stderr)
        return 1 if drifted else 0
    for copy in sync(root):
        print(f"wrote templates/{copy}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
