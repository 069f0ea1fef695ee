"""The figures of the README and model card, rendered headless and byte-for-byte repeatable.

Every figure is a ``matplotlib.figure.Figure`` with an Agg canvas attached in code, so nothing
here depends on ``$MPLBACKEND``, a display or pyplot's global state. Sizes and dpi are fixed
and the PNG carries no "Software" (matplotlib version) entry, so the same inputs give the same
bytes on every run (tests/test_figures.py renders twice and compares).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100
SIZE = (6.0, 4.5)  # inches: 600 x 450 pixels at DPI
# PNG metadata: drop the default "Software: Matplotlib version ..." entry.
PNG_METADATA: dict[str, str | None] = {"Software": None}


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


def plot_learning_curves(history: Mapping[str, Any], path: Path) -> Path:
    """Loss (left) and accuracy (right) per epoch, training and validation, with the best epoch.

    The training numbers are measured on augmented images with dropout on, as the network
    trains; the validation numbers on the untouched validation split in eval mode. That is why
    validation can sit above training early on.
    """
    epochs = history["epochs"]
    x = [row["epoch"] for row in epochs]
    best = history["best_epoch"]
    figure = new_figure((9.0, 3.8))
    left, right = figure.subplots(1, 2)
    for axes, key, label in ((left, "loss", "Cross-entropy loss"), (right, "accuracy", "Accuracy")):
        axes.plot(x, [row[f"train_{key}"] for row in epochs], label="training (augmented)")
        axes.plot(x, [row[f"val_{key}"] for row in epochs], linestyle="--", label="validation")
        axes.axvline(best, color="grey", linestyle=":", linewidth=1, label=f"best epoch ({best})")
        axes.set_xlabel("Epoch")
        axes.set_ylabel(label)
        axes.legend(fontsize="small")
    left.set_yscale("log")
    left.set_title("Loss")
    stop = "early stopping" if history.get("stopped_early") else "epoch limit"
    right.set_title(f"Accuracy ({len(epochs)} epochs, {stop})")
    right.set_ylim(max(0.0, min(row["train_accuracy"] for row in epochs) - 0.02), 1.0)
    return save_png(figure, path)


def plot_confusion_matrix(matrix: np.ndarray, labels: Sequence[str], path: Path) -> Path:
    """Counts of true against predicted classes on the held-out test split."""
    figure = new_figure((6.0, 5.0))
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes)
    ticks = range(len(labels))
    axes.set_xticks(ticks, labels=labels, rotation=45 if max(map(len, labels)) > 2 else 0)
    axes.set_yticks(ticks, labels=labels)
    axes.set_xlabel("Predicted class")
    axes.set_ylabel("True class")
    axes.set_title("Confusion matrix, held-out test split")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (row, col), count in np.ndenumerate(matrix):
        if count == 0:
            continue
        colour = "white" if count > threshold else "black"
        axes.text(col, row, str(count), ha="center", va="center", color=colour, fontsize="small")
    return save_png(figure, path)


def plot_misclassified(
    images: np.ndarray, captions: Sequence[str], path: Path, title: str, columns: int = 6
) -> Path:
    """A grid of images (1 = ink, drawn dark on white) with a caption under each."""
    count = max(len(images), 1)
    rows = math.ceil(count / columns)
    figure = new_figure((1.5 * columns, 1.6 * rows + 0.5))
    figure.suptitle(title, fontsize="small")
    grid = figure.subplots(rows, columns, squeeze=False)
    for index, axes in enumerate(grid.flat):
        axes.set_axis_off()
        if index < len(images):
            axes.imshow(images[index], cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
            axes.set_title(captions[index], fontsize="x-small")
    if len(images) == 0:
        grid.flat[0].text(0.5, 0.5, "none", ha="center", va="center")
    return save_png(figure, path)


def plot_drift(
    psi: Mapping[str, float],
    psi_threshold: float,
    reference_confidence: np.ndarray,
    batch_confidence: np.ndarray,
    path: Path,
) -> Path:
    """Left: PSI of each numeric feature against the threshold. Right: the model's confidence."""
    figure = new_figure((9.0, 3.8))
    left, right = figure.subplots(1, 2)
    names = list(psi)
    values = [psi[name] for name in names]
    colours = ["tab:red" if value > psi_threshold else "tab:blue" for value in values]
    left.barh(names, values, color=colours)
    left.axvline(psi_threshold, color="tab:red", linestyle="--", linewidth=1, label="drift")
    left.axvline(0.1, color="grey", linestyle=":", linewidth=1, label="moderate")
    left.invert_yaxis()
    left.set_xscale("symlog", linthresh=0.1)
    left.set_xlabel("PSI (batch against reference)")
    left.set_title("Population Stability Index")
    left.legend(loc="lower right", fontsize="small")
    edges = np.linspace(0.0, 1.0, 21)
    right.hist(reference_confidence, bins=edges, density=True, alpha=0.6, label="validation")
    right.hist(batch_confidence, bins=edges, density=True, alpha=0.6, label="batch")
    right.set_yscale("log")
    right.set_xlabel("Probability of the predicted class")
    right.set_ylabel("Density")
    right.set_title("Model confidence")
    right.legend(loc="upper left", fontsize="small")
    return save_png(figure, path)
