"""Drift monitoring: this project's verdicts and locations, and the monitor end to end.

The statistics themselves (PSI, KS, chi-square) are tested in test_drift.py.

The end-to-end tests are deterministic: the batches come from the seeded split, so a shifted
batch is always flagged and the held-out (unshifted) one never is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from {{cookiecutter.package_name}} import data, figures, monitor, train
from {{cookiecutter.package_name}}.config import MonitorConfig, Params

CONFIG = MonitorConfig()

# --------------------------------------------------------------------------- verdicts


def test_a_significant_but_tiny_shift_is_a_warning_not_drift() -> None:
    # With 20,000 rows a shift of 0.06 std is "significant" (p << 0.01) but the CDF gap is
    # about 0.024, far below the minimum effect of 0.1: the monitor must not cry wolf.
    rng = np.random.default_rng(3)
    result = monitor.numeric_drift(
        rng.normal(size=20_000), rng.normal(0.06, 1.0, size=20_000), CONFIG
    )
    assert result["ks_pvalue"] < CONFIG.ks_pvalue
    assert result["ks_statistic"] < CONFIG.ks_min_statistic
    assert result["psi"] < CONFIG.psi_warning
    assert result["status"] == "warning"


# --------------------------------------------------------------------------- locations


def test_rare_and_unseen_categories_are_pooled() -> None:
    reference = ["a"] * 50 + ["b"] * 50 + ["rare"] * 2
    current = ["a"] * 40 + ["b"] * 40 + ["new"] * 20
    table = monitor.contingency_table(reference, current)
    assert list(table.columns) == ["a", "b", "other"]
    assert table.loc["current", "other"] == 20
    assert table.loc["reference", "other"] == 2
    assert monitor.categorical_drift(reference, current, CONFIG)["status"] == "drift"


# --------------------------------------------------------------------------- batches


@pytest.fixture(scope="module")
def batches(
    small_params: Params, trained_models: train.Models, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("batches")
    test = data.load_processed(small_params.data.processed_dir, "test")
    paths = {"shifted": folder / "shifted.csv", "unshifted": folder / "unshifted.csv"}
    monitor.make_shifted_batch(test, small_params.seed).to_csv(paths["shifted"], index=False)
    monitor.make_unshifted_batch(test).to_csv(paths["unshifted"], index=False)
    return paths


def test_shifted_batch_is_deterministic_and_inside_the_contract(
    small_params: Params, split_info: data.SplitInfo
) -> None:
    test = data.load_processed(small_params.data.processed_dir, "test")
    first = monitor.make_shifted_batch(test, small_params.seed)
    pd.testing.assert_frame_equal(first, monitor.make_shifted_batch(test, small_params.seed))
    data.validate(first)  # the API would accept every row: only the monitor can tell
    assert first["MedInc"].mean() > test["MedInc"].mean()


def test_shifted_batch_is_flagged(small_params: Params, batches: dict[str, Path]) -> None:
    report = monitor.run(small_params, batches["shifted"], figure=False)
    assert report["drift_detected"] is True
    assert {"MedInc", "HouseAge", monitor.PREDICTION, monitor.LOCATION} <= set(report["drifted"])
    assert "performance" in report["drifted"]
    assert report["columns"]["MedInc"]["psi"] > CONFIG.psi_threshold
    # Columns the shift leaves alone stay quiet.
    assert report["columns"]["AveRooms"]["status"] == "ok"
    assert report["rows_outside_contract"] == 0


def test_unshifted_batch_is_not_flagged(small_params: Params, batches: dict[str, Path]) -> None:
    report = monitor.run(small_params, batches["unshifted"], figure=False)
    assert report["drift_detected"] is False, report["drifted"]
    assert report["drifted"] == []
    assert all(result["psi"] < CONFIG.psi_warning for result in report["columns"].values())
    assert report["performance"]["rmse_ratio"] == pytest.approx(1.0)


def test_monitor_writes_json_markdown_and_a_figure(
    small_params: Params, batches: dict[str, Path]
) -> None:
    report = monitor.run(small_params, batches["shifted"])
    reports_dir = small_params.monitor.reports_dir
    saved = json.loads((reports_dir / monitor.DRIFT_JSON).read_text())
    assert saved == json.loads(json.dumps(report))
    markdown = (reports_dir / monitor.DRIFT_MD).read_text()
    assert "**Drift detected**" in markdown
    assert "| MedInc |" in markdown
    assert figures.is_png(small_params.evaluation.figures_dir / figures.DRIFT)


def test_inputs_without_labels_are_monitored_without_performance(
    small_params: Params, batches: dict[str, Path], tmp_path: Path
) -> None:
    unlabelled = tmp_path / "inputs.csv"
    pd.read_csv(batches["shifted"]).drop(columns=[data.TARGET_COLUMN]).to_csv(
        unlabelled, index=False
    )
    report = monitor.run(small_params, unlabelled, figure=False)
    assert report["labels"] is False
    assert report["performance"] is None
    assert report["drift_detected"] is True


def test_compare_works_on_frames_in_memory(
    small_params: Params, trained_models: train.Models
) -> None:
    # What a notebook or a scheduled job would call, without files.
    reference = data.load_processed(small_params.data.processed_dir, "train")
    test = data.load_processed(small_params.data.processed_dir, "test")
    model = trained_models[train.MAIN_MODEL]
    shifted = monitor.make_shifted_batch(test, small_params.seed)
    metrics = {"rmse": 0.5, "mae": 0.4, "r2": 0.8}
    report = monitor.compare(reference, shifted, model, metrics, small_params)
    assert report["drift_detected"] is True
    assert report["batch"] == "batch"
    assert monitor.PREDICTION not in shifted.columns  # the caller's frame is left alone


def test_a_batch_missing_columns_is_an_error(small_params: Params, tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    pd.DataFrame({"MedInc": [3.0]}).to_csv(broken, index=False)
    with pytest.raises(ValueError, match="missing feature columns"):
        monitor.run(small_params, broken, figure=False)


# --------------------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def params_file(
    small_params: Params, trained_models: train.Models, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("cli") / "params.yaml"
    path.write_text(yaml.safe_dump(small_params.model_dump(mode="json")))
    return path


def _cli(*args: Any) -> int:
    return monitor.main([str(arg) for arg in args])


def _monitor(batch: Path, params_file: Path, *flags: str) -> int:
    return _cli("--batch", batch, "--params", params_file, "--no-figure", *flags)


def test_exit_code_is_zero_unless_asked_to_fail(
    params_file: Path, batches: dict[str, Path]
) -> None:
    assert _monitor(batches["shifted"], params_file) == 0
    assert _monitor(batches["shifted"], params_file, "--fail-on-drift") == 1
    assert _monitor(batches["unshifted"], params_file, "--fail-on-drift") == 0


def test_cli_makes_shifted_and_unshifted_batches(params_file: Path, tmp_path: Path) -> None:
    shifted, unshifted = tmp_path / "out" / "shifted.csv", tmp_path / "unshifted.csv"
    assert _cli("--make-shifted-batch", shifted, "--params", params_file) == 0
    assert _cli("--make-unshifted-batch", unshifted, "--params", params_file) == 0
    assert len(pd.read_csv(shifted)) == len(pd.read_csv(unshifted)) > 0


def test_cli_reports_a_missing_batch(params_file: Path, tmp_path: Path) -> None:
    assert _monitor(tmp_path / "nope.csv", params_file) == monitor.EXIT_ERROR


def test_cli_needs_exactly_one_action(params_file: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _cli("--params", params_file)
    assert exit_info.value.code == 2
