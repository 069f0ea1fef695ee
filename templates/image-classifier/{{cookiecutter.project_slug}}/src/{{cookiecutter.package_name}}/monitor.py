"""Compare a new batch of images with the training data and report drift.

Usage::

    python -m {{cookiecutter.package_name}}.monitor                      # held-out test split
    python -m {{cookiecutter.package_name}}.monitor --make-shifted-batch  # write a shifted batch
    python -m {{cookiecutter.package_name}}.monitor --batch data/monitoring/shifted.npz
    python -m {{cookiecutter.package_name}}.monitor --batch FOLDER_OF_IMAGES --fail-on-drift

A batch is an .npz file like the processed splits (``images``, and once the true labels are
known ``labels``), or a folder of image files (read the way the API reads an upload; no
labels). Writes reports/drift.json, reports/drift.md and reports/figures/drift.png, and exits
0 whatever it finds, unless ``--fail-on-drift`` is given: then drift means exit code 1.

What is compared, and with which test (thresholds in the ``monitor`` section of params.yaml):

- numeric features of each image (brightness: the mean pixel; contrast: the standard
  deviation of its pixels; ink share: pixels above 0.5; the row and column of the centre of
  the ink) against the training split, and the model's confidence (probability of the
  predicted class) against the validation split: the Population Stability Index over quantile
  bins of the reference (for a batch of at least ``psi_min_batch`` images: on fewer, PSI is
  mostly sampling noise), and the two-sample Kolmogorov-Smirnov test;
- predicted classes (against the validation split's) and, with labels, true classes (against
  the training split's): the chi-square test of homogeneity, with Cramer's V as effect size;
- with labels: accuracy, against the model's accuracy on the validation split.

The statistics themselves are in ``drift``, the module the built-in templates share.

The model's confidence is referenced on the validation split, not the training split: on the
images it was fitted to, a network is more confident than on any new image, which would make
every batch look drifted. The validation images only chose the stopping epoch.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from . import figures
from .config import Config, load_config
from .data import (
    DataValidationError,
    ImageSet,
    load_split,
    read_images,
    save_images,
    split_path,
)
from .drift import chi_square, is_drift, ks_test, psi, round_p
from .imaging import IMAGE_SUFFIXES, load_file

logger = logging.getLogger(__name__)

IMAGE_FEATURES = ("brightness", "contrast", "ink_share", "centre_row", "centre_col")
NUMERIC_FEATURES = (*IMAGE_FEATURES, "confidence")
_DECIMALS = 4


# --------------------------------------------------------------------------- features


def image_features(images: np.ndarray) -> dict[str, np.ndarray]:
    """Brightness, contrast, ink share, and the centre of the ink (0 top/left, 1 bottom/right)."""
    images = np.asarray(images, dtype=np.float64)
    n, height, width = images.shape
    flat = images.reshape(n, -1)
    mass = flat.sum(axis=1)
    safe = np.where(mass > 0, mass, 1.0)
    rows = (images.sum(axis=2) * np.arange(height)).sum(axis=1) / safe / max(height - 1, 1)
    cols = (images.sum(axis=1) * np.arange(width)).sum(axis=1) / safe / max(width - 1, 1)
    return {
        "brightness": flat.mean(axis=1),
        "contrast": flat.std(axis=1),
        "ink_share": (flat > 0.5).mean(axis=1),
        "centre_row": np.where(mass > 0, rows, 0.5),
        "centre_col": np.where(mass > 0, cols, 0.5),
    }


# --------------------------------------------------------------------------- batches


def read_batch(path: Path, shape: tuple[int, int], classes: Sequence[str]) -> ImageSet | np.ndarray:
    """A labelled .npz batch (an :class:`ImageSet`), or the images alone (an .npz without
    labels, or a folder of image files read as the API reads uploads)."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DataValidationError(f"No image files in {path}")
        return np.stack([load_file(p, shape) for p in files])
    if not path.is_file():
        raise FileNotFoundError(f"Batch not found: {path}")
    with np.load(path, allow_pickle=False) as archive:
        if "images" not in archive.files:
            raise DataValidationError(f"{path} has no 'images' array")
        if "labels" not in archive.files:
            images = np.asarray(archive["images"], dtype=np.float32)
            if images.ndim != 3 or images.shape[1:] != shape:
                raise DataValidationError(f"Expected images of shape (n, {shape[0]}, {shape[1]})")
            return images
    batch = read_images(path)
    if batch.shape != shape or batch.classes != tuple(classes):
        raise DataValidationError(f"{path} does not match the model's image size or classes")
    return batch


def make_shifted_batch(
    test: ImageSet, rotation: float, contrast: float, brightness: float, seed: int
) -> ImageSet:
    """The held-out test images as a new scanner might deliver them.

    The story: images start arriving from a new scanner that is mounted askew and badly
    exposed: every image is rotated by ``rotation`` degrees (left or right at random), its
    contrast is multiplied by ``contrast`` and ``brightness`` is added, so the background is
    grey instead of black. Deterministic for a seed; labels are kept, so accuracy can be
    checked.
    """
    rng = np.random.default_rng(seed)
    shifted = []
    for image in test.images:
        angle = rotation * (1 if rng.random() < 0.5 else -1)
        turned = ndimage.rotate(image, angle, reshape=False, order=1, mode="constant", cval=0.0)
        shifted.append(np.clip(turned * contrast + brightness, 0.0, 1.0))
    return ImageSet(np.stack(shifted).astype(np.float32), test.labels.copy(), test.classes)


def write_shifted_batch(config: Config, out: Path | None = None) -> Path:
    """Write :func:`make_shifted_batch` of the held-out test split to ``out``."""
    path = out or config.resolve(config.paths.shifted_batch)
    settings = config.monitor
    batch = make_shifted_batch(
        load_split(config, "test"),
        settings.shift_rotation_degrees,
        settings.shift_contrast,
        settings.shift_brightness,
        config.seed,
    )
    save_images(batch, path)
    logger.info("Wrote a shifted batch of %d images to %s", len(batch), path)
    return path


# --------------------------------------------------------------------------- the report


def _round(value: float) -> float:
    return round(float(value), _DECIMALS)


def _format_p(value: float) -> str:
    return f"{value:.2g}" if value >= 1e-4 else "< 1e-4"


def _numeric(config: Config, reference: np.ndarray, batch: np.ndarray) -> dict[str, Any]:
    monitor = config.monitor
    value = psi(reference, batch, monitor.psi_bins)
    statistic, pvalue = ks_test(reference, batch)
    # With few images in each of the bins, PSI measures the sample as much as the shift
    # (60 images of the reference's own distribution can score 0.3): then KS alone decides.
    judged = len(batch) >= monitor.psi_min_batch
    reasons = []
    if judged and value > monitor.psi_threshold:
        reasons.append(f"PSI {value:.3f} > {monitor.psi_threshold}")
    if is_drift(pvalue, statistic, monitor.ks_alpha, monitor.ks_min_statistic):
        reasons.append(f"KS p={pvalue:.2g} < {monitor.ks_alpha}, D={statistic:.3f}")
    return {
        "reference_mean": _round(np.mean(reference)),
        "batch_mean": _round(np.mean(batch)),
        "psi": _round(value),
        "psi_judged": judged,  # False: too few images for PSI to count (psi_min_batch)
        "ks_statistic": _round(statistic),
        "ks_pvalue": round_p(pvalue),
        "drifted": bool(reasons),
        "reasons": reasons,
    }


def _categorical(
    config: Config, reference: np.ndarray, batch: np.ndarray, classes: Sequence[str]
) -> dict[str, Any]:
    k = len(classes)
    ref_counts = np.bincount(reference, minlength=k).tolist()
    batch_counts = np.bincount(batch, minlength=k).tolist()
    result = chi_square(ref_counts, batch_counts)
    monitor = config.monitor
    drifted = is_drift(
        result["pvalue"], result["cramers_v"], monitor.chi2_alpha, monitor.chi2_min_cramers_v
    )
    ref_total, batch_total = max(sum(ref_counts), 1), max(sum(batch_counts), 1)
    changes = sorted(
        (
            {
                "category": name,
                "reference_share": _round(ref / ref_total),
                "batch_share": _round(new / batch_total),
            }
            for name, ref, new in zip(classes, ref_counts, batch_counts, strict=True)
        ),
        key=lambda row: (-abs(row["batch_share"] - row["reference_share"]), row["category"]),
    )
    return {
        "test": "chi-square",
        "chi2": _round(result["chi2"]),
        "pvalue": round_p(result["pvalue"]),
        "dof": result["dof"],
        "cramers_v": _round(result["cramers_v"]),
        "drifted": bool(drifted),
        "largest_changes": changes[:5],
    }


def drift_report(config: Config, batch: ImageSet | np.ndarray, batch_path: Path) -> dict[str, Any]:
    """Compare ``batch`` with the training and validation splits; the content of drift.json."""
    from .model import load_model  # torch: only once a batch is really being checked

    train, val = load_split(config, "train"), load_split(config, "val")
    model = load_model(config.resolve(config.paths.model))
    images = batch.images if isinstance(batch, ImageSet) else batch
    if len(images) == 0:
        raise DataValidationError(f"{batch_path} holds no images")
    val_proba = model.predict_proba(val.images)
    batch_proba = model.predict_proba(images)
    reference = {
        **image_features(train.images),
        "confidence": val_proba.max(axis=1),
    }
    current = {**image_features(images), "confidence": batch_proba.max(axis=1)}
    numeric = {name: _numeric(config, reference[name], current[name]) for name in NUMERIC_FEATURES}
    categorical = {
        "predicted_class": _categorical(
            config, val_proba.argmax(axis=1), batch_proba.argmax(axis=1), model.classes
        )
    }
    performance: dict[str, Any] | None = None
    if isinstance(batch, ImageSet):
        categorical["true_class"] = _categorical(config, train.labels, batch.labels, model.classes)
        batch_accuracy = float((batch_proba.argmax(axis=1) == batch.labels).mean())
        reference_accuracy = float((val_proba.argmax(axis=1) == val.labels).mean())
        performance = {
            "batch_accuracy": _round(batch_accuracy),
            "reference_accuracy": _round(reference_accuracy),
            "reference": "the validation split",
            "drop": _round(reference_accuracy - batch_accuracy),
            "drifted": reference_accuracy - batch_accuracy > config.monitor.max_accuracy_drop,
        }
    drifted = [name for name, result in {**numeric, **categorical}.items() if result["drifted"]]
    if performance and performance["drifted"]:
        drifted.append("accuracy")
    figure = config.resolve(config.paths.figures) / "drift.png"
    figures.plot_drift(
        {name: result["psi"] for name, result in numeric.items()},
        config.monitor.psi_threshold,
        reference["confidence"],
        current["confidence"],
        figure,
    )
    return {
        "batch": _relative(config, batch_path),
        "n_images": len(images),
        "labelled": performance is not None,
        "drift_detected": bool(drifted),
        "drifted": drifted,
        "numeric": numeric,
        "categorical": categorical,
        "performance": performance,
        "thresholds": config.monitor.model_dump(
            exclude={"shift_rotation_degrees", "shift_contrast", "shift_brightness"}
        ),
        "figure": _relative(config, figure),
    }


def _relative(config: Config, path: Path) -> str:
    try:
        return path.resolve().relative_to(config.root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def render_markdown(report: dict[str, Any], figure_link: str) -> str:
    """A short human-readable summary of :func:`drift_report`."""
    verdict = (
        f"**Drift detected** in: {', '.join(report['drifted'])}."
        if report["drift_detected"]
        else "**No drift detected.**"
    )
    lines = [
        "# Drift report",
        "",
        f"Batch `{report['batch']}` ({report['n_images']} images"
        f"{', labelled' if report['labelled'] else ', unlabelled'}) against the training data "
        "(image features) and the validation split (model confidence, predicted classes).",
        "",
        verdict,
        "",
        "| Feature | Reference mean | Batch mean | PSI | KS D | KS p | Drift |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in report["numeric"].items():
        lines.append(
            f"| {name} | {result['reference_mean']:.3f} | {result['batch_mean']:.3f} | "
            f"{result['psi']:.3f} | {result['ks_statistic']:.3f} | "
            f"{_format_p(result['ks_pvalue'])} | {'yes' if result['drifted'] else 'no'} |"
        )
    lines += ["", "| Categories | Chi-square | p | Cramer's V | Drift |", "|---|---|---|---|---|"]
    for name, result in report["categorical"].items():
        lines.append(
            f"| {name} | {result['chi2']:.1f} (dof {result['dof']}) | "
            f"{_format_p(result['pvalue'])} | {result['cramers_v']:.3f} | "
            f"{'yes' if result['drifted'] else 'no'} |"
        )
    performance = report["performance"]
    lines.append("")
    if performance:
        verdict = (
            "a drop beyond the threshold" if performance["drifted"] else "within the threshold"
        )
        lines.append(
            f"Accuracy on the batch: {performance['batch_accuracy']:.3f} against "
            f"{performance['reference_accuracy']:.3f} ({performance['reference']}); {verdict}."
        )
    else:
        lines.append("No labels in the batch: performance not checked.")
    thresholds = report["thresholds"]
    lines += [
        "",
        f"Thresholds: PSI > {thresholds['psi_threshold']} (batches of "
        f"{thresholds['psi_min_batch']} images or more); KS p < {thresholds['ks_alpha']} with "
        f"D >= {thresholds['ks_min_statistic']}; chi-square p < {thresholds['chi2_alpha']} with "
        f"Cramer's V >= {thresholds['chi2_min_cramers_v']}; accuracy drop > "
        f"{thresholds['max_accuracy_drop']}.",
        "",
        f"![PSI of each numeric feature, and the model's confidence]({figure_link})",
        "",
    ]
    return "\n".join(lines)


def monitor(config: Config, batch_path: Path | None = None) -> dict[str, Any]:
    """Run the comparison and write drift.json, drift.md and the drift figure."""
    path = batch_path or split_path(config, "test")
    test = load_split(config, "test")
    report = drift_report(config, read_batch(path, test.shape, test.classes), path)
    json_path = config.resolve(config.paths.drift_json)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    md_path = config.resolve(config.paths.drift_md)
    md_path.parent.mkdir(parents=True, exist_ok=True)
    figure = config.resolve(Path(report["figure"]))
    try:
        link = figure.relative_to(md_path.parent).as_posix()
    except ValueError:
        link = figure.as_posix()
    md_path.write_text(render_markdown(report, link), encoding="utf-8")
    if report["drift_detected"]:
        logger.warning("Drift detected in %s: %s", path, ", ".join(report["drifted"]))
    else:
        logger.info("No drift detected in %s", path)
    logger.info("Wrote %s and %s", json_path, md_path)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=None, help="path to params.yaml")
    parser.add_argument(
        "--batch", type=Path, default=None, help=".npz or image folder (default: the test split)"
    )
    parser.add_argument(
        "--make-shifted-batch",
        nargs="?",
        const="",
        default=None,
        metavar="OUT",
        help="write a shifted batch (default path: paths.shifted_batch) and exit",
    )
    parser.add_argument(
        "--fail-on-drift", action="store_true", help="exit with status 1 when drift is found"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    config = load_config(args.params)
    if args.make_shifted_batch is not None:
        write_shifted_batch(
            config, Path(args.make_shifted_batch) if args.make_shifted_batch else None
        )
        return 0
    report = monitor(config, args.batch)
    return 1 if args.fail_on_drift and report["drift_detected"] else 0


if __name__ == "__main__":
    sys.exit(main())
