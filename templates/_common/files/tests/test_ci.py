"""CI cannot run here, so check that its workflow, the Dockerfile and the Makefile keep what
matters, and that scripts/smoke.py (CI's smoke test of the container) works.

A later edit that drops the Python matrix, the coverage step, the drift check, the container
smoke test, hadolint or the installs from the lock files fails these tests instead of silently
weakening CI. The lock files themselves: tests/test_locks.py.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import socket
import subprocess
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NEWEST_PYTHON = (3, 13)
# The index pip searches besides PyPI (cookiecutter's _pip_extra_index; empty: PyPI alone).
PIP_EXTRA_INDEX = "{{ cookiecutter._pip_extra_index }}"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text("utf-8"))


@pytest.fixture(scope="module")
def makefile() -> str:
    """The Makefile and the common.mk it includes."""
    return "\n".join((ROOT / name).read_text("utf-8") for name in ("Makefile", "common.mk"))


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text("utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _runs(workflow: dict[str, Any], job: str) -> list[str]:
    return [step.get("run", "") for step in workflow["jobs"][job]["steps"]]


def _recipe(makefile: str, target: str) -> str:
    found = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert found, f"no `make {target}`"
    return found.group(1)


def test_workflow_runs_on_push_and_pull_request(workflow: dict[str, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert {"push", "pull_request"} <= set(triggers)
    assert {"lint", "test", "hadolint", "docker"} <= set(workflow["jobs"])


def test_tests_run_on_every_supported_python(workflow: dict[str, Any]) -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
        "requires-python"
    ]
    found = re.fullmatch(r">=3\.(\d+)", requires)
    assert found, requires
    first = int(found.group(1))
    expected = [f"3.{minor}" for minor in range(first, max(first, NEWEST_PYTHON[1]) + 1)]
    matrix = workflow["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    assert matrix == expected  # strings: 3.10 written as a number would be 3.1
    steps = workflow["jobs"]["test"]["steps"]
    setup = next(s for s in steps if "setup-python" in s.get("uses", ""))
    assert "matrix.python-version" in setup["with"]["python-version"]


def test_tests_run_with_coverage_after_the_pipeline_and_upload_it(
    workflow: dict[str, Any], makefile: str
) -> None:
    runs = _runs(workflow, "test")
    pipeline = runs.index("make data train evaluate")
    assert pipeline < runs.index("make monitor-check") and pipeline < runs.index("make coverage")
    assert "--cov" in _recipe(makefile, "coverage")
    assert "--cov" not in _recipe(makefile, "test"), "`make test` stays fast; CI adds coverage"
    upload = next(
        s for s in workflow["jobs"]["test"]["steps"] if "upload-artifact" in s.get("uses", "")
    )
    assert {"coverage.xml", "reports/"} <= set(upload["with"]["path"].split())
    assert "always()" in upload["if"]
    assert "make lint" in _runs(workflow, "lint")
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
        "optional-dependencies"
    ]["dev"]
    assert any(requirement.startswith("pytest-cov") for requirement in dev)


def test_the_drift_check_wants_quiet_then_drift(makefile: str) -> None:
    recipe = _recipe(makefile, "monitor-check")
    assert "monitor MONITOR_FLAGS=--fail-on-drift" in recipe
    assert "shifted-batch" in recipe
    assert re.search(r"if .*monitor --batch \$\(SHIFTED_BATCH\) --fail-on-drift; then", recipe)
    assert re.search(r"^SHIFTED_BATCH :?= \S+", makefile, re.MULTILINE)


def test_hadolint_lints_the_dockerfile(workflow: dict[str, Any]) -> None:
    step = next(s for s in workflow["jobs"]["hadolint"]["steps"] if "hadolint" in s.get("uses", ""))
    assert re.fullmatch(r"hadolint/hadolint-action@v\d+\.\d+\.\d+", step["uses"])
    assert step["with"]["dockerfile"] == "Dockerfile"


def test_the_image_is_built_started_and_smoke_tested(workflow: dict[str, Any]) -> None:
    runs = "\n".join(_runs(workflow, "docker"))
    assert "make data train" in runs  # the image ships the trained model
    assert re.search(r"make docker-build IMAGE=(\S+)", runs)
    image = re.search(r"make docker-build IMAGE=(\S+)", runs).group(1)
    assert re.search(rf"docker run --detach .*--publish 8000:8000 {re.escape(image)}$", runs, re.M)
    assert "python scripts/smoke.py --url http://127.0.0.1:8000" in runs


def test_ci_installs_only_through_make_install(workflow: dict[str, Any]) -> None:
    for job in ("lint", "test", "docker"):
        assert "make install" in "\n".join(_runs(workflow, job)), job
    everything = "\n".join(run for job in workflow["jobs"] for run in _runs(workflow, job))
    assert "pip install" not in everything, "CI installs only through `make install`"


def test_every_install_and_the_image_search_the_same_extra_index(
    workflow: dict[str, Any], makefile: str, dockerfile: list[str]
) -> None:
    args = [line for line in dockerfile if line.startswith("ARG PIP_EXTRA_INDEX_URL")]
    if not PIP_EXTRA_INDEX:
        assert "env" not in workflow and not args
        return
    assert workflow["env"]["PIP_EXTRA_INDEX_URL"] == PIP_EXTRA_INDEX
    assert args == [f"ARG PIP_EXTRA_INDEX_URL={PIP_EXTRA_INDEX}"]
    assert "--extra-index-url $(PIP_EXTRA_INDEX)" in _recipe(makefile, "install")


def test_dockerfile_follows_the_hadolint_basics(dockerfile: list[str]) -> None:
    text = "\n".join(dockerfile)
    assert "cookiecutter" not in text, "a cookiecutter tag was left unrendered"
    base = next(line for line in dockerfile if line.startswith("FROM "))
    assert re.fullmatch(r"FROM python:\d+\.\d+-slim-\w+", base), "pin the base image tag"
    for line in dockerfile:
        if "pip install" in line:
            assert "--no-cache-dir" in line, line
        if "apt-get install" in line:
            assert "--no-install-recommends" in line and "rm -rf /var/lib/apt/lists" in line
    users = [line for line in dockerfile if line.startswith("USER ")]
    assert users and re.fullmatch(r"USER [1-9]\d{3,}:[1-9]\d{3,}", users[-1]), "numeric non-root"
    assert any(line.startswith("HEALTHCHECK ") and "/health" in line for line in dockerfile)
    env = " ".join(line for line in dockerfile if line.startswith("ENV "))
    model = "{{ cookiecutter._model_file }}"
    assert "PARAMS_PATH=/app/configs/params.yaml" in env and f"MODEL_PATH=/app/{model}" in env
    assert f"COPY {model} ./{model}" in dockerfile
    cmd = next(line for line in dockerfile if line.startswith("CMD "))
    assert cmd.startswith('CMD ["'), "exec-form CMD"


def test_make_help_lists_every_target_with_its_description(makefile: str) -> None:
    targets = {
        name
        for line in re.findall(r"^\.PHONY: (.*)$", makefile.replace("\\\n", " "), re.MULTILINE)
        for name in line.split()
    }
    described = set(re.findall(r"^([a-zA-Z_-]+):+[^=\n]*## ", makefile, re.MULTILINE))
    assert targets == described, "each phony target has a `## description` on its rule line"
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shown = subprocess.run(
        ["make", "--no-print-directory", "-s", "help"], cwd=ROOT, capture_output=True,
        text=True, check=True,
    ).stdout  # fmt: skip
    listed = {line.split()[0] for line in shown.splitlines() if line.startswith("  ")}
    assert listed == targets


# scripts/smoke.py, which the docker job runs against the container.
def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def smoke() -> ModuleType:
    return _load("smoke")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Fake(BaseHTTPRequestHandler):
    """An API that is unhealthy for its first two /health calls, and echoes what it is sent."""

    health_calls = 0

    def _answer(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        type(self).health_calls += 1
        ready = type(self).health_calls > 2
        self._answer(200 if ready else 503, {"status": "ok" if ready else "starting"})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self._answer(200, {"type": self.headers["Content-Type"], "body": body.decode("latin-1")})

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def fake_api() -> Iterator[str]:
    _Fake.health_calls = 0
    server = HTTPServer(("127.0.0.1", 0), _Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_smoke_waits_for_health_then_sends_json_and_files(
    smoke: ModuleType, fake_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy in the environment is not used: the smoke test checks a server on this machine.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("no_proxy", "")
    client = smoke.Client(fake_api)
    assert smoke.wait_for_health(client, wait=10, interval=0.05) == {"status": "ok"}
    assert _Fake.health_calls == 3
    sent = client.post_json("/predict", {"text": "fine"})
    assert sent == {"type": "application/json", "body": '{"text": "fine"}'}
    upload = client.post_file("/predict", "file", "digit.png", b"\x89PNG", "image/png")
    assert upload["type"].startswith("multipart/form-data; boundary=")
    assert 'name="file"; filename="digit.png"' in upload["body"] and "\x89PNG" in upload["body"]


def test_smoke_fails_cleanly_when_nothing_answers(
    smoke: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(smoke.SmokeError, match=r"did not answer 200 within 0\.2 s"):
        smoke.wait_for_health(smoke.Client(closed), wait=0.2, interval=0.05)
    assert smoke.main(["--url", closed, "--wait", "0.2"]) == 1
    assert "smoke test failed" in capsys.readouterr().err
    with pytest.raises(smoke.SmokeError, match="not an http"):
        smoke.Client("file:///etc/passwd")


def test_smoke_request_is_this_projects_one_check(smoke: ModuleType) -> None:
    request = smoke.load_request()
    assert callable(request) and request.__doc__
