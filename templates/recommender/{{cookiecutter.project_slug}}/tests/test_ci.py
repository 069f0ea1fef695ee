"""CI cannot run here, so its shape is tested: no later edit may silently drop a safeguard.

The installs too: two lock files, `make install` and CI from requirements-dev.lock, and the
Dockerfile from requirements.lock before it copies the code.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
import yaml

from testkit import PROJECT_ROOT

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "ci.yml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def jobs() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]


def _runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def _job_running(jobs: dict[str, Any], text: str) -> dict[str, Any]:
    matches = [job for job in jobs.values() if any(text in run for run in _runs(job))]
    assert matches, f"no CI job runs {text!r}"
    return matches[0]


def test_tests_run_on_every_supported_python(jobs: dict[str, Any]) -> None:
    job = _job_running(jobs, "pytest")
    versions = job["strategy"]["matrix"]["python-version"]
    requires = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"][
        "requires-python"
    ]
    minimum = int(re.fullmatch(r">=3\.(\d+)", requires).group(1))
    assert versions == [f"3.{minor}" for minor in range(minimum, max(minimum, 13) + 1)]
    assert all(isinstance(v, str) for v in versions)  # 3.10 written as a number would be 3.1
    setup = [s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python")]
    assert setup[0]["with"]["python-version"] == "{% raw %}${{ matrix.python-version }}{% endraw %}"


def test_tests_measure_coverage_after_building_the_artefacts(jobs: dict[str, Any]) -> None:
    runs = _runs(_job_running(jobs, "pytest"))
    pytest_step = next(i for i, run in enumerate(runs) if "pytest" in run)
    assert "--cov" in runs[pytest_step]
    pipeline = next(i for i, run in enumerate(runs) if "make data train evaluate" in run)
    assert pipeline < pytest_step
    assert any("make lint" in run for run in runs)
    assert any("monitor" in run and "--fail-on-drift" in run for run in runs)
    # Coverage is for CI only: `make test` stays quick.
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "--cov" not in makefile
    dev = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["dev"]
    assert any(requirement.startswith("pytest-cov") for requirement in dev)


def test_docker_image_is_built_and_smoke_tested(jobs: dict[str, Any]) -> None:
    job = _job_running(jobs, "docker-build")
    script = "\n".join(_runs(job))
    assert "make data train" in script  # the image ships a trained model
    assert "docker run" in script
    assert re.search(r"curl [^\n]*/health", script), "no /health poll"
    assert re.search(r"curl [^\n]*/recommend\?user_id=", script), "no prediction"


def test_dockerfile_is_linted_with_hadolint(jobs: dict[str, Any]) -> None:
    steps = [step for job in jobs.values() for step in job["steps"]]
    hadolint = [s for s in steps if s.get("uses", "").startswith("hadolint/hadolint-action@")]
    assert hadolint, "hadolint-action is gone from CI"
    assert hadolint[0]["with"]["dockerfile"] == "Dockerfile"
    assert re.fullmatch(r"hadolint/hadolint-action@v\d+\.\d+\.\d+", hadolint[0]["uses"])


def test_dockerfile_follows_the_rules_hadolint_checks() -> None:
    """The main hadolint rules, read from the file, for when hadolint is not at hand."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    instructions = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    base = next(line for line in instructions if line.startswith("FROM "))
    assert re.fullmatch(r"FROM python:\d+\.\d+-slim-\w+", base), "pin the base image tag"
    assert ":latest" not in text
    for line in instructions:
        if "pip install" in line:
            assert "--no-cache-dir" in line
    assert "apt-get" not in text or "rm -rf /var/lib/apt/lists" in text
    user = [line for line in instructions if line.startswith("USER ")]
    assert user and re.fullmatch(r"USER [1-9]\d{3,}", user[-1]), "a numeric non-root USER"
    cmd = [line for line in instructions if line.startswith("CMD ")]
    assert cmd and cmd[-1].startswith('CMD ["'), "JSON-form CMD"


# Reproducible installs: two lock files, and who installs from which.
PIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?==[A-Za-z0-9.+!_-]+")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(name: str) -> dict[str, str]:
    lines = (PROJECT_ROOT / name).read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].startswith("#"), f"{name} starts with how it was made"
    for line in lines:
        assert line.startswith("#") or PIN.fullmatch(line), f"{name}: not name==version: {line!r}"
    pinned = (line.split("==") for line in lines if not line.startswith("#"))
    return {_canonical(name): version for name, version in pinned}


def _requirement_names(requirements: list[str]) -> set[str]:
    return {_canonical(re.match(r"[A-Za-z0-9._-]+", req).group()) for req in requirements}


def _recipe(target: str) -> str:
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    found = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert found, f"no `make {target}`"
    return found.group(1)


def test_the_locks_pin_every_dependency_and_agree() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert _requirement_names(project["dependencies"]) <= set(runtime)
    assert _requirement_names(project["optional-dependencies"]["dev"]) <= set(dev)
    # The image (runtime lock) serves with exactly the versions `make install` trained with.
    assert {name: dev.get(name) for name in runtime} == runtime
    assert _canonical(project["name"]) not in set(runtime) | set(dev)


def test_make_install_and_ci_install_from_the_dev_lock(jobs: dict[str, Any]) -> None:
    assert re.search(r'pip install -c requirements-dev\.lock -e "?\.\[dev\]', _recipe("install"))
    for text in ("pytest", "docker-build"):
        assert any("make install" in run for run in _runs(_job_running(jobs, text))), text
    runs = [run for job in jobs.values() for run in _runs(job)]
    assert not [run for run in runs if "pip install" in run], "CI installs via make install only"
    assert "scripts/lock.py" in _recipe("lock")
    assert "requirements-dev.lock" in (PROJECT_ROOT / "scripts" / "lock.py").read_text()


def test_dockerfile_installs_the_lock_before_it_copies_the_source() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if not line.lstrip().startswith("#")]

    def first(pattern: str) -> int:
        return next(i for i, line in enumerate(lines) if re.search(pattern, line))

    copy_lock = first(r"^COPY requirements\.lock ")
    install_lock = first(r"^RUN pip install .*-r requirements\.lock")
    copy_src = first(r"^COPY src ")
    install_package = first(r"^RUN pip install [^&]* \.( |$)")
    assert copy_lock < install_lock < copy_src < install_package
    assert "--no-deps" in lines[install_package], "the lock alone decides the versions"
    assert "rm -rf build src" in lines[install_package], "no build leftovers in the image"


def test_make_docker_run_serves_the_image_on_port() -> None:
    assert re.search(
        r"docker run --rm -p 127\.0\.0\.1:\$\(PORT\):8000 \$\(IMAGE\)", _recipe("docker-run")
    )
