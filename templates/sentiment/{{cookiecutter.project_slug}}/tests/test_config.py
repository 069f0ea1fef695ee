"""params.yaml loads into typed objects and bad values are rejected at load time."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from {{cookiecutter.package_name}}.config import load_config

from .helpers import PARAMS_PATH, PROJECT_ROOT


def write_params(tmp_path: Path, **overrides: object) -> Path:
    """Copy params.yaml into ``tmp_path/configs`` with some top-level sections replaced."""
    params = yaml.safe_load(PARAMS_PATH.read_text(encoding="utf-8"))
    params.update(overrides)
    path = tmp_path / "configs" / "params.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    return path


def test_project_params_load_with_expected_types() -> None:
    config = load_config(PARAMS_PATH)
    assert config.root == PROJECT_ROOT
    assert isinstance(config.seed, int)
    assert 0 < config.split.test_size < 1
    assert config.features.ngram_range[0] <= config.features.ngram_range[1]
    assert config.data.source == "bundled"


def test_relative_paths_resolve_against_project_root(tmp_path: Path) -> None:
    config = load_config(write_params(tmp_path))
    assert config.resolve(config.paths.model) == tmp_path / config.paths.model
    assert config.resolve(tmp_path / "elsewhere.joblib") == tmp_path / "elsewhere.joblib"


def test_params_path_can_come_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARAMS_PATH", str(write_params(tmp_path, seed=7)))
    assert load_config().seed == 7


@pytest.mark.parametrize(
    "overrides",
    [
        {"split": {"test_size": 1.5}},
        {"features": {"ngram_range": [2, 1]}},
        {"model": {"C": -1.0}},
        {"unexpected_section": {}},
    ],
    ids=["test-size-above-one", "ngram-range-reversed", "negative-C", "unknown-key"],
)
def test_invalid_params_are_rejected(tmp_path: Path, overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        load_config(write_params(tmp_path, **overrides))


def test_missing_params_file_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="Config file not found"):
        load_config(tmp_path / "nope.yaml")
