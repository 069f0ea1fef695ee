"""Evaluate the CNN against the pixel baseline, over repeated splits, and draw the figures.

Usage::

    python -m {{cookiecutter.package_name}}.evaluate

Writes reports/metrics.json and three figures in reports/figures/:

- ``repeated_splits``: the CNN and the logistic-regression baseline are re-trained and scored
  on a fresh stratified train/validation/test split for each seed in ``evaluate.split_seeds``
  (the CNN with that seed too, so the spread covers both the split and the initialisation).
  Every score is kept, with the mean and the sample standard deviation, and the CNN is
  compared with the baseline split by split (paired differences): one 360-image test split
  moves by a point or more with the seed.
- ``holdout``: the saved artefacts of `make train` scored on the test split of `make data`:
  the model you would serve, and the source of the confusion matrix and the misclassified
  examples.
- ``training``: the learning curves of `make train` (models/history.json), per epoch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss

from . import figures, tracking
from .config import Config, run_step
from .data import ImageSet, all_images, load_split, split_images
from .model import ImageClassifier, load_model
from .train import fit_baseline, fit_network, flatten

logger = logging.getLogger(__name__)

_DECIMALS = 4
METRICS = ("accuracy", "f1_macro", "log_loss")
PAIRED = ("accuracy", "f1_macro")
CANDIDATES = {
    "model": "CNN (PyTorch), augmentation and early stopping",
    "baseline": "Logistic regression on the raw pixels",
}
FIGURES = ("learning_curves", "confusion_matrix", "misclassified")


def _round(value: float) -> float:
    return round(float(value), _DECIMALS)


def _normalised(probabilities: np.ndarray) -> np.ndarray:
    """float64 rows that sum to one (float32 softmax outputs are off by about 1e-7)."""
    clipped = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1.0)
    return clipped / clipped.sum(axis=1, keepdims=True)


def score(y_true: np.ndarray, probabilities: np.ndarray, n_classes: int) -> dict[str, float]:
    """Accuracy, macro-F1 and log-loss of class probabilities.

    Macro-F1 averages the F1 of each class without weighting by size, so a model that gives up
    on one class cannot hide it. Log-loss scores the probabilities themselves: a confident
    wrong answer costs far more than a hesitant one.
    """
    labels = list(range(n_classes))
    predicted = probabilities.argmax(axis=1)
    return {
        "accuracy": _round(accuracy_score(y_true, predicted)),
        "f1_macro": _round(
            f1_score(y_true, predicted, labels=labels, average="macro", zero_division=0)
        ),
        "log_loss": _round(log_loss(y_true, _normalised(probabilities), labels=labels)),
    }


def baseline_proba(baseline: Any, images: np.ndarray, n_classes: int) -> np.ndarray:
    """The baseline's probabilities, one column per class even if a class was never seen."""
    proba = baseline.predict_proba(flatten(images))
    full = np.zeros((len(images), n_classes), dtype=np.float64)
    full[:, baseline.classes_.astype(int)] = proba
    return full


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


def repeated_splits(config: Config, data: ImageSet) -> dict[str, Any]:
    """Re-train and score the CNN and the baseline on one stratified split per seed."""
    n_classes = len(data.classes)
    per_split: dict[str, dict[str, list[float]]] = {
        name: {metric: [] for metric in METRICS} for name in CANDIDATES
    }
    epochs, seconds, sizes = [], [], {}
    for seed in config.evaluate.split_seeds:
        parts = split_images(data, config.split.test_size, config.split.val_size, seed)
        sizes = {name: len(part) for name, part in parts.items()}
        network, history = fit_network(config, parts["train"], parts["val"], seed)
        baseline = fit_baseline(config, parts["train"])
        test = parts["test"]
        scored = {
            "model": score(test.labels, network.predict_proba(test.images), n_classes),
            "baseline": score(
                test.labels, baseline_proba(baseline, test.images, n_classes), n_classes
            ),
        }
        for name, values in scored.items():
            for metric in METRICS:
                per_split[name][metric].append(values[metric])
        epochs.append(history["best_epoch"])
        seconds.append(history["seconds"])
        logger.info(
            "split seed %d: CNN accuracy %.4f (best epoch %d, %.1f s), baseline %.4f",
            seed,
            scored["model"]["accuracy"],
            history["best_epoch"],
            history["seconds"],
            scored["baseline"]["accuracy"],
        )
    return {
        "seeds": list(config.evaluate.split_seeds),
        "split_sizes": sizes,
        "std": "sample standard deviation (ddof=1) across splits",
        "scores": {
            name: {metric: summarise(values) for metric, values in metrics.items()}
            for name, metrics in per_split.items()
        },
        "comparisons": {
            "model_vs_baseline": {
                metric: paired_difference(per_split["model"][metric], per_split["baseline"][metric])
                for metric in PAIRED
            }
        },
        "cnn_best_epochs": epochs,
        "cnn_training_seconds": seconds,
    }


def misclassified(test: ImageSet, probabilities: np.ndarray, limit: int) -> list[dict[str, Any]]:
    """The test images the model gets wrong, most confident mistakes first."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != test.labels)
    confidence = probabilities[wrong, predicted[wrong]]
    order = wrong[np.argsort(-confidence, kind="stable")][:limit]
    return [
        {
            "index": int(i),
            "true": test.classes[int(test.labels[i])],
            "predicted": test.classes[int(predicted[i])],
            "probability": _round(probabilities[i, predicted[i]]),
        }
        for i in order
    ]


def figure_paths(config: Config) -> dict[str, Path]:
    """Absolute paths of the evaluation figures."""
    folder = config.resolve(config.paths.figures)
    return {name: folder / f"{name}.png" for name in FIGURES}


def read_history(config: Config) -> dict[str, Any]:
    path = config.resolve(config.paths.history)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; run `make train` first.")
    history: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return history


def evaluate(config: Config) -> dict[str, Any]:
    """Compute the metrics, write metrics.json and the figures."""
    train, test = load_split(config, "train"), load_split(config, "test")
    n_classes = len(test.classes)
    model: ImageClassifier = load_model(config.resolve(config.paths.model))
    baseline = joblib.load(config.resolve(config.paths.baseline))
    history = read_history(config)
    proba = {
        "model": model.predict_proba(test.images),
        "baseline": baseline_proba(baseline, test.images, n_classes),
    }
    matrix = confusion_matrix(test.labels, proba["model"].argmax(axis=1), labels=range(n_classes))
    wrong = misclassified(test, proba["model"], config.evaluate.max_misclassified)
    holdout = {
        "seed": config.seed,
        "scores": {name: score(test.labels, p, n_classes) for name, p in proba.items()},
        "per_class_recall": {
            name: _round(matrix[i, i] / max(matrix[i].sum(), 1))
            for i, name in enumerate(test.classes)
        },
        "confusion_matrix": {"labels": list(test.classes), "matrix": matrix.tolist()},
        "n_misclassified": int(matrix.sum() - np.trace(matrix)),
        "misclassified": wrong,
    }
    repeated = repeated_splits(config, all_images(config))

    paths = figure_paths(config)
    figures.plot_learning_curves(history, paths["learning_curves"])
    figures.plot_confusion_matrix(matrix, test.classes, paths["confusion_matrix"])
    figures.plot_misclassified(
        test.images[[row["index"] for row in wrong]],
        [f"{row['true']} -> {row['predicted']} ({row['probability']:.2f})" for row in wrong],
        paths["misclassified"],
        f"Misclassified test images, most confident first ({len(wrong)} of "
        f"{holdout['n_misclassified']}): true -> predicted (probability)",
    )
    epochs = history["epochs"]
    metrics: dict[str, Any] = {
        "data": {
            "n_train": len(train),
            "n_test": len(test),
            "image_shape": list(test.shape),
            "classes": list(test.classes),
        },
        "candidates": CANDIDATES,
        "repeated_splits": repeated,
        "holdout": holdout,
        "training": {
            "n_parameters": history["n_parameters"],
            "best_epoch": history["best_epoch"],
            "epochs_run": len(epochs),
            "stopped_early": history["stopped_early"],
            "seconds": history["seconds"],
            "curves": {
                key: [row[key] for row in epochs]
                for key in ("train_loss", "val_loss", "train_accuracy", "val_accuracy")
            },
        },
        "figures": {name: _relative(config, path) for name, path in paths.items()},
    }
    metrics_path = config.resolve(config.paths.metrics)
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    tracking.log_evaluation(
        metrics,
        tracking.Headline(
            "holdout.scores.model.accuracy",
            holdout["scores"]["model"]["accuracy"],
            greater_is_better=True,
        ),
        [config.resolve(config.paths.figures), metrics_path],
        tracking.run_file_for(config.resolve(config.paths.model)),
    )
    for name in CANDIDATES:
        summary = repeated["scores"][name]
        logger.info(
            "%-8s accuracy %.4f ± %.4f, macro-F1 %.4f ± %.4f over %d splits",
            name,
            summary["accuracy"]["mean"],
            summary["accuracy"]["std"],
            summary["f1_macro"]["mean"],
            summary["f1_macro"]["std"],
            len(repeated["seeds"]),
        )
    gap = repeated["comparisons"]["model_vs_baseline"]["accuracy"]
    logger.info(
        "CNN - baseline accuracy: %+.4f (se %.4f, %d wins, %d ties, %d losses)",
        gap["mean"],
        gap["se"],
        gap["wins"],
        gap["ties"],
        gap["losses"],
    )
    folder = paths["confusion_matrix"].parent
    logger.info("Wrote %s and %d figures in %s", metrics_path, len(paths), folder)
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
