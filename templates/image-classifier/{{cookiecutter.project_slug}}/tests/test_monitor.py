"""Drift monitoring: the image features and the two batches of the README.

The statistics themselves (PSI, KS, chi-square) are tested in test_drift.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from {{cookiecutter.package_name}}.data import DataValidationError, load_split
from {{cookiecutter.package_name}}.imaging import to_png
from {{cookiecutter.package_name}}.monitor import (
    NUMERIC_FEATURES,
    _numeric,
    image_features,
    main,
    make_shifted_batch,
    monitor,
    read_batch,
    write_shifted_batch,
)

from .helpers import PipelineRun

# --------------------------------------------------------------------------- features


def test_image_features_measure_what_they_say() -> None:
    images = np.zeros((2, 8, 8), dtype=np.float32)
    images[0, 0:2, 6:8] = 1.0  # ink in the top-right corner
    features = image_features(images)
    assert features["brightness"][0] == pytest.approx(4 / 64)
    assert features["ink_share"][0] == pytest.approx(4 / 64)
    assert features["centre_row"][0] == pytest.approx(0.5 / 7)
    assert features["centre_col"][0] == pytest.approx(6.5 / 7)
    assert features["contrast"][1] == 0.0 and features["centre_row"][1] == 0.5  # blank image


# --------------------------------------------------------------------------- batches


def test_the_shifted_batch_is_deterministic_and_keeps_the_labels(pipeline_run: PipelineRun) -> None:
    config = pipeline_run[0]
    test = load_split(config, "test")
    first = make_shifted_batch(test, 25.0, 0.6, 0.25, seed=1)
    again = make_shifted_batch(test, 25.0, 0.6, 0.25, seed=1)
    assert np.array_equal(first.images, again.images)
    assert np.array_equal(first.labels, test.labels)
    assert first.images.min() >= 0.25 - 1e-6  # the grey background


def test_the_held_out_split_shows_no_drift(pipeline_run: PipelineRun) -> None:
    config = pipeline_run[0]
    report = monitor(config)
    assert report["drift_detected"] is False, report["drifted"]
    assert set(report["numeric"]) == set(NUMERIC_FEATURES)
    assert report["performance"]["drifted"] is False
    assert all(result["psi"] < 0.1 for result in report["numeric"].values())
    written = json.loads(config.resolve(config.paths.drift_json).read_text(encoding="utf-8"))
    assert written == report
    assert "No drift detected" in config.resolve(config.paths.drift_md).read_text(encoding="utf-8")


def test_the_shifted_batch_is_flagged(pipeline_run: PipelineRun) -> None:
    config = pipeline_run[0]
    path = write_shifted_batch(config)
    report = monitor(config, path)
    assert report["drift_detected"] is True
    for name in ("brightness", "contrast", "confidence", "predicted_class", "accuracy"):
        assert name in report["drifted"], name
    assert report["categorical"]["true_class"]["drifted"] is False  # same images, same labels
    assert "Drift detected" in config.resolve(config.paths.drift_md).read_text(encoding="utf-8")


def test_fail_on_drift_sets_the_exit_code(pipeline_run: PipelineRun, tmp_path: Path) -> None:
    config = pipeline_run[0]
    params = config.root / "configs" / "params.yaml"
    params.parent.mkdir(exist_ok=True)
    params.write_text(
        json.dumps({**config.model_dump(mode="json", exclude={"root"})}), encoding="utf-8"
    )
    shifted = tmp_path / "shifted.npz"
    assert main(["--params", str(params), "--make-shifted-batch", str(shifted)]) == 0
    assert main(["--params", str(params), "--batch", str(shifted)]) == 0
    assert main(["--params", str(params), "--batch", str(shifted), "--fail-on-drift"]) == 1
    assert main(["--params", str(params), "--fail-on-drift"]) == 0


def test_a_folder_of_uploaded_images_can_be_checked(
    pipeline_run: PipelineRun, tmp_path: Path
) -> None:
    config = pipeline_run[0]
    test = load_split(config, "test")
    for index in range(60):
        (tmp_path / f"{index:03d}.png").write_bytes(to_png(test.images[index]))
    report = monitor(config, tmp_path)
    assert report["n_images"] == 60 and report["labelled"] is False
    assert report["performance"] is None
    assert report["drift_detected"] is False, report["drifted"]


def test_psi_counts_only_for_a_batch_big_enough_to_fill_its_bins(
    pipeline_run: PipelineRun,
) -> None:
    config = pipeline_run[0]
    reference = np.linspace(0.0, 1.0, 2000)
    # 60 values, 12 in every other decile of the reference: five empty bins make PSI about
    # 3.8, while the two distribution functions never part by more than 0.15 (KS p 0.15).
    batch = np.concatenate([np.full(12, (2 * k + 0.5) / 10) for k in range(5)])
    small = _numeric(config, reference, batch)
    assert small["psi"] > config.monitor.psi_threshold
    assert (small["psi_judged"], small["drifted"], small["reasons"]) == (False, False, [])
    monitor_60 = config.monitor.model_copy(update={"psi_min_batch": 60})
    counted = _numeric(config.model_copy(update={"monitor": monitor_60}), reference, batch)
    assert counted["psi_judged"] and counted["drifted"] is True
    assert counted["reasons"] == [f"PSI {counted['psi']:.3f} > {config.monitor.psi_threshold}"]


def test_unusable_batches_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_batch(tmp_path / "missing.npz", (8, 8), ["0", "1"])
    with pytest.raises(DataValidationError, match="No image files"):
        read_batch(tmp_path, (8, 8), ["0", "1"])
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, images=np.zeros((3, 28, 28), np.float32))
    with pytest.raises(DataValidationError, match="shape"):
        read_batch(wrong, (8, 8), ["0", "1"])
    np.savez(wrong, pixels=np.zeros((3, 8, 8), np.float32))
    with pytest.raises(DataValidationError, match="images"):
        read_batch(wrong, (8, 8), ["0", "1"])
