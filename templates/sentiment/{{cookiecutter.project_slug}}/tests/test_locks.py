"""Reproducible installs: the two lock files, and who installs from which.

`make install` (and so CI) installs with requirements-dev.lock as pip constraints; the Docker
image installs requirements.lock, the same runtime versions, before it copies the source.
`make lock` (scripts/lock.py) writes both. These tests fail if any of that is undone.
"""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?==[A-Za-z0-9.+!_-]+")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(name: str) -> dict[str, str]:
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].startswith("#"), f"{name} starts with how it was made"
    for line in lines:
        assert line.startswith("#") or PIN.fullmatch(line), f"{name}: not name==version: {line!r}"
    pinned = (line.split("==") for line in lines if not line.startswith("#"))
    return {_canonical(name): version for name, version in pinned}


def _names(requirements: list[str]) -> set[str]:
    return {_canonical(re.match(r"[A-Za-z0-9._-]+", req).group()) for req in requirements}


def _recipe(target: str) -> str:
    # The Makefile includes common.mk, where the targets every template shares live.
    makefile = "\n".join(
        (ROOT / name).read_text(encoding="utf-8") for name in ("Makefile", "common.mk")
    )
    found = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert found, f"no `make {target}`"
    return found.group(1)


def test_the_locks_pin_every_dependency_and_agree() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert _names(project["dependencies"]) <= set(runtime)
    assert _names(project["optional-dependencies"]["dev"]) <= set(dev)
    # The image (runtime lock) serves with exactly the versions `make install` trained with.
    assert {name: dev.get(name) for name in runtime} == runtime
    assert _canonical(project["name"]) not in set(runtime) | set(dev)


def test_make_install_uses_the_dev_lock_and_make_lock_writes_it() -> None:
    assert re.search(r'pip install -c requirements-dev\.lock -e "?\.\[dev\]', _recipe("install"))
    assert "scripts/lock.py" in _recipe("lock")
    assert "requirements-dev.lock" in (ROOT / "scripts" / "lock.py").read_text(encoding="utf-8")


def test_dockerfile_installs_the_lock_before_it_copies_the_source() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if not line.lstrip().startswith("#")]

    def first(pattern: str) -> int:
        return next(i for i, line in enumerate(lines) if re.search(pattern, line))

    copy_lock = first(r"^COPY requirements\.lock ")
    install_lock = first(r"^RUN pip install .*-r requirements\.lock")
    copy_src = first(r"^COPY src ")
    install_package = first(r"^RUN pip install [^&]* \.( |$)")
    assert copy_lock < install_lock < copy_src < install_package
    assert "--no-deps" in lines[install_lock], "nothing outside the lock gets in"
    assert "--no-deps" in lines[install_package], "the lock alone decides the versions"
    assert "rm -rf build src" in lines[install_package], "no build leftovers in the image"


def test_make_docker_run_serves_the_image_on_port() -> None:
    assert re.search(
        r"docker run --rm -p 127\.0\.0\.1:\$\(PORT\):8000 \$\(IMAGE\)", _recipe("docker-run")
    )
