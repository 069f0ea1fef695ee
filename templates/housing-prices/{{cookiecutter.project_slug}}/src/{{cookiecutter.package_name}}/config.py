"""Typed access to ``configs/params.yaml``.

Keeping every seed, path and hyperparameter in one YAML file (and nowhere in the code) means an
experiment is described by a diff of that file. Pydantic turns the YAML into typed objects and
rejects typos (unknown keys) and impossible values early, before a long run starts.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PARAMS_PATH = Path("configs/params.yaml")
PARAMS_ENV_VAR = "PARAMS_PATH"

DataSource = Literal["synthetic", "full"]


class _Section(BaseModel):
    """Base for config sections: immutable, and unknown keys are errors rather than ignored."""

    # protected_namespaces=() lets fields start with "model_" (model_path) without a warning.
    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())


class DataConfig(_Section):
    """Where the data comes from, how much to generate and how to split it."""

    source: DataSource = "synthetic"
    n_rows: int = Field(default=4000, ge=200, le=200_000)
    test_size: float = Field(default=0.2, gt=0.0, lt=1.0)
    raw_dir: Path = Path("data/raw")
    processed_dir: Path = Path("data/processed")


class FeatureConfig(_Section):
    """Feature engineering switches shared by every model that uses the preprocessor."""

    log_columns: tuple[str, ...] = ()
    add_ratios: bool = True


class ModelConfig(_Section):
    """Hyperparameters of the main model (HistGradientBoostingRegressor)."""

    learning_rate: float = Field(default=0.05, gt=0.0, le=1.0)
    max_iter: int = Field(default=300, ge=1)
    max_leaf_nodes: int = Field(default=31, ge=2)
    min_samples_leaf: int = Field(default=20, ge=1)
    l2_regularization: float = Field(default=0.0, ge=0.0)
    early_stopping: bool = False


class ArtifactsConfig(_Section):
    """Where training and evaluation write their outputs."""

    model_path: Path = Path("models/model.joblib")
    baselines_path: Path = Path("models/baselines.joblib")
    metrics_path: Path = Path("reports/metrics.json")


class Params(_Section):
    """All project parameters; one instance describes one reproducible run."""

    seed: int = 42
    data: DataConfig = DataConfig()
    features: FeatureConfig = FeatureConfig()
    model: ModelConfig = ModelConfig()
    artifacts: ArtifactsConfig = ArtifactsConfig()


def resolve_params_path(path: str | Path | None = None) -> Path:
    """Pick the params file: explicit argument, then ``$PARAMS_PATH``, then the default."""
    if path is not None:
        return Path(path)
    return Path(os.environ.get(PARAMS_ENV_VAR, DEFAULT_PARAMS_PATH))


def load_params(path: str | Path | None = None) -> Params:
    """Read and validate the params YAML file.

    Relative paths inside the file are relative to the working directory, which is the project
    root when you use the Makefile.
    """
    params_path = resolve_params_path(path)
    with params_path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    return Params.model_validate(raw)


def run_step(
    description: str, step: Callable[[Params], object], argv: Sequence[str] | None = None
) -> None:
    """The command line of a pipeline step: read ``--params PATH``, log at INFO, run ``step``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--params", type=Path, default=None, help="path to params.yaml")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    step(load_params(args.params))
