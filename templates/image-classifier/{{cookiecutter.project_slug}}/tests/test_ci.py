"""The CI workflow keeps its jobs: Python matrix, coverage, Docker smoke test and hadolint.

GitHub Actions cannot run here, so these checks read .github/workflows/ci.yml instead: a later
edit that drops one of the jobs fails the suite instead of silently weakening CI. The installs
are checked too: the two lock files, `make install` and CI from requirements-dev.lock, and the
Dockerfile from requirements.lock before it copies the code.
"""

from __future__ import annotations

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
    assert "/predict" in run and "file=@" in run  # an image upload, as the API takes them


def test_ci_installs_the_cpu_build_of_torch(workflow: dict[str, Any]) -> None:
    assert workflow["env"]["PIP_EXTRA_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "download.pytorch.org/whl/cpu" in dockerfile
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "TORCH_INDEX ?= https://download.pytorch.org/whl/cpu" in makefile
    assert "--extra-index-url $(TORCH_INDEX)" in makefile  # make install uses it


def test_ci_runs_the_drift_monitor_on_both_batches(workflow: dict[str, Any]) -> None:
    run = commands(workflow, "test")
    assert "make shifted-batch" in run
    assert "make monitor BATCH=data/monitoring/shifted.npz" in run


def test_coverage_is_a_dev_dependency_and_not_in_make_test() -> None:
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"pytest-cov' in pyproject
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "--cov" not in test_recipe  # `make test` stays fast; CI adds coverage


# The lock files themselves, the Makefile and the Dockerfile: tests/test_locks.py.
def test_ci_installs_only_through_make_install(workflow: dict[str, Any]) -> None:
    for job in ("lint", "test", "docker"):
        assert "make install" in commands(workflow, job), job
    everything = "\n".join(commands(workflow, job) for job in workflow["jobs"])
    assert "pip install" not in everything, "CI installs only through `make install`"
