"""The README's figures, drawn from the numbers in reports/metrics.json and reports/drift.json.

Headless and reproducible by construction:

- every figure is drawn on matplotlib's Agg canvas, chosen here in code (a FigureCanvasAgg per
  figure, no pyplot): no display is needed, MPLBACKEND is ignored, and importing this module
  never changes the backend of a notebook that uses it;
- the style is matplotlib's default whatever a matplotlibrc says, the size and dpi are fixed,
  and the PNG carries no "Software" (version) metadata, so the same numbers give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib.style
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

DPI = 100
METRICS_AT_K_FILE = "metrics_at_k.png"
POPULARITY_BIAS_FILE = "popularity_bias.png"
LABELS = {"item_knn": "item-kNN", "popularity": "popularity (baseline)"}
COLOURS = {"item_knn": "tab:blue", "popularity": "tab:orange", "training_ratings": "tab:gray"}
TITLES = {"precision_at_k": "precision@k", "recall_at_k": "recall@k", "ndcg_at_k": "NDCG@k"}


@contextmanager
def _figure(width: float, height: float, path: Path, **margins: float) -> Iterator[Figure]:
    """A figure on the Agg canvas in the default style, saved to `path` on exit.

    Fixed margins (subplots_adjust) rather than an automatic layout: as reproducible, and
    rendering is about twice as fast.
    """
    with matplotlib.style.context("default"):
        figure = Figure(figsize=(width, height), dpi=DPI)
        FigureCanvasAgg(figure)
        figure.subplots_adjust(**margins)
        yield figure
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png", dpi=DPI, metadata={"Software": None})


def _band(axes: Any, ks: list[int], curve: dict[str, list[float]], strategy: str) -> None:
    """A mean line with a +-1 std band."""
    mean, std = np.array(curve["mean"]), np.array(curve["std"])
    colour = COLOURS[strategy]
    axes.plot(ks, mean, color=colour, marker="o", markersize=3, label=LABELS[strategy])
    axes.fill_between(ks, mean - std, mean + std, color=colour, alpha=0.25, linewidth=0)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def metrics_at_k(report: dict[str, Any], path: Path) -> Path:
    """Precision, recall and NDCG at k = 1..max_k, item-kNN against popularity, mean +- std."""
    curves, ks = report["curves"], report["curves"]["k"]
    n = report["repeats"]["n"]
    margins = {"left": 0.05, "right": 0.99, "bottom": 0.14, "top": 0.82, "wspace": 0.22}
    with _figure(11, 3.6, path, **margins) as figure:
        panels = figure.subplots(1, 3)
        for axes, (metric, title) in zip(panels, TITLES.items(), strict=True):
            for strategy in LABELS:
                _band(axes, ks, curves[strategy][metric], strategy)
            axes.axvline(report["k"], color="black", linestyle=":", linewidth=1)
            axes.set(title=title, xlabel="k (length of the list)", xlim=(0.5, ks[-1] + 0.5))
            axes.set_ylim(bottom=0)
            axes.grid(alpha=0.3)
        panels[0].legend(loc="upper right", fontsize="small")
        figure.suptitle(f"Ranking quality, mean ± std over {n} repeated splits")
    return path


def popularity_bias(report: dict[str, Any], path: Path) -> Path:
    """Where the recommendations go by item popularity, and catalogue coverage at each k."""
    groups = report["final_model"]["popularity_groups"]
    curves, ks = report["curves"], report["curves"]["k"]
    margins = {"left": 0.06, "right": 0.99, "bottom": 0.14, "top": 0.92, "wspace": 0.15}
    with _figure(11, 3.8, path, **margins) as figure:
        left, right = figure.subplots(1, 2)
        x = np.array(groups["groups"])
        width = 0.27
        names = ["training_ratings", *LABELS]
        for offset, name in zip((-width, 0.0, width), names, strict=True):
            label = LABELS.get(name, "training ratings")
            left.bar(x + offset, groups[name], width, color=COLOURS[name], label=label)
        left.set(
            title=f"Share of top-{groups['k']} slots by item popularity",
            xlabel="item popularity decile in training (1 = the 10% most rated)",
            ylabel="share",
            xticks=x,
        )
        left.legend(fontsize="small")
        left.grid(axis="y", alpha=0.3)
        for strategy in LABELS:
            _band(right, ks, curves[strategy]["catalog_coverage"], strategy)
        right.axvline(report["k"], color="black", linestyle=":", linewidth=1)
        right.set(
            title="Catalogue coverage (share of items anyone is shown)",
            xlabel="k (length of the list)",
            ylim=(0, 1),
            xlim=(0.5, ks[-1] + 0.5),
        )
        right.legend(loc="upper left", fontsize="small")
        right.grid(alpha=0.3)
    return path


def write_evaluation_figures(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """The two figures of `make evaluate`, from the metrics.json report."""
    return [
        metrics_at_k(report, out_dir / METRICS_AT_K_FILE),
        popularity_bias(report, out_dir / POPULARITY_BIAS_FILE),
    ]


def drift_file(batch_name: str) -> str:
    """drift_<batch>.png: one figure per batch, so checking one batch keeps another's figure."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(batch_name).stem) or "batch"
    return f"drift_{stem}.png"


def drift(report: dict[str, Any], path: Path) -> Path:
    """Training data against the batch, one panel per monitored feature (see monitor.py)."""
    features = report["features"]
    margins = {"left": 0.06, "right": 0.99, "bottom": 0.22, "top": 0.76, "wspace": 0.25}
    with _figure(3.2 * len(features), 3.8, path, **margins) as figure:
        panels = np.atleast_1d(figure.subplots(1, len(features)))
        for axes, feature in zip(panels, features, strict=True):
            shares = feature["shares"]
            x = np.arange(len(shares["labels"]))
            axes.bar(x - 0.2, shares["reference"], 0.4, color="tab:gray", label="training")
            colour = "tab:red" if feature["drifted"] else "tab:green"
            axes.bar(x + 0.2, shares["batch"], 0.4, color=colour, label="batch")
            axes.set_xticks(x, shares["labels"], rotation=90, fontsize="x-small")
            tests = feature["tests"]
            effect = (
                f"PSI {tests['psi']['value']:.2f}, KS D {tests['ks']['statistic']:.2f}"
                if "psi" in tests
                else f"total variation {tests['chi_square']['total_variation']:.2f}"
            )
            verdict = "DRIFTED" if feature["drifted"] else "ok"
            axes.set_title(f"{feature['name']}: {verdict}\n{effect}", fontsize="medium")
            axes.grid(axis="y", alpha=0.3)
        panels[0].set_ylabel("share of rows (tokens for genre)")
        panels[0].legend(fontsize="small")
        status = "drift detected" if report["drift_detected"] else "no drift"
        figure.suptitle(f"Batch {report['batch']['name']} against the training data: {status}")
    return path
