"""Training and evaluation: the model must earn its place against the baselines, reproducibly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from {{cookiecutter.package_name}} import data, evaluate, figures, train
from {{cookiecutter.package_name}}.config import Params
from {{cookiecutter.package_name}}.predict import load_model, predict_frame

MakeParams = Callable[..., Params]

# LightGBM must cut each baseline's cross-validated RMSE by at least this share...
MIN_RMSE_REDUCTION = 0.10
# ... by more than this many standard errors of the fold-by-fold (paired) difference: the noise
# of the comparison. (The folds' own spread is not that noise: under spatial CV it mostly says
# that some regions are harder than others, for every model alike.)
MIN_GAP_IN_STANDARD_ERRORS = 2.5


def test_metrics_report_covers_every_model(small_params: Params, report: dict[str, Any]) -> None:
    saved = json.loads(small_params.artifacts.metrics_path.read_text())
    assert saved == report
    assert set(saved["test"]) == set(train.MODEL_NAMES)
    for metrics in saved["test"].values():
        assert set(metrics) == {"rmse", "mae", "r2"}
        assert all(np.isfinite(value) for value in metrics.values())
    assert saved["data_source"] == "synthetic"
    assert saved["units"] == data.TARGET_UNITS
    assert saved["main_model"] == train.MAIN_MODEL == "lightgbm"
    assert saved["comparison_model"] == train.COMPARISON_MODEL


def test_cross_validation_reports_folds_mean_and_std(
    small_params: Params, report: dict[str, Any]
) -> None:
    cv = report["cross_validation"]
    evaluation = small_params.evaluation
    assert cv["scheme"] == evaluation.cv
    assert cv["n_folds"] == evaluation.n_splits * evaluation.n_repeats
    assert set(cv["models"]) == set(train.MODEL_NAMES)
    for scores in cv["models"].values():
        for metric in evaluate.METRICS:
            folds = np.asarray(scores[metric]["folds"])
            assert len(folds) == cv["n_folds"]
            assert scores[metric]["mean"] == pytest.approx(folds.mean(), abs=1e-4)
            assert scores[metric]["std"] == pytest.approx(folds.std(ddof=1), abs=1e-4)
            assert scores[metric]["std"] > 0


def test_main_model_beats_both_baselines_beyond_the_noise(report: dict[str, Any]) -> None:
    cv = report["cross_validation"]["models"]
    main = cv[train.MAIN_MODEL]["rmse"]
    for baseline in train.BASELINES:
        base = cv[baseline]["rmse"]
        # Every model saw the same folds, so compare fold by fold.
        gaps = np.asarray(base["folds"]) - np.asarray(main["folds"])
        standard_error = gaps.std(ddof=1) / np.sqrt(len(gaps))
        assert gaps.mean() > MIN_RMSE_REDUCTION * base["mean"], baseline
        assert gaps.mean() > MIN_GAP_IN_STANDARD_ERRORS * standard_error, baseline
        assert (gaps > 0).all(), f"{baseline} won a fold"
    # Spatial folds (evaluation.cv: spatial) score lower than random ones, hence modest bars.
    assert cv["dummy_mean"]["r2"]["mean"] < 0.02
    assert cv["linear_regression"]["r2"]["mean"] > 0.3
    assert cv[train.MAIN_MODEL]["r2"]["mean"] > 0.6
    assert report["rmse_reduction_vs_best_baseline"] >= MIN_RMSE_REDUCTION


def test_main_model_keeps_up_with_the_model_it_replaced(report: dict[str, Any]) -> None:
    cv = report["cross_validation"]["models"]
    lightgbm, hgb = cv[train.MAIN_MODEL]["rmse"], cv[train.COMPARISON_MODEL]["rmse"]
    assert lightgbm["mean"] < hgb["mean"] + hgb["std"]


def test_main_model_beats_the_baselines_on_the_test_split(report: dict[str, Any]) -> None:
    scores = report["test"]
    for baseline in train.BASELINES:
        main_rmse = scores[train.MAIN_MODEL]["rmse"]
        assert main_rmse < (1 - MIN_RMSE_REDUCTION) * scores[baseline]["rmse"], baseline
    assert scores["dummy_mean"]["r2"] == pytest.approx(0.0, abs=0.02)
    assert scores[train.MAIN_MODEL]["r2"] > 0.75


def test_lightgbm_is_configured_to_be_deterministic(small_params: Params) -> None:
    regressor = train.build_models(small_params)[train.MAIN_MODEL].named_steps["regressor"]
    settings = regressor.get_params()
    assert settings["deterministic"] is True
    assert settings["force_col_wise"] is True
    assert settings["n_jobs"] == small_params.n_jobs
    assert settings["random_state"] == small_params.seed


def test_lightgbm_refit_gives_identical_predictions(
    small_params: Params, split_info: data.SplitInfo
) -> None:
    rows = data.load_processed(small_params.data.processed_dir, "train")
    predictions = []
    for _ in range(2):
        model = train.build_models(small_params)[train.MAIN_MODEL]
        with train.limited_threads(small_params.n_jobs):
            model.fit(rows[data.FEATURE_COLUMNS], rows[data.TARGET_COLUMN])
        predictions.append(model.predict(rows[data.FEATURE_COLUMNS].head(200)))
    np.testing.assert_array_equal(predictions[0], predictions[1])


def test_saved_model_round_trip_gives_identical_predictions(
    small_params: Params, trained_models: train.Models
) -> None:
    test = data.load_processed(small_params.data.processed_dir, "test")
    in_memory = trained_models[train.MAIN_MODEL].predict(test[data.FEATURE_COLUMNS])
    reloaded = load_model(small_params.artifacts.model_path)
    np.testing.assert_array_equal(predict_frame(reloaded, test), in_memory)
    assert tuple(train.load_models(small_params)) == train.MODEL_NAMES


def test_same_seed_gives_same_metrics_and_figures(
    make_params: MakeParams, small_params: Params, report: dict[str, Any], tmp_path: Path
) -> None:
    # The whole pipeline again, in another folder, with the session run's seed.
    again = make_params(tmp_path / "again")
    data.prepare(again)
    train.run(again)
    assert evaluate.run(again) == report
    for name in figures.EVALUATION_FIGURES:
        first_png = (small_params.evaluation.figures_dir / name).read_bytes()
        assert first_png == (again.evaluation.figures_dir / name).read_bytes(), name


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
