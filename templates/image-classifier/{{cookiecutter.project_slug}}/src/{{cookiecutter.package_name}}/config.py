"""Load configs/params.yaml into validated, typed objects (`python -m` prints them).

Keeping every seed, split size and hyperparameter in one YAML file means an experiment is
described by a diff of that file, and the code never hides a magic number. Pydantic checks
the values when they are loaded, so a typo fails loudly here instead of deep inside torch.
This module does not import torch: `make data` and the API's validation never pay for it.
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
Source = Literal["digits", "mnist", "fashion-mnist", "folder"]


class _Section(BaseModel):
    """Base for config sections: immutable and strict about unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Section):
    source: Source = "digits"
    mnist_url: str
    fashion_mnist_url: str
    download_dir: Path
    folder_path: Path
    folder_image_size: int = Field(default=28, ge=8, le=128)
    max_images: int | None = Field(default=None, ge=100)
    processed_dir: Path


class SplitConfig(_Section):
    test_size: float = Field(gt=0.0, lt=0.5)
    val_size: float = Field(gt=0.0, lt=0.5)

    @model_validator(mode="after")
    def _check_total(self) -> SplitConfig:
        if self.test_size + self.val_size >= 0.8:
            raise ValueError("test_size + val_size must leave at least 20% for training")
        return self


class AugmentConfig(_Section):
    enabled: bool = True
    rotation_degrees: float = Field(default=10.0, ge=0.0, le=45.0)
    shift_pixels: float = Field(default=1.0, ge=0.0, le=8.0)


class ModelConfig(_Section):
    channels: tuple[int, int] = (16, 32)
    dropout: float = Field(default=0.3, ge=0.0, lt=1.0)

    @model_validator(mode="after")
    def _check_channels(self) -> ModelConfig:
        if min(self.channels) < 1 or max(self.channels) > 512:
            raise ValueError(f"channels must be between 1 and 512, got {self.channels}")
        return self


class TrainConfig(_Section):
    learning_rate: float = Field(gt=0.0, le=1.0)
    weight_decay: float = Field(default=1e-4, ge=0.0)
    batch_size: int = Field(default=128, ge=1)
    max_epochs: int = Field(default=30, ge=1)
    patience: int = Field(default=8, ge=1)
    min_delta: float = Field(default=1e-4, ge=0.0)
    threads: int = Field(default=1, ge=1, le=64)


class BaselineConfig(_Section):
    C: float = Field(default=1.0, gt=0.0)
    max_iter: int = Field(default=2000, ge=1)


class EvaluateConfig(_Section):
    # Seeds of the repeated stratified train/validation/test splits.
    split_seeds: tuple[int, ...] = Field(default=(0, 1, 2, 3, 4), min_length=2)
    max_misclassified: int = Field(default=24, ge=1, le=100)

    @model_validator(mode="after")
    def _check_seeds(self) -> EvaluateConfig:
        if len(set(self.split_seeds)) != len(self.split_seeds):
            raise ValueError(f"split_seeds must be distinct, got {self.split_seeds}")
        return self


class MonitorConfig(_Section):
    psi_bins: int = Field(default=10, ge=2, le=50)
    psi_threshold: float = Field(default=0.2, gt=0.0)
    psi_min_batch: int = Field(default=200, ge=1)
    ks_alpha: float = Field(default=0.01, gt=0.0, lt=1.0)
    ks_min_statistic: float = Field(default=0.1, ge=0.0, le=1.0)
    chi2_alpha: float = Field(default=0.01, gt=0.0, lt=1.0)
    chi2_min_cramers_v: float = Field(default=0.1, ge=0.0, le=1.0)
    max_accuracy_drop: float = Field(default=0.1, gt=0.0, lt=1.0)
    shift_rotation_degrees: float = Field(default=25.0, ge=0.0, le=180.0)
    shift_contrast: float = Field(default=0.6, gt=0.0, le=1.0)
    shift_brightness: float = Field(default=0.25, ge=0.0, lt=1.0)


class PathsConfig(_Section):
    model: Path
    checkpoint: Path
    baseline: Path
    history: Path
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
    augment: AugmentConfig
    model: ModelConfig
    train: TrainConfig
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


def run_step(
    description: str, step: Callable[[Config], object], argv: Sequence[str] | None = None
) -> None:
    """The command line of a pipeline step: read ``--params PATH``, log at INFO, run ``step``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--params", type=Path, default=None, help="path to params.yaml")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    step(load_config(args.params))


if __name__ == "__main__":
    # `python -m <package>.config` shows the resolved configuration, handy when debugging.
    print(load_config().model_dump_json(indent=2))
