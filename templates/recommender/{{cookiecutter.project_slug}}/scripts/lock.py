"""Pin every dependency of this project: requirements.lock and requirements-dev.lock.

    python scripts/lock.py        (what `make lock` runs; it needs the package index)

It installs the project into a throwaway virtual environment, the way a user would
(`pip install .`), and writes what pip resolved, every package with its exact version, to
requirements.lock: what the Docker image installs. Then it adds the dev extra in the same
environment, keeping those runtime pins, and writes requirements-dev.lock: what `make install`
and CI install. So the image serves with the versions the model was trained and tested with.

It runs on the Python of `.python-version` (the Docker image's), since pip resolves for the
interpreter it runs on: a lock made on a newer Python could pin a release the image cannot
install. The project is built from a copy, so no build/ or *.egg-info is left behind.

Run it after changing a dependency in pyproject.toml, review the diff and commit both files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MADE = f"Python {sys.version_info.major}.{sys.version_info.minor}"
LOCKS = {
    "requirements.lock": (
        "The runtime dependencies, every package pinned: what the Docker image installs.",
        f"Made by `make lock`: `pip install .` in a throwaway {MADE} venv, then pip freeze.",
    ),
    "requirements-dev.lock": (
        "The runtime and dev dependencies, every package pinned: what make install and CI use.",
        "Made by `make lock`: `pip install '.[dev]'` in the same venv, the runtime pins kept.",
    ),
}


def _pip(python: Path, *args: str) -> str:
    command = [str(python), "-m", "pip", "--disable-pip-version-check", *args]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        sys.exit(f"pip {' '.join(args)} failed:\n{run.stderr.strip()}")
    return run.stdout


def _pins(python: Path, project: str) -> list[str]:
    """``name==version`` of everything installed but the project. A local build label is
    dropped (torch's ``2.13.0+cpu`` pins as ``2.13.0``): the label names a build of the
    release, and the same pin then installs on every platform."""
    frozen = _pip(python, "freeze", "--exclude-editable", "--exclude", project)
    return [line.split("+", 1)[0] if "==" in line else line
            for line in frozen.splitlines() if line.strip()]  # fmt: skip


def _text(name: str, pins: list[str]) -> str:
    what, how = LOCKS[name]
    tail = "Do not edit by hand: change pyproject.toml, then run `make lock` again."
    return "".join(f"# {line}\n" for line in (what, how, tail)) + "\n".join(pins) + "\n"


def _wanted_python() -> str | None:
    pinned = ROOT / ".python-version"
    return pinned.read_text(encoding="utf-8").strip() if pinned.is_file() else None


def _lock(scratch: Path, name: str) -> dict[str, str]:
    """Both lock texts, resolved in a virtual environment made in ``scratch``."""
    source = scratch / "project"  # what the build needs, so the build leaves nothing here
    source.mkdir()
    for part in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / part).is_file():
            shutil.copy2(ROOT / part, source / part)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    env = scratch / "venv"
    venv.create(env, with_pip=True)
    python = env / ("Scripts" if os.name == "nt" else "bin") / "python"
    _pip(python, "install", "--quiet", str(source))
    texts = {"requirements.lock": _text("requirements.lock", _pins(python, name))}
    runtime = scratch / "requirements.lock"
    runtime.write_text(texts["requirements.lock"], encoding="utf-8")
    _pip(python, "install", "--quiet", "-c", str(runtime), f"{source}[dev]")
    texts["requirements-dev.lock"] = _text("requirements-dev.lock", _pins(python, name))
    return texts


def main() -> int:
    wanted = _wanted_python()
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if wanted is not None and wanted != running:
        sys.exit(f"scripts/lock.py runs on Python {wanted} (.python-version), not {running}: "
                 f"make lock PYTHON=python{wanted}")  # fmt: skip
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    print(f"resolving pyproject.toml in a throwaway {MADE} environment...")
    try:
        with tempfile.TemporaryDirectory(prefix="lock-") as scratch:
            texts = _lock(Path(scratch), project["name"])
    except KeyboardInterrupt:
        sys.exit("interrupted: the lock files are unchanged")
    for name, text in texts.items():  # each file is written whole, then renamed into place
        (ROOT / f".{name}.tmp").write_text(text, encoding="utf-8")
    for name in texts:
        (ROOT / f".{name}.tmp").replace(ROOT / name)
    print("wrote requirements.lock and requirements-dev.lock: review the diff, commit both")
    return 0


if __name__ == "__main__":
    sys.exit(main())
