"""Typed access to configs/params.yaml.

Pydantic models validate the file once, at load time, so a typo or an out-of-range value fails
loudly before any data is touched instead of half-way through a training run.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_PARAMS_PATH = Path("configs/params.yaml")
PARAMS_ENV_VAR = "PARAMS_PATH"


class _Frozen(BaseModel):
    """Base for config sections: immutable, and unknown keys are errors (they are usually typos).

    protected_namespaces=() lets a field be called model_path without older pydantic warning.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())


class PathsConfig(_Frozen):
    raw_dir: Path
    processed_dir: Path
    model_path: Path
    metrics_path: Path
    figures_dir: Path
    drift_report_path: Path


class SyntheticConfig(_Frozen):
    n_users: int = Field(gt=1)
    n_items: int = Field(gt=1)
    n_genres: int = Field(ge=2, le=16)
    n_factors: int = Field(ge=1)
    min_ratings_per_user: int = Field(ge=1)
    median_extra_ratings: float = Field(gt=0)
    popularity_exponent: float = Field(ge=0)
    popularity_quality: float = Field(ge=0)
    taste_strength: float = Field(ge=0)
    item_noise: float = Field(ge=0)
    user_noise: float = Field(ge=0)
    rating_noise: float = Field(ge=0)
    mean_rating: float = Field(ge=0.5, le=5.0)
    start_date: date
    end_date: date

    @model_validator(mode="after")
    def _check_consistency(self) -> SyntheticConfig:
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        if self.min_ratings_per_user > self.n_items:
            raise ValueError("min_ratings_per_user cannot exceed n_items")
        return self


class MovieLensConfig(_Frozen):
    url: str
    timeout_seconds: float = Field(gt=0)


class SplitConfig(_Frozen):
    method: Literal["user_time", "global_time", "random"]
    test_fraction: float = Field(gt=0, lt=1)
    min_user_ratings: int = Field(ge=2)


class ModelConfig(_Frozen):
    n_neighbours: int = Field(ge=1)
    min_item_ratings: int = Field(ge=1)
    weighting: Literal["binary", "rating", "centered"]


class EvaluationConfig(_Frozen):
    k: int = Field(ge=1)
    max_k: int = Field(ge=1, le=100)
    relevance_threshold: float = Field(gt=0, le=5)
    n_repeats: int = Field(ge=2, le=50)
    user_sample: float = Field(gt=0, le=1)

    @model_validator(mode="after")
    def _check_k(self) -> EvaluationConfig:
        if self.max_k < self.k:
            raise ValueError("max_k (the figures' last k) must be at least k")
        return self


class ShiftConfig(_Frozen):
    """How `--make-shifted-batch` distorts a held-out batch (see monitor.make_shifted_batch)."""

    new_user_share: float = Field(ge=0, le=1)
    trend_share: float = Field(ge=0, le=1)
    rating_offset: float = Field(ge=-4.5, le=4.5)


class MonitorConfig(_Frozen):
    """Drift thresholds: a feature drifts when a test is significant AND the effect is large."""

    batch_size: int = Field(ge=50)
    psi_bins: int = Field(ge=2, le=50)
    psi_threshold: float = Field(gt=0)
    p_value: float = Field(gt=0, lt=1)
    min_ks_statistic: float = Field(ge=0, le=1)
    min_total_variation: float = Field(ge=0, le=1)
    min_hit_rate_drop: float = Field(ge=0, le=1)
    shift: ShiftConfig


class Params(_Frozen):
    seed: int
    paths: PathsConfig
    synthetic: SyntheticConfig
    movielens: MovieLensConfig
    split: SplitConfig
    model: ModelConfig
    evaluation: EvaluationConfig
    monitor: MonitorConfig


def load_params(path: str | Path | None = None) -> Params:
    """Read and validate the params file.

    The path comes from the argument, else the PARAMS_PATH environment variable, else
    configs/params.yaml relative to the working directory (the project root for `make`).
    """
    resolved = Path(path or os.environ.get(PARAMS_ENV_VAR) or DEFAULT_PARAMS_PATH)
    with resolved.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return Params.model_validate(raw)
