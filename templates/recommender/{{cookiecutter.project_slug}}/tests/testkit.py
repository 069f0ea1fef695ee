"""Helpers shared by the tests: small params, the in-process pipeline, the trained bundle.

The sizes here are a fraction of configs/params.yaml so the whole suite runs in seconds; the
generator and the model code are exactly the ones `make data train evaluate` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from {{ cookiecutter.package_name }}.config import (
    Params,
    load_params,
)
from {{ cookiecutter.package_name }}.data import (
    generate_synthetic,
    save_raw,
)
from {{ cookiecutter.package_name }}.evaluate import run_evaluation
from {{ cookiecutter.package_name }}.model import Recommender
from {{ cookiecutter.package_name }}.train import run_training

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROJECT_PARAMS = PROJECT_ROOT / "configs" / "params.yaml"
SMALL_SYNTHETIC = {
    "n_users": 150,
    "n_items": 200,
    "min_ratings_per_user": 15,
    "median_extra_ratings": 20,
}
SMALL_BATCH = 400  # rows in the monitoring batches made from the small data's test split


def small_params(root: Path, seed: int | None = None) -> Params:
    """The project's params with a small dataset and every path inside `root`."""
    params = load_params(PROJECT_PARAMS)
    paths = {
        "raw_dir": root / "data" / "raw",
        "processed_dir": root / "data" / "processed",
        "model_path": root / "models" / "recommender.npz",
        "metrics_path": root / "reports" / "metrics.json",
        "figures_dir": root / "reports" / "figures",
        "drift_report_path": root / "reports" / "drift.json",
    }
    return params.model_copy(
        update={
            "seed": params.seed if seed is None else seed,
            "paths": params.paths.model_copy(update=paths),
            "synthetic": params.synthetic.model_copy(update=SMALL_SYNTHETIC),
            "monitor": params.monitor.model_copy(update={"batch_size": SMALL_BATCH}),
        }
    )


def run_pipeline(params: Params, figures: bool = False) -> dict[str, Any]:
    """`make data train evaluate`, in process, against `params` (figures only when asked)."""
    ratings, items = generate_synthetic(params.synthetic, params.seed)
    save_raw(ratings, items, params.paths.raw_dir, {"source": "synthetic", "seed": params.seed})
    run_training(params)
    return run_evaluation(params, figures=figures)


@dataclass(frozen=True)
class Trained:
    """Everything one pipeline run produced, for tests that only read it."""

    params: Params
    model: Recommender
    report: dict[str, Any]
    train: pd.DataFrame
    test: pd.DataFrame
    ratings: pd.DataFrame
    items: pd.DataFrame
