"""Paths and helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from {{cookiecutter.package_name}}.config import (
    Config,
    load_config,
)
from {{cookiecutter.package_name}}.data import prepare_data
from {{cookiecutter.package_name}}.evaluate import evaluate
from {{cookiecutter.package_name}}.train import (
    TrainedModels,
    train,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PARAMS_PATH = PROJECT_ROOT / "configs" / "params.yaml"
BUNDLED_CSV = PROJECT_ROOT / "data" / "raw" / "reviews.csv"

# What the session-scoped ``pipeline_run`` fixture yields.
PipelineRun = tuple[Config, TrainedModels, dict[str, Any]]


def make_config(root: Path) -> Config:
    """The project's params.yaml, re-rooted at ``root`` but still reading the bundled CSV.

    Outputs (splits, models, reports) therefore land in a temporary folder and the tests
    cannot overwrite the learner's own artefacts.
    """
    config = load_config(PARAMS_PATH)
    data = config.data.model_copy(update={"bundled_path": BUNDLED_CSV})
    return config.model_copy(update={"root": root, "data": data})


def run_pipeline(config: Config) -> tuple[TrainedModels, dict[str, Any]]:
    """Run data -> train -> evaluate, exactly what `make data train evaluate` does."""
    prepare_data(config)
    trained = train(config)
    return trained, evaluate(config)
