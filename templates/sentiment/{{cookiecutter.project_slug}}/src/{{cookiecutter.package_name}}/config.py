"""Load configs/params.yaml into validated, typed objects (`python -m` prints them).

Keeping every seed, split size and hyperparameter in one YAML file means an experiment is
described by a diff of that file, and the code never hides a magic number. Pydantic checks
the values when they are loaded, so a typo fails loudly here instead of deep inside sklearn.
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


class _Section(BaseModel):
    """Base for config sections: immutable and strict about unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Section):
    source: Literal["bundled", "full"] = "bundled"
    bundled_path: Path
    full_url: str
    full_archive: Path
    full_csv: Path
    processed_dir: Path


class SplitConfig(_Section):
    test_size: float = Field(gt=0.0, lt=1.0)


class FeaturesConfig(_Section):
    ngram_range: tuple[int, int] = (1, 2)
    min_df: int = Field(default=1, ge=1)
    max_df: float = Field(default=1.0, gt=0.0, le=1.0)
    sublinear_tf: bool = True
    max_features: int | None = Field(default=None, ge=1)
    # Add the word-list score (lexicon.py) as one more feature next to the n-grams.
    lexicon: bool = True

    @model_validator(mode="after")
    def _check_ngram_range(self) -> FeaturesConfig:
        low, high = self.ngram_range
        if not 1 <= low <= high:
            raise ValueError(f"ngram_range must satisfy 1 <= min <= max, got {self.ngram_range}")
        return self


class ModelConfig(_Section):
    C: float = Field(gt=0.0)
    max_iter: int = Field(default=1000, ge=1)
    class_weight: Literal["balanced"] | None = None


class BaselineConfig(_Section):
    strategy: Literal["most_frequent", "prior", "stratified", "uniform"] = "most_frequent"


class EvaluateConfig(_Section):
    # Seeds of the repeated stratified train/test splits (each of split.test_size).
    split_seeds: tuple[int, ...] = Field(default=tuple(range(10)), min_length=2)
    calibration_bins: int = Field(default=10, ge=2, le=50)

    @model_validator(mode="after")
    def _check_seeds(self) -> EvaluateConfig:
        if len(set(self.split_seeds)) != len(self.split_seeds):
            raise ValueError(f"split_seeds must be distinct, got {self.split_seeds}")
        return self


class MonitorConfig(_Section):
    # Numeric features: PSI over quantile bins of the training data, plus a KS test.
    psi_bins: int = Field(default=10, ge=2, le=50)
    psi_threshold: float = Field(default=0.2, gt=0.0)
    ks_alpha: float = Field(default=0.01, gt=0.0, lt=1.0)
    ks_min_statistic: float = Field(default=0.1, ge=0.0, le=1.0)
    # Token frequencies and labels: chi-square test with a minimum effect size.
    top_tokens: int = Field(default=30, ge=1)
    chi2_alpha: float = Field(default=0.01, gt=0.0, lt=1.0)
    chi2_min_cramers_v: float = Field(default=0.1, ge=0.0, le=1.0)
    # With labels: accuracy drop (absolute) against the training reference.
    max_accuracy_drop: float = Field(default=0.1, gt=0.0, lt=1.0)
    # Folds used to compute model-dependent features out of fold on the training split.
    reference_folds: int = Field(default=5, ge=2)


class PathsConfig(_Section):
    model: Path
    baseline: Path
    lexicon: Path
    metrics: Path
    figures: Path
    drift_json: Path
    drift_md: Path
    shifted_batch: Path


class Config(_Section):
    """The whole of params.yaml plus the project root that relative paths hang off."""

    root: Path
    seed: int
    data: DataConfig
    split: SplitConfig
    features: FeaturesConfig
    model: ModelConfig
    baseline: BaselineConfig
    evaluate: EvaluateConfig
    monitor: MonitorConfig
    paths: PathsConfig

    def resolve(self, path: Path) -> Path:
        """Return ``path`` anchored at the project root unless it is already absolute."""
        return path if path.is_absolute() else self.root / path


def load_config(path: str | Path | None = None) -> Config:
    """Read params.yaml (argument, then $PARAMS_PATH, then configs/params.yaml).

    The project root is taken to be the parent of the ``configs/`` folder, so commands work
    from any working directory once they know where the params file is.
    """
    params_path = Path(path or os.environ.get(PARAMS_ENV_VAR) or DEFAULT_PARAMS_PATH).resolve()
    if not params_path.is_file():
        raise FileNotFoundError(
            f"Config file not found: {params_path}. Run from the project root or set "
            f"{PARAMS_ENV_VAR}."
        )
    with params_path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    return Config(root=params_path.parent.parent, **raw)


if __name__ == "__main__":
    # `python -m <package>.config` shows the resolved configuration, handy when debugging.
    print(load_config().model_dump_json(indent=2))


def run_step(
    description: str, step: Callable[[Config], object], argv: Sequence[str] | None = None
) -> None:
    """The command line of a pipeline step: read ``--params PATH``, log at INFO, run ``step``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--params", type=Path, default=None, help="path to params.yaml")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    step(load_config(args.params))
