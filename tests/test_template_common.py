"""The built-in templates' shared files: one source, kept in every template by a script."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import Result

ROOT = Path(__file__).resolve().parents[1]
TREE = "{{cookiecutter.project_slug}}"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "sync_templates", ROOT / "scripts/sync_templates.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sync_templates = _script()


def test_every_template_carries_the_shared_files_as_they_are_in_the_source() -> None:
    assert sync_templates.drift() == [], "run: python scripts/sync_templates.py"
    shared = {str(p) for p in sync_templates.shared_files()}
    assert {"LICENSE", ".pre-commit-config.yaml", ".dockerignore", ".python-version", "common.mk",
            "Dockerfile", ".github/workflows/ci.yml", "scripts/smoke.py",
            "tests/test_ci.py"} <= shared  # fmt: skip
    for template in sync_templates.templates():
        # What a template keeps of its own: the Makefile that includes common.mk, and the one
        # request of the smoke test.
        makefile = (template / TREE / "Makefile").read_text(encoding="utf-8")
        assert "\ninclude common.mk\n" in makefile, template.name
        assert (template / TREE / "scripts" / "smoke_request.py").is_file(), template.name
    assert len(sync_templates.templates()) >= 3


def test_a_copy_edited_on_its_own_is_found_and_the_sync_puts_it_back(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", root)
    licence = root / "sentiment" / TREE / "LICENSE"
    licence.write_text(licence.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    (root / "recommender" / TREE / ".python-version").unlink()
    expected = [Path("recommender", TREE, ".python-version"), Path("sentiment", TREE, "LICENSE")]
    assert sync_templates.drift(root) == expected
    assert sync_templates.sync(root) == expected
    assert sync_templates.drift(root) == []
    assert licence.read_bytes() == (root / "_common/files/LICENSE").read_bytes()


def test_the_check_exits_1_naming_the_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", root)
    (root / "housing-prices" / TREE / ".dockerignore").write_text("*\n", encoding="utf-8")
    assert sync_templates.main(["--check"], root) == 1
    assert f"templates/housing-prices/{TREE}/.dockerignore differs" in capsys.readouterr().err
    assert sync_templates.main([], root) == 0
    assert sync_templates.main(["--check"], root) == 0


@pytest.mark.parametrize(
    ("template", "model"),
    [("housing-prices", "models/model.joblib"), ("sentiment", "models/model.joblib"),
     ("recommender", "models/recommender.npz")],
)  # fmt: skip
def test_a_generated_project_sends_docker_only_its_own_model_and_the_lock(
    mlpath: Callable[..., Result], tmp_path: Path, template: str, model: str
) -> None:
    made = mlpath("new-project", template, "Shared Bits", "--dir", str(tmp_path), "--no-input")
    assert made.exit_code == 0, made.stderr
    project = tmp_path / "shared-bits"
    allowed = [
        line[1:] for line in (project / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    ]  # fmt: skip
    assert model in allowed and "requirements.lock" in allowed
    dockerfile = (project / "Dockerfile").read_text()
    assert f"COPY {model} " in dockerfile, "the allow-list and the Dockerfile disagree"
    assert (project / ".python-version").read_text().strip() == "3.11"
    licence = (project / "LICENSE").read_text()
    assert licence.startswith("MIT License\n") and "{%" not in licence


@pytest.mark.parametrize(
    ("licence", "first"),
    [("BSD-3-Clause", "BSD 3-Clause License"), ("Apache-2.0", "Apache License")],
)
def test_every_licence_starts_on_its_first_line(
    mlpath: Callable[..., Result], tmp_path: Path, licence: str, first: str
) -> None:
    made = mlpath("new-project", "sentiment", "Licensed", "--dir", str(tmp_path), "--no-input",
                  "--set", f"license={licence}")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    text = (tmp_path / "licensed" / "LICENSE").read_text()
    assert text.splitlines()[0].strip() == first and "{%" not in text


def _tidy(text: str, name: str) -> None:
    """Rendered without a template tag left, a trailing space or a run of blank lines."""
    assert "{%" not in text and "{{" not in text.replace("${{", ""), f"{name}: a tag is left"
    lines = text.split("\n")
    assert text.endswith("\n") and not text.endswith("\n\n"), name
    assert not [n for n, line in enumerate(lines, 1) if line != line.rstrip()], name
    assert "\n\n\n" not in text, f"{name}: two blank lines in a row"
    assert lines[0].startswith("#"), f"{name} starts with what it is"


@pytest.mark.parametrize(
    ("template", "python", "pythons", "extra"),
    [("housing-prices", "3.11", ["3.11", "3.12", "3.13"], ""),
     ("sentiment", "3.12", ["3.12", "3.13"], ""),
     ("recommender", "3.13", ["3.13"], ""),
     ("image-classifier", "3.11", ["3.11", "3.12", "3.13"], "https://download.pytorch.org/whl/cpu")],
)  # fmt: skip
def test_the_shared_dockerfile_workflow_and_makefile_render_tidy_for_each_template(
    mlpath: Callable[..., Result], tmp_path: Path, template: str, python: str,
    pythons: list[str], extra: str,
) -> None:  # fmt: skip
    yaml = pytest.importorskip("yaml")
    made = mlpath("new-project", template, "Common Parts", "--dir", str(tmp_path), "--no-input",
                  "--set", f"python_version={python}")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    project = tmp_path / "common-parts"
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    workflow_text = (project / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    _tidy(dockerfile, "Dockerfile")
    _tidy(workflow_text, "ci.yml")
    assert dockerfile.count("\nFROM ") == 1 and f"FROM python:{python}-slim-bookworm" in dockerfile
    assert ("apt-get install" in dockerfile) == (template == "housing-prices")
    workflow = yaml.safe_load(workflow_text)
    assert workflow["jobs"]["test"]["strategy"]["matrix"]["python-version"] == pythons
    assert workflow.get("env", {}).get("PIP_EXTRA_INDEX_URL", "") == extra
    assert (f"ARG PIP_EXTRA_INDEX_URL={extra}\n" in dockerfile) == bool(extra)
    if shutil.which("make") is None:
        pytest.skip("make is not installed")

    def make(*args: str) -> str:
        done = subprocess.run(["make", "--no-print-directory", *args], cwd=project,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    makefiles = "\n".join(
        (project / n).read_text(encoding="utf-8") for n in ("Makefile", "common.mk")
    )
    phony = {name for line in re.findall(r"^\.PHONY: (.*)$", makefiles.replace("\\\n", " "), re.M)
             for name in line.split()}  # fmt: skip
    listed = {line.split()[0] for line in make().splitlines() if line.startswith("  ")}
    assert listed == phony and {"install", "monitor-check", "data", "train", "clean"} <= listed
    install = make("-n", "install")
    assert ("--extra-index-url " + extra in install) == bool(extra)
    assert "--extra-index-url" not in make("-n", "TORCH_INDEX=", "install")
    assert "--fail-on-drift" in make("-n", "monitor-check")
