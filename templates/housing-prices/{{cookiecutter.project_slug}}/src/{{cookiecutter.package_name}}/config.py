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
from pydantic import BaseModel, ConfigDict, Field, model_validator

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


class LightGBMConfig(_Section):
    """Hyperparameters of the main, served model (LightGBM's ``LGBMRegressor``).

    Determinism is not a setting: train.py always passes ``deterministic=True``,
    ``force_col_wise=True`` and ``n_jobs`` threads, so the same seed gives the same model.
    """

    n_estimators: int = Field(default=300, ge=1)
    learning_rate: float = Field(default=0.05, gt=0.0, le=1.0)
    num_leaves: int = Field(default=15, ge=2)
    min_child_samples: int = Field(default=20, ge=1)
    subsample: float = Field(default=0.8, gt=0.0, le=1.0)
    colsample_bytree: float = Field(default=0.8, gt=0.0, le=1.0)
    reg_lambda: float = Field(default=1.0, ge=0.0)


class HistGradientBoostingConfig(_Section):
    """Hyperparameters of the comparison model (scikit-learn's HistGradientBoostingRegressor)."""

    learning_rate: float = Field(default=0.05, gt=0.0, le=1.0)
    max_iter: int = Field(default=300, ge=1)
    max_leaf_nodes: int = Field(default=31, ge=2)
    min_samples_leaf: int = Field(default=20, ge=1)
    l2_regularization: float = Field(default=0.0, ge=0.0)
    early_stopping: bool = False


class ModelsConfig(_Section):
    """The two boosted models: LightGBM is served, HistGradientBoosting is the comparison."""

    lightgbm: LightGBMConfig = LightGBMConfig()
    hist_gradient_boosting: HistGradientBoostingConfig = HistGradientBoostingConfig()


CvScheme = Literal["kfold", "spatial"]


class EvaluationConfig(_Section):
    """How models are compared (cross-validation on the training split) and what gets plotted."""

    # "kfold": shuffled K-fold (RepeatedKFold when n_repeats > 1).
    # "spatial": GroupKFold over coarse latitude/longitude grid cells (n_repeats must be 1).
    cv: CvScheme = "kfold"
    n_splits: int = Field(default=5, ge=2, le=20)
    n_repeats: int = Field(default=1, ge=1, le=10)
    grid_degrees: float = Field(default=1.0, gt=0.0, le=5.0)
    permutation_repeats: int = Field(default=5, ge=1, le=50)
    learning_curve_sizes: tuple[float, ...] = (0.1, 0.325, 0.55, 0.775, 1.0)
    figures_dir: Path = Path("reports/figures")

    @model_validator(mode="after")
    def _check(self) -> EvaluationConfig:
        if self.cv == "spatial" and self.n_repeats != 1:
            raise ValueError("evaluation.n_repeats must be 1 with cv: spatial (GroupKFold)")
        if not self.learning_curve_sizes or not all(
            0.0 < size <= 1.0 for size in self.learning_curve_sizes
        ):
            raise ValueError("evaluation.learning_curve_sizes must be shares in (0, 1]")
        return self


class MonitorConfig(_Section):
    """Drift thresholds used by ``make monitor`` (see monitor.py and the README)."""

    psi_bins: int = Field(default=10, ge=2, le=50)
    psi_threshold: float = Field(default=0.2, gt=0.0)  # PSI above this: drifted
    psi_warning: float = Field(default=0.1, gt=0.0)  # PSI above this: worth a look
    ks_pvalue: float = Field(default=0.01, gt=0.0, lt=1.0)
    ks_min_statistic: float = Field(default=0.1, ge=0.0, le=1.0)
    # Grid cells for the location check: coarser than the spatial CV's, so that the chi-square
    # effect size of a batch without drift (about sqrt(cells / rows)) stays well under 0.1.
    grid_degrees: float = Field(default=2.0, gt=0.0, le=5.0)
    chi2_pvalue: float = Field(default=0.01, gt=0.0, lt=1.0)
    chi2_min_cramers_v: float = Field(default=0.1, ge=0.0, le=1.0)
    rmse_increase: float = Field(default=0.2, gt=0.0)  # batch RMSE above (1 + this) x reference
    reports_dir: Path = Path("reports")

    @model_validator(mode="after")
    def _check(self) -> MonitorConfig:
        if self.psi_warning > self.psi_threshold:
            raise ValueError("monitor.psi_warning cannot exceed monitor.psi_threshold")
        return self


class ArtifactsConfig(_Section):
    """Where training and evaluation write their outputs."""

    model_path: Path = Path("models/model.joblib")
    baselines_path: Path = Path("models/baselines.joblib")
    comparison_path: Path = Path("models/hist_gradient_boosting.joblib")
    metrics_path: Path = Path("reports/metrics.json")


class Params(_Section):
    """All project parameters; one instance describes one reproducible run."""

    seed: int = 42
    # Threads for every fit (LightGBM, HistGradientBoosting, BLAS). 1 is fastest on small data
    # and on a busy machine, and keeps every run bit-for-bit reproducible.
    n_jobs: int = Field(default=1, ge=1, le=64)
    data: DataConfig = DataConfig()
    features: FeatureConfig = FeatureConfig()
    models: ModelsConfig = ModelsConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    monitor: MonitorConfig = MonitorConfig()
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
