"""Training and evaluation: the model must earn its place against the baselines, reproducibly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from {{cookiecutter.package_name}} import data, evaluate, train
from {{cookiecutter.package_name}}.config import Params
from {{cookiecutter.package_name}}.predict import load_model, predict_frame

MakeParams = Callable[..., Params]

# The boosted model must cut the best baseline's RMSE by at least this share on the test split.
MIN_RMSE_REDUCTION = 0.10


def test_metrics_report_covers_every_model(small_params: Params, report: dict[str, Any]) -> None:
    saved = json.loads(small_params.artifacts.metrics_path.read_text())
    assert saved == report
    assert set(saved["models"]) == {train.MAIN_MODEL, *train.BASELINES}
    for metrics in saved["models"].values():
        assert set(metrics) == {"rmse", "mae", "r2"}
        assert all(np.isfinite(value) for value in metrics.values())
    assert saved["data_source"] == "synthetic"
    assert saved["units"] == data.TARGET_UNITS


def test_main_model_beats_both_baselines(report: dict[str, Any]) -> None:
    scores = report["models"]
    main_rmse = scores[train.MAIN_MODEL]["rmse"]
    for baseline in train.BASELINES:
        assert main_rmse < (1 - MIN_RMSE_REDUCTION) * scores[baseline]["rmse"], baseline
    assert scores["dummy_mean"]["r2"] == pytest.approx(0.0, abs=0.02)
    assert scores["linear_regression"]["r2"] > 0.4
    assert scores[train.MAIN_MODEL]["r2"] > 0.7
    assert report["rmse_reduction_vs_best_baseline"] >= MIN_RMSE_REDUCTION


def test_saved_model_round_trip_gives_identical_predictions(
    small_params: Params, trained_models: train.Models
) -> None:
    test = data.load_processed(small_params.data.processed_dir, "test")
    in_memory = trained_models[train.MAIN_MODEL].predict(test[data.FEATURE_COLUMNS])
    reloaded = load_model(small_params.artifacts.model_path)
    np.testing.assert_array_equal(predict_frame(reloaded, test), in_memory)
    baselines = train.load_models(small_params)
    assert set(baselines) == {train.MAIN_MODEL, *train.BASELINES}


def _run_pipeline(params: Params) -> dict[str, Any]:
    data.prepare(params)
    train.run(params)
    return evaluate.run(params)


def test_same_seed_gives_same_metrics(make_params: MakeParams, tmp_path: Path) -> None:
    first = _run_pipeline(make_params(tmp_path / "first", seed=11))
    second = _run_pipeline(make_params(tmp_path / "second", seed=11))
    assert first == second


def test_different_seed_gives_different_data(make_params: MakeParams, tmp_path: Path) -> None:
    first = make_params(tmp_path / "a", seed=1)
    second = make_params(tmp_path / "b", seed=2)
    data.prepare(first)
    data.prepare(second)
    train_a = data.load_processed(first.data.processed_dir, "train")
    train_b = data.load_processed(second.data.processed_dir, "train")
    assert not train_a.equals(train_b)


def test_train_explains_missing_data(make_params: MakeParams, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make data"):
        train.run(make_params(tmp_path))
