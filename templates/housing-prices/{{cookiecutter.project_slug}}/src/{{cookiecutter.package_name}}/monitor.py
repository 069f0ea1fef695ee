"""Drift monitoring: does a new batch still look like the data the model was trained on?

``python -m <package>.monitor --batch rows.csv`` (``make monitor``) compares a batch of inputs
with the training split and writes ``reports/drift.json``, a short ``reports/drift.md`` and
``reports/figures/drift.png``. When the batch also has the target column (the labels arrived),
it compares the model's error on it with its error on the held-out test split too.

The tests are the standard ones, implemented in a few lines each in ``drift`` (the module the
built-in templates share; a monitoring library such as Evidently would pull in far more than
this project needs); this module picks the columns, the thresholds and the verdicts:

* **PSI** (population stability index) for every numeric column and for the model's
  predictions. The bins are fixed from the *training* data (its deciles), so every batch is
  measured against the same yardstick: PSI = sum((batch% - train%) * ln(batch% / train%)).
  Rule of thumb: below 0.1 stable, 0.1-0.2 a moderate shift, above 0.2 drifted.
* **Two-sample Kolmogorov-Smirnov** (``scipy.stats.ks_2samp``) for the same columns: the
  largest gap between the two cumulative distributions, with a p-value. On large batches a
  tiny, harmless shift is "significant", so drift needs p < 0.01 *and* a gap of at least 0.1.
* **Chi-square** (``scipy.stats.chi2_contingency``) for the one categorical view of the data:
  how many rows fall in each latitude/longitude grid cell, i.e. whether the batch comes from
  the same places. Drift needs p < 0.01 *and* Cramer's V (the effect size) of at least 0.1.

Thresholds live in ``monitor`` in params.yaml. The command exits 0 and reports; with
``--fail-on-drift`` it exits 1 when drift is found, for CI or a cron job.
``--make-shifted-batch OUT`` writes a batch that has drifted (to see the monitor fire) and
``--make-unshifted-batch OUT`` one that has not (held-out rows of the same distribution).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import figures
from .config import MonitorConfig, Params, load_params
from .data import (
    FEATURE_COLUMNS,
    FEATURE_SPECS,
    TARGET_COLUMN,
    grid_cells,
    load_processed,
)
from .drift import chi_square, is_drift, ks_test, psi
from .evaluate import regression_metrics
from .predict import load_model, predict_frame

logger = logging.getLogger(__name__)

PREDICTION = "prediction"
LOCATION = "grid_cell"
DRIFT_JSON = "drift.json"
DRIFT_MD = "drift.md"
MIN_EXPECTED_COUNT = 5  # chi-square: rarer grid cells are pooled into one "other" cell
EXIT_DRIFT = 1
EXIT_ERROR = 2


# --------------------------------------------------------------------------- the locations


def contingency_table(reference: Sequence[str], current: Sequence[str]) -> pd.DataFrame:
    """Counts per category (columns) for the reference and the current rows (two rows).

    Categories too rare for the chi-square approximation (expected count below 5 in the smaller
    sample) are pooled into ``"other"``, and so are categories never seen in the reference.
    """
    ref_counts = pd.Series(list(reference)).value_counts()
    cur_counts = pd.Series(list(current)).value_counts()
    table = pd.DataFrame({"reference": ref_counts, "current": cur_counts}).fillna(0).T
    total = table.to_numpy().sum()
    expected_in_smaller = table.sum(axis=0) * table.sum(axis=1).min() / total
    rare = (expected_in_smaller < MIN_EXPECTED_COUNT) | (table.loc["reference"] == 0)
    pooled = table.loc[:, ~rare].copy()
    if rare.any():
        pooled["other"] = table.loc[:, rare].sum(axis=1)
    return pooled.loc[:, sorted(pooled.columns)].astype(int)


def chi_square_test(reference: Sequence[str], current: Sequence[str]) -> dict[str, float]:
    """Pearson's chi-square test of equal category shares, with Cramer's V as the effect size."""
    table = contingency_table(reference, current)
    return chi_square(table.loc["reference"].tolist(), table.loc["current"].tolist())


# --------------------------------------------------------------------------- verdicts


def _num(value: float) -> float:
    """Round for the report: 4 decimals, p-values to 4 significant digits."""
    if value != 0 and abs(value) < 1e-3:
        return float(f"{value:.4g}")
    return round(float(value), 4) + 0.0


def numeric_drift(reference: np.ndarray, current: np.ndarray, config: MonitorConfig) -> dict:
    """PSI and KS for one numeric column, and the verdict: ok, warning or drift."""
    value = psi(reference, current, config.psi_bins)
    statistic, pvalue = ks_test(reference, current)
    ks_drift = is_drift(pvalue, statistic, config.ks_pvalue, config.ks_min_statistic)
    if value > config.psi_threshold or ks_drift:
        status = "drift"
    elif value > config.psi_warning or pvalue < config.ks_pvalue:
        status = "warning"
    else:
        status = "ok"
    return {
        "psi": _num(value),
        "ks_statistic": _num(statistic),
        "ks_pvalue": _num(pvalue),
        "reference_mean": _num(np.mean(reference)),
        "batch_mean": _num(np.mean(current)),
        "status": status,
    }


def categorical_drift(reference: Sequence[str], current: Sequence[str], config: MonitorConfig):
    """Chi-square on category counts, and the verdict."""
    result = chi_square_test(reference, current)
    pvalue, cramers_v = result["pvalue"], result["cramers_v"]
    if is_drift(pvalue, cramers_v, config.chi2_pvalue, config.chi2_min_cramers_v):
        status = "drift"
    elif pvalue < config.chi2_pvalue:
        status = "warning"
    else:
        status = "ok"
    rounded = {key: _num(value) for key, value in result.items() if key != "dof"}
    return {**rounded, "dof": int(result["dof"]), "status": status}


def performance_drift(
    batch_metrics: dict[str, float], reference_metrics: dict[str, float], config: MonitorConfig
) -> dict[str, Any]:
    """The model's error on the labelled batch against its error on the held-out test split."""
    ratio = batch_metrics["rmse"] / reference_metrics["rmse"]
    return {
        "batch": batch_metrics,
        "reference": reference_metrics,
        "reference_split": "test",
        "rmse_ratio": _num(ratio),
        "status": "drift" if ratio > 1.0 + config.rmse_increase else "ok",
    }


# --------------------------------------------------------------------------- batches


def check_batch(batch: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The batch's feature (and target) columns as float64, and how many rows break the contract.

    Missing feature columns or non-numeric values are errors; out-of-range rows are counted
    (a jump in that count is itself a data-quality alarm) and kept.
    """
    missing = [column for column in FEATURE_COLUMNS if column not in batch.columns]
    if missing:
        raise ValueError(f"the batch is missing feature columns: {missing}")
    columns = [*FEATURE_COLUMNS, *([TARGET_COLUMN] if TARGET_COLUMN in batch.columns else [])]
    try:
        frame = batch[columns].astype("float64")
    except ValueError as error:
        raise ValueError(f"the batch has non-numeric values: {error}") from error
    if frame[FEATURE_COLUMNS].isna().any().any() or not np.isfinite(frame.to_numpy()).all():
        raise ValueError("the batch has missing or non-finite feature values")
    outside = pd.Series(False, index=frame.index)
    for column, spec in FEATURE_SPECS.items():
        outside |= ~frame[column].between(spec.low, spec.high)
    return frame.reset_index(drop=True), int(outside.sum())


def make_shifted_batch(rows: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A batch from a changed world, made from held-out rows (seeded, so always the same).

    * where the rows come from: inland block groups (east of -120.5) are three times as likely
      to be drawn as coastal ones, as if the data now came from a different region mix;
    * incomes are 30% higher (say, nominal growth) and houses ten years older;
    * the labels, if present, are the rows' own values: house values did not follow incomes,
      so the relation the model learned (more income, more value) no longer holds and it
      over-predicts. That is concept drift, which only the labels can reveal.

    Every value stays inside the data contract, so the API would still accept every row: only
    the monitor notices.
    """
    weights = np.where(rows["Longitude"] > -120.5, 3.0, 1.0)
    drawn = rows.sample(n=len(rows), replace=True, weights=weights, random_state=seed)
    shifted = drawn.reset_index(drop=True).assign(
        MedInc=lambda df: (df["MedInc"] * 1.3).clip(upper=15.0),
        HouseAge=lambda df: (df["HouseAge"] + 10.0).clip(upper=52.0),
    )
    return shifted.round(4)


def make_unshifted_batch(rows: pd.DataFrame) -> pd.DataFrame:
    """A batch with no drift: held-out rows of the training distribution, as they are."""
    return rows.reset_index(drop=True).copy()


# --------------------------------------------------------------------------- the report


def compare(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    model: Any,
    reference_metrics: dict[str, float],
    params: Params,
    name: str = "batch",
) -> dict[str, Any]:
    """Every test on every column; ``drift_detected`` if any input, the predictions, the
    locations or (with labels) the performance drifted.

    ``reference`` is the training split, ``batch`` the new rows; both get a ``prediction``
    column from ``model`` for the comparison (the caller's frames are left as they are).
    """
    checked, outside = check_batch(batch)
    reference = reference.assign(**{PREDICTION: predict_frame(model, reference)})
    checked = checked.assign(**{PREDICTION: predict_frame(model, checked)})
    return _compare(reference, checked, outside, reference_metrics, params, name)


def _compare(
    reference: pd.DataFrame,
    checked: pd.DataFrame,
    outside: int,
    reference_metrics: dict[str, float],
    params: Params,
    name: str,
) -> dict[str, Any]:
    config = params.monitor
    columns: dict[str, dict[str, Any]] = {
        column: numeric_drift(reference[column].to_numpy(), checked[column].to_numpy(), config)
        for column in [*FEATURE_COLUMNS, PREDICTION]
    }
    location = categorical_drift(
        grid_cells(reference, config.grid_degrees).tolist(),
        grid_cells(checked, config.grid_degrees).tolist(),
        config,
    )
    report: dict[str, Any] = {
        "batch": name,
        "n_reference": len(reference),
        "n_batch": len(checked),
        "rows_outside_contract": outside,
        "reference": "training split",
        "columns": columns,
        LOCATION: {**location, "grid_degrees": config.grid_degrees},
        "labels": TARGET_COLUMN in checked.columns,
        "performance": None,
        "thresholds": config.model_dump(mode="json", exclude={"reports_dir"}),
    }
    if report["labels"]:
        columns[TARGET_COLUMN] = numeric_drift(
            reference[TARGET_COLUMN].to_numpy(), checked[TARGET_COLUMN].to_numpy(), config
        )
        batch_metrics = regression_metrics(checked[TARGET_COLUMN], checked[PREDICTION])
        report["performance"] = performance_drift(batch_metrics, reference_metrics, config)
    drifted = [name for name, result in columns.items() if result["status"] == "drift"]
    if location["status"] == "drift":
        drifted.append(LOCATION)
    if report["performance"] and report["performance"]["status"] == "drift":
        drifted.append("performance")
    report["drifted"] = drifted
    report["drift_detected"] = bool(drifted)
    return report


def _markdown(report: dict[str, Any], figure_link: str | None) -> str:
    """The short, human-readable version of drift.json."""
    verdict = (
        f"**Drift detected** in: {', '.join(report['drifted'])}."
        if report["drift_detected"]
        else "**No drift detected.**"
    )
    thresholds = report["thresholds"]
    lines = [
        "# Drift report",
        "",
        f"Batch `{report['batch']}` ({report['n_batch']} rows) against the training split "
        f"({report['n_reference']} rows). {verdict}",
        "",
        "| Column | PSI | KS statistic | KS p-value | Train mean | Batch mean | Status |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, result in report["columns"].items():
        lines.append(
            f"| {name} | {result['psi']:.3f} | {result['ks_statistic']:.3f} | "
            f"{result['ks_pvalue']:.3g} | {result['reference_mean']:.3f} | "
            f"{result['batch_mean']:.3f} | {result['status']} |"
        )
    location = report[LOCATION]
    lines += [
        "",
        f"Location ({location['grid_degrees']:g}-degree grid cells, chi-square): "
        f"chi2 = {location['chi2']:.1f}, dof = {location['dof']}, p = {location['pvalue']:.3g}, "
        f"Cramer's V = {location['cramers_v']:.3f}: {location['status']}.",
    ]
    performance = report["performance"]
    if performance:
        lines.append(
            f"Performance (labels present): RMSE {performance['batch']['rmse']:.3f} against "
            f"{performance['reference']['rmse']:.3f} on the held-out test split "
            f"(x{performance['rmse_ratio']:.2f}): {performance['status']}."
        )
    else:
        lines.append("Performance: no labels in the batch, so not measured.")
    if report["rows_outside_contract"]:
        lines.append(f"{report['rows_outside_contract']} rows are outside the data contract.")
    lines += [
        "",
        f"Thresholds: PSI > {thresholds['psi_threshold']:g} drift (> "
        f"{thresholds['psi_warning']:g} warning); KS p < {thresholds['ks_pvalue']:g} and "
        f"statistic >= {thresholds['ks_min_statistic']:g}; chi-square p < "
        f"{thresholds['chi2_pvalue']:g} and Cramer's V >= {thresholds['chi2_min_cramers_v']:g}; "
        f"RMSE more than {thresholds['rmse_increase']:.0%} above the test split's.",
    ]
    if figure_link:
        lines += ["", f"![Training and batch distributions]({figure_link})"]
    return "\n".join(lines) + "\n"


def write_reports(
    report: dict[str, Any], reports_dir: Path, figure: Path | None = None
) -> tuple[Path, Path]:
    """Write drift.json (key-sorted, no timestamps) and drift.md next to it."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = reports_dir / DRIFT_JSON, reports_dir / DRIFT_MD
    json_path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    link = Path(os.path.relpath(figure, reports_dir)).as_posix() if figure else None
    md_path.write_text(_markdown(report, link), encoding="utf-8")
    return json_path, md_path


def run(params: Params, batch_path: Path, figure: bool = True) -> dict[str, Any]:
    """Load the training split, the served model and the batch; compare; write the reports.

    ``figure=False`` skips reports/figures/drift.png (the slowest part, about a second).
    """
    if not batch_path.exists():
        raise FileNotFoundError(f"{batch_path} not found (make shifted-batch writes one)")
    reference = load_processed(params.data.processed_dir, "train")
    test = load_processed(params.data.processed_dir, "test")
    model = load_model(params.artifacts.model_path)
    reference_metrics = regression_metrics(test[TARGET_COLUMN], predict_frame(model, test))
    checked, outside = check_batch(pd.read_csv(batch_path))
    reference = reference.assign(**{PREDICTION: predict_frame(model, reference)})
    checked = checked.assign(**{PREDICTION: predict_frame(model, checked)})
    report = _compare(reference, checked, outside, reference_metrics, params, batch_path.as_posix())
    figure_path = None
    if figure:
        notes = {
            name: f"PSI {result['psi']:.3f}, {result['status']}"
            for name, result in report["columns"].items()
        }
        figure_path = figures.drift(
            reference,
            checked,
            [*FEATURE_COLUMNS, PREDICTION],
            notes,
            params.evaluation.figures_dir / figures.DRIFT,
        )
    json_path, md_path = write_reports(report, params.monitor.reports_dir, figure_path)
    written = [json_path, md_path, *([figure_path] if figure_path else [])]
    logger.info("wrote %s", ", ".join(str(path) for path in written))
    return report


def _write_batch(params: Params, out: Path, shifted: bool) -> None:
    test = load_processed(params.data.processed_dir, "test")
    batch = make_shifted_batch(test, params.seed) if shifted else make_unshifted_batch(test)
    out.parent.mkdir(parents=True, exist_ok=True)
    batch.to_csv(out, index=False)
    kind = "shifted" if shifted else "unshifted"
    print(f"wrote a {kind} batch of {len(batch)} rows to {out}")
    print(f"compare it with the training data: make monitor BATCH={out}")


def main(argv: Sequence[str] | None = None) -> int:
    """CLI; returns the exit code (1: drift found with --fail-on-drift, 2: an error)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=Path, help="CSV of inputs (and optionally the target)")
    parser.add_argument("--fail-on-drift", action="store_true", help="exit 1 when drift is found")
    parser.add_argument(
        "--make-shifted-batch", type=Path, metavar="OUT", help="write a drifted batch"
    )
    parser.add_argument(
        "--make-unshifted-batch", type=Path, metavar="OUT", help="write a batch with no drift"
    )
    parser.add_argument("--no-figure", action="store_true", help="skip reports/figures/drift.png")
    parser.add_argument("--params", default=None, help="path to params.yaml")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    actions = [args.batch, args.make_shifted_batch, args.make_unshifted_batch]
    if sum(action is not None for action in actions) != 1:
        parser.error("give exactly one of --batch, --make-shifted-batch, --make-unshifted-batch")
    try:
        params = load_params(args.params)
        if args.batch is None:
            shifted = args.make_shifted_batch is not None
            _write_batch(params, args.make_shifted_batch or args.make_unshifted_batch, shifted)
            return 0
        report = run(params, args.batch, figure=not args.no_figure)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    print(Path(params.monitor.reports_dir / DRIFT_MD).read_text(encoding="utf-8"))
    if report["drift_detected"] and args.fail_on_drift:
        return EXIT_DRIFT
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
