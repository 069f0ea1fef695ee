"""Score the model and the baseline on the held-out test split.

Usage::

    python -m {{cookiecutter.package_name}}.evaluate

Writes reports/metrics.json (accuracy and macro-F1 for model and baseline, plus k-fold
cross-validation on the training split) and reports/figures/confusion_matrix.png.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.base import BaseEstimator
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_score

from .config import Config, run_step
from .data import LABEL_COLUMN, LABELS, TEXT_COLUMN, load_split
from .predict import load_model
from .train import build_baseline, build_model

logger = logging.getLogger(__name__)

_DECIMALS = 4


def score(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    """Accuracy and macro-F1.

    Macro-F1 averages the F1 of each class without weighting by size, so a model that
    always predicts one class scores badly on it even when its accuracy looks fine.
    """
    return {
        "accuracy": round(float(accuracy_score(y_true, y_pred)), _DECIMALS),
        "f1_macro": round(
            float(f1_score(y_true, y_pred, labels=list(LABELS), average="macro", zero_division=0)),
            _DECIMALS,
        ),
    }


def cross_validated_f1(
    estimator: BaseEstimator, train: pd.DataFrame, folds: int, seed: int
) -> dict[str, float]:
    """Mean and standard deviation of macro-F1 over stratified k folds of the train split.

    One small test split gives a noisy number; the spread across folds shows how much of a
    difference between two configurations could be luck.
    """
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_val_score(
        estimator, train[TEXT_COLUMN], train[LABEL_COLUMN], cv=splitter, scoring="f1_macro"
    )
    return {
        "cv_f1_macro_mean": round(float(np.mean(scores)), _DECIMALS),
        "cv_f1_macro_std": round(float(np.std(scores)), _DECIMALS),
    }


def plot_confusion_matrix(matrix: np.ndarray, labels: Sequence[str], path: Path) -> Path:
    """Save the confusion matrix as a PNG using the non-interactive Agg backend."""
    figure = Figure(figsize=(4.5, 4.0), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes)
    ticks = range(len(labels))
    axes.set_xticks(ticks, labels=labels)
    axes.set_yticks(ticks, labels=labels)
    axes.set_xlabel("Predicted label")
    axes.set_ylabel("True label")
    axes.set_title("Confusion matrix (test split)")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (row, col), count in np.ndenumerate(matrix):
        colour = "white" if count > threshold else "black"
        axes.text(col, row, str(count), ha="center", va="center", color=colour)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    return path


def evaluate(config: Config) -> dict[str, Any]:
    """Compute the metrics, write metrics.json and the confusion-matrix figure."""
    train, test = load_split(config, "train"), load_split(config, "test")
    model = load_model(config.resolve(config.paths.model))
    baseline = load_model(config.resolve(config.paths.baseline))
    y_true = test[LABEL_COLUMN]
    model_pred = model.predict(test[TEXT_COLUMN])
    baseline_pred = baseline.predict(test[TEXT_COLUMN])

    folds, seed = config.evaluate.cv_folds, config.seed
    matrix = confusion_matrix(y_true, model_pred, labels=list(LABELS))
    metrics: dict[str, Any] = {
        "data": {
            "n_train": len(train),
            "n_test": len(test),
            "test_label_counts": {label: int((y_true == label).sum()) for label in LABELS},
        },
        "model": score(y_true, model_pred)
        | cross_validated_f1(build_model(config), train, folds, seed),
        "baseline": score(y_true, baseline_pred)
        | cross_validated_f1(build_baseline(config), train, folds, seed),
        "confusion_matrix": {"labels": list(LABELS), "matrix": matrix.tolist()},
    }

    metrics_path = config.resolve(config.paths.metrics)
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    plot_confusion_matrix(matrix, LABELS, config.resolve(config.paths.confusion_matrix))
    logger.info("Model    %s", metrics["model"])
    logger.info("Baseline %s", metrics["baseline"])
    logger.info("Wrote %s", metrics_path)
    return metrics


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point; see the module docstring for usage."""
    run_step(__doc__.splitlines()[0], evaluate, argv)


if __name__ == "__main__":
    main()
