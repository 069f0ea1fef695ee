"""The CNN must keep beating the pixel baseline, and the metrics must be complete and honest.

These tests read the metrics of one full `make data train evaluate` run with the default
params (the session fixture ``pipeline_run``): if a change to the network, the training or the
augmentation stops the CNN from clearly beating logistic regression on the raw pixels, they
fail.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from {{cookiecutter.package_name}}.evaluate import (
    CANDIDATES,
    FIGURES,
    paired_difference,
    score,
    summarise,
)

from .helpers import PipelineRun


@pytest.fixture(scope="module")
def metrics(pipeline_run: PipelineRun) -> dict[str, Any]:
    return pipeline_run[2]


def test_metrics_json_is_written_and_complete(pipeline_run: PipelineRun) -> None:
    config, _, metrics = pipeline_run
    written = json.loads(config.resolve(config.paths.metrics).read_text(encoding="utf-8"))
    assert written == metrics
    repeated = metrics["repeated_splits"]
    assert repeated["seeds"] == list(config.evaluate.split_seeds)
    assert repeated["split_sizes"] == {"train": 1221, "val": 216, "test": 360}
    for name in CANDIDATES:
        for metric in ("accuracy", "f1_macro", "log_loss"):
            summary = repeated["scores"][name][metric]
            assert len(summary["per_split"]) == len(config.evaluate.split_seeds)
            assert summary["mean"] == pytest.approx(np.mean(summary["per_split"]), abs=1e-4)
    assert set(metrics["figures"]) == set(FIGURES)


def test_the_cnn_beats_the_pixel_baseline_on_repeated_splits(metrics: dict[str, Any]) -> None:
    gap = metrics["repeated_splits"]["comparisons"]["model_vs_baseline"]
    for metric in ("accuracy", "f1_macro"):
        # More than three standard errors of the paired difference: not one lucky split.
        assert gap[metric]["mean"] > 3 * gap[metric]["se"], (metric, gap[metric])
        assert gap[metric]["mean"] >= 0.01, (metric, gap[metric])
        assert gap[metric]["losses"] == 0, (metric, gap[metric])
    scores = metrics["repeated_splits"]["scores"]
    assert scores["model"]["accuracy"]["mean"] >= 0.975
    assert scores["model"]["log_loss"]["mean"] < scores["baseline"]["log_loss"]["mean"]


def test_the_served_model_beats_the_baseline_on_the_held_out_split(
    metrics: dict[str, Any],
) -> None:
    holdout = metrics["holdout"]["scores"]
    assert holdout["model"]["accuracy"] > holdout["baseline"]["accuracy"]
    assert holdout["model"]["accuracy"] >= 0.97
    assert min(metrics["holdout"]["per_class_recall"].values()) >= 0.9


def test_the_confusion_matrix_and_the_mistakes_agree(metrics: dict[str, Any]) -> None:
    holdout = metrics["holdout"]
    matrix = np.array(holdout["confusion_matrix"]["matrix"])
    assert matrix.shape == (10, 10)
    assert matrix.sum() == metrics["data"]["n_test"]
    assert np.trace(matrix) / matrix.sum() == pytest.approx(
        holdout["scores"]["model"]["accuracy"], abs=1e-4
    )
    assert holdout["n_misclassified"] == matrix.sum() - np.trace(matrix)
    wrong = holdout["misclassified"]
    assert len(wrong) == min(holdout["n_misclassified"], 24)
    assert all(row["true"] != row["predicted"] for row in wrong)
    confidences = [row["probability"] for row in wrong]
    assert confidences == sorted(confidences, reverse=True)


def test_training_used_early_stopping_on_the_validation_split(
    pipeline_run: PipelineRun, metrics: dict[str, Any]
) -> None:
    settings = pipeline_run[0].train
    training = metrics["training"]
    losses = training["curves"]["val_loss"]
    assert len(losses) == training["epochs_run"]
    best = training["best_epoch"]
    kept = losses[best - 1]
    # The kept epoch is the last that beat the best before it by more than min_delta: no
    # epoch after it does, and none is lower by more than min_delta (the curves are rounded
    # to 5 places, hence the slack). So the kept loss is the lowest, or within min_delta of it.
    slack = settings.min_delta + 1e-5
    assert all(later >= kept - slack for later in losses[best:])
    assert kept - min(losses) <= slack
    if training["stopped_early"]:
        assert training["epochs_run"] - best == settings.patience
    assert training["seconds"] < 60


def test_scores_and_summaries() -> None:
    truth = np.array([0, 1, 1, 0])
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    scored = score(truth, probabilities, 2)
    assert scored["accuracy"] == 0.75  # a tie goes to the first class, as argmax does
    assert scored["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.4, 0.5])), abs=1e-4)
    summary = summarise([0.9, 0.95, 1.0])
    assert summary == {"mean": 0.95, "std": 0.05, "per_split": [0.9, 0.95, 1.0]}
    gap = paired_difference([0.9, 0.95, 1.0], [0.85, 0.95, 0.9])
    assert (gap["wins"], gap["ties"], gap["losses"]) == (2, 1, 0)
    assert gap["mean"] == 0.05
