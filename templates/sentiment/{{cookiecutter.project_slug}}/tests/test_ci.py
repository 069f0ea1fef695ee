"""The CI workflow keeps its jobs: Python matrix, coverage, Docker smoke test and hadolint.

GitHub Actions cannot run here, so these checks read .github/workflows/ci.yml instead: a later
edit that drops one of the jobs fails the suite instead of silently weakening CI. The installs
are checked too: the two lock files, `make install` and CI from requirements-dev.lock, and the
Dockerfile from requirements.lock before it copies the code.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
import yaml

from .helpers import PROJECT_ROOT

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "ci.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return workflow["jobs"][job]["steps"]


def commands(workflow: dict[str, Any], job: str) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow, job))


def uses(workflow: dict[str, Any], job: str) -> list[str]:
    return [step["uses"] for step in steps(workflow, job) if "uses" in step]


def test_runs_on_push_and_pull_request(workflow: dict[str, Any]) -> None:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    triggers = workflow.get("on", workflow.get(True))
    assert {"push", "pull_request"} <= set(triggers)


def test_tests_run_on_a_python_matrix(workflow: dict[str, Any]) -> None:
    matrix = workflow["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    assert [str(version) for version in matrix] == ["3.11", "3.12", "3.13"]
    setup = next(
        s for s in steps(workflow, "test") if s.get("uses", "").startswith("actions/setup-python")
    )
    assert setup["with"]["python-version"] == "{% raw %}${{ matrix.python-version }}{% endraw %}"


def test_tests_run_with_coverage_after_the_pipeline(workflow: dict[str, Any]) -> None:
    run = commands(workflow, "test")
    assert "make install" in run
    assert "make data train evaluate" in run
    assert "pytest" in run and "--cov" in run
    assert run.index("make data train evaluate") < run.index("--cov")


def test_lint_job_runs_make_lint(workflow: dict[str, Any]) -> None:
    assert "make lint" in commands(workflow, "lint")


def test_hadolint_checks_the_dockerfile(workflow: dict[str, Any]) -> None:
    step = next(s for s in steps(workflow, "hadolint") if "hadolint" in s.get("uses", ""))
    assert step["uses"].startswith("hadolint/hadolint-action@")
    assert step["with"]["dockerfile"] == "Dockerfile"


def test_docker_job_builds_starts_and_smoke_tests_the_image(workflow: dict[str, Any]) -> None:
    run = commands(workflow, "docker")
    assert "make data train" in run  # the image ships the trained model
    assert "docker build" in run
    assert "docker run" in run
    assert "/health" in run and "curl" in run
    assert "/predict" in run


def test_coverage_is_a_dev_dependency_and_not_in_make_test() -> None:
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"pytest-cov' in pyproject
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "--cov" not in test_recipe  # `make test` stays fast; CI adds coverage


# Reproducible installs: two lock files, and who installs from which.
PIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?==[A-Za-z0-9.+!_-]+")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(name: str) -> dict[str, str]:
    lines = (PROJECT_ROOT / name).read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].startswith("#"), f"{name} starts with how it was made"
    for line in lines:
        assert line.startswith("#") or PIN.fullmatch(line), f"{name}: not name==version: {line!r}"
    pinned = (line.split("==") for line in lines if not line.startswith("#"))
    return {canonical(name): version for name, version in pinned}


def requirement_names(requirements: list[str]) -> set[str]:
    return {canonical(re.match(r"[A-Za-z0-9._-]+", req).group()) for req in requirements}


def recipe(target: str) -> str:
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    found = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert found, f"no `make {target}`"
    return found.group(1)


def test_the_locks_pin_every_dependency_and_agree() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert requirement_names(project["dependencies"]) <= set(runtime)
    assert requirement_names(project["optional-dependencies"]["dev"]) <= set(dev)
    # The image (runtime lock) serves with exactly the versions `make install` trained with.
    assert {name: dev.get(name) for name in runtime} == runtime
    assert canonical(project["name"]) not in set(runtime) | set(dev)


def test_make_install_and_ci_install_from_the_dev_lock(workflow: dict[str, Any]) -> None:
    assert re.search(r'pip install -c requirements-dev\.lock -e "?\.\[dev\]', recipe("install"))
    for job in ("lint", "test", "docker"):
        assert "make install" in commands(workflow, job), job
    everything = "\n".join(commands(workflow, job) for job in workflow["jobs"])
    assert "pip install" not in everything, "CI installs only through `make install`"
    assert "scripts/lock.py" in recipe("lock")
    assert "requirements-dev.lock" in (PROJECT_ROOT / "scripts" / "lock.py").read_text()


def test_dockerfile_installs_the_lock_before_it_copies_the_source() -> None:
    text = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
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
        r"docker run --rm -p 127\.0\.0\.1:\$\(PORT\):8000 \$\(IMAGE\)", recipe("docker-run")
    )
