"""The report figures: headless, fixed-size and byte-for-byte reproducible.

Every figure is drawn on matplotlib's Agg canvas, chosen here in code (``FigureCanvasAgg``, never
pyplot's global backend), so nothing needs a display or ``MPLBACKEND``. Each one has a fixed size
and dpi, is drawn with matplotlib's default style (a personal matplotlibrc cannot change it) and
is saved without the "Software" metadata entry, so the same inputs give the same PNG bytes: a
regenerated figure shows up in ``git diff`` only when its content changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import style
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A fixed look, on top of matplotlib's defaults.
_STYLE: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "savefig.facecolor": "white",
}
MODEL_LABELS = {
    "dummy_mean": "Mean baseline",
    "linear_regression": "Linear regression",
    "hist_gradient_boosting": "HistGradientBoosting",
    "lightgbm": "LightGBM",
}

# File names under evaluation.figures_dir; the README and the model card link to them.
PREDICTED_VS_ACTUAL = "predicted_vs_actual.png"
RESIDUALS = "residuals.png"
FEATURE_IMPORTANCE = "feature_importance.png"
LEARNING_CURVE = "learning_curve.png"
CV_SCORES = "cv_scores.png"
DRIFT = "drift.png"
EVALUATION_FIGURES = (PREDICTED_VS_ACTUAL, RESIDUALS, FEATURE_IMPORTANCE, LEARNING_CURVE, CV_SCORES)


@contextmanager
def _figure(path: Path, width: float, height: float, **margins: float) -> Iterator[Figure]:
    """A new Agg figure of a fixed size, saved to ``path`` reproducibly when the block ends.

    ``margins`` go to ``subplots_adjust``: fixed spacing is predictable and much cheaper to
    draw than matplotlib's constrained or tight layout.
    """
    with style.context(["default", _STYLE]):
        figure = Figure(figsize=(width, height), dpi=DPI)
        FigureCanvasAgg(figure)
        figure.subplots_adjust(**margins)
        yield figure
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=DPI, format="png", metadata={"Software": None})


def _label(name: str) -> str:
    return MODEL_LABELS.get(name, name)


def predicted_vs_actual(
    actual: np.ndarray, predicted: np.ndarray, path: Path, model: str, cap: float
) -> Path:
    """Each test row as a point; the diagonal is a perfect prediction."""
    with _figure(path, 5.0, 5.0, left=0.12, right=0.97, bottom=0.1, top=0.94) as figure:
        axes = figure.subplots()
        axes.scatter(actual, predicted, s=6, alpha=0.4, color="tab:blue", linewidths=0)
        low = min(float(np.min(actual)), float(np.min(predicted)), 0.0)
        high = max(float(np.max(actual)), float(np.max(predicted)), cap)
        axes.plot([low, high], [low, high], color="black", linewidth=1, label="perfect")
        axes.axvline(cap, color="tab:red", linestyle=":", linewidth=1, label=f"cap ({cap:.1f})")
        axes.set(
            xlim=(low, high),
            ylim=(low, high),
            xlabel="actual MedHouseVal (100,000 USD)",
            ylabel="predicted",
            title=f"{_label(model)} on the test split",
        )
        axes.set_aspect("equal")
        axes.legend(loc="upper left")
    return path


def residuals(actual: np.ndarray, predicted: np.ndarray, path: Path, model: str) -> Path:
    """Residual (actual - predicted) against the prediction, and their distribution."""
    errors = np.asarray(actual) - np.asarray(predicted)
    margins = {"left": 0.07, "right": 0.99, "bottom": 0.13, "top": 0.92, "wspace": 0.2}
    with _figure(path, 9.0, 3.8, **margins) as figure:
        left, right = figure.subplots(1, 2)
        left.scatter(predicted, errors, s=6, alpha=0.4, color="tab:blue", linewidths=0)
        left.axhline(0.0, color="black", linewidth=1)
        left.set(
            xlabel="predicted (100,000 USD)",
            ylabel="actual - predicted",
            title="Residuals against the prediction",
        )
        right.hist(errors, bins=40, histtype="stepfilled", color="tab:blue", alpha=0.8)
        right.axvline(0.0, color="black", linewidth=1)
        right.set(
            xlabel="actual - predicted (100,000 USD)",
            ylabel="test rows",
            title=f"{_label(model)}: mean {errors.mean():+.3f}, std {errors.std():.3f}",
        )
    return path


def feature_importance(importance: Mapping[str, Mapping[str, float]], path: Path) -> Path:
    """Permutation importance: how much the test RMSE rises when one column is shuffled."""
    ordered = sorted(importance.items(), key=lambda item: item[1]["mean"])
    names = [name for name, _ in ordered]
    means = [values["mean"] for _, values in ordered]
    stds = [values["std"] for _, values in ordered]
    with _figure(path, 6.0, 4.0, left=0.16, right=0.97, bottom=0.12, top=0.93) as figure:
        axes = figure.subplots()
        axes.barh(names, means, xerr=stds, color="tab:blue", alpha=0.8, capsize=3)
        axes.axvline(0.0, color="black", linewidth=1)
        axes.set(
            xlabel="increase in test RMSE when the column is shuffled (100,000 USD)",
            title="Permutation importance (held-out test split)",
        )
    return path


def learning_curve(curve: Mapping[str, Any], path: Path) -> Path:
    """Training and cross-validated RMSE as the training set grows (mean +- std over folds)."""
    colors = {"lightgbm": "tab:blue", "linear_regression": "tab:orange"}
    with _figure(path, 6.0, 4.0, left=0.11, right=0.98, bottom=0.12, top=0.93) as figure:
        axes = figure.subplots()
        sizes = np.asarray(curve["train_sizes"], dtype=float)
        for name, scores in curve["models"].items():
            color = colors.get(name, "tab:gray")
            for split, linestyle in (("train", "--"), ("validation", "-")):
                mean = np.asarray(scores[f"{split}_rmse_mean"])
                std = np.asarray(scores[f"{split}_rmse_std"])
                axes.plot(
                    sizes,
                    mean,
                    linestyle=linestyle,
                    marker="o",
                    markersize=3,
                    color=color,
                    label=f"{_label(name)} ({split})",
                )
                axes.fill_between(sizes, mean - std, mean + std, color=color, alpha=0.15)
        axes.set(
            xlabel="training rows",
            ylabel="RMSE (100,000 USD)",
            title="Learning curve (cross-validation on the training split)",
        )
        axes.legend(fontsize=8)
    return path


def cv_scores(models: Mapping[str, Mapping[str, Any]], path: Path, scheme: str) -> Path:
    """RMSE of every cross-validation fold per model, with the mean and +- one std."""
    with _figure(path, 6.0, 3.5, left=0.11, right=0.98, bottom=0.1, top=0.92) as figure:
        axes = figure.subplots()
        names = list(models)
        for index, name in enumerate(names):
            rmse = models[name]["rmse"]
            folds = np.asarray(rmse["folds"])
            offsets = np.linspace(-0.15, 0.15, len(folds)) if len(folds) > 1 else np.zeros(1)
            axes.scatter(index + offsets, folds, s=12, color="tab:blue", alpha=0.7, zorder=3)
            axes.errorbar(
                index + 0.3,
                rmse["mean"],
                yerr=rmse["std"],
                fmt="D",
                color="black",
                capsize=4,
                markersize=4,
                zorder=4,
            )
        axes.set_xticks(range(len(names)), [_label(name) for name in names])
        axes.set(
            ylabel="RMSE (100,000 USD)",
            title=f"Cross-validated RMSE per fold ({scheme}); diamond: mean +- std",
        )
    return path


def drift(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    columns: Sequence[str],
    notes: Mapping[str, str],
    path: Path,
) -> Path:
    """Reference (training) and batch distributions of each column, titled with ``notes``."""
    n_cols = 3
    n_rows = int(np.ceil(len(columns) / n_cols))
    margins = {"left": 0.03, "right": 0.98, "bottom": 0.06, "top": 0.93}
    with _figure(path, 9.0, 2.4 * n_rows, wspace=0.12, hspace=0.45, **margins) as figure:
        grid = np.atleast_1d(figure.subplots(n_rows, n_cols)).ravel()
        for axes, column in zip(grid, columns, strict=False):
            ref = reference[column].to_numpy(dtype=float)
            new = batch[column].to_numpy(dtype=float)
            both = np.concatenate([ref, new])
            edges = np.linspace(np.quantile(both, 0.005), np.quantile(both, 0.995), 31)
            for values, color, label in ((ref, "tab:blue", "train"), (new, "tab:red", "batch")):
                axes.hist(
                    values,
                    bins=edges,
                    density=True,
                    histtype="stepfilled",
                    alpha=0.45,
                    color=color,
                    label=label,
                )
            axes.set_title(f"{column}: {notes[column]}" if column in notes else column)
            axes.tick_params(labelsize=7)
            axes.set_yticks([])
        for axes in grid[len(columns) :]:
            axes.set_visible(False)
        grid[0].legend(fontsize=7)
    return path


def is_png(path: Path) -> bool:
    """True for a non-empty file that starts with the PNG signature."""
    return (
        path.is_file()
        and path.stat().st_size > len(PNG_SIGNATURE)
        and (path.read_bytes()[: len(PNG_SIGNATURE)] == PNG_SIGNATURE)
    )
