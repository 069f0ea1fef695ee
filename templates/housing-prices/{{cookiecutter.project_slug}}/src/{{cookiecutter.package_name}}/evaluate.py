"""Compare the models by cross-validation, score them on the test split, draw the figures.

Two kinds of numbers go into reports/metrics.json:

* **Cross-validation** (the comparison): every model is refitted on each fold of the training
  split and scored on the held-back fold. The mean +- std over folds says how good a model is
  *and* how much that number moves between splits, so one lucky split cannot decide it.
  ``evaluation.cv`` in params.yaml picks shuffled K-fold (optionally repeated) or spatially
  grouped K-fold (GroupKFold over latitude/longitude grid cells): neighbouring block groups
  are alike, so a random split puts near-copies on both sides and flatters every model.
* **The test split**, touched only here, scored once by the models ``make train`` saved: the
  estimate for block groups nobody has looked at. The figures are drawn from it.

Metrics are in the target's units (100,000 USD). Standard deviations are the sample standard
deviation over folds (ddof=1).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.inspection import permutation_importance
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.model_selection import GroupKFold, KFold, RepeatedKFold, learning_curve

from . import figures, tracking
from .config import Params, run_step
from .data import (
    FEATURE_COLUMNS,
    TARGET_CAP,
    TARGET_COLUMN,
    TARGET_UNITS,
    grid_cells,
    load_processed,
    load_split_info,
)
from .train import (
    BASELINES,
    COMPARISON_MODEL,
    MAIN_MODEL,
    Models,
    build_models,
    limited_threads,
    load_models,
)

logger = logging.getLogger(__name__)

METRICS = ("rmse", "mae", "r2")
LEARNING_CURVE_MODELS = (MAIN_MODEL, "linear_regression")
Split = tuple[np.ndarray, np.ndarray]


def _round(value: float) -> float:
    # Adding 0.0 turns a rounded -0.0 into 0.0 so the JSON reads naturally.
    return round(float(value), 4) + 0.0


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """RMSE punishes large misses, MAE is the typical miss, R2 compares against the mean."""
    metrics = {
        "rmse": root_mean_squared_error(y_true, y_pred),
        "mae": mean_absolute_error(y_true, y_pred),
        "r2": r2_score(y_true, y_pred),
    }
    return {name: _round(value) for name, value in metrics.items()}


def score_models(models: Models, test: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Metrics of each model on the same test rows."""
    features, target = test[FEATURE_COLUMNS], test[TARGET_COLUMN]
    return {
        name: regression_metrics(target, model.predict(features)) for name, model in models.items()
    }


# --------------------------------------------------------------------------- cross-validation


def cv_splits(params: Params, train: pd.DataFrame) -> list[Split]:
    """The (fit rows, validation rows) index pairs of the configured scheme, seeded.

    Every model is scored on exactly these folds, so fold-by-fold differences are paired.
    """
    evaluation = params.evaluation
    if evaluation.cv == "spatial":
        groups = grid_cells(train, evaluation.grid_degrees)
        if groups.nunique() < evaluation.n_splits:
            raise ValueError(
                f"spatial CV needs at least {evaluation.n_splits} grid cells, found "
                f"{groups.nunique()}: lower evaluation.grid_degrees or evaluation.n_splits"
            )
        splitter: Any = GroupKFold(n_splits=evaluation.n_splits)
        return list(splitter.split(train, groups=groups))
    if evaluation.n_repeats > 1:
        splitter = RepeatedKFold(
            n_splits=evaluation.n_splits, n_repeats=evaluation.n_repeats, random_state=params.seed
        )
    else:
        splitter = KFold(n_splits=evaluation.n_splits, shuffle=True, random_state=params.seed)
    return list(splitter.split(train))


def summarise(values: list[float]) -> dict[str, Any]:
    """Per-fold values with their mean and sample standard deviation."""
    array = np.asarray(values, dtype=float)
    std = array.std(ddof=1) if len(array) > 1 else 0.0
    return {"mean": _round(array.mean()), "std": _round(std), "folds": [_round(v) for v in array]}


def cross_validate_models(
    estimators: dict[str, BaseEstimator], train: pd.DataFrame, splits: list[Split]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Refit a fresh copy of each estimator on every fold and score it on the held-back rows."""
    features, target = train[FEATURE_COLUMNS], train[TARGET_COLUMN]
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for name, estimator in estimators.items():
        per_fold: dict[str, list[float]] = {metric: [] for metric in METRICS}
        for fit_rows, validation_rows in splits:
            model = clone(estimator).fit(features.iloc[fit_rows], target.iloc[fit_rows])
            scores = regression_metrics(
                target.iloc[validation_rows], model.predict(features.iloc[validation_rows])
            )
            for metric in METRICS:
                per_fold[metric].append(scores[metric])
        results[name] = {metric: summarise(per_fold[metric]) for metric in METRICS}
        logger.info(
            "cv %-24s rmse=%.4f +- %.4f",
            name,
            results[name]["rmse"]["mean"],
            results[name]["rmse"]["std"],
        )
    return results


def cv_description(params: Params, splits: list[Split]) -> dict[str, Any]:
    """What the folds were, so the report can be read on its own."""
    evaluation = params.evaluation
    description: dict[str, Any] = {
        "scheme": evaluation.cv,
        "n_splits": evaluation.n_splits,
        "n_repeats": evaluation.n_repeats,
        "n_folds": len(splits),
        "std": "sample standard deviation over folds (ddof=1)",
    }
    if evaluation.cv == "spatial":
        description["grid_degrees"] = evaluation.grid_degrees
    return description


# --------------------------------------------------------------------------- figure inputs


def permutation_importances(
    model: BaseEstimator, test: pd.DataFrame, params: Params
) -> dict[str, dict[str, float]]:
    """Mean and std increase in test RMSE when each input column is shuffled (seeded)."""
    result = permutation_importance(
        model,
        test[FEATURE_COLUMNS],
        test[TARGET_COLUMN],
        scoring="neg_root_mean_squared_error",
        n_repeats=params.evaluation.permutation_repeats,
        random_state=params.seed,
    )
    return {
        column: {"mean": _round(mean), "std": _round(std)}
        for column, mean, std in zip(
            FEATURE_COLUMNS, result.importances_mean, result.importances_std, strict=True
        )
    }


def learning_curves(params: Params, train: pd.DataFrame, splits: list[Split]) -> dict[str, Any]:
    """Training and validation RMSE at growing training sizes, on the same folds as the CV."""
    estimators = build_models(params)
    curve: dict[str, Any] = {"models": {}}
    for name in LEARNING_CURVE_MODELS:
        sizes, train_scores, validation_scores = learning_curve(
            estimators[name],
            train[FEATURE_COLUMNS],
            train[TARGET_COLUMN],
            train_sizes=list(params.evaluation.learning_curve_sizes),
            cv=splits,
            scoring="neg_root_mean_squared_error",
        )
        curve["train_sizes"] = [int(size) for size in sizes]
        curve["models"][name] = {
            f"{split}_rmse_{stat}": [_round(value) for value in fn(-scores, axis=1)]
            for split, scores in (("train", train_scores), ("validation", validation_scores))
            for stat, fn in (("mean", np.mean), ("std", np.std))
        }
    return curve


def write_figures(
    report: dict[str, Any], model: BaseEstimator, test: pd.DataFrame, out_dir: Path
) -> list[str]:
    """Draw every evaluation figure from the report and the served model's test predictions."""
    actual = test[TARGET_COLUMN].to_numpy()
    predicted = np.asarray(model.predict(test[FEATURE_COLUMNS]))
    paths = [
        figures.predicted_vs_actual(
            actual, predicted, out_dir / figures.PREDICTED_VS_ACTUAL, MAIN_MODEL, TARGET_CAP
        ),
        figures.residuals(actual, predicted, out_dir / figures.RESIDUALS, MAIN_MODEL),
        figures.feature_importance(
            report["permutation_importance"]["features"], out_dir / figures.FEATURE_IMPORTANCE
        ),
        figures.learning_curve(report["learning_curve"], out_dir / figures.LEARNING_CURVE),
        figures.cv_scores(
            report["cross_validation"]["models"],
            out_dir / figures.CV_SCORES,
            report["cross_validation"]["scheme"],
        ),
    ]
    return [path.name for path in paths]


# --------------------------------------------------------------------------- report


def build_report(
    cv: dict[str, dict[str, dict[str, Any]]],
    test_scores: dict[str, dict[str, float]],
    **context: Any,
) -> dict[str, Any]:
    """Assemble the metrics report; no timestamps, so the same run gives the same file."""
    best_baseline = min(cv[name]["rmse"]["mean"] for name in BASELINES)
    reduction = 1.0 - cv[MAIN_MODEL]["rmse"]["mean"] / best_baseline
    return {
        **context,
        "target": TARGET_COLUMN,
        "units": TARGET_UNITS,
        "main_model": MAIN_MODEL,
        "comparison_model": COMPARISON_MODEL,
        "baselines": list(BASELINES),
        "rmse_reduction_vs_best_baseline": _round(reduction),
        "test": test_scores,
    }


def write_report(report: dict[str, Any], path: Path) -> None:
    """Write the report as pretty, key-sorted JSON (diff-friendly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def run(params: Params) -> dict[str, Any]:
    """Cross-validate, score the saved models on the test split, draw figures, write the report."""
    train = load_processed(params.data.processed_dir, "train")
    test = load_processed(params.data.processed_dir, "test")
    split_info = load_split_info(params.data.processed_dir)
    models = load_models(params)
    with limited_threads(params.n_jobs):
        splits = cv_splits(params, train)
        cv = cross_validate_models(build_models(params), train, splits)
        test_scores = score_models(models, test)
        report = build_report(
            cv,
            test_scores,
            data_source=split_info.source,
            seed=params.seed,
            n_train=split_info.n_train,
            n_test=split_info.n_test,
            cross_validation={**cv_description(params, splits), "models": cv},
            permutation_importance={
                "split": "test",
                "model": MAIN_MODEL,
                "metric": "increase in RMSE",
                "n_repeats": params.evaluation.permutation_repeats,
                "features": permutation_importances(models[MAIN_MODEL], test, params),
            },
            learning_curve=learning_curves(params, train, splits),
        )
    report["figures"] = write_figures(
        report, models[MAIN_MODEL], test, params.evaluation.figures_dir
    )
    write_report(report, params.artifacts.metrics_path)
    tracking.log_evaluation(
        report,
        tracking.Headline(
            f"test.{MAIN_MODEL}.rmse", report["test"][MAIN_MODEL]["rmse"], greater_is_better=False
        ),
        [params.evaluation.figures_dir, params.artifacts.metrics_path],
        tracking.run_file_for(params.artifacts.model_path),
    )
    for name, metrics in test_scores.items():
        logger.info(
            "test %-24s rmse=%.4f mae=%.4f r2=%.4f",
            name,
            metrics["rmse"],
            metrics["mae"],
            metrics["r2"],
        )
    logger.info("wrote %s and %d figures", params.artifacts.metrics_path, len(report["figures"]))
    return report


def main(argv: list[str] | None = None) -> None:
    """CLI: ``python -m <package>.evaluate [--params PATH]``."""
    run_step("Cross-validate the models, score them on the test split, draw figures.", run, argv)


if __name__ == "__main__":
    main()
