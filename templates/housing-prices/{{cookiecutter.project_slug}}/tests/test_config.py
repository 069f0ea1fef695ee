"""params.yaml is the single source of settings, so it must load, be typed and reject typos."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from {{cookiecutter.package_name}}.config import PARAMS_ENV_VAR, Params, load_params
from {{cookiecutter.package_name}}.data import FEATURE_COLUMNS


def test_project_params_load_into_typed_objects(project_params: Params) -> None:
    assert isinstance(project_params.seed, int)
    assert isinstance(project_params.data.processed_dir, Path)
    assert 0 < project_params.data.test_size < 1
    assert set(project_params.features.log_columns) <= set(FEATURE_COLUMNS)


def _write(tmp_path: Path, content: dict) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(content))
    return path


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        load_params(_write(tmp_path, {"model": {"learning_rat": 0.1}}))


def test_impossible_value_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        load_params(_write(tmp_path, {"data": {"test_size": 1.5}}))


def test_params_path_env_var_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PARAMS_ENV_VAR, str(_write(tmp_path, {"seed": 123})))
    assert load_params().seed == 123


def test_default_path_is_relative_to_working_directory(
    project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PARAMS_ENV_VAR, raising=False)
    monkeypatch.chdir(project_root)
    assert load_params() == load_params(project_root / "configs" / "params.yaml")
