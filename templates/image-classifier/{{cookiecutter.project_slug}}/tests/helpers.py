"""Paths and helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from {{cookiecutter.package_name}}.config import Config, load_config
from {{cookiecutter.package_name}}.data import prepare_data
from {{cookiecutter.package_name}}.evaluate import evaluate
from {{cookiecutter.package_name}}.train import TrainedModels, train

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PARAMS_PATH = PROJECT_ROOT / "configs" / "params.yaml"

# What the session-scoped ``pipeline_run`` fixture yields.
PipelineRun = tuple[Config, TrainedModels, dict[str, Any]]


def make_config(root: Path, **sections: dict[str, Any]) -> Config:
    """The project's params.yaml, re-rooted at ``root``, with some settings overridden.

    Outputs (splits, models, reports) therefore land in a temporary folder and the tests
    cannot overwrite the learner's own artefacts. ``make_config(tmp, train={"max_epochs": 2})``
    changes one setting of one section.
    """
    config = load_config(PARAMS_PATH)
    updates: dict[str, Any] = {"root": root}
    for name, changes in sections.items():
        updates[name] = getattr(config, name).model_copy(update=changes)
    return config.model_copy(update=updates)


def quick_config(root: Path) -> Config:
    """A config that trains for two epochs: for tests of the mechanics, not of the accuracy."""
    return make_config(root, train={"max_epochs": 2})


def run_pipeline(config: Config) -> tuple[TrainedModels, dict[str, Any]]:
    """Run data -> train -> evaluate, exactly what `make data train evaluate` does."""
    prepare_data(config)
    trained = train(config)
    return trained, evaluate(config)
