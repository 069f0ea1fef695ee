"""params.yaml loads into typed settings, and a bad value fails on load, not mid-training."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from {{cookiecutter.package_name}}.config import load_config

from .helpers import PARAMS_PATH


def _write(tmp_path: Path, change: dict) -> Path:
    raw = yaml.safe_load(PARAMS_PATH.read_text(encoding="utf-8"))
    for section, values in change.items():
        if isinstance(values, dict):
            raw[section].update(values)
        else:
            raw[section] = values
    (tmp_path / "configs").mkdir()
    path = tmp_path / "configs" / "params.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_the_project_params_load() -> None:
    config = load_config(PARAMS_PATH)
    assert config.data.source == "digits"
    assert config.root == PARAMS_PATH.parent.parent
    assert config.resolve(config.paths.model) == config.root / "models" / "model.pt"
    assert len(config.evaluate.split_seeds) >= 2


def test_the_params_path_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, {"seed": 7})
    monkeypatch.setenv("PARAMS_PATH", str(path))
    config = load_config()
    assert config.seed == 7
    assert config.root == tmp_path


@pytest.mark.parametrize(
    "change",
    [
        {"split": {"test_size": 0.0}},
        {"split": {"test_size": 0.45, "val_size": 0.4}},
        {"train": {"learning_rate": -1}},
        {"train": {"patience": 0}},
        {"model": {"channels": [0, 8]}},
        {"augment": {"rotation_degrees": 90}},
        {"evaluate": {"split_seeds": [1, 1]}},
        {"evaluate": {"split_seeds": [1]}},
        {"data": {"source": "imagenet"}},
        {"train": {"learnig_rate": 0.1}},
    ],
    ids=[
        "no-test",
        "no-train-left",
        "negative-lr",
        "no-patience",
        "zero-channels",
        "rotation-too-large",
        "repeated-seeds",
        "one-seed",
        "unknown-source",
        "typo",
    ],
)
def test_invalid_params_are_rejected(tmp_path: Path, change: dict) -> None:
    with pytest.raises(ValidationError):
        load_config(_write(tmp_path, change))


def test_a_missing_params_file_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="PARAMS_PATH"):
        load_config(tmp_path / "nowhere.yaml")
