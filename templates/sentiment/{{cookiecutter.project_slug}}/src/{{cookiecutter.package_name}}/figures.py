"""The figures of the README and model card, rendered headless and byte-for-byte repeatable.

Every figure is a ``matplotlib.figure.Figure`` with an Agg canvas attached in code, so nothing
here depends on ``$MPLBACKEND``, a display or pyplot's global state. Sizes and dpi are fixed
and the PNG carries no "Software" (matplotlib version) entry, so the same inputs give the same
bytes on every run (tests/test_figures.py renders twice and compares).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import (
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

DPI = 100
SIZE = (6.0, 4.5)  # inches: 600 x 450 pixels at DPI
# PNG metadata: drop the default "Software: Matplotlib version ..." entry.
PNG_METADATA: dict[str, str | None] = {"Software": None}
_STYLES = ("-", "--", "-.", ":")


@dataclass(frozen=True)
class ScoredCurve:
    """Scores of one estimator on one test set, for the ROC and precision-recall plots."""

    label: str
    y_true: np.ndarray  # booleans: True for the positive class
    scores: np.ndarray  # probability (or any score) of the positive class
    roc_note: str = ""  # added to the ROC legend, e.g. the repeated-split mean and std
    pr_note: str = ""  # added to the precision-recall legend


def _legend(label: str, metric: str, value: float, note: str) -> str:
    return f"{label}: {metric} {value:.3f}" + (f" ({note})" if note else "")


def new_figure(size: tuple[float, float] = SIZE) -> Figure:
    """A figure drawn by the Agg (raster, headless) backend, whatever the environment says."""
    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_png(figure: Figure, path: Path) -> Path:
    """Write ``figure`` as a PNG with fixed dpi and without version metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=DPI, metadata=PNG_METADATA)
    return path


def plot_roc(curves: Sequence[ScoredCurve], path: Path, title: str) -> Path:
    """ROC curves (true-positive rate against false-positive rate) with a chance diagonal."""
    figure = new_figure()
    axes = figure.add_subplot()
    for curve, style in zip(curves, _STYLES, strict=False):
        fpr, tpr, _ = roc_curve(curve.y_true, curve.scores)
        auc = roc_auc_score(curve.y_true, curve.scores)
        label = _legend(curve.label, "AUC", auc, curve.roc_note)
        axes.plot(fpr, tpr, linestyle=style, linewidth=1.8, label=label)
    axes.plot([0, 1], [0, 1], color="grey", linewidth=1, linestyle=":", label="chance (AUC 0.5)")
    axes.set(xlim=(0, 1), ylim=(0, 1.01), title=title)
    axes.set_xlabel("False-positive rate (negative reviews called positive)")
    axes.set_ylabel("True-positive rate (positive reviews found)")
    axes.legend(loc="lower right", fontsize="small")
    return save_png(figure, path)


def plot_precision_recall(curves: Sequence[ScoredCurve], path: Path, title: str) -> Path:
    """Precision-recall curves for the positive class, with the prevalence as the floor.

    AP (average precision) summarises a curve: the mean precision over the recall levels.
    """
    figure = new_figure()
    axes = figure.add_subplot()
    for curve, style in zip(curves, _STYLES, strict=False):
        precision, recall, _ = precision_recall_curve(curve.y_true, curve.scores)
        average_precision = average_precision_score(curve.y_true, curve.scores)
        label = _legend(curve.label, "AP", average_precision, curve.pr_note)
        axes.plot(recall, precision, linestyle=style, linewidth=1.8, label=label)
    prevalence = float(np.mean(curves[0].y_true)) if curves else 0.5
    axes.axhline(
        prevalence, color="grey", linewidth=1, linestyle=":", label=f"chance ({prevalence:.2f})"
    )
    axes.set(xlim=(0, 1), ylim=(0, 1.01), title=title)
    axes.set_xlabel("Recall (share of positive reviews found)")
    axes.set_ylabel("Precision (share of 'positive' calls that are right)")
    axes.legend(loc="lower left", fontsize="small")
    return save_png(figure, path)


def plot_calibration(
    bins: Sequence[Mapping[str, float]], path: Path, title: str, summary: str
) -> Path:
    """Reliability diagram: observed share of positives against mean predicted probability.

    ``bins`` are the non-empty bins computed in evaluate.py (keys ``lower``, ``upper``,
    ``count``, ``mean_predicted``, ``fraction_positive``). Below it, how many predictions fell
    in each bin: a well-calibrated curve that rests on three predictions proves little.
    """
    figure = new_figure((6.0, 5.5))
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    predicted = [b["mean_predicted"] for b in bins]
    observed = [b["fraction_positive"] for b in bins]
    top.plot([0, 1], [0, 1], color="grey", linewidth=1, linestyle=":", label="perfectly calibrated")
    top.plot(predicted, observed, marker="o", linewidth=1.8, label="model")
    top.set(xlim=(0, 1), ylim=(0, 1), title=title)
    top.set_ylabel("Observed share of positive reviews")
    top.legend(loc="upper left", fontsize="small")
    top.text(0.98, 0.04, summary, ha="right", va="bottom", fontsize="small")
    lefts = [b["lower"] for b in bins]
    widths = [b["upper"] - b["lower"] for b in bins]
    bottom.bar(lefts, [b["count"] for b in bins], width=widths, align="edge", edgecolor="white")
    bottom.set_xlabel("Predicted probability of 'positive'")
    bottom.set_ylabel("Predictions")
    return save_png(figure, path)


def plot_confusion_matrix(matrix: np.ndarray, labels: Sequence[str], path: Path) -> Path:
    """Counts of true against predicted labels on the held-out test split."""
    figure = new_figure((5.0, 4.0))
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes)
    ticks = range(len(labels))
    axes.set_xticks(ticks, labels=labels)
    axes.set_yticks(ticks, labels=labels)
    axes.set_xlabel("Predicted label")
    axes.set_ylabel("True label")
    axes.set_title("Confusion matrix, held-out split")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (row, col), count in np.ndenumerate(matrix):
        colour = "white" if count > threshold else "black"
        axes.text(col, row, str(count), ha="center", va="center", color=colour)
    return save_png(figure, path)


def plot_drift(
    psi: Mapping[str, float],
    psi_threshold: float,
    reference_scores: np.ndarray,
    batch_scores: np.ndarray,
    path: Path,
) -> Path:
    """Left: PSI of each numeric feature against the threshold. Right: predicted probabilities."""
    figure = new_figure((9.0, 3.8))
    left, right = figure.subplots(1, 2, width_ratios=(1, 1))
    names = list(psi)
    values = [psi[name] for name in names]
    colours = ["tab:red" if value > psi_threshold else "tab:blue" for value in values]
    left.barh(names, values, color=colours)
    left.axvline(psi_threshold, color="tab:red", linestyle="--", linewidth=1, label="drift")
    left.axvline(0.1, color="grey", linestyle=":", linewidth=1, label="moderate")
    left.invert_yaxis()
    left.set_xlabel("PSI (batch against training data)")
    left.set_title("Population Stability Index")
    left.legend(loc="lower right", fontsize="small")
    edges = np.linspace(0.0, 1.0, 21)
    right.hist(
        reference_scores, bins=edges, density=True, alpha=0.6, label="training (out of fold)"
    )
    right.hist(batch_scores, bins=edges, density=True, alpha=0.6, label="batch")
    right.set_xlabel("Predicted probability of 'positive'")
    right.set_ylabel("Density")
    right.set_title("Model output")
    right.legend(loc="upper center", fontsize="small")
    return save_png(figure, path)
