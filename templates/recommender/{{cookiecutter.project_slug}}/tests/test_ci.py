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


# The lock files themselves, the Makefile and the Dockerfile: tests/test_locks.py.
def test_ci_installs_only_through_make_install(jobs: dict[str, Any]) -> None:
    for text in ("pytest", "docker-build"):
        assert any("make install" in run for run in _runs(_job_running(jobs, text))), text
    runs = [run for job in jobs.values() for run in _runs(job)]
    assert not [run for run in runs if "pip install" in run], "CI installs via make install only"
