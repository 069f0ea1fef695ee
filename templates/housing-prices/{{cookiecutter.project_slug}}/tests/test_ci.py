"""CI cannot run here, so check that its workflow and the Dockerfile keep what matters.

A later edit that drops the Python matrix, the coverage step, the container smoke test,
hadolint or the installs from the lock files fails these tests instead of silently weakening CI.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")


@pytest.fixture(scope="module")
def workflow(project_root: Path) -> dict[str, Any]:
    return yaml.safe_load((project_root / ".github" / "workflows" / "ci.yml").read_text())


@pytest.fixture(scope="module")
def pyproject(project_root: Path) -> dict[str, Any]:
    return tomllib.loads((project_root / "pyproject.toml").read_text())


def _runs(job: dict[str, Any]) -> list[str]:
    return [step.get("run", "") for step in job["steps"]]


def _uses(job: dict[str, Any]) -> list[str]:
    return [step.get("uses", "") for step in job["steps"]]


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def test_workflow_runs_on_push_and_pull_request(workflow: dict[str, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert {"push", "pull_request"} <= set(triggers)


def test_python_matrix_covers_the_supported_versions(
    workflow: dict[str, Any], pyproject: dict[str, Any]
) -> None:
    minimum = _minor(pyproject["project"]["requires-python"].removeprefix(">="))
    expected = [v for v in SUPPORTED_PYTHONS if _minor(v) >= minimum] or [
        f"{minimum[0]}.{minimum[1]}"
    ]
    matrix = workflow["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    assert [str(version) for version in matrix] == expected
    setup = next(
        s for s in workflow["jobs"]["test"]["steps"] if "setup-python" in s.get("uses", "")
    )
    assert "matrix.python-version" in str(setup["with"]["python-version"])


def test_tests_run_with_coverage_after_the_pipeline(
    workflow: dict[str, Any], pyproject: dict[str, Any], project_root: Path
) -> None:
    runs = _runs(workflow["jobs"]["test"])
    pipeline = next(i for i, run in enumerate(runs) if "make data train evaluate" in run)
    coverage = next(i for i, run in enumerate(runs) if "pytest" in run and "--cov" in run)
    assert pipeline < coverage
    assert any("make lint" in run for run in runs)
    assert any(
        dep.startswith("pytest-cov") for dep in pyproject["project"]["optional-dependencies"]["dev"]
    )
    # Coverage is for CI only: `make test` stays fast.
    makefile = (project_root / "Makefile").read_text()
    test_recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert test_recipe and "--cov" not in test_recipe.group(1)


def test_drift_monitor_is_exercised(workflow: dict[str, Any]) -> None:
    runs = "\n".join(_runs(workflow["jobs"]["test"]))
    assert "make shifted-batch" in runs
    assert "--fail-on-drift" in runs


def test_docker_image_is_built_and_smoke_tested(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["docker"]
    runs = "\n".join(_runs(job))
    assert "make data train" in runs  # the image needs a trained model
    assert "docker build" in runs
    assert re.search(r"docker run -d .*-p 8000:8000", runs)
    assert re.search(r"curl [^\n]*/health", runs)  # polls the health check...
    assert "for attempt" in runs
    assert re.search(r"curl [^\n]*-X POST [^\n]*/predict", runs)  # ... then one prediction
    assert "median_house_value" in runs


def test_hadolint_lints_the_dockerfile(workflow: dict[str, Any]) -> None:
    uses = [use for job in workflow["jobs"].values() for use in _uses(job)]
    assert any(use.startswith("hadolint/hadolint-action@") for use in uses)
    step = next(
        s
        for job in workflow["jobs"].values()
        for s in job["steps"]
        if s.get("uses", "").startswith("hadolint/")
    )
    assert step["with"]["dockerfile"] == "Dockerfile"


@pytest.fixture(scope="module")
def dockerfile(project_root: Path) -> list[str]:
    text = (project_root / "Dockerfile").read_text()
    lines = [line.strip() for line in text.replace("\\\n", " ").splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_dockerfile_follows_the_hadolint_basics(dockerfile: list[str]) -> None:
    base = next(line for line in dockerfile if line.startswith("FROM "))
    image = base.split()[1]
    assert ":" in image and not image.endswith(":latest"), "pin the base image tag"
    for line in dockerfile:
        if "pip install" in line:
            assert "--no-cache-dir" in line, line
        if "apt-get install" in line:
            assert "--no-install-recommends" in line and "rm -rf /var/lib/apt/lists" in line
    users = [line.split()[1] for line in dockerfile if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert users[-1].split(":")[0].isdigit(), "a numeric USER (hadolint DL3066)"
    cmd = next(line for line in dockerfile if line.startswith("CMD "))
    assert cmd.removeprefix("CMD ").startswith("["), "JSON-form CMD"


# The lock files themselves, the Makefile and the Dockerfile: tests/test_locks.py.
def test_ci_installs_only_through_make_install(workflow: dict[str, Any]) -> None:
    for name in ("test", "docker"):
        assert any("make install" in run for run in _runs(workflow["jobs"][name])), name
    runs = [run for job in workflow["jobs"].values() for run in _runs(job)]
    assert not [run for run in runs if "pip install" in run], "CI installs only via make install"
