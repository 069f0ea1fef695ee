"""Evaluate the model against its baselines, over repeated splits, and draw the figures.

Usage::

    python -m {{cookiecutter.package_name}}.evaluate

Writes reports/metrics.json and four figures in reports/figures/:

- ``repeated_splits``: the model, the "TF-IDF only" ablation, the word-list baseline and the
  majority baseline are re-trained and scored on one stratified split per seed in
  ``evaluate.split_seeds``. Every score is kept, with the mean and the (sample) standard
  deviation, and the model is compared with each baseline split by split (paired
  differences), because one split of 140 reviews moves by several points with the seed.
- ``holdout``: the saved artefacts from `make train` scored on the test split of `make data`:
  the model you would serve, and the source of the ROC, precision-recall and confusion-matrix
  figures.
- ``calibration``: reliability of the model's probabilities, from the predictions of every
  repeated split pooled together (one split has too few reviews for ten bins).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    confusion_matrix,
    f1_score,
    roc_auc_score,
)

from . import figures, tracking
from .config import Config, run_step
from .data import LABEL_COLUMN, LABELS, TEXT_COLUMN, load_split, split_reviews
from .predict import Classifier, load_model
from .train import build_baseline, build_lexicon, build_model, single_threaded_blas

logger = logging.getLogger(__name__)

_DECIMALS = 4
POSITIVE = "positive"
METRICS = ("accuracy", "f1_macro", "roc_auc", "average_precision")
# Display names, in the order of the README table.
CANDIDATES = {
    "model": "TF-IDF + word-list score, logistic regression",
    "tfidf_only": "TF-IDF only, logistic regression (ablation)",
    "lexicon": "Word-list baseline",
    "majority": "Majority-class baseline",
}
BASELINES = ("tfidf_only", "lexicon", "majority")
FIGURES = ("roc_curve", "pr_curve", "calibration", "confusion_matrix")


def _round(value: float) -> float:
    return round(float(value), _DECIMALS)


def positive_scores(estimator: Classifier, texts: Sequence[str]) -> np.ndarray:
    """Probability of the positive class for every text."""
    column = list(estimator.classes_).index(POSITIVE)
    return estimator.predict_proba(list(texts))[:, column]


def labels_from(p_positive: np.ndarray) -> np.ndarray:
    """The label with the higher probability (a tie goes to "negative"), as predict.py does."""
    return np.where(np.asarray(p_positive) > 0.5, POSITIVE, "negative")


def score(y_true: Sequence[str], y_pred: Sequence[str], p_positive: np.ndarray) -> dict[str, float]:
    """Accuracy, macro-F1, ROC-AUC and average precision.

    Macro-F1 averages the F1 of each class without weighting by size, so a model that always
    predicts one class scores badly on it even when its accuracy looks fine. ROC-AUC uses the
    probabilities instead of the labels: the chance that a random positive review is ranked
    above a random negative one (0.5 for a model that ranks at random or not at all).
    Average precision summarises the precision-recall curve of the positive class.
    """
    truth = np.asarray(y_true) == POSITIVE
    return {
        "accuracy": _round(accuracy_score(y_true, y_pred)),
        "f1_macro": _round(
            f1_score(y_true, y_pred, labels=list(LABELS), average="macro", zero_division=0)
        ),
        "roc_auc": _round(roc_auc_score(truth, p_positive)),
        "average_precision": _round(average_precision_score(truth, p_positive)),
    }


def candidate_builders(config: Config) -> dict[str, Callable[[], BaseEstimator]]:
    """Unfitted estimators to compare, keyed as in :data:`CANDIDATES`."""
    return {
        "model": lambda: build_model(config),
        "tfidf_only": lambda: build_model(config, lexicon=False),
        "lexicon": lambda: build_lexicon(config),
        "majority": lambda: build_baseline(config),
    }


def summarise(values: Sequence[float]) -> dict[str, Any]:
    """Mean, sample standard deviation and every value of one metric across splits."""
    array = np.asarray(values, dtype=float)
    return {
        "mean": _round(array.mean()),
        "std": _round(array.std(ddof=1)),
        "per_split": [_round(value) for value in array],
    }


def paired_difference(model: Sequence[float], baseline: Sequence[float]) -> dict[str, Any]:
    """Model minus baseline on the same splits: mean, spread, standard error and win count.

    Pairing removes the part of the noise that both share (an easy split is easy for both),
    so ``se`` (std / sqrt(number of splits)) is the right yardstick for "is the gap real".
    """
    diff = np.asarray(model, dtype=float) - np.asarray(baseline, dtype=float)
    return {
        "mean": _round(diff.mean()),
        "std": _round(diff.std(ddof=1)),
        "se": _round(diff.std(ddof=1) / np.sqrt(len(diff))),
        "wins": int((diff > 0).sum()),
        "ties": int((diff == 0).sum()),
        "losses": int((diff < 0).sum()),
    }


def calibration_table(y_true: np.ndarray, p_positive: np.ndarray, n_bins: int) -> dict[str, Any]:
    """Brier score, expected calibration error and the non-empty equal-width bins."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.digitize(p_positive, edges[1:-1], right=False), 0, n_bins - 1)
    bins, ece = [], 0.0
    for b in range(n_bins):
        mask = index == b
        count = int(mask.sum())
        if not count:
            continue
        mean_predicted = float(p_positive[mask].mean())
        fraction = float(y_true[mask].mean())
        ece += count / len(y_true) * abs(fraction - mean_predicted)
        bins.append(
            {
                "lower": _round(edges[b]),
                "upper": _round(edges[b + 1]),
                "count": count,
                "mean_predicted": _round(mean_predicted),
                "fraction_positive": _round(fraction),
            }
        )
    return {
        "n_predictions": len(y_true),
        "brier": _round(np.mean((p_positive - y_true) ** 2)),
        "ece": _round(ece),
        "bins": bins,
    }


def all_reviews(config: Config) -> pd.DataFrame:
    """Every cleaned review (train + test of `make data`) in a canonical order.

    Sorting by text makes the repeated splits depend only on ``split_seeds``, not on the
    seed that produced the train/test files.
    """
    frame = pd.concat([load_split(config, "train"), load_split(config, "test")])
    return frame.sort_values(TEXT_COLUMN, kind="stable").reset_index(drop=True)


def repeated_splits(config: Config, frame: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    """Re-train and score every candidate on one stratified split per seed.

    Returns the ``repeated_splits`` and ``calibration`` sections of metrics.json.
    """
    builders = candidate_builders(config)
    per_split: dict[str, dict[str, list[float]]] = {
        name: {metric: [] for metric in METRICS} for name in builders
    }
    pooled_truth: list[np.ndarray] = []
    pooled_scores: list[np.ndarray] = []
    n_test = 0
    with single_threaded_blas():
        for seed in config.evaluate.split_seeds:
            train, test = split_reviews(frame, config.split.test_size, seed)
            n_test = len(test)
            for name, build in builders.items():
                fitted = build().fit(train[TEXT_COLUMN], train[LABEL_COLUMN])
                p_positive = positive_scores(fitted, test[TEXT_COLUMN])
                scores = score(test[LABEL_COLUMN], labels_from(p_positive), p_positive)
                for metric in METRICS:
                    per_split[name][metric].append(scores[metric])
                if name == "model":
                    pooled_truth.append((test[LABEL_COLUMN] == POSITIVE).to_numpy(dtype=float))
                    pooled_scores.append(p_positive)

    section = {
        "seeds": list(config.evaluate.split_seeds),
        "test_size": config.split.test_size,
        "n_test_per_split": n_test,
        "std": "sample standard deviation (ddof=1) across splits",
        "scores": {
            name: {metric: summarise(values) for metric, values in metrics.items()}
            for name, metrics in per_split.items()
        },
        "comparisons": {
            f"model_vs_{baseline}": {
                metric: paired_difference(per_split["model"][metric], per_split[baseline][metric])
                for metric in METRICS
            }
            for baseline in BASELINES
        },
    }
    calibration = {
        "source": "model predictions of every repeated split, pooled",
        **calibration_table(
            np.concatenate(pooled_truth),
            np.concatenate(pooled_scores),
            config.evaluate.calibration_bins,
        ),
    }
    return section, calibration


def figure_paths(config: Config) -> dict[str, Path]:
    """Absolute paths of the evaluation figures."""
    folder = config.resolve(config.paths.figures)
    return {name: folder / f"{name}.png" for name in FIGURES}


_SHORT_NAMES = {"model": "model", "tfidf_only": "TF-IDF only", "lexicon": "word list"}


def _note(repeated: dict[str, Any], name: str, metric: str) -> str:
    summary = repeated["scores"][name][metric]
    return f"splits {summary['mean']:.3f} ± {summary['std']:.3f}"


def draw_figures(
    config: Config,
    holdout_scores: dict[str, np.ndarray],
    y_true: pd.Series,
    matrix: np.ndarray,
    repeated: dict[str, Any],
    calibration: dict[str, Any],
) -> dict[str, Path]:
    """Render the four evaluation figures; returns their paths."""
    paths = figure_paths(config)
    truth = (y_true == POSITIVE).to_numpy()
    curves = [
        figures.ScoredCurve(
            label=_SHORT_NAMES[name],
            y_true=truth,
            scores=scores,
            roc_note=_note(repeated, name, "roc_auc"),
            pr_note=_note(repeated, name, "average_precision"),
        )
        for name, scores in holdout_scores.items()
        if name in _SHORT_NAMES
    ]
    n_test = len(y_true)
    figures.plot_roc(curves, paths["roc_curve"], f"ROC curves (held-out test split, n={n_test})")
    figures.plot_precision_recall(
        curves, paths["pr_curve"], f"Precision-recall, 'positive' class (n={n_test})"
    )
    figures.plot_calibration(
        calibration["bins"],
        paths["calibration"],
        f"Reliability diagram ({len(repeated['seeds'])} splits pooled, "
        f"n={calibration['n_predictions']})",
        f"Brier {calibration['brier']:.3f}, ECE {calibration['ece']:.3f}",
    )
    figures.plot_confusion_matrix(matrix, LABELS, paths["confusion_matrix"])
    return paths


def evaluate(config: Config) -> dict[str, Any]:
    """Compute the metrics, write metrics.json and the figures."""
    train, test = load_split(config, "train"), load_split(config, "test")
    saved: dict[str, Classifier] = {
        "model": load_model(config.resolve(config.paths.model)),
        "lexicon": load_model(config.resolve(config.paths.lexicon)),
        "majority": load_model(config.resolve(config.paths.baseline)),
    }
    # The ablation is not served, so it is not saved: fit it here on the same training rows.
    saved["tfidf_only"] = build_model(config, lexicon=False).fit(
        train[TEXT_COLUMN], train[LABEL_COLUMN]
    )
    y_true = test[LABEL_COLUMN]
    holdout_scores = {name: positive_scores(saved[name], test[TEXT_COLUMN]) for name in CANDIDATES}
    holdout_predictions = {name: labels_from(holdout_scores[name]) for name in CANDIDATES}
    matrix = confusion_matrix(y_true, holdout_predictions["model"], labels=list(LABELS))
    holdout = {
        "seed": config.seed,
        "scores": {
            name: score(y_true, holdout_predictions[name], holdout_scores[name])
            for name in CANDIDATES
        },
        "confusion_matrix": {"labels": list(LABELS), "matrix": matrix.tolist()},
    }
    repeated, calibration = repeated_splits(config, all_reviews(config))
    paths = draw_figures(config, holdout_scores, y_true, matrix, repeated, calibration)

    metrics: dict[str, Any] = {
        "data": {
            "n_train": len(train),
            "n_test": len(test),
            "test_label_counts": {label: int((y_true == label).sum()) for label in LABELS},
        },
        "candidates": CANDIDATES,
        "repeated_splits": repeated,
        "holdout": holdout,
        "calibration": calibration,
        "figures": {name: _relative(config, path) for name, path in paths.items()},
    }
    metrics_path = config.resolve(config.paths.metrics)
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    tracking.log_evaluation(
        metrics,
        tracking.Headline(
            "holdout.scores.model.roc_auc",
            holdout["scores"]["model"]["roc_auc"],
            greater_is_better=True,
        ),
        [config.resolve(config.paths.figures), metrics_path],
        tracking.run_file_for(config.resolve(config.paths.model)),
    )
    for name in CANDIDATES:
        summary = repeated["scores"][name]
        logger.info(
            "%-10s accuracy %.3f ± %.3f, ROC-AUC %.3f ± %.3f over %d splits",
            name,
            summary["accuracy"]["mean"],
            summary["accuracy"]["std"],
            summary["roc_auc"]["mean"],
            summary["roc_auc"]["std"],
            len(repeated["seeds"]),
        )
    logger.info(
        "Wrote %s and %d figures in %s", metrics_path, len(paths), paths["roc_curve"].parent
    )
    return metrics


def _relative(config: Config, path: Path) -> str:
    try:
        return path.relative_to(config.root).as_posix()
    except ValueError:
        return path.as_posix()


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point; see the module docstring for usage."""
    run_step(__doc__.splitlines()[0], evaluate, argv)


if __name__ == "__main__":
    main()
