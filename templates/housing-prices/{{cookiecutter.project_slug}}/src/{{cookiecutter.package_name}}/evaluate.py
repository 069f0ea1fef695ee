"""Score every saved model on the held-out test split and write reports/metrics.json.

The test split is touched only here, once the models are trained, so its scores estimate how the
models do on block groups they have never seen. Metrics are in the target's units (100,000 USD).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

from .config import Params, run_step
from .data import FEATURE_COLUMNS, TARGET_COLUMN, TARGET_UNITS, load_processed, load_split_info
from .train import BASELINES, MAIN_MODEL, Models, load_models

logger = logging.getLogger(__name__)


def regression_metrics(y_true: pd.Series, y_pred: Any) -> dict[str, float]:
    """RMSE punishes large misses, MAE is the typical miss, R2 compares against the mean."""
    metrics = {
        "rmse": root_mean_squared_error(y_true, y_pred),
        "mae": mean_absolute_error(y_true, y_pred),
        "r2": r2_score(y_true, y_pred),
    }
    # Adding 0.0 turns a rounded -0.0 into 0.0 so the JSON reads naturally.
    return {name: round(float(value), 4) + 0.0 for name, value in metrics.items()}


def score_models(models: Models, test: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Metrics of each model on the same test rows."""
    features, target = test[FEATURE_COLUMNS], test[TARGET_COLUMN]
    return {
        name: regression_metrics(target, model.predict(features)) for name, model in models.items()
    }


def build_report(scores: dict[str, dict[str, float]], **context: Any) -> dict[str, Any]:
    """Assemble the metrics report; no timestamps, so the same run gives the same file."""
    best_baseline_rmse = min(scores[name]["rmse"] for name in BASELINES)
    reduction = 1.0 - scores[MAIN_MODEL]["rmse"] / best_baseline_rmse
    return {
        **context,
        "target": TARGET_COLUMN,
        "units": TARGET_UNITS,
        "main_model": MAIN_MODEL,
        "rmse_reduction_vs_best_baseline": round(reduction, 4),
        "models": scores,
    }


def write_report(report: dict[str, Any], path: Path) -> None:
    """Write the report as pretty, key-sorted JSON (diff-friendly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def run(params: Params) -> dict[str, Any]:
    """Load the models and the test split, score them and write the report."""
    test = load_processed(params.data.processed_dir, "test")
    split_info = load_split_info(params.data.processed_dir)
    scores = score_models(load_models(params), test)
    report = build_report(
        scores,
        data_source=split_info.source,
        seed=params.seed,
        n_train=split_info.n_train,
        n_test=split_info.n_test,
    )
    write_report(report, params.artifacts.metrics_path)
    for name, metrics in scores.items():
        logger.info(
            "%-24s rmse=%.4f mae=%.4f r2=%.4f", name, metrics["rmse"], metrics["mae"], metrics["r2"]
        )
    logger.info("wrote %s", params.artifacts.metrics_path)
    return report


def main(argv: list[str] | None = None) -> None:
    """CLI: ``python -m <package>.evaluate [--params PATH]``."""
    run_step("Evaluate the trained models on the test split.", run, argv)


if __name__ == "__main__":
    main()
